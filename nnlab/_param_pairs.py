"""Validation of an optimizer's ``(name, param, grad)`` list, and fusing it into flat arrays."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ._validation import FLOAT_DTYPES, contiguous_base


def _check_array(a, what: str, owner: str) -> None:
    """``a`` must be a C-contiguous float32/float64 array: the optimizer uses it in place."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{owner}: {what} must be a NumPy array, got {type(a).__name__}.")
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{owner}: {what} must be a float32 or float64 array, got dtype {a.dtype}.")
    # Flattening a non-contiguous view copies it: updates (or new gradients) would be lost.
    if not a.flags.c_contiguous:
        raise ValueError(
            f"{owner}: {what} must be C-contiguous, got a non-contiguous view of shape "
            f"{a.shape} (such as W.T); pass the array itself."
        )


def _check_no_overlap(spans: list[tuple[int, int, str]], owner: str) -> None:
    """No two of the byte intervals ``(start, end, what)`` overlap (a sweep, sorted by start)."""
    furthest, holder = 0, ""
    for start, end, what in sorted(spans):
        if start < furthest:
            raise ValueError(
                f"{owner}: {holder} and {what} share memory (is one array listed twice?); "
                "list each parameter once, each with its own gradient array."
            )
        if end > furthest:
            furthest, holder = end, what


def pairs(params, owner: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validate ``[(name, param, grad), ...]`` and fuse it into as few arrays as possible."""
    if callable(getattr(params, "parameters", None)):
        raise TypeError(
            f"{owner}: params must be the list that net.parameters() returns, got the "
            f"{type(params).__name__} itself; pass net.parameters()."
        )
    if not isinstance(params, Iterable) or isinstance(params, str | bytes | dict | np.ndarray):
        raise TypeError(
            f"{owner}: params must be a list of (name, param, grad) tuples as returned by "
            f"net.parameters(), got {type(params).__name__}."
        )
    params = list(params)
    if not params:
        raise ValueError(f"{owner}: params is empty; pass net.parameters().")
    param_spans, grad_spans = [], []
    for k, entry in enumerate(params):
        if not (isinstance(entry, tuple) and len(entry) == 3):
            raise TypeError(
                f"{owner}: params must be a list of (name, param, grad) tuples as returned by "
                f"net.parameters(), got an entry of type {type(entry).__name__}."
            )
        name, p, g = entry
        who = f"parameter {name!r}" if isinstance(name, str) else f"parameter {k}"
        _check_array(p, who, owner)
        _check_array(g, f"the gradient of {who}", owner)
        if g.shape != p.shape:
            raise ValueError(
                f"{owner}: {who} has shape {p.shape} but its gradient has shape {g.shape}."
            )
        if not p.flags.writeable:
            raise ValueError(f"{owner}: {who} is read-only; the optimizer updates it in place.")
        if p.size:  # an empty array shares no memory
            where = f" (entry {k})"
            param_spans.append((p.ctypes.data, p.ctypes.data + p.nbytes, who + where))
            grad_spans.append(
                (g.ctypes.data, g.ctypes.data + g.nbytes, f"the gradient of {who}{where}")
            )
    # Contiguous arrays occupy exactly their byte range, so overlapping ranges share memory.
    # Parameters first, so a parameter listed twice is reported as such, not by its gradient.
    _check_no_overlap(param_spans, owner)
    _check_no_overlap(param_spans + grad_spans, owner)
    ps = [p for _, p, _ in params]
    gs = [g for _, _, g in params]
    # Sequential stores all parameters in one flat buffer: one update covers the network.
    flat_p, flat_g = contiguous_base(ps), contiguous_base(gs)
    if flat_p is not None and flat_g is not None and flat_p.dtype == flat_g.dtype:
        return [(flat_p, flat_g)]
    return list(zip(ps, gs, strict=True))
