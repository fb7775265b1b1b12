"""How fast training converges, in steps and in seconds, and what accuracy costs at
inference (chapter book/comparing-performance).

Every choice is made on a validation split, never on the test set: the learning rate of each
optimizer and of each batching mode is tuned on held-out rows (:func:`tune_learning_rates`,
:func:`tune_batching`) before the methods are compared, and networks are ranked by validation
accuracy (:func:`size_sweep`). On the digits the held-out rows are
:func:`nnlab.data.validation_split` of the training set; on the spirals, a second data set
drawn with another seed.

Compute (:func:`tune_batching`, :func:`batching_runs`, :func:`tune_learning_rates`,
:func:`optimizer_runs`, :func:`size_sweep`, :func:`pareto_front`) -> figure
(:func:`plot_curves`, :func:`plot_pareto`). Losses and accuracies come from seeded runs and
can be asserted; the seconds are this machine's, for showing only.
"""

from __future__ import annotations

import time

import numpy as np

from .. import data as datasets
from ..losses import SoftmaxCrossEntropy
from ..network import mlp
from ..optim import SGD, Adam, AdamW
from ..train import accuracy, fit, predict
from ..viz import plot_band, pyplot
from .signal_propagation import digits

# name -> batch size; None: the whole fitting set.
BATCHING = {"per-sample": 1, "mini-batch 32": 32, "full batch": None}
# name -> the learning rates :func:`tune_batching` tries (plain SGD).
BATCHING_RATES = {
    "per-sample": (0.003, 0.01, 0.03),
    "mini-batch 32": (0.02, 0.05, 0.2, 0.6, 2.0),
    "full batch": (0.2, 0.5, 2.0, 6.0),
}

ADAMW_DECAY = 0.01
# name -> callable(params, lr) -> Optimizer.
OPTIMIZERS = {
    "sgd": lambda params, lr: SGD(params, lr=lr),
    "momentum": lambda params, lr: SGD(params, lr=lr, momentum=0.9),
    "nesterov": lambda params, lr: SGD(params, lr=lr, momentum=0.9, nesterov=True),
    "adam": lambda params, lr: Adam(params, lr=lr),
    "adamw": lambda params, lr: AdamW(params, lr=lr, weight_decay=ADAMW_DECAY),
}
# name -> the learning rates :func:`tune_learning_rates` tries, about a factor 3 apart.
LEARNING_RATES = {
    "sgd": (0.03, 0.1, 0.3, 1.0, 3.0),
    "momentum": (0.003, 0.01, 0.03, 0.1, 0.3),
    "nesterov": (0.003, 0.01, 0.03, 0.1, 0.3),
    "adam": (0.001, 0.003, 0.01, 0.03, 0.1),
    "adamw": (0.001, 0.003, 0.01, 0.03, 0.1),
}


def _digits_split():
    """``(X_fit, X_val, y_fit, y_val)``: the digits training set, a fifth held out."""
    split = digits()
    return datasets.validation_split(split.X_train, split.y_train, rng=0)


def _problem(name: str, seed: int):
    """``(X_fit, y_fit, X_val, y_val, net)`` of a problem, the network seeded by ``seed``."""
    if name == "digits":
        X_fit, X_val, y_fit, y_val = _digits_split()
        return X_fit, y_fit, X_val, y_val, mlp([64, 64, 10], "relu", rng=seed)
    if name == "spirals":
        X_fit, y_fit = datasets.make_spirals(300, rng=seed)
        X_val, y_val = datasets.make_spirals(300, rng=seed + 1000)
        return X_fit, y_fit, X_val, y_val, mlp([2, 32, 32, 3], "tanh", rng=seed)
    raise ValueError(f"unknown problem {name!r}; expected 'digits' or 'spirals'.")


def _final_val_loss(net, opt, data, *, epochs: int, batch_size: int, seed: int) -> float:
    """Validation loss after ``epochs`` epochs; +inf when training diverges (``fit`` raises
    FloatingPointError) or the loss is not finite."""
    X, y, X_val, y_val = data
    try:
        with np.errstate(all="ignore"):
            history = fit(
                net,
                SoftmaxCrossEntropy(),
                opt,
                X,
                y,
                epochs=epochs,
                batch_size=batch_size,
                rng=seed,
                validation_data=(X_val, y_val),
                progress=False,
            )
    except FloatingPointError:
        return np.inf
    value = history["val_loss"][-1]
    return float(value) if np.isfinite(value) else np.inf


def _tune(grid: dict, seeds: int, run) -> dict:
    """``run(name, lr, seed)`` for every rate of every grid entry; the best median wins."""
    out = {}
    for name, rates in grid.items():
        val = np.array([[run(name, lr, seed) for seed in range(seeds)] for lr in rates])
        best = rates[int(np.argmin(np.median(val, axis=1)))]
        out[name] = {"rates": tuple(rates), "val_loss": val, "best": float(best)}
    return out


def tune_learning_rates(problem: str, names=None, *, epochs: int, seeds: int = 3, grid=None):
    """Choose each optimizer's learning rate on the validation rows of ``problem``.

    Parameters
    ----------
    problem : {"digits", "spirals"}
        "digits": MLP 64-64-10 ReLU on the fitting rows of the digits training set;
        "spirals": 2-32-32-3 tanh on 300 points (validation: 300 more, another seed).
    names : list of str, optional
        Optimizers of :data:`OPTIMIZERS`; all by default.
    epochs : int
        Training length of each run (mini-batches of 32).
    seeds : int
        Seeds ``0 .. seeds - 1`` per rate (the comparison runs use others).
    grid : dict, optional
        name -> rates, overriding :data:`LEARNING_RATES` for those names.

    Returns
    -------
    dict
        Per optimizer: ``rates`` (tuple), ``val_loss`` (n_rates, seeds) final validation
        loss, +inf for a run that diverged, and ``best``, the rate of lowest median
        validation loss (the first of equals).
    """
    grid = {**LEARNING_RATES, **(grid or {})}

    def run(name, lr, seed):
        X, y, X_val, y_val, net = _problem(problem, seed)
        opt = OPTIMIZERS[name](net.parameters(), lr)
        return _final_val_loss(
            net, opt, (X, y, X_val, y_val), epochs=epochs, batch_size=32, seed=seed
        )

    return _tune({name: grid[name] for name in names or OPTIMIZERS}, seeds, run)


def tune_batching(grid=None, *, epochs: int = 3, seeds: int = 2) -> dict:
    """Choose the plain-SGD learning rate of each batching mode of :data:`BATCHING` on the
    validation rows of the digits (MLP 64-64-10 ReLU trained on the fitting rows).

    The criterion is the median validation loss after ``epochs`` epochs, the window the
    chapter compares per epoch. ``grid`` (mode -> rates) overrides :data:`BATCHING_RATES`;
    its modes and those of :data:`BATCHING` are tuned. Seeds ``0 .. seeds - 1``.

    Returns
    -------
    dict
        Per mode: ``rates``, ``val_loss`` (n_rates, seeds), ``best``, as
        :func:`tune_learning_rates`.
    """
    grid = {**BATCHING_RATES, **(grid or {})}
    X, X_val, y, y_val = _digits_split()

    def run(mode, lr, seed):
        net = mlp([64, 64, 10], "relu", rng=seed)
        batch = BATCHING[mode] or len(y)
        opt = SGD(net.parameters(), lr=lr)
        return _final_val_loss(
            net, opt, (X, y, X_val, y_val), epochs=epochs, batch_size=batch, seed=seed
        )

    return _tune(grid, seeds, run)


def _timed_epochs(net, opt, X, y, *, epochs: int, batch_size: int, seed: int):
    """Train for ``epochs`` with ``fit``; returns the training loss of each epoch and the
    cumulative seconds at its end (``fit``'s ``on_epoch`` records both)."""
    losses, seconds = np.zeros(epochs), np.zeros(epochs)
    start = time.perf_counter()

    def record(epoch, metrics):
        losses[epoch - 1], seconds[epoch - 1] = metrics["loss"], time.perf_counter() - start

    loss = SoftmaxCrossEntropy()
    fit(
        net,
        loss,
        opt,
        X,
        y,
        epochs=epochs,
        batch_size=batch_size,
        rng=seed,
        progress=False,
        on_epoch=record,
    )
    return losses, seconds


def batching_runs(epochs: dict[str, int], rates: dict[str, float], *, seeds: int = 3) -> dict:
    """Train the digits MLP ``64-64-10`` on the fitting rows with plain SGD in each batching
    mode of :data:`BATCHING` for ``epochs[mode]`` epochs, at learning rate ``rates[mode]``
    (chosen by :func:`tune_batching`). Seeds ``0 .. seeds - 1``.

    Returns
    -------
    dict
        Per mode: ``loss`` (seeds, epochs) training loss after each epoch, ``seconds``
        (seeds, epochs) cumulative wall-clock time at the end of each epoch, ``updates``
        (updates per epoch), ``lr``.
    """
    X, _, y, _ = _digits_split()
    out = {}
    for mode, n_epochs in epochs.items():
        batch, lr = BATCHING[mode] or len(y), rates[mode]
        losses, seconds = np.zeros((seeds, n_epochs)), np.zeros((seeds, n_epochs))
        for seed in range(seeds):
            net = mlp([64, 64, 10], "relu", rng=seed)
            opt = SGD(net.parameters(), lr=lr)
            losses[seed], seconds[seed] = _timed_epochs(
                net, opt, X, y, epochs=n_epochs, batch_size=batch, seed=seed
            )
        updates = -(-len(y) // batch)
        out[mode] = {"loss": losses, "seconds": seconds, "updates": updates, "lr": lr}
    return out


def optimizer_runs(
    problem: str, rates: dict[str, float], *, epochs: int = 15, seeds: int = 5, first_seed: int = 10
) -> dict:
    """Train ``problem`` (as in :func:`tune_learning_rates`) with each optimizer of ``rates``
    at its learning rate, mini-batches of 32.

    Parameters
    ----------
    problem : {"digits", "spirals"}
    rates : dict
        Optimizer name (of :data:`OPTIMIZERS`) -> learning rate; its keys choose the
        optimizers, in order. Take the rates from :func:`tune_learning_rates`.
    epochs, seeds : int
    first_seed : int
        Seeds ``first_seed .. first_seed + seeds - 1``, apart from those used for tuning.

    Returns
    -------
    dict
        Per optimizer: ``loss`` (seeds, epochs) mean training loss per epoch, ``val_loss``
        (seeds,) final validation loss, ``seconds`` (seeds, epochs) cumulative wall-clock
        training time at the end of each epoch (so :func:`plot_curves` can draw loss against
        time), and ``lr``.
    """
    out = {}
    for name, lr in rates.items():
        losses, seconds = np.zeros((seeds, epochs)), np.zeros((seeds, epochs))
        val_loss = np.zeros(seeds)
        for k, seed in enumerate(range(first_seed, first_seed + seeds)):
            X, y, X_val, y_val, net = _problem(problem, seed)
            opt = OPTIMIZERS[name](net.parameters(), lr)
            losses[k], seconds[k] = _timed_epochs(
                net, opt, X, y, epochs=epochs, batch_size=32, seed=seed
            )
            val_loss[k] = SoftmaxCrossEntropy().forward(predict(net, X_val), y_val)
        out[name] = {"loss": losses, "val_loss": val_loss, "seconds": seconds, "lr": lr}
    return out


def size_sweep(
    widths=(8, 16, 32, 64, 128, 256),
    depths=(1, 2),
    *,
    seeds: int = 3,
    epochs: int = 20,
    repeats: int = 7,
) -> list[dict]:
    """Digits MLPs of every width and depth: parameters, accuracy and inference time.

    Each network is trained with Adam (learning rate 0.01, batches of 32) on the fitting rows
    of :func:`nnlab.data.validation_split` of the digits training set. ``accuracy`` is the
    median over seeds of the VALIDATION accuracy (the held-out rows), so a network can be
    picked from these rows; the test set is not used. ``seconds_per_sample`` is the median
    over seeds of the best of ``repeats`` predictions of the validation rows, per row.
    """
    X, X_val, y, y_val = _digits_split()
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
                    X,
                    y,
                    epochs=epochs,
                    batch_size=32,
                    rng=seed,
                    progress=False,
                )
                accs.append(accuracy(net, X_val, y_val))
                best = np.inf
                for _ in range(repeats):
                    start = time.perf_counter()
                    predict(net, X_val)
                    best = min(best, time.perf_counter() - start)
                times.append(best / len(y_val))
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
    """The Pareto front: the rows that no other row dominates, sorted by cost (ties in input
    order). A row is dominated when another costs no more and scores at least as much, one of
    the two strictly; rows equal in both do not dominate each other, so all of them stay."""
    ordered = sorted(rows, key=lambda r: (r[cost], -r[value]))
    front, best = [], -np.inf
    for row in ordered:
        twin = front and (row[cost], row[value]) == (front[-1][cost], front[-1][value])
        if row[value] > best or twin:
            front.append(row)
            best = row[value]
    return front


def plot_curves(runs: dict, ax=None, *, x: str = "epoch", log: bool = True):
    """Median loss (line) and min-max band of each run, against epochs or seconds."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.4), constrained_layout=True)
    colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
    for (name, run), color in zip(runs.items(), colors, strict=False):
        loss = run["loss"]
        xs = (
            np.median(run["seconds"], axis=0) if x == "seconds" else np.arange(1, loss.shape[1] + 1)
        )
        plot_band(ax, xs, loss, label=name, color=color)
    ax.set(xlabel="seconds" if x == "seconds" else "epoch", ylabel="training loss")
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


def plot_pareto(rows: list[dict], ax=None, *, cost: str = "n_params"):
    """Accuracy against ``cost`` for every network, the Pareto front joined."""
    plt = pyplot()
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
            label=f"{depth} hidden layer{'s' if depth != 1 else ''}",
        )
    front = pareto_front(rows, cost)
    ax.plot(
        [r[cost] for r in front], [r["accuracy"] for r in front], "k--", lw=1, label="Pareto front"
    )
    ax.set(
        xscale="log",
        xlabel="parameters" if cost == "n_params" else "seconds per sample",
        ylabel="validation accuracy",
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    return ax
