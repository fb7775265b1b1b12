"""What is measured: the network shapes, and how long and how often to measure.

Rows (a)-(c) are multilayer perceptrons (:class:`Shape`); rows (d)-(f) are the convolutional
and recurrent networks of issue 13 (:class:`Arch`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Environment variables that pin OpenBLAS to another kernel or cache size than it would detect;
# the launcher re-runs itself without them (see ``benchmarks/__main__.py``).
BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass(frozen=True)
class Shape:
    """A network shape and its batch: ``sizes`` are the layer widths, input first.

    ``loss`` is ``"ce"`` (softmax cross-entropy on integer labels) or ``"mse"``.
    """

    key: str
    sizes: tuple[int, ...]
    activation: str
    batch: int
    loss: str

    @property
    def label(self) -> str:
        """A short name such as ``(a) 64 x 784-256-256-10 relu``."""
        widths = "-".join(str(s) for s in self.sizes)
        loss = " mse" if self.loss == "mse" else ""
        return f"({self.key}) {self.batch} x {widths} {self.activation}{loss}"

    @property
    def sample(self) -> tuple[int, ...]:
        """One input sample's shape."""
        return (self.sizes[0],)

    @property
    def n_out(self) -> int:
        return self.sizes[-1]

    @property
    def family(self) -> str:
        return "mlp"


SHAPES = (
    Shape("a", (784, 256, 256, 10), "relu", 64, "ce"),
    Shape("b", (784, 1024, 1024, 10), "relu", 256, "ce"),
    Shape("c", (2, 16, 16, 1), "tanh", 32, "mse"),
)


@dataclass(frozen=True)
class Arch:
    """A network with convolutional or recurrent layers, and its batch.

    ``sample`` is one input's shape: ``(C, H, W)`` for images, ``(T, n_in)`` for sequences.
    ``layers`` lists the layers in order, each a tuple: ``("conv", C_out, k, padding)`` (a
    ``k x k`` Conv2D, stride 1), ``("relu",)``, ``("pool", k)`` (MaxPool2D(k), stride k),
    ``("flatten",)``, ``("dense", n_out)`` (on a sequence, at every position), ``("rnn",
    n_hidden)`` (tanh, its last state out), ``("lstm", n_hidden)`` (its last state out) and
    ``("block", d_model, n_heads)``: a transformer block, ``X + MHA(LayerNorm(X))`` then
    ``X + Dense(ReLU(Dense(LayerNorm(X))))`` with a hidden width of ``4 d_model``. ``loss`` is
    ``"ce"`` (per position after a block) or ``"mse"``, as for :class:`Shape`.
    """

    key: str
    name: str
    sample: tuple[int, ...]
    layers: tuple[tuple, ...]
    batch: int
    loss: str

    @property
    def family(self) -> str:
        """``"rnn"`` if the network has a recurrent layer, ``"attention"`` for a transformer
        block, else ``"cnn"``."""
        kinds = {spec[0] for spec in self.layers}
        if kinds & {"rnn", "lstm"}:
            return "rnn"
        return "attention" if "block" in kinds else "cnn"

    @property
    def n_out(self) -> int:
        return next(spec[1] for spec in reversed(self.layers) if spec[0] == "dense")

    @property
    def label(self) -> str:
        """A short name such as ``(d) digits CNN 32 x 1x8x8``."""
        sample = "x".join(str(d) for d in self.sample)
        loss = " mse" if self.loss == "mse" else ""
        return f"({self.key}) {self.name} {self.batch} x {sample}{loss}"

    @property
    def description(self) -> str:
        """The layers, e.g. ``1x8x8 -> Conv2D(8, 3x3, pad 1) -> ReLU -> ... -> Dense(10)``."""
        names = {
            "conv": lambda c, k, p: f"Conv2D({c}, {k}x{k}, pad {p})",
            "relu": lambda: "ReLU",
            "pool": lambda k: f"MaxPool2D({k})",
            "flatten": lambda: "Flatten",
            "dense": lambda n: f"Dense({n})",
            "rnn": lambda h: f"RNN({h}, tanh, last state)",
            "lstm": lambda h: f"LSTM({h}, last state)",
            "block": lambda d, h: f"transformer block (d_model {d}, {h} heads, MLP {4 * d})",
        }
        parts = ["x".join(str(d) for d in self.sample)]
        parts += [names[spec[0]](*spec[1:]) for spec in self.layers]
        loss = "softmax cross-entropy" if self.loss == "ce" else "MSE"
        return " -> ".join(parts) + f", {loss}"


ARCHS = (
    Arch(
        "d",
        "digits CNN",
        (1, 8, 8),
        (("conv", 8, 3, 1), ("relu",), ("pool", 2), ("flatten",), ("dense", 10)),
        32,
        "ce",
    ),
    Arch(
        "e",
        "MNIST CNN",
        (1, 28, 28),
        (
            ("conv", 16, 3, 1),
            ("relu",),
            ("pool", 2),
            ("conv", 32, 3, 1),
            ("relu",),
            ("pool", 2),
            ("flatten",),
            ("dense", 10),
        ),
        64,
        "ce",
    ),
    Arch("f", "RNN", (20, 8), (("rnn", 64), ("dense", 1)), 32, "mse"),
    Arch("g", "transformer", (32, 64), (("block", 64, 4), ("dense", 10)), 32, "ce"),
    Arch("h", "LSTM", (20, 8), (("lstm", 64), ("dense", 1)), 32, "mse"),
)
ALL_SHAPES: tuple[Shape | Arch, ...] = (*SHAPES, *ARCHS)


def find_shape(key: str) -> Shape | Arch:
    """The row ``key`` (``"a"`` .. ``"h"``)."""
    for shape in ALL_SHAPES:
        if shape.key == key:
            return shape
    keys = ", ".join(s.key for s in ALL_SHAPES)
    raise KeyError(f"no benchmark row {key!r}; the rows are {keys}")


DTYPES = ("float32", "float64")
THREADS = (1, 2)
LOOP_SHAPES = ("a",)  # shapes on which the per-sample Python loop is timed
LR = 0.01  # SGD learning rate of every timed step (its value does not change the cost)

# The end-to-end race on the digits.
DIGITS_HIDDEN = (100,)  # MLPClassifier's default hidden_layer_sizes
DIGITS_TARGET = 0.97
DIGITS_BATCH = 200  # MLPClassifier's batch_size="auto" on 1347 training samples
DIGITS_LR = 1e-3  # MLPClassifier's default learning_rate_init for adam


@dataclass(frozen=True)
class Settings:
    """How much to measure (see :mod:`benchmarks.timing`).

    Each candidate is warmed up for ``warmup_time`` seconds, then timed in ``rounds`` blocks
    of ``samples_per_round`` samples, each block after ``settle_time`` seconds of untimed
    calls; a sample lasts at least ``min_sample_time``. Up to ``max_extra_rounds`` rounds
    replace rounds that other processes disturbed.
    """

    rounds: int
    samples_per_round: int
    min_sample_time: float
    settle_time: float
    warmup_time: float
    max_extra_rounds: int
    digits_repeats: int
    digits_max_epochs: int
    seed: int = 0

    @property
    def repeats(self) -> int:
        """Timed samples per candidate and configuration."""
        return self.rounds * self.samples_per_round


FULL = Settings(
    rounds=5,
    samples_per_round=12,
    min_sample_time=0.02,
    settle_time=0.2,
    warmup_time=0.3,
    max_extra_rounds=5,
    digits_repeats=7,
    digits_max_epochs=300,
)
QUICK = Settings(
    rounds=2,
    samples_per_round=3,
    min_sample_time=0.002,
    settle_time=0.12,
    warmup_time=0.02,
    max_extra_rounds=1,
    digits_repeats=1,
    digits_max_epochs=300,
)
