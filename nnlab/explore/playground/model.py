"""The playground's state: data, network, optimizer, epoch counter and loss histories.

:class:`Playground` trains with :func:`nnlab.fit`, one epoch per step, as the TensorFlow
Playground does: after each epoch it records the training and test loss over the whole sets
and the per-layer gradient norms ``||dW^[l]||_F`` of the training loss. The L1 and L2
penalties act on the weights only (:func:`add_penalties`), and the losses recorded are the
data loss without them, as the TensorFlow Playground shows it.
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


class HalfSquaredError(MSELoss):
    """The TensorFlow Playground's loss: half the squared error of its output, averaged.

    ``L = mean(0.5 (out - T)^2)`` with ``out = tanh(Z)`` (``tanh=True``: the Playground's
    classification output, for targets -1/+1) or ``out = Z`` (its linear regression output),
    on the pre-activation ``Z`` of the output unit, as :class:`nnlab.BinaryCrossEntropy`
    takes the logit. ``dL/dZ = (out - T) * tanh'(Z) / Z.size`` (``tanh'(Z) = 1 - out^2``), or
    ``(Z - T) / Z.size``. Targets as for :class:`nnlab.MSELoss`.

    Examples
    --------
    >>> import numpy as np
    >>> loss = HalfSquaredError(tanh=True)
    >>> float(loss(np.array([[0.0], [0.0]]), [1.0, -1.0]))  # tanh(0) = 0: 0.5 * 1 on each
    0.5
    """

    def __init__(self, tanh: bool = False) -> None:
        super().__init__()
        if not isinstance(tanh, bool):
            raise TypeError(f"HalfSquaredError: tanh must be True or False, got {tanh!r}.")
        self.tanh = tanh
        self.flops_per_entry = (5, 5) if tanh else (4, 2)
        self._slope: np.ndarray | None = None

    def forward(self, prediction, target) -> float:
        Z = self._prediction(prediction)
        out = np.tanh(Z) if self.tanh else Z
        value = 0.5 * super().forward(out, target)
        self._slope = 1.0 - out * out if self.tanh else None
        return value

    def backward(self) -> np.ndarray:
        grad = 0.5 * super().backward()
        return grad * self._slope if self.tanh else grad

    def _jvp(self, P, T, dP):
        out = np.tanh(P) if self.tanh else P
        value, slope = super()._jvp(out, T, (1.0 - out * out) * dP if self.tanh else dP)
        return 0.5 * value, 0.5 * slope

    def __repr__(self) -> str:
        return f"HalfSquaredError(tanh={self.tanh})"


class Task(str):
    """``"classification"`` or ``"regression"``, equal to that plain string, which also names
    the playground's output (``task.output``, one of :data:`~.config.OUTPUTS`): what
    :func:`output_of`, :func:`sample_loss` and :func:`sample_deltas` need to know."""

    output: str

    def __new__(cls, name: str, output: str = "nnlab") -> Task:
        task = super().__new__(cls, name)
        task.output = output
        return task


def _output(task: str, output: str | None) -> str:
    return output if output is not None else getattr(task, "output", "nnlab")


def tanh_output(task: str, output: str | None = None) -> bool:
    """Whether the output unit is the TensorFlow Playground's ``tanh`` (its classifier);
    ``output`` defaults to ``task.output`` (a :class:`Task`), else ``"nnlab"``."""
    return task == "classification" and _output(task, output) == "playground"


def targets_of(task: str, y, output: str | None = None) -> np.ndarray:
    """What the loss compares the output with: the labels 0/1 as -1/+1 for the playground's
    tanh output, otherwise ``y`` (labels, or regression values) as it is."""
    y = np.asarray(y)
    return 2 * y - 1 if tanh_output(task, output) else y


def add_penalties(layers, l1: float, l2: float) -> None:
    """Add the gradients of the penalties ``l2 / 2 * sum(W^2) + l1 * sum(|W|)`` to each
    layer's weight gradient, in place: ``dW += l2 * W``, then ``dW += l1 * sign(W)`` (the
    biases have none, as in the TensorFlow Playground). Between backward and the update."""
    for layer in layers:
        W, dW = layer.parameter("W"), layer.gradient("W")
        if l2:
            dW += l2 * W
        if l1:
            dW += l1 * np.sign(W)


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


def output_of(task: str, Z_out: np.ndarray, output: str | None = None) -> np.ndarray:
    """The prediction from the last ``Z``: ``sigma(z)`` (P(class 1)) or ``z`` (regression);
    ``tanh(z)`` for the playground's classifier (see :func:`tanh_output`)."""
    if tanh_output(task, output):
        return np.tanh(Z_out)
    return Sigmoid.f(Z_out) if task == "classification" else Z_out


def sample_loss(
    task: str, Z_out: np.ndarray, target: np.ndarray, output: str | None = None
) -> np.ndarray:
    """Per-sample loss ``ell``: ``softplus(z) - t z`` (binary cross-entropy) or ``(z - t)^2``;
    for the playground's output ``0.5 (out - t)^2``, ``out = tanh(z)`` with the label ``t``
    0/1 taken as -1/+1 (or ``out = z`` in regression). ``target``: labels or values."""
    target = targets_of(task, target, output)
    if _output(task, output) == "playground":
        return 0.5 * (output_of(task, Z_out, output) - target) ** 2
    if task == "classification":
        return np.maximum(Z_out, 0) - Z_out * target + np.log1p(np.exp(-np.abs(Z_out)))
    return (Z_out - target) ** 2


def sample_deltas(
    net: Sequential, task: str, Zs: list, target: np.ndarray, output: str | None = None
) -> list:
    """Per-sample deltas ``delta^[l] = d ell / d Z^[l]`` of each sample's own loss.

    ``delta^[m] = sigma(z) - t`` (cross-entropy) or ``2 (z - t)`` (squared error); for the
    playground's output ``(tanh(z) - t) (1 - tanh(z)^2)`` (labels as -1/+1) or ``z - t``;
    then ``delta^[l] = (delta^[l+1] W^[l+1]^T) * f'(Z^[l])`` (book eq. ``bp-delta``). These
    are the deltas of a batch of one sample: the batch mean's ``1/N`` is left out.

    Returns
    -------
    list of ndarray
        ``delta[l - 1]`` of shape ``(N, n_l)`` for ``l = 1..m``.
    """
    dense = [la for la in net.layers if isinstance(la, Dense)]
    acts = [la for la in net.layers if isinstance(la, Activation)]
    target = np.reshape(targets_of(task, target, output), (-1, 1))
    out = output_of(task, Zs[-1], output)
    deltas = [out - target]
    if tanh_output(task, output):
        deltas[0] = deltas[0] * (1.0 - out * out)
    elif task == "regression" and _output(task, output) == "nnlab":
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
    targets_train, targets_test : ndarray ``(N,)``
        What the loss compares the output with: ``split.y_train`` and ``split.y_test``, but
        the labels as -1/+1 for ``output="playground"`` in classification.
    net : Sequential
        ``Dense(n_0 -> n_1), f, ..., Dense(n_{m-1} -> 1)``: the output unit's activation
        (sigmoid, tanh) is applied by the loss and by :meth:`predict`.
    optimizer : SGD
        Plain SGD with ``lr``; the penalties are added to the weight gradients before each
        update (:func:`add_penalties`), not by its ``weight_decay`` (which stays 0).
    loss : BinaryCrossEntropy, MSELoss or HalfSquaredError
        See ``output`` in :class:`PlaygroundConfig`.
    epoch : int
        Epochs trained (one per :meth:`step`).
    train_loss, test_loss : list of float
        ``loss`` over the whole training and test set after each epoch, epoch 0 first: the
        data loss, without the L1 and L2 penalties (as the TensorFlow Playground shows it).
        For ``output="playground"`` it is the Playground's ``mean(0.5 (out - t)^2)``.
    grad_norms : list of ndarray ``(m,)``
        After each epoch, ``||dW^[l]||_F`` of the mean training loss at the current weights
        (the whole training set as one batch, without the penalties), epoch 0 first.
    segments : list of [epochs, lr, l2, l1, batch_size]
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
    def task(self) -> Task:
        """``"classification"`` or ``"regression"``, as a :class:`Task` that also carries
        ``config.output``."""
        return Task(self.split.task, self.config.output)

    @property
    def boundary(self) -> float:
        """Where :meth:`predict` splits the classes (``> boundary`` is class 1): 0.5 for a
        probability, 0 for the playground's ``tanh`` output (and for the sign of a
        regression prediction)."""
        return 0.5 if self.task == "classification" and self.config.output == "nnlab" else 0.0

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
        self.targets_train = targets_of(self.task, self.split.y_train)
        self.targets_test = targets_of(self.task, self.split.y_test)
        self.net = build_network(c)
        self.optimizer = SGD(self.net.parameters(), lr=c.lr)
        classify = self.task == "classification"
        self.loss: Loss = BinaryCrossEntropy() if classify else MSELoss()
        if c.output == "playground":
            self.loss = HalfSquaredError(tanh=classify)
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
        """Change settings. ``lr``, ``l2``, ``l1`` and ``batch_size`` apply from the next step
        on; any other change (``output`` too) rebuilds everything (:meth:`reset`), as the
        TensorFlow Playground does. A bad value raises and changes nothing."""
        old, new = self.config, self.config.replace(**changes)
        changed = {k for k in changes if getattr(new, k) != getattr(old, k)}
        self.config = new
        if changed <= LIVE:
            self.optimizer.lr = new.lr
            return self
        try:
            self.reset()
        except (ValueError, TypeError):  # e.g. a ratio that empties a small custom set
            self.config = old
            self.reset()
            raise
        return self

    def step(self, n: int = 1) -> Playground:
        """Train ``n`` epochs (shuffled mini-batches of ``batch_size``, plain SGD, the weight
        gradients plus the penalties' :func:`add_penalties`), recording the losses and
        gradient norms after each.

        Raises
        ------
        FloatingPointError
            If training diverges (from :func:`nnlab.fit`; that epoch is not counted).
        """
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"Playground.step: n must be an int >= 1, got {n!r}.")
        c = self.config
        setting = [c.lr, c.l2, c.l1, c.batch_size]
        dense = self.dense

        def penalize(epoch, batch, value):  # fit calls it between backward and the update
            add_penalties(dense, c.l1, c.l2)

        for _ in range(n):
            if not self.segments or self.segments[-1][1:] != setting:
                self.segments.append([0, *setting])
            fit(
                self.net,
                self.loss,
                self.optimizer,
                self.inputs_train,
                self.targets_train,
                epochs=1,
                batch_size=c.batch_size,
                rng=self._shuffle,
                progress=False,
                on_batch=penalize if c.l1 or c.l2 else None,
            )
            self.segments[-1][0] += 1
            self.epoch += 1
            self._record()
        return self

    def _record(self) -> None:
        net, loss = self.net, self.loss
        with np.errstate(all="ignore"):  # a diverging run is reported by fit, not by warnings
            train = loss.forward(net.forward(self.inputs_train), self.targets_train)
            net.backward(loss.backward(), input_grad=False)
            norms = np.array([np.linalg.norm(la.dW) for la in self.dense])
            test = loss.forward(net.forward(self.inputs_test, cache=False), self.targets_test)
        self.train_loss.append(train)
        self.test_loss.append(test)
        self.grad_norms.append(norms)

    def predict(self, X) -> np.ndarray:
        """The output at points ``X (N, 2)``, shape ``(N,)``: P(class 1) (``"nnlab"``) or
        ``tanh(z)`` in (-1, 1) (``"playground"``), class 1 where it exceeds
        :attr:`boundary`; or the regression prediction."""
        Z = self.net.forward(features(X, self.config.features), cache=False)
        return output_of(self.task, Z)[:, 0]

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Playground({c.dataset!r}, features={list(c.features)}, hidden={list(c.hidden)}, "
            f"{c.activation}, epoch={self.epoch}, train_loss={self.train_loss[-1]:.4f}, "
            f"test_loss={self.test_loss[-1]:.4f})"
        )
