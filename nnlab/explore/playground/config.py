"""The playground's settings, as one validated, immutable value.

Every control of the widget is a field of :class:`PlaygroundConfig`; the +/- buttons are
:meth:`~PlaygroundConfig.add_layer` and friends, which stay inside the bounds (a press at a
bound changes nothing, as in the TensorFlow Playground). Building a config out of bounds
raises.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

from ..._validation import check_positive_int, check_real
from .datasets import DATASETS
from .features import check_features

MAX_LAYERS = 6
MAX_UNITS = 8
# The playground's names -> nnlab's activation names.
ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "linear": "identity"}
# "default" is nl.mlp's choice by position; the others are names of nnlab.init.
INITS = ("default", "he", "xavier", "fan_in_uniform", "normal", "zeros")
# The TensorFlow Playground's menus.
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
L2_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
L1_RATES = L2_RATES  # the Playground has one menu of regularization rates
# "nnlab": a logit with cross-entropy, or a linear output with MSE; "playground": the
# TensorFlow Playground's tanh output (linear in regression) and half squared error.
OUTPUTS = ("nnlab", "playground")
# Changing these keeps the network and its training; any other change starts over.
LIVE = frozenset({"lr", "l2", "l1", "batch_size"})


def _choice(value, options, name: str) -> str:
    if value not in options:
        raise ValueError(
            f"playground: unknown {name} {value!r}; expected one of "
            + ", ".join(repr(o) for o in options)
            + "."
        )
    return value


def _hidden(hidden) -> tuple[int, ...]:
    if isinstance(hidden, numbers.Integral):
        hidden = (hidden,)
    hidden = tuple(hidden)
    if len(hidden) > MAX_LAYERS:
        raise ValueError(
            f"playground: hidden must list 0 to {MAX_LAYERS} layer widths, got {len(hidden)} "
            f"layers {list(hidden)}."
        )
    for width in hidden:
        if isinstance(width, bool) or not isinstance(width, numbers.Integral):
            raise TypeError(f"playground: hidden widths must be ints, got {width!r}.")
        if not 1 <= width <= MAX_UNITS:
            raise ValueError(
                f"playground: each hidden layer has 1 to {MAX_UNITS} units, got {width} in "
                f"{list(hidden)}."
            )
    return tuple(int(w) for w in hidden)


@dataclass(frozen=True)
class PlaygroundConfig:
    """Every setting of the playground; checked when built.

    Parameters
    ----------
    dataset : one of :data:`DATASETS`, or ``"custom"``
        ``"custom"``: the learner's own ``(X, y)``, given to :class:`Playground`.
    noise : float in [0, 0.5]
    train_ratio : float in [0.1, 0.9]
        Fraction of the points used for training; the rest is the test set.
    n_samples : int, 10 to 2000
    features : tuple of names of :data:`FEATURES`
    hidden : tuple of 0 to 6 ints, each 1 to 8
        Units of each hidden layer.
    activation : {"relu", "tanh", "sigmoid", "linear"}
        Of every hidden layer.
    output : one of :data:`OUTPUTS`
        The output unit and the loss. ``"nnlab"``: a logit ``z`` with
        :class:`nnlab.BinaryCrossEntropy` (the output shown is ``sigma(z)`` = P(class 1),
        decided at 0.5) in classification, or the prediction ``z`` itself with
        :class:`nnlab.MSELoss` in regression. ``"playground"``: the TensorFlow Playground's,
        a ``tanh(z)`` output (decided at 0), labels 0/1 mapped to targets -1/+1, and the
        error ``0.5 (output - target)^2`` (:class:`~.model.HalfSquaredError`); in regression
        its output is ``z`` (linear, as the Playground's) and the loss half the MSE.
    lr : float > 0
    l2 : float >= 0
        L2 strength: the penalty ``l2 / 2 * sum(W^2)`` over the weights, not the biases (as
        in the TensorFlow Playground), adds ``l2 * W`` to each weight gradient.
    l1 : float >= 0
        L1 strength: the penalty ``l1 * sum(|W|)`` over the weights adds ``l1 * sign(W)`` to
        each weight gradient. Both penalties act on the updates only: the losses shown are
        the data loss, without them.
    batch_size : int, 1 to 500
    init : one of :data:`INITS`
    seed : int >= 0
        Seeds the weights (``rng=seed``) and the batch order (``rng=seed + 1``).
    data_seed : int >= 0
        Seeds the data and the split.

    Raises
    ------
    ValueError
        For a value out of range or an unknown name (the valid ones are listed).
    TypeError
        For a value of the wrong kind.
    """

    dataset: str = "circle"
    noise: float = 0.0
    train_ratio: float = 0.5
    n_samples: int = 500
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 4)
    activation: str = "tanh"
    lr: float = 0.03
    l2: float = 0.0
    batch_size: int = 10
    init: str = "default"
    seed: int = 0
    data_seed: int = 0
    l1: float = 0.0
    output: str = "nnlab"

    def __post_init__(self) -> None:
        owner = "PlaygroundConfig"
        put = object.__setattr__.__get__(self)
        _choice(self.dataset, (*DATASETS, "custom"), "dataset")
        put("noise", check_real(self.noise, "noise", owner=owner, low=0.0, high=0.5))
        ratio = check_real(self.train_ratio, "train_ratio", owner=owner, low=0.1, high=0.9)
        put("train_ratio", ratio)
        n = check_positive_int(self.n_samples, "n_samples", owner=owner)
        if not 10 <= n <= 2000:
            raise ValueError(f"{owner}: n_samples must be in [10, 2000], got {n}.")
        put("features", check_features(self.features))
        put("hidden", _hidden(self.hidden))
        _choice(self.activation, ACTIVATIONS, "activation")
        put("lr", check_real(self.lr, "lr", owner=owner, low=0.0, low_open=True))
        put("l2", check_real(self.l2, "l2", owner=owner, low=0.0))
        put("l1", check_real(self.l1, "l1", owner=owner, low=0.0))
        _choice(self.output, OUTPUTS, "output")
        batch = check_positive_int(self.batch_size, "batch_size", owner=owner)
        if batch > 500:
            raise ValueError(f"{owner}: batch_size must be in [1, 500], got {batch}.")
        _choice(self.init, INITS, "init")
        for name in ("seed", "data_seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"{owner}: {name} must be an int >= 0, got {value!r}.")

    def replace(self, **changes) -> PlaygroundConfig:
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)

    @property
    def sizes(self) -> list[int]:
        """Units per layer, input first: ``[n_features, *hidden, 1]``."""
        return [len(self.features), *self.hidden, 1]

    def add_layer(self) -> PlaygroundConfig:
        """One more hidden layer (of 2 units, as in the TensorFlow Playground), up to 6."""
        if len(self.hidden) >= MAX_LAYERS:
            return self
        return self.replace(hidden=(*self.hidden, 2))

    def remove_layer(self) -> PlaygroundConfig:
        """Without the last hidden layer; with none left, unchanged."""
        return self.replace(hidden=self.hidden[:-1]) if self.hidden else self

    def _layer(self, layer) -> int:
        if isinstance(layer, bool) or not isinstance(layer, numbers.Integral):
            raise TypeError(f"playground: layer must be an int, got {layer!r}.")
        if not 0 <= layer < len(self.hidden):
            raise ValueError(
                f"playground: layer must be in [0, {len(self.hidden)}) (one of the "
                f"{len(self.hidden)} hidden layers), got {layer}."
            )
        return int(layer)

    def add_unit(self, layer: int) -> PlaygroundConfig:
        """One more unit in hidden layer ``layer`` (0-based), up to 8."""
        k = self._layer(layer)
        widths = list(self.hidden)
        widths[k] = min(widths[k] + 1, MAX_UNITS)
        return self.replace(hidden=tuple(widths))

    def remove_unit(self, layer: int) -> PlaygroundConfig:
        """One unit fewer in hidden layer ``layer`` (0-based), down to 1."""
        k = self._layer(layer)
        widths = list(self.hidden)
        widths[k] = max(widths[k] - 1, 1)
        return self.replace(hidden=tuple(widths))
