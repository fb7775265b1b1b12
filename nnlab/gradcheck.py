"""Gradient checking: compare backpropagation with central finite differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6, *, order: int = 2
) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored exactly; ``f`` must read
    it (directly or through a view). With ``order=2`` the error is O(eps^2) truncation plus
    O(1e-16 * abs(f) / eps) rounding; ``order=4`` uses the five-point stencil, O(eps^4) truncation,
    which allows a larger ``eps`` (say 1e-3) and so far less rounding error.

    Shapes
    ------
    x: any shape -> gradient of the same shape (float64).

    Notes
    -----
    ``df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` (book eq. ``central-diff``);
    order 4: ``(8 (f(x + h) - f(x - h)) - (f(x + 2h) - f(x - 2h))) / (12 h)``.
    """
    if order not in (2, 4):
        raise ValueError(f"numerical_gradient: order must be 2 or 4, got {order!r}.")
    if not isinstance(x, np.ndarray):
        raise TypeError(f"numerical_gradient: x must be a NumPy array, got {type(x).__name__}.")
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError(
            "numerical_gradient: x must be contiguous so it can be perturbed in place."
        )
    g = grad.reshape(-1)

    def at(i: int, old, step: float) -> float:
        flat[i] = old + step
        return f(x)

    for i in range(flat.size):
        old = flat[i]
        d1 = at(i, old, eps) - at(i, old, -eps)
        if order == 2:
            g[i] = d1 / (2.0 * eps)
        else:
            d2 = at(i, old, 2 * eps) - at(i, old, -2 * eps)
            g[i] = (8.0 * d1 - d2) / (12.0 * eps)
        flat[i] = old
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / (||a|| + ||b||)``, 0 when both are zero. Scale-free, in [0, 1]."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def gradcheck(net, loss, X, y, eps: float = 1e-6, *, order: int = 2) -> dict[str, float]:
    """Max relative error between backprop and finite differences, per parameter name.

    Works on a float64 copy of ``net`` (the original is untouched), so float32 networks are
    checked in float64 too. Error per parameter: ``||g_bp - g_fd|| / (||g_bp|| + ||g_fd||)``;
    values around 1e-9 mean agreement, above 1e-5 a bug (or a ReLU kink hit by ``eps``).
    ``order`` selects the finite-difference stencil (see :func:`numerical_gradient`).

    Returns
    -------
    dict
        ``{"0.W": 3.1e-10, "0.b": ..., ...}``.
    """
    net64 = net.astype(np.float64)
    X = np.asarray(X, dtype=np.float64)
    loss.forward(net64.forward(X), y)
    net64.backward(loss.backward())
    errors = {}
    for name, p, g in net64.parameters():
        analytic = g.copy()
        numeric = numerical_gradient(
            lambda _: loss.forward(net64.forward(X, cache=False), y), p, eps, order=order
        )
        errors[name] = relative_error(analytic, numeric)
    return errors
