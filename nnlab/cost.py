"""Counting the floating-point operations of a forward and a backward pass."""

from __future__ import annotations

import math
import numbers

from ._validation import check_positive_int
from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .layers import Dense

# Element-wise operations per element (forward, backward), a transcendental counting as one.
# Backward of sigmoid/tanh: dA * A * (1 - A) or dA * (1 - A * A): 3 ops.
ELEMENTWISE_OPS = {
    Identity: (0, 0),
    ReLU: (1, 1),
    LeakyReLU: (2, 2),
    Sigmoid: (4, 3),
    Tanh: (1, 3),
    Softmax: (4, 4),
}


def flops(
    net, batch_size: int, *, input_grad: bool = True, input_shape: tuple | None = None
) -> list[dict]:
    """FLOPs of each layer of ``net`` for one batch, forward and backward.

    A multiply-add counts as 2 FLOPs. A dense layer costs ``2 n n_in n_out + n n_out``
    forward; backward it computes ``dW`` (the same count) and, unless it is the first layer
    and ``input_grad`` is False, ``dX`` (``2 n n_in n_out``): hence backward is about twice
    the forward. Activations count the element-wise operations in ``ELEMENTWISE_OPS``. Other
    layers report their own ``flops(batch_size, input_shape)`` (Conv2D, MaxPool2D, Flatten).

    The cost of a convolution depends on the image size, which the layers do not fix: it is
    taken from ``input_shape`` (one sample's shape, e.g. ``(1, 28, 28)``) if given, else from
    the network's last forward pass. Where neither says, the sizes cannot be known and the
    row holds None for ``forward`` and ``backward``.

    Returns
    -------
    list of dict
        One ``{"index", "layer", "forward", "backward"}`` per layer (ints, or None where the
        input size is unknown).
    """
    n = check_positive_int(batch_size, "batch_size", owner="flops")
    if input_shape is None:
        shape = net.input_shape
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
    for i, layer in enumerate(net.layers):
        if not _known(shape):  # the image size seen by the last forward pass, if any
            shape = getattr(layer, "last_input_shape", None) or shape
        if isinstance(layer, Dense):
            f = layer.flops(n)
        elif hasattr(layer, "flops"):
            f = layer.flops(n, input_shape=shape) if _known(shape) else None
        else:
            size = math.prod(shape) if _known(shape) else None
            per_f, per_b = ELEMENTWISE_OPS.get(type(layer), (1, 1))
            f = (
                None
                if size is None
                else {"forward": per_f * n * size, "backward": per_b * n * size}
            )
        if f is None:
            fwd = bwd = None
        elif "backward" in f:
            fwd, bwd = f["forward"], f["backward"]
        else:
            need_dx = input_grad or i > 0
            fwd, bwd = f["forward"], f["backward_dW"] + (f["backward_dX"] if need_dx else 0)
        rows.append({"index": i, "layer": repr(layer), "forward": fwd, "backward": bwd})
        shape = layer.output_shape(shape)
    return rows


def _known(shape) -> bool:
    return shape is not None and all(isinstance(d, int) for d in shape)
