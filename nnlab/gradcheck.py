"""Gradient checking: compare backpropagation with central finite differences."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ._validation import check_input, check_real
from .base import Layer
from .losses import Loss


def _check_stencil(eps, order, *, owner: str) -> float:
    if order not in (2, 4):
        raise ValueError(f"{owner}: order must be 2 or 4, got {order!r}.")
    return check_real(eps, "eps", owner=owner, low=0.0, low_open=True)


def _scalar(value) -> float:
    try:
        arr = np.asarray(value)
    except ValueError:  # rows of different lengths
        raise TypeError(
            f"numerical_gradient: f must return a real scalar, got a ragged {type(value).__name__}."
        ) from None
    if arr.shape != () or arr.dtype.kind not in "fiub":
        got = f"shape {arr.shape}" if arr.shape != () else f"dtype {arr.dtype}"
        raise TypeError(f"numerical_gradient: f must return a real scalar, got {got}.")
    return float(arr)


def _slope_at_zero(t: list[float], v: list[float]) -> float:
    """Slope at 0 of the polynomial through the points ``(t[j], v[j])`` (Lagrange form).

    With ``t = (h, -h)`` it is the central difference, with ``(h, -h, 2h, -2h)`` the
    five-point stencil; it stays exact for the unequal steps that rounding leaves.
    """
    slope = 0.0
    for j, tj in enumerate(t):
        others = t[:j] + t[j + 1 :]
        denom = math.prod(tj - tk for tk in others)
        # d/dx prod_k (x - t_k) at x = 0: drop one factor at a time
        num = sum(
            math.prod(-tk for k, tk in enumerate(others) if k != m) for m in range(len(others))
        )
        slope += (v[j] - v[0]) * num / denom  # the weights sum to 0: v[0] can be subtracted
    return slope


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6, *, order: int = 2
) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored exactly; ``f`` must read
    it (directly or through a view). With ``order=2`` the error is O(eps^2) truncation plus
    O(1e-16 * abs(f) / eps) rounding; ``order=4`` uses the five-point stencil, O(eps^4) truncation,
    which allows a larger ``eps`` (say 1e-3) and so far less rounding error.

    The arithmetic is in floating point whatever the dtype of ``x``. A float32 (or float16)
    ``x`` is still perturbed in place, and each difference is divided by the step the entry
    actually took after rounding, not by the nominal ``eps``. An integer or boolean ``x``
    cannot hold ``x + eps``: ``f`` then receives a float64 copy, and must use its argument.

    Raises
    ------
    TypeError
        If ``x`` is not a real NumPy array, ``eps`` is not a number, or ``f`` does not return
        a real scalar.
    ValueError
        If ``eps <= 0``, ``order`` is not 2 or 4, ``x`` is read-only or cannot be perturbed
        in place, or ``eps`` is below the resolution of ``x``'s dtype at some entry.

    Shapes
    ------
    x: any shape -> gradient of the same shape (float64).

    Notes
    -----
    ``df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` (book eq. ``central-diff``);
    order 4: ``(8 (f(x + h) - f(x - h)) - (f(x + 2h) - f(x - 2h))) / (12 h)``.
    """
    eps = _check_stencil(eps, order, owner="numerical_gradient")
    if not isinstance(x, np.ndarray):
        raise TypeError(f"numerical_gradient: x must be a NumPy array, got {type(x).__name__}.")
    if x.dtype.kind in "iub":
        x = x.astype(np.float64)
    elif x.dtype.kind != "f":
        raise TypeError(f"numerical_gradient: x must be a real array, got dtype {x.dtype}.")
    if not x.flags.writeable:
        raise ValueError("numerical_gradient: x is read-only; it must be perturbed in place.")
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x) and x.size > 0:
        raise ValueError(
            "numerical_gradient: x must be contiguous so it can be perturbed in place."
        )
    g = grad.reshape(-1)
    multiples = (1.0, -1.0) if order == 2 else (1.0, -1.0, 2.0, -2.0)
    for i in range(flat.size):
        old = flat[i]
        steps, v = [], []
        for k in multiples:
            flat[i] = old + k * eps
            steps.append(float(flat[i]) - float(old))  # the step taken, after rounding
            v.append(_scalar(f(x)))
        flat[i] = old
        if len(set(steps)) < len(steps) or 0.0 in steps:
            raise ValueError(
                f"numerical_gradient: eps={eps:g} is below the resolution of {x.dtype} at "
                f"entry {i} (value {float(old):g}); use a larger eps or a float64 x."
            )
        if all(abs(h - k * eps) <= 1e-9 * eps for h, k in zip(steps, multiples, strict=True)):
            d1 = v[0] - v[1]  # float64: the steps are k * eps, up to rounding
            g[i] = d1 / (2.0 * eps) if order == 2 else (8.0 * d1 - (v[2] - v[3])) / (12.0 * eps)
        else:  # a coarser dtype rounded the steps: use the steps actually taken
            g[i] = _slope_at_zero(steps, v)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / (||a|| + ||b||)``, 0 when both are zero. Scale-free, in [0, 1]."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def gradcheck(
    net, loss, X, y, eps: float = 1e-6, *, order: int = 2, training: bool = False
) -> dict[str, float]:
    """Max relative error between backprop and finite differences, per parameter name.

    Works on a float64 copy of ``net`` (any :class:`nnlab.Layer`: a network or a single
    layer; the original is untouched), so float32 networks are checked in float64 too; ``X``
    is converted to float64 (integers included). Error per parameter:
    ``||g_bp - g_fd|| / (||g_bp|| + ||g_fd||)``; values around 1e-9 mean agreement, above
    1e-5 a bug (or a ReLU kink hit by ``eps``). ``order`` selects the finite-difference
    stencil (see :func:`numerical_gradient`).

    By default the finite differences differentiate the inference pass. With
    ``training=True`` they differentiate the training pass, with every random draw replayed
    (``get_random_state``/``set_random_state``): a Dropout layer keeps the mask of the pass
    that backpropagation differentiated, so its gradient can be checked.

    Returns
    -------
    dict
        ``{"0.W": 3.1e-10, "0.b": ..., ...}`` (a single layer: ``{"W": ..., "b": ...}``).

    Raises
    ------
    TypeError
        If ``net`` is not an nnlab layer or network, ``loss`` not an nnlab loss, or ``X`` not
        a real numeric array.
    ValueError
        If ``eps <= 0``, ``order`` is not 2 or 4, or ``X`` has the wrong shape or no rows.
    """
    eps = _check_stencil(eps, order, owner="gradcheck")
    if not isinstance(net, Layer):
        raise TypeError(
            f"gradcheck: net must be an nnlab layer or network, got {type(net).__name__}."
        )
    if not isinstance(loss, Loss):
        raise TypeError(f"gradcheck: loss must be an nnlab loss, got {type(loss).__name__}.")
    if net.input_kind == "i":  # token ids
        X = net.check_tokens(X)
    else:
        X = check_input(X, net.input_shape, "X", owner="gradcheck", dtype=np.float64)
    if X.shape[0] == 0:
        raise ValueError("gradcheck: X has 0 samples; finite differences need at least one.")
    net64 = net.astype(np.float64)
    state = net64.get_random_state()
    loss.forward(net64.forward(X), y)
    net64.backward(loss.backward())
    analytic = {name: g.copy() for name, _, g in net64.parameters()}

    def value(_):
        if training:
            net64.set_random_state(state)  # the same masks as the differentiated pass
        return loss.forward(net64.forward(X, cache=training), y)

    return {
        name: relative_error(analytic[name], numerical_gradient(value, p, eps, order=order))
        for name, p, _ in net64.parameters()
    }
