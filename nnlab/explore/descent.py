"""Gradient descent on a quadratic bowl (chapter book/backprop-introduction).

Compute (:func:`descent_path`, :func:`quadratic_regime`, :func:`bowl_loss`, :func:`bowl_grad`)
-> figure (:func:`plot_descent`) -> widget (:func:`descent_explorer`).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int, check_real
from ..viz import pyplot
from ._widgets import explorer, ipywidgets


def descent_path(grad, start, lr: float, steps: int) -> np.ndarray:
    """Iterates of gradient descent ``x <- x - lr * grad(x)`` from ``start``.

    Parameters
    ----------
    grad : callable
        ``grad(x)`` returns the gradient at ``x`` (same shape as ``x``).
    start : float or array_like
    lr : float
        Learning rate, positive.
    steps : int

    Returns
    -------
    ndarray
        ``(steps + 1, *shape)``: the start, then every iterate. Iterates that overflow are
        inf/nan, so a diverging run still returns its whole path.

    Examples
    --------
    >>> descent_path(lambda x: 2 * x, 1.0, 0.25, 2)[:, 0]
    array([1.  , 0.5 , 0.25])
    """
    lr = check_real(lr, "lr", owner="descent_path", low=0.0, low_open=True)
    steps = check_positive_int(steps, "steps", owner="descent_path")
    x = np.atleast_1d(np.asarray(start, dtype=float)).copy()
    path = np.empty((steps + 1, *x.shape))
    path[0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            x = x - lr * np.asarray(grad(x), dtype=float)
            path[t] = x
    return path


def quadratic_regime(lr: float, curvature: float) -> str:
    """What gradient descent does on ``f(x) = curvature * x**2 / 2`` with step ``lr``.

    Each step multiplies ``x`` by ``1 - lr * curvature``: ``"monotone"`` when that factor is
    in [0, 1), ``"oscillates"`` in (-1, 0), ``"stalls"`` at exactly -1 (bounces forever) and
    ``"diverges"`` beyond. So ``lr < 1/curvature`` converges without overshooting,
    ``1/curvature < lr < 2/curvature`` converges while overshooting, ``lr > 2/curvature``
    diverges.
    """
    lr = check_real(lr, "lr", owner="quadratic_regime", low=0.0, low_open=True)
    curvature = check_real(curvature, "curvature", owner="quadratic_regime", low=0.0, low_open=True)
    factor = 1.0 - lr * curvature
    if factor >= 0:
        return "monotone"
    if factor > -1:
        return "oscillates"
    return "stalls" if factor == -1 else "diverges"


BOWL = (1.0, 10.0)  # curvatures of the 2-D quadratic bowl used by descent_explorer


def bowl_loss(p):
    """The 2-D bowl ``(a x^2 + b y^2) / 2`` with the curvatures ``BOWL``; ``p`` is ``(..., 2)``."""
    p = np.asarray(p, dtype=float)
    return 0.5 * (BOWL[0] * p[..., 0] ** 2 + BOWL[1] * p[..., 1] ** 2)


def bowl_grad(p):
    """Gradient of :func:`bowl_loss`."""
    p = np.asarray(p, dtype=float)
    return np.stack([BOWL[0] * p[..., 0], BOWL[1] * p[..., 1]], axis=-1)


def plot_descent(path, ax=None, *, title: str | None = None):
    """Contours of :func:`bowl_loss` and a descent ``path`` of shape ``(steps + 1, 2)``."""
    plt = pyplot()
    ax = ax or plt.gca()
    xs = np.linspace(-3, 3, 121)
    xx, yy = np.meshgrid(xs, xs)
    ax.contour(
        xx, yy, bowl_loss(np.stack([xx, yy], -1)), levels=12, colors="#bbbbbb", linewidths=0.7
    )
    finite = path[np.all(np.isfinite(path), axis=1) & np.all(np.abs(path) < 1e3, axis=1)]
    ax.plot(finite[:, 0], finite[:, 1], "o-", color="#d62728", ms=3, lw=1)
    ax.plot(*path[0], "s", color="black", ms=5)
    ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xlabel="$w_1$", ylabel="$w_2$")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def descent_explorer(steps: int = 30):
    """Learning rate and starting point sliders over gradient descent on a 2-D bowl.

    The bowl has curvatures 1 and 10, so learning rates below 0.1 descend smoothly, between 0.1
    and 0.2 zig-zag across the steep direction, and above 0.2 diverge. Needs a running kernel.
    """
    widgets = ipywidgets()
    plt = pyplot()
    lr = widgets.FloatSlider(
        value=0.05, min=0.005, max=0.25, step=0.005, description="lr", readout_format=".3f"
    )
    x0 = widgets.FloatSlider(value=-2.5, min=-3, max=3, step=0.1, description="start w1")
    y0 = widgets.FloatSlider(value=2.0, min=-3, max=3, step=0.1, description="start w2")

    def draw(lr, x0, y0):
        path = descent_path(bowl_grad, [x0, y0], lr, steps)
        regime = quadratic_regime(lr, max(BOWL))
        _, ax = plt.subplots(figsize=(4.2, 4.2))
        plot_descent(path, ax, title=f"lr {lr:.3f}: steep direction {regime}")

    return explorer({"lr": lr, "x0": x0, "y0": y0}, draw, rows=[lr, [x0, y0]])
