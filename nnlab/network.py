"""``Sequential``: a stack of layers run forward in order and backward in reverse."""

from __future__ import annotations

import copy
import itertools
import weakref

import numpy as np

from ._validation import as_rng, check_2d, check_dtype
from .activations import get_activation
from .layers import Dense, Layer


def _aligned_zeros(size: int, dtype, alignment: int = 64) -> np.ndarray:
    """Zeros starting on a cache-line boundary (np.zeros only guarantees 16 bytes).

    BLAS kernels run measurably faster, and more predictably, on aligned operands.
    """
    itemsize = np.dtype(dtype).itemsize
    raw = np.zeros(size * itemsize + alignment, dtype=np.uint8)
    start = -raw.ctypes.data % alignment
    return raw[start : start + size * itemsize].view(dtype)


class Sequential:
    """A feed-forward network: ``forward`` visits ``layers`` in order, ``backward`` in reverse.

    All parameters (and all gradients) live in one contiguous buffer, ``flat_params``
    (``flat_grads``), of which each layer's ``W``, ``b`` (``dW``, ``db``) are views. The
    arrays are allocated once and updated in place, so ``parameters()`` returns the same
    objects on every call and one vectorized optimizer update covers the whole network.

    A layer can appear only once, in one network: its cache (and gradients) would otherwise be
    overwritten by its other use, and backward would return wrong gradients. Building a network
    moves its layers' parameters into its buffer, so the layers belong to it from then on; use
    ``copy.deepcopy(layer)`` for an independent copy to put in another network.

    ``forward`` keeps a reference to the caller's ``X`` (no copy, to stay fast): do not modify
    ``X`` between ``forward`` and ``backward``. An output that is also kept for backward (a
    final activation's) is returned read-only; ``copy.deepcopy(net)`` gives an independent
    network with its own buffers.

    Parameters
    ----------
    layers : list of Layer
        The layers, input side first. ``net.layers`` is this very list.

    Raises
    ------
    TypeError
        If ``layers`` is not a list of nnlab layers, or the Dense layers' dtypes differ.
    ValueError
        If ``layers`` is empty, widths do not chain, a layer appears twice, or a layer already
        belongs to another Sequential.

    Shapes
    ------
    X ``(N, n_in)`` -> Z ``(N, n_out)``; backward: dZ ``(N, n_out)`` -> dX ``(N, n_in)``, for a
    batch of N samples. ``N = 0`` gives empty outputs and zero gradients.

    Examples
    --------
    >>> net = Sequential([Dense(2, 16, rng=0), Tanh(), Dense(16, 3, rng=0)])
    >>> net.forward(np.zeros((5, 2))).shape
    (5, 3)
    """

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
        dense = [(i, la) for i, la in enumerate(layers) if isinstance(la, Dense)]
        for (i, a), (j, b) in itertools.pairwise(dense):
            if a.n_out != b.n_in:
                raise ValueError(
                    f"Sequential: layer {i} {a!r} outputs {a.n_out} features but layer {j} "
                    f"{b!r} expects {b.n_in}."
                )
        dtypes = {la.dtype for _, la in dense}
        if len(dtypes) > 1:
            raise TypeError(
                "Sequential: all Dense layers must share one dtype, got "
                + ", ".join(f"layer {i}: {la.dtype}" for i, la in dense)
                + "."
            )
        self.layers = layers
        self.dtype = dtypes.pop() if dtypes else np.dtype(np.float64)
        self.n_in = dense[0][1].n_in if dense else None
        self._pack()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["flat_params"], state["flat_grads"]
        return state

    def __copy__(self):
        raise TypeError(
            "Sequential cannot be copied shallowly: the copy would share its layers (and their "
            "caches and gradients) with the original. Use copy.deepcopy(net)."
        )

    def __setstate__(self, state: dict) -> None:
        # A copy (copy.deepcopy, pickle) gets its layers' arrays as separate copies, no longer
        # views of one buffer: pack them into fresh buffers, owned by the copy.
        self.__dict__.update(state)
        self._pack()

    def _pack(self) -> None:
        owner = weakref.ref(self)
        for la in self.layers:
            la._owner = owner
        entries = [(la, name, p) for la in self.layers for name, p, _ in la.parameters()]
        total = sum(p.size for _, _, p in entries)
        self.flat_params = _aligned_zeros(total, self.dtype)
        self.flat_grads = _aligned_zeros(total, self.dtype)
        offset = 0
        for la, name, p in entries:
            end = offset + p.size
            la._rebind(
                name,
                self.flat_params[offset:end].reshape(p.shape),
                self.flat_grads[offset:end].reshape(p.shape),
            )
            offset = end

    def forward(self, X, *, cache: bool = True) -> np.ndarray:
        """Run every layer in order. With ``cache=False`` (inference) nothing is kept."""
        if not (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype == self.dtype):
            X = check_2d(X, self.n_in, "X", owner="Sequential", dtype=self.dtype)
        for layer in self.layers:
            X = layer.forward(X, cache=cache)
        return X

    __call__ = forward

    def backward(self, dZ, *, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate ``dZ = dLoss/dZ`` through every layer in reverse order.

        Overwrites every layer's gradients (never accumulates) and returns dLoss/dX, or None
        with ``input_grad=False``, which skips the first layer's unneeded ``dZ @ W.T``.
        """
        for layer in self.layers[:0:-1]:
            dZ = layer.backward(dZ)
        return self.layers[0].backward(dZ, input_grad=input_grad)

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """``[("0.W", W, dW), ("0.b", b, db), ...]``, named by layer index."""
        return [
            (f"{i}.{name}", p, g)
            for i, la in enumerate(self.layers)
            for name, p, g in la.parameters()
        ]

    @property
    def n_params(self) -> int:
        """Total number of trainable scalars."""
        return int(self.flat_params.size)

    def astype(self, dtype) -> Sequential:
        """A deep copy of the network with parameters of another float dtype."""
        dtype = check_dtype(dtype, owner="Sequential.astype")
        clone = copy.deepcopy(self)
        for la in clone.layers:
            if isinstance(la, Dense):
                la.dtype = dtype
                la._params = {k: v.astype(dtype) for k, v in la._params.items()}
                la._grads = {k: v.astype(dtype) for k, v in la._grads.items()}
                la._X = None
                la._ones = la._ones.astype(dtype)
        clone.dtype = dtype
        clone._pack()
        return clone

    def flops(self, batch_size: int) -> list[dict]:
        """FLOPs per layer for a batch: see :func:`nnlab.flops`."""
        from .cost import flops

        return flops(self, batch_size)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __repr__(self) -> str:
        rows = [f"  ({i}): {la!r}" for i, la in enumerate(self.layers)]
        width = max(len(r) for r in rows)
        lines = [
            r.ljust(width) + f"  # {la.n_params:,} params" if la.n_params else r
            for r, la in zip(rows, self.layers, strict=True)
        ]
        return "Sequential(\n" + "\n".join(lines) + f"\n)  # {self.n_params:,} parameters"


def _check_layers_are_free(layers: list[Layer]) -> None:
    """Reject a layer listed twice, or one that belongs to another (live) Sequential."""
    first: dict[int, int] = {}
    for i, layer in enumerate(layers):
        j = first.setdefault(id(layer), i)
        if j != i:
            raise ValueError(
                f"Sequential: layer {i} is the same {layer!r} object as layer {j}. A layer can "
                "appear only once: its second use would overwrite the cache and gradients of "
                "the first, and backward would return wrong gradients. Use a new layer, or "
                "copy.deepcopy(layer), for each position."
            )
        owner = layer._owner() if layer._owner is not None else None
        if owner is not None:
            raise ValueError(
                f"Sequential: layer {i} {layer!r} already belongs to another Sequential. "
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

    The output layer has no activation (losses work on logits). ``init`` defaults to
    ``"xavier"`` for tanh/sigmoid and ``"he"`` otherwise. One ``rng`` seeds every layer.

    Examples
    --------
    >>> mlp([2, 16, 3], "tanh", rng=0)  # doctest: +SKIP
    """
    if not isinstance(sizes, list | tuple) or len(sizes) < 2:
        raise ValueError(f"mlp: sizes must list at least 2 layer widths, got {sizes!r}.")
    get_activation(activation)  # fail early, with the message listing valid names
    if init is None:
        init = "xavier" if str(activation).lower() in ("tanh", "sigmoid") else "he"
    gen = as_rng(rng, owner="mlp")
    layers: list[Layer] = []
    for k, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(Dense(a, b, init=init, rng=gen, dtype=dtype))
        if k < len(sizes) - 2:
            layers.append(copy.deepcopy(get_activation(activation)))
    return Sequential(layers)
