"""Counting the floating-point operations of a forward and a backward pass, layer by layer.

Every layer counts its own (``layer.flops(batch_size, input_shape)``, the layer contract of
:class:`nnlab.Layer`); :func:`flops` lays them out as one row per layer of a network.
"""

from __future__ import annotations

import numbers

from ._validation import check_positive_int


def flops(
    net, batch_size: int, *, input_grad: bool = True, input_shape: tuple | None = None
) -> list[dict]:
    """FLOPs of each layer of ``net`` for one batch, forward and backward.

    A multiply-add counts as 2 FLOPs. A dense layer costs ``2 n n_in n_out + n n_out``
    forward; backward it computes ``dW`` (the same count) and, unless it is the first layer
    and ``input_grad`` is False, ``dX`` (``2 n n_in n_out``): hence backward is about twice
    the forward. Every layer reports its own counts (:meth:`nnlab.Layer.flops`): activations
    a few operations per entry, Conv2D, MaxPool2D, RNN and Dropout what their docstrings say.

    The cost of a convolution or a recurrent layer depends on the image size or the number
    of steps, which the layers do not fix: it is taken from ``input_shape`` (one sample's
    shape, e.g. ``(1, 28, 28)``) if given, else from the network's last forward pass. Where
    neither says, the row holds None for ``forward`` and ``backward``.

    Parameters
    ----------
    net : Layer
        A network (one row per layer of it) or a single layer (one row).
    batch_size : int
    input_grad : bool, default True
        False leaves out the first layer's input gradient, which training skips.
    input_shape : tuple of int, optional

    Returns
    -------
    list of dict
        One ``{"index", "layer", "forward", "backward"}`` per layer (ints, or None where the
        input size is unknown).
    """
    n = check_positive_int(batch_size, "batch_size", owner="flops")
    if input_shape is None:
        shape = net.input_shape
        if shape and shape[0] is ...:
            shape = shape[1:]
    elif isinstance(input_shape, tuple | list) and all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in input_shape
    ):
        shape = tuple(int(d) for d in input_shape)
    else:
        raise ValueError(
            "flops: input_shape must be one sample's shape as a tuple of positive ints, e.g. "
            f"(1, 28, 28), got {input_shape!r}."
        )
    rows = []
    for i, layer in enumerate(net.sublayers() or [net]):
        if not _known(shape):  # the size seen by the layer's last forward pass, if any
            shape = layer.last_input_shape or shape
        if _known(shape) or _known(layer.input_shape):
            f = layer.flops(n, shape if _known(shape) else None)
            need_dx = input_grad or i > 0
            fwd, bwd = f["forward"], f["backward_dW"] + (f["backward_dX"] if need_dx else 0)
        else:
            fwd = bwd = None
        rows.append({"index": i, "layer": repr(layer), "forward": fwd, "backward": bwd})
        shape = layer.output_shape(shape)
    return rows


def _known(shape) -> bool:
    # (..., n_in), Dense's: known when the leading axes may be left out (a plain vector)
    if shape and shape[0] is ...:
        shape = shape[1:]
    return shape is not None and all(isinstance(d, int) for d in shape)
