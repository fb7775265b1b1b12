"""End to end: wall time to reach 97% test accuracy on the digits, nnlab against scikit-learn.

Both train the same network (scikit-learn's default ``hidden_layer_sizes=(100,)``, ReLU) with
the same recipe, MLPClassifier's defaults: Adam with lr 1e-3 on mini-batches of 200, float64,
weights and biases drawn as scikit-learn draws them (uniform in +-sqrt(6 / (fan_in + fan_out))).
A second nnlab run keeps ``nnlab.mlp``'s own default initialization (He between hidden
layers, ``fan_in_uniform`` for the first and the output layer, zero bias: chapter
common-challenges chose it from this race).

Each epoch ends with a test-accuracy check through the library's own predict; the clock runs
from building the model to the first epoch whose check reaches the target, checks included.
nnlab trains with ``nnlab.fit`` one epoch at a time, scikit-learn with ``partial_fit``. When
97% is first reached depends much on the random initialization (test accuracy creeps along a
plateau near it), so each repeat uses another seed and the medians over seeds are reported.
"""

from __future__ import annotations

import functools
import math
import statistics
import time
from collections.abc import Callable

import numpy as np

import nnlab as nl

from .config import DIGITS_BATCH, DIGITS_HIDDEN, DIGITS_LR, DIGITS_TARGET


def _race(build: Callable[[], tuple[Callable, Callable]], max_epochs: int) -> dict:
    """Train epoch by epoch until the test accuracy reaches the target or epochs run out.

    ``build()`` returns ``(train_one_epoch, test_accuracy)``.
    """
    start = time.perf_counter()
    train_epoch, test_accuracy = build()
    training = 0.0
    curve = []
    for _ in range(max_epochs):
        t0 = time.perf_counter()
        train_epoch()
        training += time.perf_counter() - t0
        acc = test_accuracy()
        curve.append((time.perf_counter() - start, acc))
        if acc >= DIGITS_TARGET:
            break
    reached = curve[-1][1] >= DIGITS_TARGET
    return {
        "reached": reached,
        "epochs": len(curve) if reached else None,
        "seconds": curve[-1][0] if reached else None,
        "training_seconds": training,
        "final_accuracy": curve[-1][1],
        "curve": curve,
    }


def _sklearn_init(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """MLPClassifier's initialization of ReLU layers: Glorot uniform."""
    bound = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-bound, bound, size=(n_in, n_out))


def _nnlab(split: nl.data.Split, seed: int, *, sklearn_init: bool) -> tuple[Callable, Callable]:
    sizes = [split.X_train.shape[1], *DIGITS_HIDDEN, 10]
    if sklearn_init:
        rng = np.random.default_rng(seed)
        net = nl.mlp(sizes, "relu", init=_sklearn_init, rng=rng)
        for layer in net.layers:
            if isinstance(layer, nl.Dense):
                bound = np.sqrt(6.0 / (layer.n_in + layer.n_out))
                layer.b = rng.uniform(-bound, bound, size=layer.n_out)
    else:
        net = nl.mlp(sizes, "relu", rng=seed)
    loss, opt = nl.SoftmaxCrossEntropy(), nl.Adam(net.parameters(), lr=DIGITS_LR)
    shuffle = np.random.default_rng(seed)

    def train_epoch() -> None:
        nl.fit(
            net,
            loss,
            opt,
            split.X_train,
            split.y_train,
            epochs=1,
            batch_size=DIGITS_BATCH,
            rng=shuffle,
            progress=False,
        )

    return train_epoch, lambda: nl.accuracy(net, split.X_test, split.y_test)


def _sklearn(split: nl.data.Split, seed: int) -> tuple[Callable, Callable]:
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=DIGITS_HIDDEN, random_state=seed)
    classes = np.arange(10)

    def train_epoch() -> None:
        clf.partial_fit(split.X_train, split.y_train, classes=classes)

    return train_epoch, lambda: float(np.mean(clf.predict(split.X_test) == split.y_test))


def sklearn_version() -> str | None:
    try:
        import sklearn
    except ImportError:
        return None
    return sklearn.__version__


def _summarize(runs: list[dict]) -> dict:
    """Medians over the runs; "reached" only if the median run reached the target."""
    n = len(runs)
    summary: dict = {
        "runs": n,
        "reached_runs": sum(run["reached"] for run in runs),
        "epochs_per_run": [run["epochs"] for run in runs],
        "seconds_per_epoch": statistics.median(
            run["training_seconds"] / len(run["curve"]) for run in runs
        ),
        "curve": runs[-1]["curve"],
    }
    summary["reached"] = summary["reached_runs"] > n // 2
    if summary["reached"]:
        # Runs that never reached count as infinitely slow, as in the median of a race.
        for key in ("seconds", "epochs"):
            values = sorted(run[key] if run["reached"] else math.inf for run in runs)
            summary[key] = statistics.median(values)
            summary[key + "_min"] = values[0]
            summary[key + "_max"] = values[-1] if math.isfinite(values[-1]) else None
    return summary


def digits_race(repeats: int, max_epochs: int, seed: int, log: Callable[[str], None]) -> dict:
    """Run the race ``repeats`` times, seeds ``seed, seed + 1, ...``, rotating who goes first.

    Returns, per racer, medians over the repeats (min and max beside) of the wall time and
    the epochs to reach the target, the training time per epoch, and the last run's curve.
    """
    split = nl.load_digits()
    racers: dict[str, Callable] = {
        "nnlab": functools.partial(_nnlab, sklearn_init=True),
        "nnlab_he": functools.partial(_nnlab, sklearn_init=False),
    }
    if sklearn_version() is not None:
        racers["sklearn"] = _sklearn
    runs: dict[str, list[dict]] = {name: [] for name in racers}
    order = list(racers)
    for r in range(repeats):
        for name in order[r % len(order) :] + order[: r % len(order)]:
            build = functools.partial(racers[name], split, seed + r)
            runs[name].append(_race(build, max_epochs))
    result = {
        "target": DIGITS_TARGET,
        "hidden": list(DIGITS_HIDDEN),
        "batch_size": DIGITS_BATCH,
        "lr": DIGITS_LR,
        "max_epochs": max_epochs,
        "n_train": len(split.y_train),
        "n_test": len(split.y_test),
    }
    for name, name_runs in runs.items():
        result[name] = summary = _summarize(name_runs)
        reached = f"{summary['seconds']:.3f} s" if summary["reached"] else "not reached"
        log(f"  digits {name}: {reached}")
    if "sklearn" not in racers:
        result["sklearn"] = None
    return result
