"""Measuring the two passes: which layers they visit (``trace``), what forward keeps for
backward (``cached_bytes``), and how long each phase of a training step takes
(``time_passes``, printed with ``format_time``).
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ._validation import check_positive_int

PHASES = ("forward", "loss", "backward", "step")


@dataclass(frozen=True)
class PassEvent:
    """One layer visit recorded by :func:`trace`.

    Attributes
    ----------
    direction : {"forward", "backward"}
    index : int
        Position of the layer in ``net.layers``.
    layer : str
        ``repr`` of the layer.
    shape_in, shape_out : tuple
        Shape of what the layer received and returned: ``X`` and ``Z`` forward, ``dZ`` and
        ``dX`` backward (``shape_out`` is None when backward skipped the input gradient).
    """

    direction: str
    index: int
    layer: str
    shape_in: tuple[int, ...]
    shape_out: tuple[int, ...] | None


def _recording(layer, index: int, events: list[PassEvent]):
    forward, backward = layer.forward, layer.backward

    def traced_forward(X, *, cache: bool = True):
        Z = forward(X, cache=cache)
        events.append(PassEvent("forward", index, repr(layer), np.shape(X), Z.shape))
        return Z

    def traced_backward(dZ, *, input_grad: bool = True):
        dX = backward(dZ, input_grad=input_grad)
        shape_out = None if dX is None else dX.shape
        events.append(PassEvent("backward", index, repr(layer), np.shape(dZ), shape_out))
        return dX

    return traced_forward, traced_backward


@contextmanager
def trace(net) -> Iterator[list[PassEvent]]:
    """Record every layer visit of ``net`` inside a ``with`` block, in call order.

    Each layer's ``forward`` and ``backward`` are wrapped for the duration of the block (the
    network computes exactly what it would without the trace) and restored on exit. Do not
    copy the network (``astype``, ``gradcheck``) inside the block.

    Yields
    ------
    list of PassEvent
        Filled as the passes run.

    Examples
    --------
    >>> import nnlab as nl
    >>> net = nl.mlp([2, 3, 1], rng=0)
    >>> with trace(net) as events:
    ...     _ = net.forward(np.ones((4, 2)))
    >>> [(e.direction, e.index) for e in events]
    [('forward', 0), ('forward', 1), ('forward', 2)]
    """
    layers = net.sublayers() if callable(getattr(net, "sublayers", None)) else None
    if not layers:
        raise TypeError(f"trace expected a Sequential network, got {type(net).__name__}.")
    events: list[PassEvent] = []
    saved = [(la, la.__dict__.get("forward"), la.__dict__.get("backward")) for la in layers]
    for i, layer in enumerate(layers):
        layer.forward, layer.backward = _recording(layer, i, events)
    try:
        yield events
    finally:
        for layer, forward, backward in saved:
            for name, old in (("forward", forward), ("backward", backward)):
                if old is None:
                    delattr(layer, name)
                else:
                    setattr(layer, name, old)


def cached_bytes(net) -> int:
    """Bytes of the distinct arrays the layers of ``net`` hold for the next backward pass.

    A training forward (``cache=True``) keeps each dense layer's input and what each
    activation's backward needs (its output, or its input for ReLU-like units); a Conv2D
    keeps its im2col matrix, a MaxPool2D its input and output (each layer lists them in
    ``cached_arrays()``). An inference forward (``cache=False``) keeps nothing, so this is 0.
    One array held by two layers (an activation's output is the next dense layer's input)
    counts once, and so does the caller's input ``X``, which the first dense layer keeps a
    reference to.

    Example
    -------
    >>> import numpy as np, nnlab as nl
    >>> net = nl.mlp([4, 6, 3], "tanh", rng=0)  # Dense, Tanh, Dense
    >>> _ = net.forward(np.ones((10, 4)))
    >>> nl.cached_bytes(net)  # X (10 x 4) and the tanh output (10 x 6), float64
    800
    """
    kept: list[np.ndarray] = []
    for arr in net.cached_arrays():  # a network lists its layers' arrays
        if not any(np.shares_memory(arr, k) for k in kept):
            kept.append(arr)
    return sum(arr.nbytes for arr in kept)


def _summary(samples: list[float]) -> dict:
    arr = np.asarray(samples, dtype=np.float64)
    return {
        "median": float(np.median(arr)),
        "min": float(arr.min()),
        "max": float(arr.max()),
        "samples": arr,
    }


def time_passes(
    net,
    loss,
    X,
    y,
    optimizer=None,
    *,
    repeats: int = 30,
    warmup: int = 3,
    input_grad: bool = False,
) -> dict[str, dict]:
    """Time the four phases of a training step, interleaved, with ``time.perf_counter``.

    Each repeat runs, in order and timing each one separately: ``net.forward(X)``, the loss
    and its gradient, ``net.backward(dZ, input_grad=input_grad)`` and ``optimizer.step()``.
    Interleaving the phases exposes them to the same machine load, so their ratios are more
    stable than those of separate loops. The weights are restored after every step (outside
    the timed region), so each repeat times the same computation, and the gradients are
    restored at the end; an optimizer's own state (momentum, Adam moments) does advance.

    Parameters
    ----------
    net : Sequential
    loss : Loss
    X, y : a batch and its targets
    optimizer : Optimizer, optional
        Built on ``net.parameters()``; by default ``SGD(net.parameters(), lr=0.01)``.
    repeats : int, default 30
        Timed repeats; the statistics are over these.
    warmup : int, default 3
        Untimed repeats first (caches, allocator, BLAS threads).
    input_grad : bool, default False
        Passed to ``net.backward``: False, as in training, skips the first layer's ``dX``.

    Returns
    -------
    dict
        ``{"forward": {"median": s, "min": s, "max": s, "samples": array}, "loss": ...,
        "backward": ..., "step": ...}`` in seconds, ``samples`` of length ``repeats``.

    Examples
    --------
    >>> import nnlab as nl
    >>> net = nl.mlp([4, 8, 3], rng=0)
    >>> t = time_passes(net, nl.SoftmaxCrossEntropy(), np.ones((16, 4)), np.zeros(16, int),
    ...                 repeats=5)
    >>> sorted(t), len(t["forward"]["samples"])
    (['backward', 'forward', 'loss', 'step'], 5)
    """
    repeats = check_positive_int(repeats, "repeats", owner="time_passes")
    if isinstance(warmup, bool) or not isinstance(warmup, numbers.Integral) or warmup < 0:
        raise ValueError(f"time_passes: warmup must be a non-negative int, got {warmup!r}.")
    if optimizer is None:
        from .optim import SGD

        optimizer = SGD(net.parameters(), lr=0.01)
    if not hasattr(optimizer, "step"):
        raise TypeError(
            f"time_passes: optimizer must have a step() method, got {type(optimizer).__name__}."
        )
    X = np.asarray(X, dtype=net.dtype)
    weights, grads = net.flat_params.copy(), net.flat_grads.copy()
    clock = time.perf_counter
    samples: dict[str, list[float]] = {phase: [] for phase in PHASES}
    try:
        for r in range(warmup + repeats):
            t0 = clock()
            out = net.forward(X)
            t1 = clock()
            loss.forward(out, y)
            dZ = loss.backward()
            t2 = clock()
            net.backward(dZ, input_grad=input_grad)
            t3 = clock()
            optimizer.step()
            t4 = clock()
            net.flat_params[...] = weights
            if r >= warmup:
                for phase, seconds in zip(
                    PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True
                ):
                    samples[phase].append(seconds)
    finally:
        net.flat_params[...] = weights
        net.flat_grads[...] = grads
    return {phase: _summary(values) for phase, values in samples.items()}


_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))


def format_time(seconds: float) -> str:
    """A duration with three significant digits and a readable unit: ``"1.23 ms"``.

    Units are s, ms, µs and ns. Printed as ``"<label> time: 1.23 ms"``, a timing is easy to
    recognise (and to leave out when two runs' outputs are compared).

    Examples
    --------
    >>> format_time(0.00123), format_time(8.5e-7), format_time(2.0)
    ('1.23 ms', '850 ns', '2.00 s')
    """
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise TypeError(f"format_time: seconds must be a real number, got {seconds!r}.")
    seconds = float(seconds)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"format_time: seconds must be finite and >= 0, got {seconds!r}.")
    if seconds == 0:
        return "0 s"
    for i, (scale, unit) in enumerate(_UNITS):
        if seconds >= scale or scale == _UNITS[-1][0]:
            value = float(f"{seconds / scale:.3g}")
            if value >= 1000 and i > 0:
                scale, unit = _UNITS[i - 1]
                value = float(f"{seconds / scale:.3g}")
            break
    decimals = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{decimals}f} {unit}"
