"""The playground's state: data, network, optimizer, epoch counter and loss histories.

:class:`Playground` trains with :func:`nnlab.fit`, one epoch per step, as the TensorFlow
Playground does: after each epoch it records the training and test loss over the whole sets
and the per-layer gradient norms ``||dW^[l]||_F`` of the training loss.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ...activations import Activation, Sigmoid
from ...layers import Dense
from ...losses import BinaryCrossEntropy, Loss, MSELoss
from ...network import Sequential, mlp
from ...optim import SGD
from ...train import fit
from .config import ACTIVATIONS, LIVE, PlaygroundConfig
from .datasets import DOMAIN, load_dataset, split_dataset
from .features import features


def build_network(config: PlaygroundConfig) -> Sequential:
    """``nl.mlp(config.sizes, activation, init=..., rng=config.seed)``: the playground's net."""
    init = None if config.init == "default" else config.init
    return mlp(config.sizes, ACTIVATIONS[config.activation], init=init, rng=config.seed)


def forward_layers(net: Sequential, A0: np.ndarray) -> tuple[list, list]:
    """One inference pass that keeps every layer's output.

    Returns
    -------
    Z : list of ndarray
        ``Z[l - 1]`` is ``Z^[l] = A^[l-1] W^[l] + 1 b^[l]``, shape ``(N, n_l)``, for
        ``l = 1..m`` (the last is the output logit or prediction).
    A : list of ndarray
        ``A[l]`` is ``A^[l] = f(Z^[l])`` for ``l = 0..m-1`` (``A[0]`` is the input).
    """
    Zs, As = [], [A0]
    A = A0
    for layer in net.layers:
        A = layer.forward(A, cache=False)
        (As if isinstance(layer, Activation) else Zs).append(A)
    return Zs, As


def output_of(task: str, Z_out: np.ndarray) -> np.ndarray:
    """The prediction from the last ``Z``: ``sigma(z)`` (P(class 1)) or ``z`` (regression)."""
    return Sigmoid.f(Z_out) if task == "classification" else Z_out


def sample_loss(task: str, Z_out: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-sample loss ``ell``: ``softplus(z) - t z`` (binary cross-entropy) or ``(z - t)^2``."""
    if task == "classification":
        return np.maximum(Z_out, 0) - Z_out * target + np.log1p(np.exp(-np.abs(Z_out)))
    return (Z_out - target) ** 2


def sample_deltas(net: Sequential, task: str, Zs: list, target: np.ndarray) -> list:
    """Per-sample deltas ``delta^[l] = d ell / d Z^[l]`` of each sample's own loss.

    ``delta^[m] = sigma(z) - t`` (cross-entropy) or ``2 (z - t)`` (squared error), then
    ``delta^[l] = (delta^[l+1] W^[l+1]^T) * f'(Z^[l])`` (book eq. ``bp-delta``). These are
    the deltas of a batch of one sample: the batch mean's ``1/N`` is left out.

    Returns
    -------
    list of ndarray
        ``delta[l - 1]`` of shape ``(N, n_l)`` for ``l = 1..m``.
    """
    dense = [la for la in net.layers if isinstance(la, Dense)]
    acts = [la for la in net.layers if isinstance(la, Activation)]
    target = np.reshape(target, (-1, 1))
    deltas = [output_of(task, Zs[-1]) - target]
    if task == "regression":
        deltas[0] = 2.0 * deltas[0]
    for k in range(len(acts) - 1, -1, -1):
        deltas.insert(0, (deltas[0] @ dense[k + 1].W.T) * acts[k].df(Zs[k]))
    return deltas


@dataclass(eq=False)
class Playground:
    """A playground run: the data, the network, its optimizer and what training recorded.

    Parameters
    ----------
    config : PlaygroundConfig, optional
    data : (X, y), optional
        The learner's own points, ``X (N, 2)`` and ``y (N,)``: labels 0/1 for classification,
        float targets otherwise. Giving it sets ``config.dataset`` to ``"custom"``.

    Attributes
    ----------
    split : Split
        ``X_train, X_test, y_train, y_test, task``.
    inputs_train, inputs_test : ndarray ``(N, n_0)``
        The feature map ``A^[0]`` of each part.
    net : Sequential
        ``Dense(n_0 -> n_1), f, ..., Dense(n_{m-1} -> 1)``.
    optimizer : SGD
        With ``lr`` and ``weight_decay = l2``.
    loss : BinaryCrossEntropy or MSELoss
    epoch : int
        Epochs trained (one per :meth:`step`).
    train_loss, test_loss : list of float
        Loss over the whole training and test set after each epoch, epoch 0 first.
    grad_norms : list of ndarray ``(m,)``
        After each epoch, ``||dW^[l]||_F`` of the mean training loss at the current weights
        (the whole training set as one batch, without the L2 term), epoch 0 first.
    segments : list of [epochs, lr, l2, batch_size]
        The run so far, split where a live setting changed (what :func:`export_code` replays).
    memo : dict
        Quantities that depend on the data only (the maps' nearest targets), emptied by
        :meth:`reset`.

    Examples
    --------
    >>> pg = Playground(PlaygroundConfig(dataset="circle", features=("x1^2", "x2^2")))
    >>> before = pg.train_loss[-1]
    >>> pg.step(20).train_loss[-1] < before
    True
    """

    config: PlaygroundConfig = field(default_factory=PlaygroundConfig)
    data: tuple | None = None
    epoch: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if not isinstance(self.config, PlaygroundConfig):
            raise TypeError(
                f"Playground: config must be a PlaygroundConfig, got {type(self.config).__name__}."
            )
        if self.data is not None:
            if not (isinstance(self.data, tuple | list) and len(self.data) == 2):
                raise TypeError("Playground: data must be a pair (X, y).")
            X, y = (np.array(a) for a in self.data)
            split_dataset(X, y, 0.5)  # checks shapes, values and labels now
            self.data = (X.astype(float), y)
            self.config = self.config.replace(dataset="custom")
        self.reset()

    @property
    def task(self) -> str:
        """``"classification"`` or ``"regression"``."""
        return self.split.task

    @property
    def dense(self) -> list[Dense]:
        """The Dense layers, input side first."""
        return [la for la in self.net.layers if isinstance(la, Dense)]

    @property
    def domain(self) -> float:
        """Half-width of the square of the plane that the maps cover."""
        if self.config.dataset != "custom":
            return DOMAIN
        return math.ceil(11 * float(np.abs(self.data[0]).max())) / 10

    def reset(self) -> Playground:
        """Rebuild data, network and optimizer from the config; epoch 0, histories cleared."""
        c = self.config
        if c.dataset == "custom" and self.data is None:
            raise ValueError("Playground: dataset 'custom' needs data=(X, y).")
        if c.dataset == "custom":
            self.split = split_dataset(*self.data, c.train_ratio, rng=c.data_seed)
        else:
            self.split = load_dataset(c.dataset, c.n_samples, c.noise, c.train_ratio, c.data_seed)
        self.inputs_train = features(self.split.X_train, c.features)
        self.inputs_test = features(self.split.X_test, c.features)
        self.net = build_network(c)
        self.optimizer = SGD(self.net.parameters(), lr=c.lr, weight_decay=c.l2)
        self.loss: Loss = BinaryCrossEntropy() if self.task == "classification" else MSELoss()
        self._shuffle = np.random.default_rng(c.seed + 1)
        self.epoch = 0
        self.train_loss: list[float] = []
        self.test_loss: list[float] = []
        self.grad_norms: list[np.ndarray] = []
        self.segments: list[list] = []
        self.memo: dict = {}
        self._record()
        return self

    def update(self, **changes) -> Playground:
        """Change settings. ``lr``, ``l2`` and ``batch_size`` apply from the next step on;
        any other change rebuilds everything (:meth:`reset`), as the TensorFlow Playground
        does. A bad value raises and changes nothing."""
        old, new = self.config, self.config.replace(**changes)
        changed = {k for k in changes if getattr(new, k) != getattr(old, k)}
        self.config = new
        if changed <= LIVE:
            self.optimizer.lr, self.optimizer.weight_decay = new.lr, new.l2
            return self
        try:
            self.reset()
        except (ValueError, TypeError):  # e.g. a ratio that empties a small custom set
            self.config = old
            self.reset()
            raise
        return self

    def step(self, n: int = 1) -> Playground:
        """Train ``n`` epochs (shuffled mini-batches of ``batch_size``, plain SGD), recording
        the losses and gradient norms after each.

        Raises
        ------
        FloatingPointError
            If training diverges (from :func:`nnlab.fit`; that epoch is not counted).
        """
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"Playground.step: n must be an int >= 1, got {n!r}.")
        c = self.config
        setting = [c.lr, c.l2, c.batch_size]
        for _ in range(n):
            if not self.segments or self.segments[-1][1:] != setting:
                self.segments.append([0, *setting])
            fit(
                self.net,
                self.loss,
                self.optimizer,
                self.inputs_train,
                self.split.y_train,
                epochs=1,
                batch_size=c.batch_size,
                rng=self._shuffle,
                progress=False,
            )
            self.segments[-1][0] += 1
            self.epoch += 1
            self._record()
        return self

    def _record(self) -> None:
        net, loss = self.net, self.loss
        with np.errstate(all="ignore"):  # a diverging run is reported by fit, not by warnings
            train = loss.forward(net.forward(self.inputs_train), self.split.y_train)
            net.backward(loss.backward(), input_grad=False)
            norms = np.array([np.linalg.norm(la.dW) for la in self.dense])
            test = loss.forward(net.forward(self.inputs_test, cache=False), self.split.y_test)
        self.train_loss.append(train)
        self.test_loss.append(test)
        self.grad_norms.append(norms)

    def predict(self, X) -> np.ndarray:
        """The output at points ``X (N, 2)``: P(class 1), or the regression prediction,
        shape ``(N,)``."""
        Z = self.net.forward(features(X, self.config.features), cache=False)
        return output_of(self.task, Z)[:, 0]

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Playground({c.dataset!r}, features={list(c.features)}, hidden={list(c.hidden)}, "
            f"{c.activation}, epoch={self.epoch}, train_loss={self.train_loss[-1]:.4f}, "
            f"test_loss={self.test_loss[-1]:.4f})"
        )
