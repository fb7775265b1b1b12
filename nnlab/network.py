"""``Sequential``: a stack of layers run forward in order and backward in reverse."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator

import numpy as np

from ._arrays import aligned_zeros
from ._validation import as_rng, check_dtype, format_shape
from .activations import get_activation
from .base import Layer
from .layers import Dense


class Sequential(Layer):
    """A feed-forward network: ``forward`` visits ``layers`` in order, ``backward`` in reverse.

    All parameters (and all gradients) live in one contiguous buffer, ``flat_params``
    (``flat_grads``), of which each layer's ``W``, ``b`` (``dW``, ``db``) are views. The
    arrays are allocated once and updated in place, so ``parameters()`` returns the same
    objects on every call and one vectorized optimizer update covers the whole network.

    A layer can appear only once, in one network (nested networks included): its cache (and
    gradients) would otherwise be overwritten by its other use, and backward would return wrong
    gradients. Building a network moves its layers' parameters into its buffer, so the layers
    belong to it from then on; use ``copy.deepcopy(layer)`` for an independent copy to put in
    another network.

    ``forward`` keeps a reference to the caller's ``X`` (no copy, to stay fast): do not modify
    ``X`` between ``forward`` and ``backward``. An output that is also kept for backward (a
    final activation's) is returned read-only; ``copy.deepcopy(net)`` gives an independent
    network with its own buffers.

    Parameters
    ----------
    layers : list of Layer
        The layers, input side first. ``net.layers`` is this very list.

    Attributes
    ----------
    input_shape : tuple or None
        One input sample's shape, from the first layer that declares one (see
        :class:`nnlab.Layer`): ``(n_in,)`` for an mlp, ``(C, "height", "width")`` after a
        Conv2D; None when no layer says.
    n_in : int or None
        ``input_shape[0]`` when samples are vectors of a known width, else None.
    dtype : np.dtype
        The dtype shared by every layer that has one (float64 if none has).

    Raises
    ------
    TypeError
        If ``layers`` is not a list of nnlab layers, or the dtypes of the layers that have one
        differ.
    ValueError
        If ``layers`` is empty, shapes do not chain (a Dense layer's width differs from what
        the layers before it output), a layer appears twice, or a layer already belongs to
        another Sequential.

    Shapes
    ------
    X ``(N, n_in)`` -> Z ``(N, n_out)``; backward: dZ ``(N, n_out)`` -> dX ``(N, n_in)``, for a
    batch of N samples. More generally X is ``(N, *input_shape)``: ``(N, C, H, W)`` for a
    network that starts with a Conv2D. ``N = 0`` gives empty outputs and zero gradients.

    Examples
    --------
    >>> net = Sequential([Dense(2, 16, rng=0), Tanh(), Dense(16, 3, rng=0)])
    >>> net.forward(np.zeros((5, 2))).shape
    (5, 3)
    """

    checks_dZ = False  # the last layer checks dZ: one check, naming the layer that needs it

    def __init__(self, layers: list[Layer]) -> None:
        if not isinstance(layers, list | tuple):
            raise TypeError(f"Sequential expected a list of layers, got {type(layers).__name__}.")
        if not layers:
            raise ValueError("Sequential expected at least one layer, got an empty list.")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"Sequential: layer {i} must be an nnlab layer, got {type(layer).__name__}."
                )
        _check_layers_are_free(layers)
        typed = [(i, la) for i, la in enumerate(layers) if la.dtype is not None]
        dtypes = {np.dtype(la.dtype) for _, la in typed}
        if len(dtypes) > 1:
            raise TypeError(
                "Sequential: all layers with parameters must share one dtype, got "
                + ", ".join(f"layer {i}: {np.dtype(la.dtype)}" for i, la in typed)
                + "."
            )
        self.input_shape = _input_shape(layers)
        self.layers = list(layers) if isinstance(layers, tuple) else layers
        super().__init__(dtypes.pop() if dtypes else np.float64)
        for layer in self.layers:
            layer.attach(self)

    @property
    def n_in(self) -> int | None:
        """``input_shape[0]`` when samples are vectors of a known width, else None (for a
        first layer that takes ``(..., n_in)``, such as Dense, that ``n_in``)."""
        shape = self.input_shape
        if shape is not None and len(shape) == 2 and shape[0] is ...:
            shape = shape[1:]
        one = shape is not None and len(shape) == 1 and isinstance(shape[0], int)
        return shape[0] if one else None

    def __copy__(self):
        raise TypeError(
            "Sequential cannot be copied shallowly: the copy would share its layers (and their "
            "caches and gradients) with the original. Use copy.deepcopy(net)."
        )

    def __setstate__(self, state: dict) -> None:
        # A copy (copy.deepcopy, pickle) gets its layers as free copies with buffers of their
        # own: adopt them again and pack them into fresh buffers, owned by the copy.
        super().__setstate__(state)
        for layer in self.layers:
            layer.attach(self)

    def _pack(self) -> None:
        total = sum(layer.n_params for layer in getattr(self, "layers", ()))
        self.rebind(aligned_zeros(total, self.dtype), aligned_zeros(total, self.dtype))

    def rebind(self, flat_params: np.ndarray, flat_grads: np.ndarray, offset: int = 0) -> int:
        start = offset
        for layer in getattr(self, "layers", ()):
            offset = layer.rebind(flat_params, flat_grads, offset)
        self.flat_params, self.flat_grads = flat_params[start:offset], flat_grads[start:offset]
        return offset

    @property
    def input_kind(self) -> str:
        """``"i"`` when the first layer takes token ids (an Embedding), else ``"f"``."""
        return self.layers[0].input_kind if getattr(self, "layers", None) else "f"

    def check_tokens(self, X) -> np.ndarray:
        """The first layer's check of integer inputs (see :class:`nnlab.Embedding`)."""
        return self.layers[0].check_tokens(X)

    def _forward(self, X, cache):
        for layer in self.layers:
            X = layer.forward(X, cache=cache)
        return X, ()

    def _backward(self, dZ, *, input_grad):
        """Overwrites every layer's gradients (never accumulates); with ``input_grad=False``
        the first layer skips its unneeded input gradient."""
        for layer in self.layers[:0:-1]:
            dZ = layer.backward(dZ)
        return self.layers[0].backward(dZ, input_grad=input_grad)

    def _jvp(self, X, dX, dflat):
        offset = 0
        for layer in self.layers:  # each layer takes its slice of the parameter tangent
            part = None if dflat is None else dflat[offset : offset + layer.n_params]
            X, dX = layer.jvp(X, dX, part)
            offset += layer.n_params
        return X, dX

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """``[("0.W", W, dW), ("0.b", b, db), ...]``, named by position (and path, nested)."""
        return [
            (f"{i}.{name}", p, g)
            for i, la in enumerate(self.layers)
            for name, p, g in la.parameters()
        ]

    def sublayers(self) -> list[Layer]:
        return self.layers

    def leaves(self) -> Iterator[Layer]:
        for layer in self.layers:
            yield from layer.leaves()

    def cached_arrays(self) -> list[np.ndarray]:
        return [a for layer in self.layers for a in layer.cached_arrays()]

    def clear_cache(self) -> None:
        super().clear_cache()
        for layer in self.layers:
            layer.clear_cache()

    def get_random_state(self):
        return [layer.get_random_state() for layer in self.layers]

    def set_random_state(self, state) -> None:
        for layer, s in zip(self.layers, state, strict=True):
            layer.set_random_state(s)

    def set_dtype(self, dtype) -> None:
        """Convert this free network, in place, to another float dtype (caches dropped)."""
        dtype = check_dtype(dtype, owner="Sequential.set_dtype")
        if self.parent is not None:
            raise ValueError(
                "Sequential.set_dtype: this network belongs to another Sequential; convert the "
                "outermost one (net.astype) instead."
            )
        for layer in self.layers:
            layer.detach()
            layer.set_dtype(dtype)
            layer.attach(self)
        self.dtype = dtype
        super().clear_cache()
        self._pack()

    def astype(self, dtype) -> Sequential:
        """A deep copy of the network with parameters of another float dtype."""
        return super().astype(dtype)

    def output_shape(self, input_shape: tuple | None) -> tuple | None:
        for layer in self.layers:
            input_shape = layer.output_shape(input_shape)
        return input_shape

    def _flops(self, n, shape):
        total = {"forward": 0, "backward_dW": 0, "backward_dX": 0}
        for layer in self.layers:
            known = shape is not None and all(isinstance(d, int) for d in shape)
            for key, value in layer.flops(n, shape if known else None).items():
                total[key] += value
            shape = layer.output_shape(shape)
        return total

    def label(self) -> str:
        return "Sequential"

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __repr__(self) -> str:
        rows = [f"  ({i}): " + repr(la).replace("\n", "\n  ") for i, la in enumerate(self.layers)]
        width = max(len(r.split("\n")[-1]) for r in rows)
        lines = [
            r.ljust(width) + f"  # {la.n_params:,} params" if la.n_params and "\n" not in r else r
            for r, la in zip(rows, self.layers, strict=True)
        ]
        return "Sequential(\n" + "\n".join(lines) + f"\n)  # {self.n_params:,} parameters"


def _input_shape(layers: list[Layer]) -> tuple | None:
    """The network's input sample shape; raises if a layer does not fit what precedes it.

    Follows one sample's shape through the layers with their ``output_shape``: each layer that
    declares an ``input_shape`` must agree with it wherever both sizes are known (ints).
    """
    net_shape = None
    shape, source = None, None  # what the last layer outputs, and that layer's index
    for i, layer in enumerate(layers):
        want = layer.input_shape
        if want is not None and source is None and shape is None:
            net_shape = tuple(want)
        elif want is not None and shape is not None:
            if want[0] is ...:  # (..., n): a Dense layer, applied to the last axis
                want = tuple(want[1:])
                last = shape[-1] if shape and shape[0] is not ... else None
                # a sequence (T, n) keeps its steps; an image (C, H, W) needs a Flatten first
                if len(shape) == 2 or (
                    len(shape) > 2 and isinstance(last, int) and last == want[-1]
                ):
                    want = tuple(shape[:-1]) + want
            if not _fits(shape, want):
                raise ValueError(_mismatch(layers, source, shape, i, want))
            # the sizes both know, plus those only one of them knows
            want = tuple(b if isinstance(b, int) else a for a, b in zip(shape, want, strict=True))
        out = layer.output_shape(want if want is not None else shape)
        if out is not shape:  # the default output_shape passes its argument through
            shape, source = out, i
    return net_shape


def _fits(shape: tuple, want: tuple) -> bool:
    return len(shape) == len(want) and all(
        not (isinstance(a, int) and isinstance(b, int)) or a == b
        for a, b in zip(shape, want, strict=True)
    )


def _mismatch(layers: list[Layer], i: int, shape: tuple, j: int, want: tuple) -> str:
    a, b = layers[i], layers[j]
    if len(shape) == len(want) == 1:
        return (
            f"Sequential: layer {i} {a!r} outputs {shape[0]} features but layer {j} {b!r} "
            f"expects {want[0]}."
        )
    hint = ""
    if len(want) == 1:
        hint = " Put a Flatten() between them to turn each sample into a vector."
    return (
        f"Sequential: layer {i} {a!r} outputs {format_shape(shape)} but layer {j} {b!r} "
        f"expects {format_shape(want)}.{hint}"
    )


def _check_layers_are_free(layers: list[Layer]) -> None:
    """Reject a layer listed twice, or one that belongs to another Sequential (a layer inside
    a nested network belongs to that network, so it cannot be listed again at any depth)."""
    first: dict[int, int] = {}
    for i, layer in enumerate(layers):
        j = first.setdefault(id(layer), i)
        if j != i:
            raise ValueError(
                f"Sequential: layer {i} is the same {layer.label()} object as layer {j}. A layer "
                "can appear only once: its second use would overwrite the cache and gradients "
                "of the first, and backward would return wrong gradients. Use a new layer, or "
                "copy.deepcopy(layer), for each position."
            )
        if layer.parent is not None:
            raise ValueError(
                f"Sequential: layer {i} {layer.label()} already belongs to another Sequential. "
                "Sharing it would let each network overwrite the other's cache and gradients "
                "(and would move its weights out of the other network's flat_params), giving "
                "wrong gradients. Use copy.deepcopy(layer) for an independent copy."
            )


def mlp(
    sizes: list[int],
    activation: str = "relu",
    *,
    init: str | None = None,
    rng=None,
    dtype=np.float64,
) -> Sequential:
    """Build a multilayer perceptron: Dense layers of ``sizes`` with ``activation`` between.

    The output layer has no activation (losses work on logits). One ``rng`` seeds every
    layer. ``init`` (a name of :mod:`nnlab.init` or a callable) applies to every layer. By
    default (``init=None``) it depends on the layer's place, as measured in the book's chapter
    common-challenges:

    - between two hidden layers: ``"he"`` for ReLU-like activations, ``"xavier"`` for tanh
      and sigmoid, which keep the signal's scale through depth;
    - the first layer (fed by the data) and the output layer: ``"fan_in_uniform"``
      (PyTorch's default), small: the first logits are near 0, so the predictions start
      near uniform. On the digits it reached 97% validation accuracy from every seed tried,
      sooner than He everywhere (the book's chapter on common challenges).

    Examples
    --------
    >>> mlp([2, 16, 3], "tanh", rng=0)  # doctest: +SKIP
    """
    if not isinstance(sizes, list | tuple) or len(sizes) < 2:
        raise ValueError(f"mlp: sizes must list at least 2 layer widths, got {sizes!r}.")
    get_activation(activation)  # fail early, with the message listing valid names
    n_dense = len(sizes) - 1
    if init is None:
        hidden = "xavier" if str(activation).lower() in ("tanh", "sigmoid") else "he"
        inits = ["fan_in_uniform" if k in (0, n_dense - 1) else hidden for k in range(n_dense)]
    else:
        inits = [init] * n_dense
    gen = as_rng(rng, owner="mlp")
    layers: list[Layer] = []
    for k, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(Dense(a, b, init=inits[k], rng=gen, dtype=dtype))
        if k < len(sizes) - 2:
            layers.append(copy.deepcopy(get_activation(activation)))
    return Sequential(layers)
