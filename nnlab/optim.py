"""Optimizers. Each updates the arrays it was given in place; ``step()`` applies one update."""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_real


def _contiguous_base(arrays: list[np.ndarray]) -> np.ndarray | None:
    """A flat view over ``arrays`` if they tile one buffer in order, end to end."""
    if not arrays:
        return None
    base, dtype = arrays[0].base, arrays[0].dtype
    if base is None or not base.flags.c_contiguous:
        return None
    address = start = arrays[0].ctypes.data
    for a in arrays:
        if a.base is not base or a.dtype != dtype or not a.flags.c_contiguous:
            return None
        if a.ctypes.data != address:
            return None
        address += a.nbytes
    flat = base.reshape(-1).view(np.uint8)
    offset = start - flat.ctypes.data
    return flat[offset : offset + address - start].view(dtype)


def _pairs(params, owner: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validate ``[(name, param, grad), ...]`` and fuse it into as few arrays as possible."""
    params = list(params)
    if not params:
        raise ValueError(f"{owner}: params is empty; pass net.parameters().")
    for entry in params:
        if not (
            isinstance(entry, tuple)
            and len(entry) == 3
            and isinstance(entry[1], np.ndarray)
            and isinstance(entry[2], np.ndarray)
        ):
            raise TypeError(
                f"{owner}: params must be a list of (name, param, grad) tuples as returned by "
                f"net.parameters(), got an entry of type {type(entry).__name__}."
            )
    ps = [p for _, p, _ in params]
    gs = [g for _, _, g in params]
    # Sequential stores all parameters in one flat buffer: one update covers the network.
    flat_p, flat_g = _contiguous_base(ps), _contiguous_base(gs)
    if flat_p is not None and flat_g is not None and flat_p.dtype == flat_g.dtype:
        return [(flat_p, flat_g)]
    return list(zip(ps, gs, strict=True))


# Updates run over blocks of this many elements with one small scratch buffer: no
# parameter-sized temporary is ever allocated, and each block stays in the CPU cache
# between the few passes an update makes over it.
BLOCK = 1 << 15


class Optimizer:
    """Base class: holds ``(param, grad)`` pairs and a learning rate ``lr``.

    Subclasses list their per-parameter state arrays in ``state`` names and get, in
    ``self._blocks``, tuples ``(param, grad, scratch, *state)`` of flat views of at most
    ``BLOCK`` elements each, so one ``step`` is a short loop of in-place NumPy calls.
    """

    state: tuple[str, ...] = ()

    def __init__(self, params, lr: float) -> None:
        owner = type(self).__name__
        self.lr = check_real(lr, "lr", owner=owner, low=0.0, low_open=True)
        self._pairs = _pairs(params, owner)
        for name in self.state:
            setattr(self, name, [np.zeros_like(p) for p, _ in self._pairs])
        largest = max(p.size for p, _ in self._pairs)
        self._scratch = np.empty(min(largest, BLOCK), dtype=self._pairs[0][0].dtype)
        self._blocks = []
        for i, (p, g) in enumerate(self._pairs):
            flat = [p.reshape(-1), g.reshape(-1)] + [
                getattr(self, name)[i].reshape(-1) for name in self.state
            ]
            for start in range(0, p.size, BLOCK):
                end = min(start + BLOCK, p.size)
                scratch = self._scratch[: end - start]
                self._blocks.append(
                    (
                        flat[0][start:end],
                        flat[1][start:end],
                        scratch,
                        *(a[start:end] for a in flat[2:]),
                    )
                )

    def step(self) -> None:
        """Apply one update to every parameter, in place, from its current gradient."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    Notes
    -----
    With ``g = grad + weight_decay * param``: ``v = momentum * v + g``, ``param -= lr * v``
    (the convention of PyTorch's ``SGD``); without momentum simply ``param -= lr * g``.
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        self.momentum = check_real(
            momentum, "momentum", owner="SGD", low=0.0, high=1.0, high_open=True
        )
        self.weight_decay = check_real(weight_decay, "weight_decay", owner="SGD", low=0.0)
        # A velocity buffer only when momentum needs one.
        self.state = ("_velocity",) if self.momentum else ()
        super().__init__(params, lr)

    def step(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        for p, g, tmp, *velocity in self._blocks:
            if wd:
                np.multiply(p, wd, out=tmp)
                tmp += g
                g = tmp
            if mu:
                v = velocity[0]
                v *= mu
                v += g
                g = v
            np.multiply(g, lr, out=tmp)
            p -= tmp

    def __repr__(self) -> str:
        return (
            f"SGD(lr={self.lr:g}, momentum={self.momentum:g}, weight_decay={self.weight_decay:g})"
        )


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015): per-parameter steps from running moments of the gradient.

    Notes
    -----
    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``param -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``.
    """

    state = ("_m", "_v")

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, lr)
        if not (isinstance(betas, tuple | list) and len(betas) == 2):
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}.")
        self.betas = tuple(
            check_real(b, f"betas[{i}]", owner="Adam", low=0.0, high=1.0, high_open=True)
            for i, b in enumerate(betas)
        )
        self.eps = check_real(eps, "eps", owner="Adam", low=0.0, low_open=True)
        self.t = 0

    def step(self) -> None:
        b1, b2 = self.betas
        self.t += 1
        # Bias corrections folded into the step size and eps (same update, fewer passes).
        c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t
        step = self.lr * math.sqrt(c2) / c1
        eps = self.eps * math.sqrt(c2)
        for p, g, tmp, m, v in self._blocks:
            m *= b1
            np.multiply(g, 1.0 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step
            p -= tmp

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr:g}, betas={self.betas}, eps={self.eps:g})"
