"""Plots for the book: decision boundaries, training curves, animations.

matplotlib is imported lazily, so ``import nnlab`` needs only NumPy. Functions that compute
what is drawn (``decision_grid``...) are separate from the drawing and have unit tests.
"""

from __future__ import annotations

import numpy as np


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "nnlab.viz needs matplotlib: pip install matplotlib (or pip install 'nnlab[plots]')."
        ) from None
    return plt


def decision_grid(net, X, resolution: int = 150, margin: float = 0.5):
    """Evaluate ``net`` on a grid covering ``X`` (2 features).

    Returns
    -------
    xx, yy : ndarray ``(resolution, resolution)``
        Grid coordinates.
    scores : ndarray ``(resolution, resolution, n_out)``
        The network's outputs at each grid point (inference mode, nothing cached).
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_grid expected X of shape (n_samples, 2), got {X.shape}.")
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    scores = net.forward(grid, cache=False)
    return xx, yy, scores.reshape(resolution, resolution, -1)


def grid_classes(scores: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Class index per grid point: argmax over outputs, or ``score > threshold`` for one."""
    if scores.shape[-1] == 1:
        return (scores[..., 0] > threshold).astype(int)
    return scores.argmax(axis=-1)


CLASS_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def plot_decision_boundary(
    net, X, y, ax=None, *, resolution: int = 150, threshold=0.0, title: str | None = None
):
    """Colour the plane by the class ``net`` predicts and scatter the data on top."""
    plt = _plt()
    from matplotlib.colors import ListedColormap

    ax = ax or plt.gca()
    xx, yy, scores = decision_grid(net, X, resolution)
    classes = grid_classes(scores, threshold)
    k = max(int(np.max(y)) + 1, int(classes.max()) + 1, 2)
    cmap = ListedColormap(CLASS_COLORS[:k])
    ax.contourf(xx, yy, classes, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.25)
    ax.scatter(
        X[:, 0],
        X[:, 1],
        c=y,
        cmap=cmap,
        vmin=-0.5,
        vmax=k - 0.5,
        s=12,
        edgecolors="white",
        linewidths=0.3,
    )
    ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    if title:
        ax.set_title(title)
    return ax


def plot_history(history, ax=None, *, keys=("loss", "val_loss"), log: bool = False):
    """Plot per-epoch metrics of a :class:`nnlab.History` (``loss`` and ``val_loss``)."""
    plt = _plt()
    ax = ax or plt.gca()
    for key in keys:
        if key in history:
            values = history[key]
            ax.plot(np.arange(1, len(values) + 1), values, label=key)
    ax.set(xlabel="epoch", ylabel="loss")
    if log:
        ax.set_yscale("log")
    ax.legend()
    return ax


def animation_html(anim, *, close: bool = True):
    """Render a ``matplotlib.animation`` as self-contained, scrubbable HTML (``to_jshtml``).

    Works without a kernel and without network (frames are inline PNGs; the book build strips
    the one CDN stylesheet link matplotlib adds). Closes the figure so it is not shown twice.
    """
    from IPython.display import HTML

    html = anim.to_jshtml(default_mode="once")
    if close:
        _plt().close(anim._fig)
    return HTML(html)
