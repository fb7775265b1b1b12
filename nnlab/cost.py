"""Counting the floating-point operations of a forward and a backward pass."""

from __future__ import annotations

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


def flops(net, batch_size: int, *, input_grad: bool = True) -> list[dict]:
    """FLOPs of each layer of ``net`` for one batch, forward and backward.

    A multiply-add counts as 2 FLOPs. A dense layer costs ``2 n n_in n_out + n n_out``
    forward; backward it computes ``dW`` (the same count) and, unless it is the first layer
    and ``input_grad`` is False, ``dX`` (``2 n n_in n_out``): hence backward is about twice
    the forward. Activations count the element-wise operations in ``ELEMENTWISE_OPS``.

    Returns
    -------
    list of dict
        One ``{"index", "layer", "forward", "backward"}`` per layer.
    """
    n = check_positive_int(batch_size, "batch_size", owner="flops")
    rows = []
    width = net.layers[0].n_in if isinstance(net.layers[0], Dense) else None
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Dense):
            f = layer.flops(n)
            need_dx = input_grad or i > 0
            fwd, bwd = f["forward"], f["backward_dW"] + (f["backward_dX"] if need_dx else 0)
            width = layer.n_out
        else:
            per_f, per_b = ELEMENTWISE_OPS.get(type(layer), (1, 1))
            fwd, bwd = per_f * n * (width or 0), per_b * n * (width or 0)
        rows.append({"index": i, "layer": repr(layer), "forward": fwd, "backward": bwd})
    return rows
