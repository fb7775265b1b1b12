"""The fully connected (dense) layer, and the layer contract it follows (:mod:`nnlab.base`)."""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_rng, check_positive_int
from .base import Layer, Param
from .init import get_initializer

__all__ = ["Dense", "Layer", "Param"]


class Dense(Layer):
    """Fully connected layer: ``Z = X @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Number of inputs and outputs.
    init : {"he", "xavier", "normal", "zeros", ...} or callable, default "he"
        Weight initializer (a name of :mod:`nnlab.init`); a callable gets
        ``(n_in, n_out, rng)`` and returns ``W``. The bias starts at zero.
    rng : None, int or np.random.Generator
        Source of randomness for the initializer.
    dtype : np.float32 or np.float64, default np.float64
        Dtype of the parameters, the outputs and the gradients.

    Attributes
    ----------
    W, b : ndarray
        Weights ``(n_in, n_out)`` and bias ``(n_out,)``.
    dW, db : ndarray
        Their gradients, overwritten by each ``backward``.
    input_shape : tuple
        One sample's shape, ``(n_in,)``.

    Raises
    ------
    TypeError
        If ``X``, ``dZ`` or an assigned ``W``/``b`` is not a real numeric array (complex,
        strings, objects).
    ValueError
        If one of them has the wrong shape or is ragged, or an assigned ``W``/``b`` holds nan
        or inf.
    RuntimeError
        If ``backward`` comes before a ``forward`` with ``cache=True``.

    Shapes
    ------
    X ``(N, n_in)`` -> Z ``(N, n_out)``; backward: dZ ``(N, n_out)`` -> dX ``(N, n_in)``, for a
    batch of N samples (the book's notation). ``N = 0`` is allowed: the outputs are empty and
    ``dW``, ``db`` become zeros.

    Notes
    -----
    Forward keeps ``X`` (a reference, no copy). Backward (BP4, BP3 and BP2 of the book):
    ``dW = X.T @ dZ``, ``db = dZ.sum(axis=0)``, ``dX = dZ @ W.T``. The batch mean (the 1/N)
    is already inside ``dZ``. FLOPs, a multiply-add counting as 2: forward
    ``2 N n_in n_out + N n_out``; ``dW`` and ``db`` the same; ``dX`` ``2 N n_in n_out``.

    Examples
    --------
    >>> layer = Dense(3, 2, rng=0)
    >>> layer.forward(np.ones((4, 3))).shape
    (4, 2)
    """

    W = Param("Weights, shape (n_in, n_out).")
    b = Param("Bias, shape (n_out,).")

    def __init__(self, n_in: int, n_out: int, *, init="he", rng=None, dtype=np.float64):
        self.n_in = check_positive_int(n_in, "n_in", owner="Dense")
        self.n_out = check_positive_int(n_out, "n_out", owner="Dense")
        self.init = init
        self.input_shape = (..., self.n_in)  # one sample's shape: any leading axes, then n_in
        super().__init__(dtype)
        initializer = get_initializer(init, owner=repr(self))
        W = initializer(self.n_in, self.n_out, as_rng(rng, owner=repr(self)))
        self._init_param("W", W, (self.n_in, self.n_out))
        self._init_param("b", np.zeros(self.n_out), (self.n_out,))
        self._ones = np.ones(0, dtype=self.dtype)

    def output_shape(self, input_shape: tuple | None) -> tuple:
        if input_shape is None or len(input_shape) < 2 or input_shape[0] is ...:
            return (self.n_out,)
        return (*input_shape[:-1], self.n_out)  # (T, n_in) -> (T, n_out)

    def _forward(self, X, cache):
        X2 = X if X.ndim == 2 else X.reshape(-1, self.n_in)  # positions share the weights
        Z = np.dot(X2, self._params["W"])
        Z += self._params["b"]
        return (Z if X.ndim == 2 else Z.reshape(*X.shape[:-1], self.n_out)), (X,)

    def _backward(self, dZ, X, *, input_grad):
        if X.ndim != 2:  # (N, ..., n_in): every leading axis sums into dW and db
            dX = self._backward(
                dZ.reshape(-1, self.n_out), X.reshape(-1, self.n_in), input_grad=input_grad
            )
            return None if dX is None else dX.reshape(X.shape)
        # The column sums for db are a matrix-vector product with a vector of ones: BLAS,
        # and several times cheaper than np.sum(axis=0) on small batches.
        n = X.shape[0]
        if self._ones.shape[0] < n:
            self._ones = np.ones(n, dtype=self.dtype)
        np.matmul(X.T, dZ, out=self._grads["W"])
        np.dot(self._ones[:n], dZ, out=self._grads["b"])
        return np.dot(dZ, self._params["W"].T) if input_grad else None

    def _jvp(self, X, dX, dflat):
        t, W = self.param_tangents(dflat), self._params["W"]
        Z = X @ W  # matmul broadcasts over leading axes
        Z += self._params["b"]
        dZ = dX @ W  # the product rule: dX W + X dW + db
        if dflat is not None:
            dZ += X @ t["W"]
            dZ += t["b"]
        return Z, dZ

    def _reset_buffers(self) -> None:
        self._ones = np.ones(0, dtype=self.dtype)

    def _flops(self, n, shape):
        n *= math.prod(shape[:-1])  # each position of a sequence is a row
        mm = 2 * n * self.n_in * self.n_out
        bias = n * self.n_out
        return {"forward": mm + bias, "backward_dW": mm + bias, "backward_dX": mm}

    def __repr__(self) -> str:
        init = self.init if isinstance(self.init, str) else getattr(self.init, "__name__", "?")
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return f"Dense({self.n_in} -> {self.n_out}, init={init!r}{dt})"
