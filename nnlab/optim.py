"""Optimizers. Each updates the arrays it was given in place; ``step()`` applies one update."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ._validation import FLOAT_DTYPES, check_real, contiguous_base


def _check_array(a, what: str, owner: str) -> None:
    """``a`` must be a C-contiguous float32/float64 array: the optimizer uses it in place."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{owner}: {what} must be a NumPy array, got {type(a).__name__}.")
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{owner}: {what} must be a float32 or float64 array, got dtype {a.dtype}.")
    # Flattening a non-contiguous view copies it: updates (or new gradients) would be lost.
    if not a.flags.c_contiguous:
        raise ValueError(
            f"{owner}: {what} must be C-contiguous, got a non-contiguous view of shape "
            f"{a.shape} (such as W.T); pass the array itself."
        )


def _check_no_overlap(spans: list[tuple[int, int, str]], owner: str) -> None:
    """No two of the byte intervals ``(start, end, what)`` overlap (a sweep, sorted by start)."""
    furthest, holder = 0, ""
    for start, end, what in sorted(spans):
        if start < furthest:
            raise ValueError(
                f"{owner}: {holder} and {what} share memory (is one array listed twice?); "
                "list each parameter once, each with its own gradient array."
            )
        if end > furthest:
            furthest, holder = end, what


def _pairs(params, owner: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validate ``[(name, param, grad), ...]`` and fuse it into as few arrays as possible."""
    if callable(getattr(params, "parameters", None)):
        raise TypeError(
            f"{owner}: params must be the list that net.parameters() returns, got the "
            f"{type(params).__name__} itself; pass net.parameters()."
        )
    if not isinstance(params, Iterable) or isinstance(params, str | bytes | dict | np.ndarray):
        raise TypeError(
            f"{owner}: params must be a list of (name, param, grad) tuples as returned by "
            f"net.parameters(), got {type(params).__name__}."
        )
    params = list(params)
    if not params:
        raise ValueError(f"{owner}: params is empty; pass net.parameters().")
    param_spans, grad_spans = [], []
    for k, entry in enumerate(params):
        if not (isinstance(entry, tuple) and len(entry) == 3):
            raise TypeError(
                f"{owner}: params must be a list of (name, param, grad) tuples as returned by "
                f"net.parameters(), got an entry of type {type(entry).__name__}."
            )
        name, p, g = entry
        who = f"parameter {name!r}" if isinstance(name, str) else f"parameter {k}"
        _check_array(p, who, owner)
        _check_array(g, f"the gradient of {who}", owner)
        if g.shape != p.shape:
            raise ValueError(
                f"{owner}: {who} has shape {p.shape} but its gradient has shape {g.shape}."
            )
        if not p.flags.writeable:
            raise ValueError(f"{owner}: {who} is read-only; the optimizer updates it in place.")
        if p.size:  # an empty array shares no memory
            where = f" (entry {k})"
            param_spans.append((p.ctypes.data, p.ctypes.data + p.nbytes, who + where))
            grad_spans.append(
                (g.ctypes.data, g.ctypes.data + g.nbytes, f"the gradient of {who}{where}")
            )
    # Contiguous arrays occupy exactly their byte range, so overlapping ranges share memory.
    # Parameters first, so a parameter listed twice is reported as such, not by its gradient.
    _check_no_overlap(param_spans, owner)
    _check_no_overlap(param_spans + grad_spans, owner)
    ps = [p for _, p, _ in params]
    gs = [g for _, _, g in params]
    # Sequential stores all parameters in one flat buffer: one update covers the network.
    flat_p, flat_g = contiguous_base(ps), contiguous_base(gs)
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

    Shapes
    ------
    Each ``grad`` has its ``param``'s shape; so has each state array (velocity, moments).

    Raises
    ------
    TypeError
        If ``params`` is not a list of ``(name, param, grad)`` tuples of float32/float64
        arrays (an int array cannot take fractional updates).
    ValueError
        If ``lr <= 0``, ``params`` is empty, a gradient's shape differs from its parameter's,
        a parameter is read-only or a non-contiguous view, or two arrays share memory (the
        same parameter listed twice would be updated twice per step).
    """

    state: tuple[str, ...] = ()

    def __init__(self, params, lr: float) -> None:
        owner = type(self).__name__
        self.lr = check_real(lr, "lr", owner=owner, low=0.0, low_open=True)
        self._pairs = _pairs(params, owner)
        for name in self.state:
            setattr(self, name, [np.zeros_like(p) for p, _ in self._pairs])
        # One scratch buffer per parameter dtype, as long as the longest block.
        sizes: dict[np.dtype, int] = {}
        for p, _ in self._pairs:
            sizes[p.dtype] = max(sizes.get(p.dtype, 0), min(p.size, BLOCK))
        self._scratch = {dt: np.empty(n, dtype=dt) for dt, n in sizes.items()}
        self._blocks = []
        for i, (p, g) in enumerate(self._pairs):
            flat = [p.reshape(-1), g.reshape(-1)] + [
                getattr(self, name)[i].reshape(-1) for name in self.state
            ]
            for start in range(0, p.size, BLOCK):
                end = min(start + BLOCK, p.size)
                scratch = self._scratch[p.dtype][: end - start]
                self._blocks.append(
                    (
                        flat[0][start:end],
                        flat[1][start:end],
                        scratch,
                        *(a[start:end] for a in flat[2:]),
                    )
                )

    def updates(self, array) -> bool:
        """Whether ``step()`` writes into the memory of the NumPy array ``array``, or part of it.

        ``fit`` checks ``optimizer.updates(net.flat_params)``: False for an optimizer built on
        another network's parameters, or on copies of them. Overlap is ``np.may_share_memory``
        (exact for contiguous arrays); a non-array raises ``TypeError``.

        >>> import nnlab as nl
        >>> net, other = nl.mlp([2, 4, 1], rng=0), nl.mlp([2, 4, 1], rng=0)
        >>> opt = nl.SGD(net.parameters(), lr=0.1)
        >>> opt.updates(net.layers[0].W), opt.updates(other.flat_params)
        (True, False)
        """
        if not isinstance(array, np.ndarray):
            what = type(array).__name__
            raise TypeError(f"{type(self).__name__}.updates expected a NumPy array, got {what}.")
        return any(np.may_share_memory(p, array) for p, _ in self._pairs)

    def step(self) -> None:
        """Apply one update to every parameter, in place, from its current gradient."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay.

    Parameters
    ----------
    params : list of (name, param, grad)
        As returned by ``net.parameters()``; each ``param`` is updated in place.
    lr : float
        Learning rate, > 0.
    momentum : float
        In [0, 1); 0 is plain SGD (no velocity buffer).
    weight_decay : float
        L2 coefficient, >= 0, added to the gradient.
    nesterov : bool
        Nesterov momentum; needs ``momentum > 0``.

    Raises
    ------
    ValueError, TypeError
        For a bad hyperparameter (named) or bad ``params`` (see :class:`Optimizer`);
        ``ValueError`` for ``nesterov=True`` without momentum.

    Notes
    -----
    PyTorch's ``SGD`` conventions, with ``g = grad + weight_decay * param``:

    - momentum (the momentum update of the book's chapter on optimization):
      ``v = momentum * v + g``, ``param -= lr * v``;
    - Nesterov: ``v = momentum * v + g``, ``param -= lr * (g + momentum * v)``;
    - no momentum: ``param -= lr * g``.

    Examples
    --------
    >>> import nnlab as nl
    >>> net = nl.mlp([2, 4, 1], rng=0)
    >>> nl.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    SGD(lr=0.1, momentum=0.9, weight_decay=0, nesterov=True)
    """

    def __init__(
        self,
        params,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        self.momentum = check_real(
            momentum, "momentum", owner="SGD", low=0.0, high=1.0, high_open=True
        )
        self.weight_decay = check_real(weight_decay, "weight_decay", owner="SGD", low=0.0)
        if not isinstance(nesterov, bool | np.bool_):
            raise TypeError(f"SGD: nesterov must be True or False, got {nesterov!r}.")
        if nesterov and not self.momentum:
            raise ValueError("SGD: nesterov=True needs momentum > 0, got momentum=0.")
        self.nesterov = bool(nesterov)
        # A velocity buffer only when momentum needs one.
        self.state = ("_velocity",) if self.momentum else ()
        super().__init__(params, lr)

    def step(self) -> None:
        lr, mu, wd, nesterov = self.lr, self.momentum, self.weight_decay, self.nesterov
        for p, g, tmp, *velocity in self._blocks:
            if wd:
                np.multiply(p, wd, out=tmp)
                tmp += g
                g = tmp
            if mu:
                v = velocity[0]
                v *= mu
                v += g
                if nesterov:
                    # lr * (g + mu * v) in two subtractions: g may already be the scratch.
                    np.multiply(g, lr, out=tmp)
                    p -= tmp
                    np.multiply(v, lr * mu, out=tmp)
                else:
                    np.multiply(v, lr, out=tmp)
            else:
                np.multiply(g, lr, out=tmp)
            p -= tmp

    def __repr__(self) -> str:
        nesterov = ", nesterov=True" if self.nesterov else ""
        return (
            f"SGD(lr={self.lr:g}, momentum={self.momentum:g}, "
            f"weight_decay={self.weight_decay:g}{nesterov})"
        )


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015): per-parameter steps from running moments of the gradient.

    Parameters
    ----------
    params : list of (name, param, grad)
        As returned by ``net.parameters()``; each ``param`` is updated in place.
    lr : float
        Learning rate, > 0.
    betas : (float, float)
        Decay rates of the first and second moments, each in [0, 1).
    eps : float
        Added to the denominator, > 0.
    weight_decay : float
        L2 coefficient, >= 0, added to the gradient *before* the moments (PyTorch's ``Adam``).
        Adam then rescales the decay with everything else; :class:`AdamW` decouples it.

    Raises
    ------
    ValueError, TypeError
        For a bad hyperparameter (named) or bad ``params`` (see :class:`Optimizer`).

    Notes
    -----
    With ``g = grad + weight_decay * param`` and ``t`` the step count, 1 for the first (the Adam
    update of the book's chapter on optimization), the first and second moments ``m`` and ``v``
    (Kingma and Ba's names, and PyTorch's) are ``m = b1 m + (1 - b1) g``,
    ``v = b2 v + (1 - b2) g^2``, and
    ``param -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``.

    Examples
    --------
    >>> import nnlab as nl
    >>> net = nl.mlp([2, 4, 1], rng=0)
    >>> nl.Adam(net.parameters(), lr=0.01, weight_decay=1e-4)
    Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0001)
    """

    state = ("_m", "_v")
    _decoupled = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        owner = type(self).__name__
        if not (isinstance(betas, tuple | list) and len(betas) == 2):
            raise TypeError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}.")
        self.betas = tuple(
            check_real(b, f"betas[{i}]", owner=owner, low=0.0, high=1.0, high_open=True)
            for i, b in enumerate(betas)
        )
        self.eps = check_real(eps, "eps", owner=owner, low=0.0, low_open=True)
        self.weight_decay = check_real(weight_decay, "weight_decay", owner=owner, low=0.0)
        self.t = 0

    def step(self) -> None:
        b1, b2 = self.betas
        self.t += 1
        # Bias corrections folded into the step size and eps (same update, fewer passes).
        c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t
        step = self.lr * math.sqrt(c2) / c1
        eps = self.eps * math.sqrt(c2)
        decay = 1.0 - self.lr * self.weight_decay if self._decoupled else 1.0
        l2 = 0.0 if self._decoupled else self.weight_decay
        for p, g, tmp, m, v in self._blocks:
            if decay != 1.0:
                p *= decay
            if l2:
                np.multiply(p, l2, out=tmp)
                tmp += g
                # m = b1 m + (1 - b1) g, written so g (in the scratch) survives for v.
                m -= tmp
                m *= b1
                m += tmp
                tmp *= tmp
            else:
                m *= b1
                np.multiply(g, 1.0 - b1, out=tmp)
                m += tmp
                np.multiply(g, g, out=tmp)
            v *= b2
            tmp *= 1.0 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step
            p -= tmp

    def __repr__(self) -> str:
        wd = f", weight_decay={self.weight_decay:g}" if self.weight_decay or self._decoupled else ""
        return f"{type(self).__name__}(lr={self.lr:g}, betas={self.betas}, eps={self.eps:g}{wd})"


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as PyTorch's ``AdamW``.

    The decay shrinks the weights directly instead of entering the gradient, so it is not
    rescaled by Adam's per-parameter step sizes. Parameters as for :class:`Adam`, except the
    default ``weight_decay=0.01``.

    Raises
    ------
    ValueError, TypeError
        For a bad hyperparameter (named) or bad ``params`` (see :class:`Optimizer`).

    Notes
    -----
    ``param -= lr * weight_decay * param``, then the Adam update of :class:`Adam` on the plain
    gradient ``g = grad``: ``v = b1 v + (1 - b1) g``, ``s = b2 s + (1 - b2) g^2``,
    ``param -= lr * (v / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps)``.

    Examples
    --------
    >>> import nnlab as nl
    >>> net = nl.mlp([2, 4, 1], rng=0)
    >>> nl.AdamW(net.parameters(), lr=0.01)
    AdamW(lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01)
    """

    _decoupled = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
