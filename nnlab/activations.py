"""Activation layers. Each derivative is written in terms of what forward already computed.

Every activation also exposes its element-wise function and derivative as static methods
``f(x)`` and ``df(x)`` (Softmax excepted: it is not element-wise), used by the book's plots.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_real
from .layers import Layer, read_only


class Activation(Layer):
    """An element-wise function ``A = f(Z)``; ``backward`` returns ``dA * f'(Z)``.

    With ``cache=True``, an output that backward reuses (sigmoid, tanh, ReLU, softmax) is
    returned read-only, so writing into it raises instead of corrupting the next backward;
    use ``A.copy()`` to get a writable copy. With ``cache=False`` the output is the caller's.

    Raises
    ------
    TypeError
        If ``Z`` or ``dA`` is not a real numeric array (complex, strings, objects).
    ValueError
        If ``dA`` does not have the shape of the last output, or an input is ragged.
    RuntimeError
        If ``backward`` comes before a ``forward`` with ``cache=True``.

    Shapes
    ------
    Z ``(N, n_l)`` -> A ``(N, n_l)``; backward: dA ``(N, n_l)`` -> dZ ``(N, n_l)``. ``N = 0`` gives
    empty outputs.
    """

    def __init__(self) -> None:
        super().__init__()
        self._cache: np.ndarray | None = None

    @staticmethod
    def f(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def df(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _input(self, X) -> np.ndarray:
        if isinstance(X, np.ndarray) and X.dtype.kind == "f":
            return X
        return as_float_array(X, "X", owner=repr(self))

    def _grad(self, dA) -> tuple[np.ndarray, np.ndarray]:
        cache = self._cache
        if cache is None:
            raise self._missing_cache()
        if not (isinstance(dA, np.ndarray) and dA.shape == cache.shape and dA.dtype == cache.dtype):
            dA = self._check_grad(dA, cache.shape, cache.dtype)
        return cache, dA


class Identity(Activation):
    """``f(z) = z``; the gradient passes through unchanged."""

    f = staticmethod(lambda x: np.asarray(x, dtype=float) * 1.0)
    df = staticmethod(lambda x: np.ones_like(np.asarray(x, dtype=float)))

    def forward(self, X, *, cache: bool = True) -> np.ndarray:
        X = self._input(X)
        if not cache:
            self._cache = None
            return X
        # Backward needs only the shape; a read-only view keeps the caller's X out of reach.
        self._cache = X
        return read_only(X.view())

    def backward(self, dA, *, input_grad: bool = True) -> np.ndarray | None:
        _, dA = self._grad(dA)
        return dA if input_grad else None


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows; pick the algebraically equal form that avoids cancellation.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(e.dtype, copy=False)


class Sigmoid(Activation):
    """Logistic sigmoid ``f(z) = 1 / (1 + exp(-z))``, range (0, 1).

    Notes
    -----
    ``f'(z) = f(z) (1 - f(z))``, at most 1/4 (at z = 0). Backward through a sigmoid layer and
    the dense layer before it multiplies the gradient by ``diag(f'(Z)) W^T``: the activation's
    own factor is at most 1/4, while the weights can amplify. Deep stacks of sigmoids whose
    weights do not make up for it see gradients vanish.
    """

    f = staticmethod(_sigmoid)
    df = staticmethod(lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)))

    def forward(self, X, *, cache: bool = True) -> np.ndarray:
        A = _sigmoid(self._input(X))
        self._cache = A if cache else None
        return read_only(A) if cache else A

    def backward(self, dA, *, input_grad: bool = True) -> np.ndarray | None:
        A, dA = self._grad(dA)
        return dA * A * (1.0 - A)


class Tanh(Activation):
    """Hyperbolic tangent, range (-1, 1). ``f'(z) = 1 - tanh(z)^2``, at most 1 (at z = 0)."""

    f = staticmethod(np.tanh)
    df = staticmethod(lambda x: 1.0 - np.tanh(x) ** 2)

    def forward(self, X, *, cache: bool = True) -> np.ndarray:
        A = np.tanh(self._input(X))
        self._cache = A if cache else None
        return read_only(A) if cache else A

    def backward(self, dA, *, input_grad: bool = True) -> np.ndarray | None:
        A, dA = self._grad(dA)
        return dA * (1.0 - A * A)


class ReLU(Activation):
    """Rectified linear unit ``f(z) = max(z, 0)``; ``f'(z)`` is 1 for z > 0, else 0."""

    f = staticmethod(lambda x: np.maximum(x, 0.0))
    df = staticmethod(lambda x: (np.asarray(x) > 0).astype(float))

    def forward(self, X, *, cache: bool = True) -> np.ndarray:
        A = np.maximum(self._input(X), 0.0)
        self._cache = A if cache else None
        return read_only(A) if cache else A

    def backward(self, dA, *, input_grad: bool = True) -> np.ndarray | None:
        A, dA = self._grad(dA)
        return dA * (A > 0)


class LeakyReLU(Activation):
    """``f(z) = z`` for z > 0, ``alpha z`` otherwise; a small slope keeps units alive.

    Parameters
    ----------
    alpha : float, default 0.01
        Slope for negative inputs, in [0, 1).
    """

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = check_real(
            alpha, "alpha", owner="LeakyReLU", low=0.0, high=1.0, high_open=True
        )

    def f(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x > 0, x, self.alpha * x)

    def df(self, x):
        return np.where(np.asarray(x) > 0, 1.0, self.alpha)

    def forward(self, X, *, cache: bool = True) -> np.ndarray:
        X = self._input(X)
        self._cache = X if cache else None
        return np.where(X > 0, X, X * self.alpha)

    def backward(self, dA, *, input_grad: bool = True) -> np.ndarray | None:
        X, dA = self._grad(dA)
        return np.where(X > 0, dA, dA * self.alpha)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha:g})"


class Softmax(Activation):
    """Row-wise softmax ``A_ij = exp(Z_ij) / sum_k exp(Z_ik)``, computed stably.

    Notes
    -----
    The backward pass is the full vector-Jacobian product (each row of ``dA`` times the
    softmax Jacobian of its row):
    ``dZ = A * (dA - sum(dA * A, axis=1, keepdims=True))``. Paired with cross-entropy it
    simplifies to ``A - Y``, which :class:`nnlab.SoftmaxCrossEntropy` uses directly on logits.
    """

    @staticmethod
    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def forward(self, X, *, cache: bool = True) -> np.ndarray:
        X = self._input(X)
        if X.ndim != 2 or X.shape[1] == 0:
            raise ValueError(
                f"Softmax expected Z of shape (n_samples, n_classes) with n_classes >= 1, "
                f"got {X.shape}."
            )
        e = np.exp(X - X.max(axis=1, keepdims=True))
        e /= e.sum(axis=1, keepdims=True)
        self._cache = e if cache else None
        return read_only(e) if cache else e

    def backward(self, dA, *, input_grad: bool = True) -> np.ndarray | None:
        A, dA = self._grad(dA)
        return A * (dA - np.sum(dA * A, axis=1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    "identity": Identity,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "softmax": Softmax,
}


def get_activation(name: str | Activation) -> Activation:
    """Build an activation layer from its name (``"relu"``, ``"tanh"``, ...)."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name or an Activation, got {type(name).__name__}.")
    try:
        return ACTIVATIONS[name.lower()]()
    except KeyError:
        names = ", ".join(repr(n) for n in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; expected one of {names}.") from None
