"""Token embeddings: integer ids in, one learned vector per id out."""

from __future__ import annotations

import numpy as np

from ._validation import as_rng, check_positive_int
from .base import Layer, Param

__all__ = ["Embedding"]


class Embedding(Layer):
    """A lookup table: token ``k`` becomes row ``k`` of ``W``.

    Parameters
    ----------
    n_tokens, d_model : int
        The number of distinct tokens (ids ``0 .. n_tokens - 1``) and the vector size.
    rng : None, int or np.random.Generator
        Source of the initial rows, drawn from a normal distribution with standard deviation
        1 (as PyTorch's ``nn.Embedding``).
    dtype : np.float32 or np.float64, default np.float64
        Dtype of ``W``, the outputs and the gradient.

    Attributes
    ----------
    W : ndarray
        The table, ``(n_tokens, d_model)``.
    dW : ndarray
        Its gradient, overwritten by each ``backward``: row ``k`` sums the output gradients
        of every position that holds token ``k``.

    Raises
    ------
    TypeError
        If the input is not an array of integers (floats, even whole ones, are refused: a
        token id is not a quantity).
    ValueError
        If an id is outside ``[0, n_tokens)``, or the input has fewer than 2 dimensions.

    Shapes
    ------
    X ``(N, T)`` integer ids (any ``(N, ...)``) -> Z ``(N, T, d_model)``; backward: dZ
    ``(N, T, d_model)`` -> None (ids have no gradient).

    Notes
    -----
    ``Z[n, t] = W[X[n, t]]`` is a product with one-hot rows, ``Z = onehot(X) W``, so
    ``dW = onehot(X)^T dZ``: the rows of ``dZ`` added into the rows of their tokens
    (``np.add.at``), a repeated token collecting one contribution per position. No FLOPs
    forward (a copy); backward one addition per entry of ``dZ``.

    Examples
    --------
    >>> emb = Embedding(10, 4, rng=0)
    >>> emb.forward(np.array([[1, 2, 1]])).shape
    (1, 3, 4)
    """

    W = Param("The table, shape (n_tokens, d_model).")
    input_kind = "i"

    def __init__(self, n_tokens: int, d_model: int, *, rng=None, dtype=np.float64):
        self.n_tokens = check_positive_int(n_tokens, "n_tokens", owner="Embedding")
        self.d_model = check_positive_int(d_model, "d_model", owner="Embedding")
        super().__init__(dtype)
        gen = as_rng(rng, owner=repr(self))
        shape = (self.n_tokens, self.d_model)
        self._init_param("W", gen.standard_normal(shape), shape)

    def check_tokens(self, X) -> np.ndarray:
        if isinstance(X, np.ndarray) and X.dtype.kind in "iu":
            tokens = X
        else:
            tokens = np.asarray(X) if isinstance(X, list | tuple | np.ndarray) else None
            if tokens is None or tokens.dtype.kind not in "iu":
                what = type(X).__name__ if tokens is None else f"an array of dtype {tokens.dtype}"
                raise TypeError(
                    f"{self!r} expected token ids as an integer array of shape (n_samples, "
                    f"n_steps), got {what}."
                )
        if tokens.ndim < 2:
            raise ValueError(
                f"{self!r} expected token ids of shape (n_samples, n_steps), got a "
                f"{tokens.ndim}-D array of shape {tokens.shape}. For one sequence use "
                "X[np.newaxis]."
            )
        if tokens.size and (tokens.min() < 0 or tokens.max() >= self.n_tokens):
            bad = tokens[(tokens < 0) | (tokens >= self.n_tokens)].ravel()[0]
            raise ValueError(
                f"{self!r} expected token ids in [0, {self.n_tokens}), got {int(bad)}."
            )
        return tokens

    def output_shape(self, input_shape):
        steps = input_shape if input_shape is not None else ("n_steps",)
        return (*steps, self.d_model)

    def _forward(self, X, cache):
        if X.dtype.kind not in "iu":  # a float batch can take forward's fast path: refuse it
            X = self.check_tokens(X)
        return self._params["W"][X], (X,)  # fancy indexing: a copy of the rows

    def _backward(self, dZ, X, *, input_grad):
        dW = self._grads["W"]
        dW[...] = 0.0
        np.add.at(dW, X.ravel(), dZ.reshape(-1, self.d_model))
        return None

    def _jvp(self, X, dX, dflat):
        if dX.any():
            raise ValueError(f"{self!r}: token ids have no tangent; pass dX=None.")
        Z = self._params["W"][X]
        dZ = np.zeros_like(Z) if dflat is None else self.param_tangents(dflat)["W"][X]
        return Z, dZ

    def _flops(self, n, shape):
        size = n * int(np.prod(shape)) * self.d_model
        return {"forward": 0, "backward_dW": size, "backward_dX": 0}

    def __repr__(self) -> str:
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return f"Embedding({self.n_tokens}, {self.d_model}{dt})"
