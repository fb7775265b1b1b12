"""Activation layers. Each derivative is written in terms of what forward already computed.

Every activation also exposes its element-wise function and derivative as static methods
``f(x)`` and ``df(x)`` (Softmax excepted: it is not element-wise), used by the book's plots.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_real
from .base import Layer


class Activation(Layer):
    """An element-wise function ``A = f(Z)``; ``backward`` returns ``dA * f'(Z)``.

    A subclass defines ``f`` and ``df`` (static, for plots), ``_forward`` and ``_backward``
    (the layer contract of :class:`nnlab.Layer`) and ``flops_per_entry``. With
    ``cache=True``, an output that backward reuses (sigmoid, tanh, ReLU, softmax) is
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
    Z ``(N, n_l)`` (any shape) -> A, the same shape; backward: dA -> dZ, the same shape.
    ``N = 0`` gives empty outputs.
    """

    min_ndim = 0  # element-wise: any array

    @staticmethod
    def f(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def df(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Identity(Activation):
    """``f(z) = z``; the gradient passes through unchanged."""

    f = staticmethod(lambda x: np.asarray(x, dtype=float) * 1.0)
    df = staticmethod(lambda x: np.ones_like(np.asarray(x, dtype=float)))

    def _forward(self, X, cache):
        view = X.view()  # returned read-only when kept: the caller's X stays writable
        return view, (view,)

    def _backward(self, dA, view, *, input_grad):
        return dA if input_grad else None

    def _jvp(self, X, dX, dflat):
        return X.copy(), dX.copy()


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
    outputs_probabilities = True
    flops_per_entry = (4, 3)  # exp, add, divide (and a sign); dA * A * (1 - A)

    def _forward(self, X, cache):
        A = _sigmoid(X)
        return A, (A,)

    def _backward(self, dA, A, *, input_grad):
        if not input_grad:
            return None
        return dA * A * (1.0 - A)

    def _jvp(self, X, dX, dflat):
        A = _sigmoid(X)
        return A, dX * A * (1.0 - A)


class Tanh(Activation):
    """Hyperbolic tangent, range (-1, 1). ``f'(z) = 1 - tanh(z)^2``, at most 1 (at z = 0)."""

    f = staticmethod(np.tanh)
    df = staticmethod(lambda x: 1.0 - np.tanh(x) ** 2)
    flops_per_entry = (1, 3)  # tanh; dA * (1 - A * A)

    def _forward(self, X, cache):
        A = np.tanh(X)
        return A, (A,)

    def _backward(self, dA, A, *, input_grad):
        if not input_grad:
            return None
        dZ = np.multiply(A, A)  # dA * (1 - A * A), in one new array
        np.subtract(1.0, dZ, out=dZ)
        dZ *= dA
        return dZ

    def _jvp(self, X, dX, dflat):
        A = np.tanh(X)
        return A, dX * (1.0 - A * A)


class ReLU(Activation):
    """Rectified linear unit ``f(z) = max(z, 0)``; ``f'(z)`` is 1 for z > 0, else 0."""

    f = staticmethod(lambda x: np.maximum(x, 0.0))
    df = staticmethod(lambda x: (np.asarray(x) > 0).astype(float))
    flops_per_entry = (1, 1)  # a maximum; a masked multiply

    def _forward(self, X, cache):
        A = np.maximum(X, 0.0)
        return A, (A,)

    def _backward(self, dA, A, *, input_grad):
        return dA * (A > 0) if input_grad else None

    def _jvp(self, X, dX, dflat):
        return np.maximum(X, 0.0), dX * (X > 0)


class LeakyReLU(Activation):
    """``f(z) = z`` for z > 0, ``alpha z`` otherwise; a small slope keeps units alive.

    Parameters
    ----------
    alpha : float, default 0.01
        Slope for negative inputs, in [0, 1).
    """

    flops_per_entry = (2, 2)  # a comparison and a multiply, each way

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

    def _forward(self, X, cache):
        return np.where(X > 0, X, X * self.alpha), (X,)

    def _backward(self, dA, X, *, input_grad):
        return np.where(X > 0, dA, dA * self.alpha) if input_grad else None

    def _jvp(self, X, dX, dflat):
        return np.where(X > 0, X, X * self.alpha), np.where(X > 0, dX, dX * self.alpha)

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

    outputs_probabilities = True
    flops_per_entry = (4, 4)  # max, subtract, exp, divide; multiply, sum, subtract, multiply

    @staticmethod
    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def _check_sample(self, X) -> None:
        if X.ndim != 2 or X.shape[1] == 0:
            raise ValueError(
                f"Softmax expected Z of shape (n_samples, n_classes) with n_classes >= 1, "
                f"got {X.shape}."
            )

    def _forward(self, X, cache):
        e = np.exp(X - X.max(axis=1, keepdims=True))
        e /= e.sum(axis=1, keepdims=True)
        return e, (e,)

    def _backward(self, dA, A, *, input_grad):
        if not input_grad:
            return None
        return A * (dA - np.sum(dA * A, axis=1, keepdims=True))

    def _jvp(self, X, dX, dflat):
        A, _ = self._forward(X, False)
        return A, A * (dX - np.sum(dX * A, axis=1, keepdims=True))


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
