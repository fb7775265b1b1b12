"""What is measured: the three network shapes, and how long and how often to measure."""

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


SHAPES = (
    Shape("a", (784, 256, 256, 10), "relu", 64, "ce"),
    Shape("b", (784, 1024, 1024, 10), "relu", 256, "ce"),
    Shape("c", (2, 16, 16, 1), "tanh", 32, "mse"),
)
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
