"""Activation checkpointing: keep a few segment inputs, recompute the rest during backward.

A training forward keeps every layer's activations until backward uses them, so memory grows
with depth. :func:`checkpointed_backward` keeps only the input of each of ``segments``
contiguous groups of layers and re-runs one group's forward right before its backward: the
same gradients, for less memory and one extra forward pass. :func:`optimal_segments` gives the
``sqrt(depth)`` rule for the number of groups.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import check_input, check_positive_int
from .base import Layer
from .network import Sequential


def _release(layers: list[Layer]) -> None:
    """Drop what these layers keep for backward (the next backward then raises)."""
    for layer in layers:
        layer.clear_cache()


def _kept_bytes(boundary_inputs: list[np.ndarray], layers: list[Layer]) -> int:
    """Bytes of the distinct arrays held: stored inputs plus the caches of ``layers``."""
    held = list(boundary_inputs) + [a for la in layers for a in la.cached_arrays()]
    kept: list[np.ndarray] = []
    for arr in held:
        if not any(np.shares_memory(arr, k) for k in kept):
            kept.append(arr)
    return sum(arr.nbytes for arr in kept)


def _segment_starts(n_layers: int, segments: int) -> list[int]:
    """Index of the first layer of each of ``segments`` groups; lengths differ by at most 1."""
    return [i * n_layers // segments for i in range(segments)]


def _check_args(net, loss, segments) -> None:
    owner = "checkpointed_backward"
    if not (isinstance(net, Layer) and net.sublayers()):
        raise TypeError(
            f"{owner} expected net to be a network of layers (a Sequential), got "
            f"{type(net).__name__}."
        )
    if not (callable(getattr(loss, "forward", None)) and callable(getattr(loss, "backward", None))):
        raise TypeError(
            f"{owner} expected loss to be an nnlab loss (with forward and backward), got "
            f"{type(loss).__name__}."
        )
    n = len(net.sublayers())
    if isinstance(segments, bool | np.bool_) or not isinstance(segments, numbers.Integral):
        raise TypeError(
            f"{owner} expected segments to be an int in [1, {n}] (the number of layers), got "
            f"{segments!r} ({type(segments).__name__})."
        )
    if not 1 <= segments <= n:
        raise ValueError(
            f"{owner} expected segments in [1, {n}] (the number of layers), got {segments}."
        )


def checkpointed_backward(net: Sequential, loss, X, Y, segments: int) -> dict:
    """One training step's gradients, keeping only ``segments`` segment inputs in forward.

    The layers are split into ``segments`` contiguous groups of near-equal length. The
    forward pass runs the training pass of every layer, but in every group except the last
    it drops each layer's cache as soon as the next layer has its output, keeping only each
    group's input. Then, from the last group to the first, a group's forward is re-run from
    its stored input (the last group needs no re-run), with every random draw replayed
    (``get_random_state``/``set_random_state``: a Dropout layer draws the same mask again),
    backpropagated through, and its caches and input released. Any layer type works: the
    tool uses only the layer contract.

    Parameters
    ----------
    net : Sequential
        Any network of nnlab layers. Its gradients are overwritten, exactly as
        ``net.backward`` would; its weights are not touched.
    loss : Loss
        For example :class:`nnlab.MSELoss` or :class:`nnlab.SoftmaxCrossEntropy`.
    X : array-like
        The batch, ``(N, *net.input_shape)``.
    Y : array-like
        Its targets, in the form ``loss`` accepts.
    segments : int
        Number of groups, in ``[1, len(net.layers)]``. 1 is ordinary backpropagation. For
        an mlp, ``optimal_segments(number of Dense layers)`` minimises the memory.

    Returns
    -------
    dict
        ``"loss"`` (float): the loss of the batch. ``"peak_kept_bytes"`` (int): the largest
        number of bytes of distinct arrays held for backward at any point of the step, the
        stored group inputs plus the caches of the group being backpropagated (counted as
        :func:`nnlab.cached_bytes` counts them). ``"recomputed_layers"`` (int): layer forwards
        run a second time, the number of layers minus the length of the last group.
        ``"boundaries"`` (list of int): index of each group's first layer.

    Raises
    ------
    TypeError
        If ``net`` is not a network of layers, ``loss`` has no ``forward``/``backward``, or
        ``segments`` is not an int.
    ValueError
        If ``segments`` is outside ``[1, len(net.layers)]``, or ``X`` or ``Y`` is rejected by
        the network or the loss. A failing call leaves weights and gradients unchanged
        (and, like a successful one, releases the layers' caches once it has started).

    Shapes
    ------
    X ``(N, *net.input_shape)``, Y as the loss expects; each stored group input is what the
    layer before that group outputs.

    Notes
    -----
    The gradients are the same numbers as ``net.backward`` gives: recomputing a group from
    the same input, with the same random draws, repeats the same floating-point operations.
    Afterwards every layer's cache is released, so calling ``net.backward`` raises until the
    next training forward. The
    loss's own cache and the gradient flowing backward are not counted in
    ``peak_kept_bytes``, as ``cached_bytes`` does not count them.

    Examples
    --------
    >>> import nnlab as nl
    >>> net = nl.mlp([4, 8, 8, 8, 3], rng=0)  # 7 layers
    >>> out = checkpointed_backward(
    ...     net, nl.SoftmaxCrossEntropy(), np.ones((16, 4)), np.zeros(16, int), segments=3
    ... )
    >>> out["boundaries"], out["recomputed_layers"]
    ([0, 2, 4], 4)
    """
    _check_args(net, loss, segments)
    if net.input_kind == "i":  # token ids
        X = net.check_tokens(X)
    else:
        X = check_input(X, net.input_shape, "X", owner="checkpointed_backward", dtype=net.dtype)
    layers = net.sublayers()
    states = {id(layer): layer.get_random_state() for layer in layers}
    starts = _segment_starts(len(layers), int(segments))
    groups = [layers[a:b] for a, b in zip(starts, [*starts[1:], len(layers)], strict=True)]
    inputs: list[np.ndarray] = []
    try:
        A = X
        for g, group in enumerate(groups):
            inputs.append(A)
            last = g == len(groups) - 1
            for layer in group:
                A = layer.forward(A)
                if not last:
                    layer.clear_cache()
        value = loss.forward(A, Y)
        dZ = loss.backward()
        del A
        peak = 0
        for g in range(len(groups) - 1, -1, -1):
            group = groups[g]
            if g < len(groups) - 1:
                A = inputs[g]
                for layer in group:
                    layer.set_random_state(states[id(layer)])
                    A = layer.forward(A)
                del A
            peak = max(peak, _kept_bytes(inputs, group))
            for k in range(len(group) - 1, -1, -1):
                dZ = group[k].backward(dZ, input_grad=g > 0 or k > 0)
            _release(group)
            inputs.pop()
    finally:
        _release(layers)
    return {
        "loss": float(value),
        "peak_kept_bytes": int(peak),
        "recomputed_layers": len(layers) - len(groups[-1]),
        "boundaries": starts,
    }


def optimal_segments(depth: int) -> int:
    """The number of checkpoint segments that minimises memory: ``round(sqrt(depth))``.

    Parameters
    ----------
    depth : int
        Number of same-sized activations a training forward keeps, >= 1. For an
        :func:`nnlab.mlp` that is the number of Dense layers, not ``len(net.layers)``: a
        Dense layer's input is the previous activation's output, one array kept once.

    Returns
    -------
    int
        ``round(sqrt(depth))``, clipped to ``[1, depth]``.

    Raises
    ------
    TypeError, ValueError
        If ``depth`` is not a positive int.

    Notes
    -----
    Count memory in activations of one layer, all of the same size. With ``k`` segments of
    ``depth / k`` layers, backward holds the ``k`` stored segment inputs plus the ``depth / k``
    activations of the one segment being recomputed::

        M(k) = k + depth / k,    M'(k) = 1 - depth / k^2 = 0  at  k = sqrt(depth),

    giving ``M = 2 sqrt(depth)`` instead of ``depth`` without checkpointing (``k = 1``). The
    price is compute: every segment but the last runs its forward twice, about one extra
    forward pass. If backward costs two forwards, a step costs 3 forwards, so checkpointing
    adds about a third.

    Segments of equal length only approach this: ``k`` need not divide ``depth``, and a
    segment that starts at an activation layer stores the pre-activation ``Z``. For an mlp of
    16 Dense layers (31 layers), ``k = 4`` keeps 8 activations, exactly ``2 sqrt(16)``,
    against 16 without checkpointing (``tests/test_checkpoint.py`` measures this).

    Examples
    --------
    >>> optimal_segments(16), optimal_segments(10), optimal_segments(2)
    (4, 3, 1)
    """
    depth = check_positive_int(depth, "depth", owner="optimal_segments")
    return min(max(1, round(math.sqrt(depth))), depth)
