"""The timed callables: one training step of each implementation, and its references.

* :func:`nnlab_step`: nnlab's public API (forward, loss, backward without the input
  gradient, SGD update).
* :func:`torch_step`: the same step in PyTorch, from identical initial weights (torch is
  imported only here, lazily).
* :func:`gemm_bound`: the step's matrix products alone, on preallocated outputs.
* :class:`PerSampleLoop`: the textbook formulation, one sample at a time with vectors.
* :func:`nnlab_passes`: forward and backward on their own, for the backward/forward ratio.

Each function takes a row: an MLP :class:`~benchmarks.config.Shape` ((a)-(c)) or a
convolutional or recurrent :class:`~benchmarks.config.Arch` ((d)-(f), whose specifics live
in :mod:`benchmarks.arch_steps`).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable

import numpy as np

import nnlab as nl

from . import arch_steps
from .config import LR, Arch, Shape


def make_batch(shape: Shape | Arch, dtype: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random batch: ``X`` ``(batch, *sample)`` of ``dtype`` and targets (int labels,
    or values for MSE)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((shape.batch, *shape.sample)).astype(dtype)
    if shape.loss == "ce" and getattr(shape, "family", "") == "attention":
        y = rng.integers(0, shape.n_out, (shape.batch, shape.sample[0]))  # one per position
    elif shape.loss == "ce":
        y = rng.integers(0, shape.n_out, shape.batch)
    else:
        y = rng.standard_normal((shape.batch, shape.n_out)).astype(dtype)
    return X, y


def build_net(shape: Shape | Arch, dtype: str, seed: int) -> nl.Sequential:
    """nnlab's network for ``shape``, seeded: ``nl.mlp`` with its default initialization for
    an MLP, :func:`benchmarks.arch_steps.build_net` for (d)-(f)."""
    if isinstance(shape, Arch):
        return arch_steps.build_net(shape, dtype, seed)
    return nl.mlp(list(shape.sizes), shape.activation, rng=seed, dtype=dtype)


def make_loss(shape: Shape | Arch) -> nl.Loss:
    """The shape's loss: softmax cross-entropy on logits, or mean squared error."""
    return nl.SoftmaxCrossEntropy() if shape.loss == "ce" else nl.MSELoss()


def nnlab_step(
    net: nl.Sequential,
    loss: nl.Loss,
    X: np.ndarray,
    y: np.ndarray,
    *,
    lr: float = LR,
    optimizer: nl.Optimizer | None = None,
) -> Callable[[], float]:
    """One SGD training step of ``net`` on ``(X, y)``, through nnlab's public API.

    ``optimizer`` defaults to ``nl.SGD(net.parameters(), lr=lr)``.
    """
    opt = optimizer if optimizer is not None else nl.SGD(net.parameters(), lr=lr)

    def step() -> float:
        value = loss.forward(net.forward(X), y)
        net.backward(loss.backward(), input_grad=False)
        opt.step()
        return value

    return step


def nnlab_passes(
    net: nl.Sequential, loss: nl.Loss, X: np.ndarray, y: np.ndarray
) -> tuple[Callable[[], object], Callable[[], object]]:
    """``(forward, backward)``: the network's two passes alone (no loss, no update)."""
    loss.forward(net.forward(X), y)
    dZ = loss.backward()
    return (lambda: net.forward(X)), (lambda: net.backward(dZ, input_grad=False))


def aligned_empty(shape: tuple[int, ...], dtype: str, align: int = 64) -> np.ndarray:
    """An uninitialized C-contiguous array whose data starts on an ``align``-byte boundary.

    ``np.empty`` only guarantees 16 bytes, and how the operands sit relative to 64-byte cache
    lines changes the speed of a GEMM by several percent.
    """
    dt = np.dtype(dtype)
    nbytes = math.prod(shape) * dt.itemsize
    buf = np.empty(nbytes + align, np.uint8)
    start = -buf.ctypes.data % align
    return buf[start : start + nbytes].view(dt).reshape(shape)


def gemm_bound(shape: Shape | Arch, dtype: str, seed: int) -> tuple[Callable[[], None], int, int]:
    """The step's matrix products alone, in step order, into preallocated outputs.

    Forward ``Z = X @ W`` per layer; backward, last layer first, ``dW = X.T @ dZ`` per layer
    and ``dX = dZ @ W.T`` for all but the first. Operands are laid out as nnlab's (the
    transposes are views), so BLAS receives the same calls, and aligned to 64 bytes, the
    best case. For (d)-(f), the im2col products of the convolutions and the per-step
    products of the RNN: see :mod:`benchmarks.arch_steps`. Returns ``(run, flops, calls)``.
    """
    rng = np.random.default_rng(seed)
    n = shape.batch

    def rand(*dims: int) -> np.ndarray:
        out = aligned_empty(dims, dtype)
        out[...] = rng.standard_normal(dims)
        return out

    if isinstance(shape, Arch):
        products = arch_steps.gemm_products(
            shape, n, rand, lambda *dims: aligned_empty(dims, dtype)
        )
    else:
        forward, backward = [], []
        for layer, (n_in, n_out) in enumerate(itertools.pairwise(shape.sizes)):
            X, W, dZ = rand(n, n_in), rand(n_in, n_out), rand(n, n_out)
            forward.append((X, W, aligned_empty((n, n_out), dtype)))
            products = [(X.T, dZ, aligned_empty((n_in, n_out), dtype))]
            if layer:
                products.append((dZ, W.T, aligned_empty((n, n_in), dtype)))
            backward.append(products)
        products = forward + [p for layer in reversed(backward) for p in layer]
    flops = sum(2 * a.size * b.shape[-1] for a, b, _ in products)  # batched products too

    def run() -> None:
        for a, b, out in products:
            np.matmul(a, b, out=out)

    return run, flops, len(products)


def flop_ratio(net: nl.Sequential, batch: int, sample: tuple[int, ...] | None = None) -> float:
    """Backward over forward FLOPs of ``net`` (``nnlab.flops``, without the input gradient);
    ``sample`` is one input's shape (needed for convolutions and recurrent layers)."""
    rows = nl.flops(net, batch, input_grad=False, input_shape=sample)
    return sum(r["backward"] for r in rows) / sum(r["forward"] for r in rows)


class PerSampleLoop:
    """The textbook formulation of a mini-batch step: a Python loop over the samples.

    For each sample, a forward pass with vectors (``z = a @ W + b``) and a backward pass
    accumulating ``dW += outer(a, dz)``, ``db += dz``; then the mean gradient updates the
    parameters (SGD). Works on copies of ``net``'s parameters, in ``net``'s dtype.
    """

    def __init__(self, net: nl.Sequential, shape: Shape, lr: float = LR) -> None:
        dense = [la for la in net.layers if isinstance(la, nl.Dense)]
        self.Ws = [la.W.copy() for la in dense]
        self.bs = [la.b.copy() for la in dense]
        self.dWs = [np.zeros_like(W) for W in self.Ws]
        self.dbs = [np.zeros_like(b) for b in self.bs]
        self.relu = shape.activation == "relu"
        self.cross_entropy = shape.loss == "ce"
        self.lr = lr

    def _output_grad(self, z: np.ndarray, target) -> tuple[float, np.ndarray]:
        if self.cross_entropy:
            shifted = z - z.max()
            e = np.exp(shifted)
            total = e.sum()
            dz = e / total
            value = float(np.log(total) - shifted[target])
            dz[target] -= 1.0
            return value, dz
        diff = z - target
        return float(diff @ diff) / diff.size, diff * (2.0 / diff.size)

    def step(self, X: np.ndarray, y: np.ndarray) -> float:
        """One SGD step on the batch; returns the mean loss."""
        for g in itertools.chain(self.dWs, self.dbs):
            g[...] = 0.0
        last = len(self.Ws) - 1
        total = 0.0
        for x, target in zip(X, y, strict=True):
            activations = [x]
            for layer, (W, b) in enumerate(zip(self.Ws, self.bs, strict=True)):
                z = activations[-1] @ W + b
                if layer < last:
                    activations.append(np.maximum(z, 0.0) if self.relu else np.tanh(z))
            value, dz = self._output_grad(z, target)
            total += value
            for layer in range(last, -1, -1):
                a = activations[layer]
                self.dWs[layer] += np.outer(a, dz)
                self.dbs[layer] += dz
                if layer:
                    da = self.Ws[layer] @ dz
                    dz = da * (a > 0) if self.relu else da * (1.0 - a * a)
        n = len(X)
        for W, b, dW, db in zip(self.Ws, self.bs, self.dWs, self.dbs, strict=True):
            dW /= n
            db /= n
            W -= self.lr * dW
            b -= self.lr * db
        return total / n

    def bind(self, X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
        """The step on a fixed batch, as a callable for the timer."""
        return functools.partial(self.step, X, y)

    def flat_grads(self) -> np.ndarray:
        """The last mean gradient, in the order of ``Sequential.flat_grads``."""
        pairs = zip(self.dWs, self.dbs, strict=True)
        return np.concatenate([a.ravel() for pair in pairs for a in pair])


@functools.cache
def torch_version() -> str | None:
    """PyTorch's version, or None when it cannot be imported."""
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def torch_step(
    net: nl.Sequential, shape: Shape | Arch, X: np.ndarray, y: np.ndarray, lr: float = LR
) -> tuple[Callable[[], object], object]:
    """The same SGD step in PyTorch (CPU, eager), from a copy of ``net``'s current weights.

    Returns ``(step, model)``; ``step()`` returns the loss as a 0-d tensor. The model, the
    loss and the optimizer come from the bridge :mod:`nnlab.torch` (``to_torch``,
    ``loss_to_torch``, ``optimizer_to_torch`` of nnlab's plain SGD): standard modules
    (``nn.Linear``, ``nn.Conv2d``, ``nn.RNN`` ...), ``nn.CrossEntropyLoss``/``nn.MSELoss`` and
    ``torch.optim.SGD``. The step is the idiomatic one: ``zero_grad``, forward, loss,
    ``backward``, ``step``.
    """
    import torch

    from nnlab.torch import loss_to_torch, optimizer_to_torch, to_torch

    model = to_torch(net)
    torch_loss = loss_to_torch(nl.SoftmaxCrossEntropy() if shape.loss == "ce" else nl.MSELoss())

    def loss_fn(out, target):  # a sequence's logits (N, T, K): every position a row
        return torch_loss(
            out.reshape(-1, out.shape[-1]) if out.ndim == 3 else out,
            target.reshape(-1) if out.ndim == 3 else target,
        )

    opt = optimizer_to_torch(nl.SGD(net.parameters(), lr=lr), model)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(Xt), yt)
        loss.backward()
        opt.step()
        return loss

    return step, model


# Agreement after one step (both the relative loss difference and the gradient difference
# relative to the largest gradient): summation orders differ, by a few ulps times sqrt(n).
TOLERANCE = {"float32": 1e-5, "float64": 1e-12}


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-30)


def _grad_rel(g: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(g - ref)) / max(float(np.max(np.abs(ref))), 1e-30))


def agreement(
    shape: Shape | Arch, dtype: str, seed: int, *, with_torch: bool, with_loop: bool
) -> dict:
    """Run one step from identical weights in each implementation and compare with nnlab.

    Returns the first-step losses, their relative differences to nnlab's, the gradients'
    relative differences, the tolerance of ``dtype`` and whether everything is within it.
    """
    X, y = make_batch(shape, dtype, seed)
    net = build_net(shape, dtype, seed)
    others: dict[str, tuple[Callable[[], float], Callable[[], np.ndarray]]] = {}
    if with_torch:
        from nnlab.torch import flat_grads

        step, model = torch_step(net, shape, X, y)
        others["torch"] = (lambda: float(step().item())), (lambda: flat_grads(model))
    if with_loop:
        loop = PerSampleLoop(net, shape)
        others["loop"] = loop.bind(X, y), loop.flat_grads
    ref_loss = nnlab_step(net, make_loss(shape), X, y)()
    ref_grads = net.flat_grads.copy()
    tol = TOLERANCE[dtype]
    result = {"shape": shape.key, "dtype": dtype, "nnlab_loss": ref_loss, "tolerance": tol}
    ok = True
    for name, (run, grads) in others.items():
        value = run()
        loss_rel, grad_rel = _rel(value, ref_loss), _grad_rel(grads(), ref_grads)
        result[name] = {"loss": value, "loss_rel_diff": loss_rel, "grad_rel_diff": grad_rel}
        ok &= loss_rel <= tol and grad_rel <= tol
    result["ok"] = bool(ok)
    return result
