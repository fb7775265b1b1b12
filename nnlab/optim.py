"""Optimizers. Each updates the arrays it was given in place; ``step()`` applies one update."""

from __future__ import annotations

import math

import numpy as np

from ._param_pairs import pairs
from ._validation import check_real

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
        self._pairs = pairs(params, owner)
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

    @property
    def n_params(self) -> int:
        """How many numbers ``step()`` updates."""
        return sum(p.size for p, _ in self._pairs)

    @property
    def dtypes(self) -> set:
        """The dtypes of the parameters ``step()`` updates."""
        return {p.dtype for p, _ in self._pairs}

    def state_vectors(self) -> dict[str, np.ndarray]:
        """The per-parameter state, each as one flat copy in the order of the parameters given.

        ``"velocity"`` for SGD with momentum, ``"m"`` and ``"v"`` (the moments) for Adam and
        AdamW, nothing for plain SGD. With :meth:`load_state_vectors` (and Adam's step count
        ``t``) it moves an optimizer's state to another optimizer, or to PyTorch.
        """
        return {
            name.lstrip("_"): np.concatenate([a.ravel() for a in getattr(self, name)])
            for name in self.state
        }

    def load_state_vectors(self, vectors: dict) -> None:
        """Set the state from flat arrays shaped as :meth:`state_vectors` returns them.

        Every name, size and value is checked before anything is written: a bad entry raises
        ``ValueError`` or ``TypeError`` and leaves the state as it was.
        """
        owner = f"{type(self).__name__}.load_state_vectors"
        names = {name.lstrip("_"): name for name in self.state}
        if not isinstance(vectors, dict) or set(vectors) != set(names):
            got = sorted(vectors) if isinstance(vectors, dict) else type(vectors).__name__
            raise ValueError(f"{owner} expected the keys {sorted(names)}, got {got}.")
        checked = {}
        for key, value in vectors.items():
            value = np.asarray(value)
            if value.dtype.kind not in "fiu" or value.shape != (self.n_params,):
                raise ValueError(
                    f"{owner}: {key!r} must be a real vector of shape ({self.n_params},), got "
                    f"dtype {value.dtype} and shape {value.shape}."
                )
            if not np.isfinite(value).all():
                raise ValueError(f"{owner}: {key!r} must be finite.")
            checked[names[key]] = value
        for name, value in checked.items():
            offset = 0
            for array in getattr(self, name):
                array.reshape(-1)[...] = value[offset : offset + array.size]
                offset += array.size

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
