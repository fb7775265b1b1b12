"""How fast training converges, in steps and in seconds, and what accuracy costs at
inference (chapter book/comparing-performance).

Compute (:func:`batching_runs`, :func:`optimizer_runs`, :func:`size_sweep`,
:func:`pareto_front`) -> figure (:func:`plot_curves`, :func:`plot_pareto`). Losses and
accuracies come from seeded runs and can be asserted; the seconds are this machine's, for
showing only.
"""

from __future__ import annotations

import time

import numpy as np

from .. import data as datasets
from ..losses import SoftmaxCrossEntropy
from ..network import mlp
from ..optim import SGD, Adam, AdamW
from ..train import accuracy, fit, predict
from ..viz import _plt
from .signal_propagation import digits

# name -> (batch size, learning rate); None: the whole training set.
BATCHING = {"per-sample": (1, 0.01), "mini-batch 32": (32, 0.05), "full batch": (None, 0.5)}

OPTIMIZER_SETTINGS = {
    "sgd": lambda params: SGD(params, lr=0.1),
    "momentum": lambda params: SGD(params, lr=0.05, momentum=0.9),
    "nesterov": lambda params: SGD(params, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda params: Adam(params, lr=0.01),
    "adamw": lambda params: AdamW(params, lr=0.01, weight_decay=0.01),
}


def _problem(name: str, seed: int):
    if name == "digits":
        split = digits()
        return split.X_train, split.y_train, mlp([64, 64, 10], "relu", rng=seed)
    if name == "spirals":
        X, y = datasets.make_spirals(300, rng=seed)
        return X, y, mlp([2, 32, 32, 3], "tanh", rng=seed)
    raise ValueError(f"unknown problem {name!r}; expected 'digits' or 'spirals'.")


def batching_runs(epochs: dict[str, int], *, seeds: int = 3) -> dict[str, dict]:
    """Train the digits MLP ``64-64-10`` with plain SGD in each batching mode of
    :data:`BATCHING` for ``epochs[mode]`` epochs.

    Returns
    -------
    dict
        Per mode: ``loss`` (seeds, epochs) training loss after each epoch, ``seconds``
        (seeds, epochs) cumulative wall-clock time at the end of each epoch, ``updates``
        (updates per epoch).
    """
    split = digits()
    X, y = split.X_train, split.y_train
    out = {}
    for mode, n_epochs in epochs.items():
        batch, lr = BATCHING[mode]
        batch = batch or len(y)
        losses, seconds = np.zeros((seeds, n_epochs)), np.zeros((seeds, n_epochs))
        for seed in range(seeds):
            net = mlp([64, 64, 10], "relu", rng=seed)
            opt, shuffle = SGD(net.parameters(), lr=lr), np.random.default_rng(seed)
            clock = 0.0
            for epoch in range(n_epochs):
                start = time.perf_counter()
                history = fit(
                    net,
                    SoftmaxCrossEntropy(),
                    opt,
                    X,
                    y,
                    epochs=1,
                    batch_size=batch,
                    rng=shuffle,
                    progress=False,
                )
                clock += time.perf_counter() - start
                losses[seed, epoch], seconds[seed, epoch] = history["loss"][-1], clock
        out[mode] = {"loss": losses, "seconds": seconds, "updates": -(-len(y) // batch)}
    return out


def optimizer_runs(problem: str, names=None, *, epochs: int = 15, seeds: int = 5) -> dict:
    """Train ``problem`` ("digits": MLP 64-64-10 ReLU; "spirals": 2-32-32-3 tanh on 300
    points) with each optimizer of :data:`OPTIMIZER_SETTINGS`, mini-batches of 32.

    Returns
    -------
    dict
        Per optimizer: ``loss`` (seeds, epochs) mean training loss per epoch and
        ``seconds`` (seeds, epochs) cumulative wall-clock training time at the end of each
        epoch (so :func:`plot_curves` can draw loss against time).
    """
    out = {}
    for name in names or OPTIMIZER_SETTINGS:
        losses, seconds = np.zeros((seeds, epochs)), np.zeros((seeds, epochs))
        for seed in range(seeds):
            X, y, net = _problem(problem, seed)
            opt = OPTIMIZER_SETTINGS[name](net.parameters())
            shuffle, clock = np.random.default_rng(seed), 0.0
            for epoch in range(epochs):  # one fit per epoch, to time each; same batches
                start = time.perf_counter()
                history = fit(
                    net,
                    SoftmaxCrossEntropy(),
                    opt,
                    X,
                    y,
                    epochs=1,
                    batch_size=32,
                    rng=shuffle,
                    progress=False,
                )
                clock += time.perf_counter() - start
                losses[seed, epoch], seconds[seed, epoch] = history["loss"][-1], clock
        out[name] = {"loss": losses, "seconds": seconds}
    return out


def size_sweep(
    widths=(8, 16, 32, 64, 128, 256),
    depths=(1, 2),
    *,
    seeds: int = 3,
    epochs: int = 20,
    repeats: int = 7,
) -> list[dict]:
    """Digits MLPs of every width and depth: parameters, median test accuracy over seeds,
    and inference time per sample (best of ``repeats`` predictions of the test set).

    Trained with Adam (learning rate 0.01, batches of 32).
    """
    split = digits()
    rows = []
    for depth in depths:
        for width in widths:
            accs, times = [], []
            for seed in range(seeds):
                net = mlp([64] + [width] * depth + [10], "relu", rng=seed)
                fit(
                    net,
                    SoftmaxCrossEntropy(),
                    Adam(net.parameters(), lr=0.01),
                    split.X_train,
                    split.y_train,
                    epochs=epochs,
                    batch_size=32,
                    rng=seed,
                    progress=False,
                )
                accs.append(accuracy(net, split.X_test, split.y_test))
                best = np.inf
                for _ in range(repeats):
                    start = time.perf_counter()
                    predict(net, split.X_test)
                    best = min(best, time.perf_counter() - start)
                times.append(best / len(split.y_test))
            rows.append(
                {
                    "width": width,
                    "depth": depth,
                    "n_params": net.n_params,
                    "accuracy": float(np.median(accs)),
                    "seconds_per_sample": float(np.median(times)),
                }
            )
    return rows


def pareto_front(rows: list[dict], cost: str = "n_params", value: str = "accuracy") -> list[dict]:
    """The Pareto front: the rows that no other row dominates, sorted by cost. A row is
    dominated when another costs no more and scores at least as much, one of the two strictly;
    of rows equal in both, the first is kept."""
    ordered = sorted(rows, key=lambda r: (r[cost], -r[value]))
    front, best = [], -np.inf
    for row in ordered:
        if row[value] > best:
            front.append(row)
            best = row[value]
    return front


def plot_curves(runs: dict, ax=None, *, x: str = "epoch", log: bool = True):
    """Median loss (line) and min-max band of each run, against epochs or seconds."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.4), constrained_layout=True)
    colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
    for (name, run), color in zip(runs.items(), colors, strict=False):
        loss = run["loss"]
        xs = (
            np.median(run["seconds"], axis=0) if x == "seconds" else np.arange(1, loss.shape[1] + 1)
        )
        ax.plot(xs, np.median(loss, axis=0), "-", color=color, label=name)
        ax.fill_between(xs, loss.min(axis=0), loss.max(axis=0), color=color, alpha=0.2)
    ax.set(xlabel="seconds" if x == "seconds" else "epoch", ylabel="training loss")
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


def plot_pareto(rows: list[dict], ax=None, *, cost: str = "n_params"):
    """Accuracy against ``cost`` for every network, the Pareto front joined."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.4), constrained_layout=True)
    colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"]
    markers = ["o", "s", "^", "D", "v"]
    for k, depth in enumerate(sorted({r["depth"] for r in rows})):
        pts = [r for r in rows if r["depth"] == depth]
        ax.scatter(
            [r[cost] for r in pts],
            [r["accuracy"] for r in pts],
            marker=markers[k % 5],
            color=colors[k % 5],
            label=f"{depth} hidden layer(s)",
        )
    front = pareto_front(rows, cost)
    ax.plot(
        [r[cost] for r in front], [r["accuracy"] for r in front], "k--", lw=1, label="Pareto front"
    )
    ax.set(
        xscale="log",
        xlabel="parameters" if cost == "n_params" else "seconds per sample",
        ylabel="test accuracy",
    )
    ax.legend(fontsize=8)
    return ax
