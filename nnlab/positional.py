"""Learned positional embeddings: a vector per position, added to a sequence's features."""

from __future__ import annotations

import numpy as np

from ._validation import as_rng, check_positive_int
from .base import Layer, Param

__all__ = ["PositionalEmbedding"]


class PositionalEmbedding(Layer):
    """Adds row ``t`` of a learned table to position ``t`` of every sequence:
    ``Z[n, t] = X[n, t] + P[t]``.

    Attention treats its inputs as a set: permute the positions of ``X`` and its outputs are
    permuted the same way. This layer is how a model learns where each token is (the learned
    positions of BERT and GPT-2; the original transformer added fixed sinusoids instead).
    PyTorch has no module of its own for it: it is an ``nn.Embedding(max_len, d_model)`` looked
    up at ``0 .. T - 1`` and added.

    Parameters
    ----------
    max_len : int
        The longest sequence the layer accepts; sequences of ``T <= max_len`` steps use the
        first ``T`` rows.
    d_model : int
        The feature size, the last axis of the input.
    rng : None, int or np.random.Generator
        Source of the initial table, drawn from a normal distribution with standard deviation
        1 (as ``nn.Embedding``).
    dtype : np.float32 or np.float64, default np.float64
        Dtype of ``P``, the outputs and the gradient.

    Attributes
    ----------
    P : ndarray
        The table, ``(max_len, d_model)``.
    dP : ndarray
        Its gradient, overwritten by each ``backward``: row ``t`` sums the output gradients at
        position ``t`` over the batch; rows past the last input's length are 0.
    input_shape : tuple
        One sample's shape, ``("n_steps", d_model)``.

    Raises
    ------
    TypeError
        If an argument is of the wrong kind, or ``X`` is not a real numeric array.
    ValueError
        If ``max_len`` or ``d_model`` is not positive, or ``X`` is not ``(N, T, d_model)``
        with ``1 <= T <= max_len``. A failing call changes nothing.

    Shapes
    ------
    X ``(N, T, d_model)`` -> Z, the same shape; backward: dZ (that shape) -> dX, the same.

    Notes
    -----
    ``Z = X + P[:T]`` broadcast over the batch, so ``dX = dZ`` (the identity, as in a residual
    connection) and ``dP[t] = sum_n dZ[n, t]`` (a bias per position, summed over the batch as
    a Dense layer's ``db``). The tangent is ``dZ = dX + dP[:T]``. FLOPs: one addition per
    entry forward, and one per entry for ``dP``.

    Examples
    --------
    >>> pos = PositionalEmbedding(8, 4, rng=0)
    >>> X = np.zeros((2, 5, 4))
    >>> bool(np.array_equal(pos.forward(X)[1], pos.P[:5]))
    True
    """

    P = Param("The table, shape (max_len, d_model).")

    def __init__(self, max_len: int, d_model: int, *, rng=None, dtype=np.float64):
        self.max_len = check_positive_int(max_len, "max_len", owner="PositionalEmbedding")
        self.d_model = check_positive_int(d_model, "d_model", owner="PositionalEmbedding")
        self.input_shape = ("n_steps", self.d_model)
        super().__init__(dtype)
        gen = as_rng(rng, owner=repr(self))
        shape = (self.max_len, self.d_model)
        self._init_param("P", gen.standard_normal(shape), shape)

    def _check_sample(self, X) -> None:
        if not 1 <= X.shape[1] <= self.max_len:
            raise ValueError(
                f"{self!r} expected sequences of 1 to {self.max_len} steps, got X of shape "
                f"{X.shape} ({X.shape[1]} steps)."
            )

    def output_shape(self, input_shape):
        return (self.d_model,) if input_shape is None else tuple(input_shape)

    def _forward(self, X, cache):
        T = X.shape[1]
        return X + self._params["P"][:T], ((T,) if cache else ())

    def _backward(self, dZ, T, *, input_grad):
        dP = self._grads["P"]
        dP[T:] = 0.0
        np.sum(dZ, axis=0, out=dP[:T])
        return dZ.copy() if input_grad else None

    def _jvp(self, X, dX, dflat):
        T = X.shape[1]
        Z, dZ = X + self._params["P"][:T], dX.copy()
        if dflat is not None:
            dZ += self.param_tangents(dflat)["P"][:T]
        return Z, dZ

    def _flops(self, n, shape):
        if len(shape) != 2 or shape[-1] != self.d_model:
            raise ValueError(
                f"{self!r}.flops expected input_shape (T, {self.d_model}), got {shape}."
            )
        size = n * int(np.prod(shape))
        return {"forward": size, "backward_dW": size, "backward_dX": 0}

    def __repr__(self) -> str:
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return f"PositionalEmbedding({self.max_len}, {self.d_model}{dt})"
