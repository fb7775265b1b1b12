"""Training a deep MLP on the digits from several seeds (chapter book/common-challenges).

Compute (:func:`train_deep`) -> figure (:func:`plot_band`, :func:`plot_layer_norms`).
Each run records the training loss per epoch and, per epoch, the norm of every layer's weight
gradient, so a figure can show the median over seeds with the min-max band.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import viz
from ..clipping import clip_grad_norm
from ..layers import Dense
from ..losses import SoftmaxCrossEntropy
from ..optim import SGD
from ..train import accuracy, fit
from ..viz import pyplot
from .signal_propagation import deep_mlp, digits


def train_deep(
    activation: str,
    init: str,
    *,
    depth: int = 10,
    width: int = 64,
    epochs: int = 20,
    lr: float = 0.05,
    momentum: float = 0.9,
    batch_size: int = 64,
    clip: float | None = None,
    seeds: int = 5,
) -> dict[str, np.ndarray]:
    """Train :func:`deep_mlp` networks (seeds 0, 1, ...) with mini-batch SGD on the digits.

    Parameters
    ----------
    activation, init : str
        As in :func:`nnlab.explore.deep_mlp`.
    depth, width : int
        Hidden layers and their width.
    epochs, batch_size : int
    lr, momentum : float
        SGD's settings.
    clip : float or None
        If given, every step clips the gradients to this global norm
        (:func:`nnlab.clip_grad_norm`) before the update.
    seeds : int

    Returns
    -------
    dict
        ``loss`` (seeds, epochs + 1): mean training loss over the epoch's batches (entry 0:
        the loss at initialization on the whole training set; nan once a run diverged);
        ``grad_norm`` (seeds, epochs + 1, depth + 1): per layer, the median over the epoch's
        steps of ``||dW^[l]||_F`` before clipping (entry 0: at initialization);
        ``test_accuracy`` (seeds,): 0 for a diverged run; ``diverged`` (seeds,) bool: the loss,
        a gradient or a weight became nan or inf (the run stops there).
    """
    split = digits()
    X, y = split.X_train, split.y_train
    losses = np.full((seeds, epochs + 1), np.nan)
    norms = np.full((seeds, epochs + 1, depth + 1), np.nan)
    acc = np.zeros(seeds)
    diverged = np.zeros(seeds, dtype=bool)
    for seed in range(seeds):
        net = deep_mlp(depth, width, activation, init, rng=seed)
        dense = [la for la in net.layers if isinstance(la, Dense)]
        loss = SoftmaxCrossEntropy()
        batch_norms: list[list[float]] = []

        def on_batch(epoch, batch, value, dense=dense, net=net, kept=batch_norms):
            kept.append([np.linalg.norm(la.dW) for la in dense])  # before clipping
            if clip is not None:
                clip_grad_norm(net, clip)

        def on_epoch(epoch, metrics, seed=seed, kept=batch_norms):
            losses[seed, epoch], norms[seed, epoch] = metrics["loss"], np.median(kept, 0)
            kept.clear()

        with np.errstate(all="ignore"):
            losses[seed, 0] = loss.forward(net.forward(X), y)
            net.backward(loss.backward(), input_grad=False)
            norms[seed, 0] = [np.linalg.norm(la.dW) for la in dense]
            try:
                fit(
                    net,
                    loss,
                    SGD(net.parameters(), lr=lr, momentum=momentum),
                    X,
                    y,
                    epochs=epochs,
                    batch_size=batch_size,
                    rng=seed,
                    progress=False,
                    on_batch=on_batch,
                    on_epoch=on_epoch,
                )
            except FloatingPointError:  # the loss, a gradient or a weight became nan or inf
                diverged[seed] = True
            acc[seed] = 0.0 if diverged[seed] else accuracy(net, split.X_test, split.y_test)
    return {"loss": losses, "grad_norm": norms, "test_accuracy": acc, "diverged": diverged}


def plot_band(curves: np.ndarray, ax=None, *, label: str, color: str, style: str = "-"):
    """Median over the first axis (line) with the min-max band, by epoch from 0; nan entries
    are left out (:func:`nnlab.viz.plot_band`)."""
    if ax is None:
        _, ax = pyplot().subplots(figsize=(5, 3))
    x = np.arange(np.shape(curves)[1])
    return viz.plot_band(ax, x, curves, label=label, color=color, style=style)


def plot_layer_norms(run: dict, ax=None, *, title: str | None = None):
    """Median over seeds of ``||dW^[l]||_F`` for each layer, by epoch (a log-scale heatmap)."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan epochs: every run diverged
        grid = np.log10(np.nanmedian(run["grad_norm"], axis=0).T + 1e-300)
    image = ax.imshow(grid, aspect="auto", origin="lower", cmap="viridis", vmin=-12, vmax=1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("layer l")
    # whole-number ticks: layers from 1; epochs from 0 (the column before any training)
    for axis, n, first in ((ax.yaxis, grid.shape[0], 1), (ax.xaxis, grid.shape[1], 0)):
        ticks = np.arange(0, n, max(1, n // 5))
        axis.set_ticks(ticks, [str(t + first) for t in ticks])
    if title:
        ax.set_title(title, fontsize=10)
    plt.colorbar(image, ax=ax, label=r"$\log_{10}\|dW^{[l]}\|_F$")
    return ax
