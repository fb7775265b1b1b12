"""Architectures compared on the digits, from several seeds (chapter book/architectures).

Compute (:func:`train_digits`, :func:`depth_sweep`, :func:`budget_models`,
:func:`nnlab_vs_sklearn`) -> figure (:func:`plot_depth_sweep`). Every run trains with Adam on
mini-batches and reports the test accuracy on the book's digits split; the wall-clock
training times are measurements of this machine, for the chapter to show, never to assert.
"""

from __future__ import annotations

import time

import numpy as np

from ..activations import ReLU
from ..conv import Conv2D
from ..layers import Dense
from ..losses import SoftmaxCrossEntropy
from ..network import Sequential, mlp
from ..optim import Adam
from ..pooling import Flatten, MaxPool2D
from ..train import accuracy, fit
from ..viz import pyplot
from .signal_propagation import digits


def train_digits(
    build,
    *,
    images: bool = False,
    seeds: int = 5,
    epochs: int = 20,
    lr: float = 0.01,
    batch_size: int = 32,
) -> dict[str, np.ndarray]:
    """Train ``build(seed)`` for each seed with Adam on the digits; test accuracy and time.

    Parameters
    ----------
    build : callable
        ``build(seed) -> Sequential``.
    images : bool
        Feed the images as ``(N, 1, 8, 8)`` (for convolutional networks) instead of rows of 64.
    seeds, epochs, batch_size : int
    lr : float

    Returns
    -------
    dict
        ``test_accuracy`` (seeds,), ``train_accuracy`` (seeds,), ``seconds`` (seeds,): the
        wall-clock training time, ``n_params``: the parameter count of the first network.
    """
    split = digits()
    X_train, X_test = split.X_train, split.X_test
    if images:
        X_train, X_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)
    test, train, seconds = np.zeros(seeds), np.zeros(seeds), np.zeros(seeds)
    n_params = None
    for seed in range(seeds):
        net = build(seed)
        n_params = n_params or net.n_params
        opt = Adam(net.parameters(), lr=lr)
        start = time.perf_counter()
        fit(
            net,
            SoftmaxCrossEntropy(),
            opt,
            X_train,
            split.y_train,
            epochs=epochs,
            batch_size=batch_size,
            rng=seed,
            progress=False,
        )
        seconds[seed] = time.perf_counter() - start
        test[seed] = accuracy(net, X_test, split.y_test)
        train[seed] = accuracy(net, X_train, split.y_train)
    return {
        "test_accuracy": test,
        "train_accuracy": train,
        "seconds": seconds,
        "n_params": n_params,
    }


def depth_sweep(depths=(0, 1, 2, 4, 8), width: int = 64, **kwargs) -> dict[int, dict]:
    """:func:`train_digits` for ReLU MLPs ``64 -> width x depth -> 10`` (depth 0: softmax
    regression), keyed by depth."""
    return {
        d: train_digits(
            lambda seed, d=d: mlp([64] + [width] * d + [10], "relu", rng=seed), **kwargs
        )
        for d in depths
    }


def small_cnn(seed: int, channels: int = 8) -> Sequential:
    """``1x8x8 -> Conv2D(channels, 3x3, padding 1) -> ReLU -> MaxPool2D(2) -> Flatten ->
    Dense(10)``: the chapter's digits CNN."""
    gen = np.random.default_rng(seed)
    return Sequential(
        [
            Conv2D(1, channels, 3, padding=1, rng=gen),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(channels * 16, 10, rng=gen),
        ]
    )


def budget_models(channels: int = 8) -> dict[str, tuple]:
    """The CNN and the MLPs with about the same number of parameters.

    Returns ``{name: (build, images)}`` for :func:`train_digits`. The MLP widths are the
    largest whose parameter count does not exceed the CNN's.
    """
    budget = small_cnn(0, channels).n_params
    one = (budget - 10) // 75  # 64h + h + 10h + 10 <= budget
    two = int((-76 + np.sqrt(76**2 - 4 * (10 - budget))) // 2)  # h^2 + 76h + 10 <= budget
    while two * two + 76 * two + 10 > budget:  # guard against rounding of the square root
        two -= 1
    return {
        "cnn": (lambda seed: small_cnn(seed, channels), True),
        f"mlp 64-{one}-10": (lambda seed: mlp([64, one, 10], "relu", rng=seed), False),
        f"mlp 64-{two}-{two}-10": (lambda seed: mlp([64, two, two, 10], "relu", rng=seed), False),
    }


def nnlab_vs_sklearn(hidden: int = 64, epochs: int = 100, seeds: int = 3) -> dict[str, dict]:
    """The same MLP trained the same way by nnlab and by scikit-learn's ``MLPClassifier``.

    One hidden ReLU layer of ``hidden`` units, Adam with learning rate 1e-3 on mini-batches of
    200 (scikit-learn's defaults), no L2 penalty (``alpha=0``), exactly ``epochs`` epochs (no
    early stop), one seed per run. Both use their own default initialization.

    Returns
    -------
    dict
        ``{"nnlab": ..., "sklearn": ...}``, each with ``test_accuracy`` and ``seconds``
        (wall-clock training time) of shape ``(seeds,)``.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    split = digits()
    out = {
        name: {"test_accuracy": np.zeros(seeds), "seconds": np.zeros(seeds)}
        for name in ("nnlab", "sklearn")
    }
    for seed in range(seeds):
        clf = MLPClassifier(
            hidden_layer_sizes=(hidden,),
            alpha=0.0,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=epochs + 1,
            random_state=seed,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(split.X_train, split.y_train)
        out["sklearn"]["seconds"][seed] = time.perf_counter() - start
        out["sklearn"]["test_accuracy"][seed] = float(
            np.mean(clf.predict(split.X_test) == split.y_test)
        )

        net = mlp([64, hidden, 10], "relu", rng=seed)
        opt = Adam(net.parameters(), lr=1e-3)
        start = time.perf_counter()
        fit(
            net,
            SoftmaxCrossEntropy(),
            opt,
            split.X_train,
            split.y_train,
            epochs=epochs,
            batch_size=200,
            rng=seed,
            progress=False,
        )
        out["nnlab"]["seconds"][seed] = time.perf_counter() - start
        out["nnlab"]["test_accuracy"][seed] = accuracy(net, split.X_test, split.y_test)
    return out


def plot_depth_sweep(sweep: dict, axes=None):
    """Test accuracy (median and range over seeds) and training time against depth."""
    plt = pyplot()
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.2), constrained_layout=True)
    depths = sorted(sweep)
    acc = np.array([sweep[d]["test_accuracy"] for d in depths])
    sec = np.array([sweep[d]["seconds"] for d in depths])
    for ax, values, label in ((axes[0], acc, "test accuracy"), (axes[1], sec, "training time (s)")):
        med = np.median(values, axis=1)
        ax.errorbar(
            depths,
            med,
            yerr=[med - values.min(axis=1), values.max(axis=1) - med],
            fmt="o-",
            color="#0072B2",
            capsize=3,
        )
        ax.set_xlabel("hidden layers")
        ax.set_ylabel(label)
        ax.set_xticks(depths)
    return axes
