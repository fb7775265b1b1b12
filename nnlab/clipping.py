"""Gradient clipping by global norm: ``grad_norm`` measures, ``clip_grad_norm`` rescales.

Both take the gradients of a whole network (a :class:`nnlab.Sequential`, the list that
``net.parameters()`` returns, or a list of gradient arrays) and treat them as one long vector.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import FLOAT_DTYPES, contiguous_base
from .network import Sequential

_byte_bounds = getattr(np.lib, "array_utils", np).byte_bounds  # moved in NumPy 2.0

# float32 gradients are summed in float64 over blocks of this many elements, with one small
# scratch buffer, so the norm never allocates a gradient-sized temporary.
BLOCK = 1 << 15

# A float64 sum of squares above this is accurate: the squares that underflowed (below
# ~2e-308 each) cannot matter. Below it (or at inf), the slow, rescaled path decides.
_SAFE_SUMSQ = 1e-280


def _gradients(params, owner: str) -> tuple[list[tuple[str, np.ndarray]], list[np.ndarray]]:
    """Named gradients (for messages) and the arrays to work on, from any accepted ``params``.

    The arrays are one flat view when the gradients tile one buffer, as a Sequential's do.
    """
    if isinstance(params, Sequential):
        return [(name, g) for name, _, g in params.parameters()], [params.flat_grads]
    if not isinstance(params, list | tuple):
        raise TypeError(
            f"{owner} expected params to be a Sequential, the list net.parameters() returns "
            f"or a list of gradient arrays, got {type(params).__name__}."
        )
    grads = []
    for i, entry in enumerate(params):
        if isinstance(entry, tuple) and len(entry) == 3:
            name, g = (entry[0] if isinstance(entry[0], str) else f"params[{i}]"), entry[2]
            what = f"the gradient of params[{i}] ({name!r})"
        else:
            name, g, what = f"params[{i}]", entry, f"params[{i}]"
        if not isinstance(g, np.ndarray):
            raise TypeError(
                f"{owner} expected {what} to be a NumPy array (or params[{i}] a "
                f"(name, param, grad) tuple), got {type(g).__name__}."
            )
        if g.dtype not in FLOAT_DTYPES:
            raise TypeError(
                f"{owner} expected {what} to be a float32 or float64 array, got dtype {g.dtype}."
            )
        grads.append((name, g))
    flat = contiguous_base([g for _, g in grads])
    return grads, [flat] if flat is not None else [g for _, g in grads]


def _check_distinct(grads: list[tuple[str, np.ndarray]], owner: str) -> None:
    """No two gradients share memory: clipping would scale the shared values twice."""
    spans = sorted((*_byte_bounds(g), i) for i, (_, g) in enumerate(grads) if g.size)
    active: list[tuple[int, int]] = []  # (end, index) of the spans that may still overlap
    for start, end, i in spans:
        active = [(e, j) for e, j in active if e > start]
        for _, j in active:
            if np.shares_memory(grads[j][1], grads[i][1]):
                raise ValueError(
                    f"{owner}: gradients {grads[j][0]!r} and {grads[i][0]!r} share memory (is "
                    "one array listed twice?); list each gradient once."
                )
        active.append((end, i))


def _sumsq(g: np.ndarray) -> float:
    """Sum of squares of ``g`` accumulated in float64 (inf on float64 overflow, no warning)."""
    flat = g.reshape(-1)  # a copy only for a non-contiguous view
    if flat.dtype == np.float64:
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return float(np.dot(flat, flat))
    # float32 squares cannot overflow or underflow in float64: no rescaling needed.
    scratch = np.empty(min(flat.size, BLOCK), dtype=np.float64)
    total = 0.0
    for start in range(0, flat.size, BLOCK):
        block = scratch[: min(BLOCK, flat.size - start)]
        block[...] = flat[start : start + block.size]
        total += float(np.dot(block, block))
    return total


def _norm(arrays: list[np.ndarray]) -> float:
    total = sum(_sumsq(a) for a in arrays)
    if _SAFE_SUMSQ < total < math.inf:
        return math.sqrt(total)
    # Zero, tiny, overflowed or non-finite: rescale by the largest magnitude (a second pass,
    # only in these rare cases), which also propagates nan and inf.
    scale = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    if scale == 0.0 or not math.isfinite(scale):
        return scale
    total = sum(_sumsq(a.astype(np.float64) / scale) for a in arrays)
    with np.errstate(over="ignore"):
        return float(np.float64(scale) * np.sqrt(total))


def grad_norm(params) -> float:
    """The global L2 norm of all gradients, as one vector.

    Parameters
    ----------
    params : Sequential, list of (name, param, grad) or list of ndarray
        A network, the list that ``net.parameters()`` returns, or the gradient arrays
        themselves (float32 or float64).

    Returns
    -------
    float
        ``sqrt(sum over all gradient entries of g^2)``; nan or inf if a gradient holds nan or
        inf; 0.0 for an empty list.

    Raises
    ------
    TypeError
        If ``params`` is none of the above, or an element is not a float32/float64 array
        (the message names its index).

    Notes
    -----
    ``||g|| = sqrt(sum_i g_i^2)`` over every entry of every gradient. The squares are summed
    in float64 even for float32 gradients, and a sum that overflows (or underflows) is redone
    on the gradients divided by their largest magnitude ``m``: ``||g|| = m ||g / m||``. So
    float32 gradients of 1e20 have a finite norm. A network's gradients live in one buffer,
    ``net.flat_grads``, and a float64 one takes a single ``np.dot``.

    Examples
    --------
    >>> grad_norm([np.array([3.0]), np.array([[4.0]])])
    5.0
    """
    return _norm(_gradients(params, "grad_norm")[1])


def clip_grad_norm(params, max_norm: float) -> float:
    """Rescale all gradients in place so that their global L2 norm is at most ``max_norm``.

    Parameters
    ----------
    params : Sequential, list of (name, param, grad) or list of ndarray
        As for :func:`grad_norm`; the gradients are scaled in place (and keep their dtype).
    max_norm : float
        The largest allowed global norm, > 0 and finite.

    Returns
    -------
    float
        The global norm *before* clipping (as PyTorch's ``clip_grad_norm_``).

    Raises
    ------
    TypeError
        If ``max_norm`` is not a real number, or ``params`` is not a network or list of
        gradient arrays (the message names the bad element's index).
    ValueError
        If ``max_norm`` is not > 0 and finite, or two gradients share memory (each would be
        scaled twice).
    FloatingPointError
        If the norm is nan or inf; the message names the parameters holding nan or inf, and
        no gradient is changed.

    Notes
    -----
    With ``c = max_norm`` and ``g`` every gradient entry as one vector::

        g <- g * min(1, c / ||g||)

    When ``||g|| <= c`` nothing is touched (the arrays stay bitwise equal). Otherwise every
    gradient is multiplied by the same factor, so the update keeps the direction of the full
    gradient and only its length changes. Clipping each value to ``[-c, c]`` instead would
    change the direction: large components would shrink relative to small ones.

    Examples
    --------
    >>> g = [np.array([3.0, 0.0]), np.array([4.0])]
    >>> clip_grad_norm(g, max_norm=1.0)
    5.0
    >>> g[0], g[1]
    (array([0.6, 0. ]), array([0.8]))
    """
    owner = "clip_grad_norm"
    if isinstance(max_norm, bool | np.bool_) or not isinstance(max_norm, numbers.Real):
        raise TypeError(
            f"{owner} expected max_norm to be a positive real number, got {max_norm!r} "
            f"({type(max_norm).__name__})."
        )
    max_norm = float(max_norm)
    if not math.isfinite(max_norm):
        raise ValueError(f"{owner} expected a finite max_norm > 0, got {max_norm}.")
    if max_norm <= 0:
        raise ValueError(f"{owner} expected max_norm > 0, got {max_norm}.")
    grads, arrays = _gradients(params, owner)
    if len(arrays) > 1:
        _check_distinct(grads, owner)
    norm = _norm(arrays)
    if not math.isfinite(norm):
        bad = []
        for name, g in grads:
            count = g.size - int(np.count_nonzero(np.isfinite(g)))
            if count:
                bad.append(f"{name!r} ({count} value{'s' if count > 1 else ''})")
        where = (
            "nan or inf in " + ", ".join(bad)
            if bad
            else "the finite gradients' norm overflows float64"
        )
        raise FloatingPointError(
            f"{owner}: the gradient norm is {norm}: {where}. No gradient was clipped."
        )
    if norm > max_norm:
        scale = max_norm / norm
        for g in arrays:
            g *= scale
    return norm
