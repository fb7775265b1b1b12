"""Rows (d)-(f): the convolutional and recurrent networks of :data:`benchmarks.config.ARCHS`.

What :mod:`benchmarks.steps` needs beyond the MLPs: building the nnlab network, the matrix
products of its step (for the GEMM bound). Their PyTorch counterparts come from
:mod:`nnlab.torch`.

The GEMM bound of these rows is, like the MLPs', the step's matrix products alone, issued as
nnlab issues them, on preallocated 64-byte aligned operands (see :func:`gemm_products`):

* Conv2D: the im2col products. Forward ``W_row @ X_col`` ``(C_out, K) @ (K, P)`` with
  ``K = C_in kh kw`` and ``P = H_out W_out N``; backward ``dZ_col @ X_col.T`` (``dW``) and,
  except for the first layer, ``W_row.T @ dZ_col`` (the columns col2im adds back). The
  im2col and col2im copies, the bias, ReLU and pooling are not in the bound.
* RNN: the input products of all steps as one product ``(T N, n_in) @ (n_in, h)``, then the
  per-step recurrent products ``h_{t-1} @ W_hh`` (``T - 1`` of them, ``(N, h) @ (h, h)``);
  backward the per-step ``d_t @ W_hh.T`` of backpropagation through time, then ``dW_xh``
  and ``dW_hh`` as one product each over all steps (and ``dX`` unless it is the first
  layer). The recurrent products cannot be batched over time (each needs the previous
  state), so at these sizes the bound is mostly the cost of ~40 small BLAS calls.
* Dense: as in the MLPs, ``X @ W``, ``X.T @ dZ`` and (not first) ``dZ @ W.T``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

import nnlab as nl

from .config import Arch

Product = tuple[np.ndarray, np.ndarray, np.ndarray]  # (a, b, out): out = a @ b

# The nnlab class each kind of layer needs (the RNN may not be exported yet).
NNLAB_CLASS = {
    "conv": "Conv2D",
    "relu": "ReLU",
    "pool": "MaxPool2D",
    "flatten": "Flatten",
    "dense": "Dense",
    "rnn": "RNN",
    "lstm": "LSTM",
    "block": "MultiHeadAttention",
}


def missing_layers(arch: Arch) -> list[str]:
    """The ``nnlab.<Layer>`` classes ``arch`` needs that this nnlab does not export."""
    needed = dict.fromkeys(NNLAB_CLASS[spec[0]] for spec in arch.layers)
    return [f"nnlab.{name}" for name in needed if not hasattr(nl, name)]


def skip_reason(arch: Arch) -> str | None:
    """Why row ``arch`` cannot run with this nnlab, or None when it can."""
    missing = missing_layers(arch)
    if not missing:
        return None
    return f"{' and '.join(missing)} not available in this nnlab (row ({arch.key}) skipped)"


def walk(arch: Arch) -> Iterator[tuple[tuple, tuple[int, ...], tuple[int, ...]]]:
    """``(spec, input sample shape, output sample shape)`` for each layer, in order."""
    shape = tuple(arch.sample)
    for spec in arch.layers:
        kind = spec[0]
        if kind == "conv":
            c_out, k, p = spec[1:]
            out = (c_out, shape[1] + 2 * p - k + 1, shape[2] + 2 * p - k + 1)
        elif kind == "pool":
            k = spec[1]
            out = (shape[0], shape[1] // k, shape[2] // k)
        elif kind == "flatten":
            out = (int(np.prod(shape)),)
        elif kind == "dense":
            out = (*shape[:-1], spec[1])  # on a sequence: at every position
        elif kind in ("rnn", "lstm"):
            out = (spec[1],)
        else:  # relu, block
            out = shape
        yield spec, shape, out
        shape = out


def build_net(arch: Arch, dtype: str, seed: int) -> nl.Sequential:
    """nnlab's network for ``arch``, each layer with its default initialization, seeded."""
    rng = np.random.default_rng(seed)
    layers = []
    for spec, shape, _ in walk(arch):
        kind = spec[0]
        if kind == "conv":
            c_out, k, p = spec[1:]
            layers.append(nl.Conv2D(shape[0], c_out, k, padding=p, rng=rng, dtype=dtype))
        elif kind == "relu":
            layers.append(nl.ReLU())
        elif kind == "pool":
            layers.append(nl.MaxPool2D(spec[1]))
        elif kind == "flatten":
            layers.append(nl.Flatten())
        elif kind == "dense":
            layers.append(nl.Dense(shape[-1], spec[1], rng=rng, dtype=dtype))
        elif kind == "rnn":
            layers.append(nl.RNN(shape[1], spec[1], rng=rng, dtype=dtype))
        elif kind == "lstm":
            layers.append(nl.LSTM(shape[1], spec[1], rng=rng, dtype=dtype))
        elif kind == "block":
            d, heads = spec[1:]
            attention = [
                nl.LayerNorm(d, dtype=dtype),
                nl.MultiHeadAttention(d, heads, rng=rng, dtype=dtype),
            ]
            mlp = [
                nl.LayerNorm(d, dtype=dtype),
                nl.Dense(d, 4 * d, rng=rng, dtype=dtype),
                nl.ReLU(),
                nl.Dense(4 * d, d, rng=rng, dtype=dtype),
            ]
            layers += [nl.Residual(nl.Sequential(attention)), nl.Residual(nl.Sequential(mlp))]
        else:
            raise ValueError(f"unknown layer kind {kind!r} in {arch.key}")
    return nl.Sequential(layers)


def gemm_products(
    arch: Arch,
    batch: int,
    rand: Callable[..., np.ndarray],
    empty: Callable[..., np.ndarray],
) -> list[Product]:
    """The step's matrix products in step order (see the module docstring).

    ``rand(*dims)`` returns an aligned array of random values, ``empty(*dims)`` an aligned
    output. Transposed operands are views, as in nnlab, so BLAS gets the same calls.
    """
    n = batch
    forward: list[Product] = []
    backward: list[list[Product]] = []
    for index, (spec, shape, out) in enumerate(walk(arch)):
        kind, need_dx = spec[0], index > 0  # Sequential skips the first layer's dX
        if kind == "conv":
            c_out, k, _ = spec[1:]
            K, P = shape[0] * k * k, out[1] * out[2] * n
            cols, W_row, dZ = rand(K, P), rand(c_out, K), rand(c_out, P)
            forward.append((W_row, cols, empty(c_out, P)))
            products = [(dZ, cols.T, empty(c_out, K))]
            if need_dx:
                products.append((W_row.T, dZ, empty(K, P)))
            backward.append(products)
        elif kind == "dense":
            n_in, n_out = shape[-1], spec[1]
            rows = n * int(np.prod(shape[:-1]))  # every position of a sequence is a row
            X, W, dZ = rand(rows, n_in), rand(n_in, n_out), rand(rows, n_out)
            forward.append((X, W, empty(rows, n_out)))
            products = [(X.T, dZ, empty(n_in, n_out))]
            if need_dx:
                products.append((dZ, W.T, empty(rows, n_in)))
            backward.append(products)
        elif kind in ("lstm", "block"):
            forward_part, backward_part = _more_products(kind, spec, shape, n, rand, empty, need_dx)
            forward += forward_part
            backward.append(backward_part)
        elif kind == "rnn":
            (T, n_in), h = shape, spec[1]
            Xt, W_xh, W_hh = rand(T * n, n_in), rand(n_in, h), rand(h, h)
            H, D, G, step = rand(T, n, h), rand(T, n, h), empty(T, n, h), empty(n, h)
            forward.append((Xt, W_xh, empty(T * n, h)))
            forward += [(H[t - 1], W_hh, step) for t in range(1, T)]
            products = [(D[t], W_hh.T, G[t - 1]) for t in range(T - 1, 0, -1)]
            D_flat = D.reshape(T * n, h)
            products.append((Xt.T, D_flat, empty(n_in, h)))
            products.append((H[:-1].reshape(-1, h).T, D[1:].reshape(-1, h), empty(h, h)))
            if need_dx:
                products.append((D_flat, W_xh.T, empty(T * n, n_in)))
            backward.append(products)
    return forward + [p for layer in reversed(backward) for p in layer]


def _more_products(kind, spec, shape, n, rand, empty, need_dx):
    """The matrix products of an LSTM or a transformer block: ``(forward, backward)``.

    LSTM: as the RNN's, four gates wide (``4 h`` columns). Block: the four attention
    projections and the two products of the MLP as ``(N T, d)`` products, and per head the
    scores ``Q K^T`` and ``P V`` as batched products over ``N h``; backward, for each forward
    product, the two products of its gradients (the first layer's ``dX`` included: the block
    is never first here).
    """
    if kind == "lstm":
        (T, n_in), h = shape, spec[1]
        g = 4 * h
        Xt, W_x, W_h = rand(T * n, n_in), rand(n_in, g), rand(h, g)
        H, D, G, step = rand(T, n, h), rand(T, n, g), empty(T, n, h), empty(n, g)
        forward = [(Xt, W_x, empty(T * n, g))] + [(H[t - 1], W_h, step) for t in range(1, T)]
        backward = [(D[t], W_h.T, G[t - 1]) for t in range(T - 1, 0, -1)]
        D_flat = D.reshape(T * n, g)
        backward.append((Xt.T, D_flat, empty(n_in, g)))
        backward.append((H[:-1].reshape(-1, h).T, D[1:].reshape(-1, g), empty(h, g)))
        if need_dx:
            backward.append((D_flat, W_x.T, empty(T * n, n_in)))
        return forward, backward
    (T, d), heads = shape, spec[2]
    rows, dk, B = n * T, d // heads, n * heads
    forward, backward = [], []
    for n_in, n_out in [(d, d)] * 4 + [(d, 4 * d), (4 * d, d)]:  # q, k, v, o; the MLP
        X, W, dZ = rand(rows, n_in), rand(n_in, n_out), rand(rows, n_out)
        forward.append((X, W, empty(rows, n_out)))
        backward += [(X.T, dZ, empty(n_in, n_out)), (dZ, W.T, empty(rows, n_in))]
    Q, K, V, P = rand(B, T, dk), rand(B, T, dk), rand(B, T, dk), rand(B, T, T)
    dO, dS = rand(B, T, dk), rand(B, T, T)
    forward += [(Q, K.transpose(0, 2, 1), empty(B, T, T)), (P, V, empty(B, T, dk))]
    backward += [
        (P.transpose(0, 2, 1), dO, empty(B, T, dk)),  # dV = P^T dO
        (dO, V.transpose(0, 2, 1), empty(B, T, T)),  # dP = dO V^T
        (dS, K, empty(B, T, dk)),  # dQ = dS K
        (dS.transpose(0, 2, 1), Q, empty(B, T, dk)),  # dK = dS^T Q
    ]
    return forward, backward
