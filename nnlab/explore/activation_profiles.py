"""Activation functions, their derivatives and where gradients vanish (chapter
book/forward-mathematics).

Compute (:func:`activation_profile`) -> figure (:func:`plot_activation`) -> widget
(:func:`activation_explorer`).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int, check_real
from ..activations import get_activation
from ..viz import pyplot
from ._widgets import FULL_LABEL, explorer, ipywidgets

ELEMENTWISE = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")


def activation_profile(
    name: str, lo: float = -6.0, hi: float = 6.0, n: int = 241, threshold: float = 0.01
) -> dict:
    """An activation function and its derivative on ``[lo, hi]``, and where gradients vanish.

    Parameters
    ----------
    name : {"sigmoid", "tanh", "relu", "leaky_relu", "identity"}
    lo, hi : float
        Input range, ``lo < hi``.
    n : int
        Number of points.
    threshold : float
        A point is *vanishing* where the derivative is below ``threshold`` times its largest
        possible value (1/4 for sigmoid, 1 for the others).

    Returns
    -------
    dict
        ``"x"``, ``"f"``, ``"df"`` arrays of shape ``(n,)``, the boolean ``"vanishing"`` mask
        and its ``"vanishing_fraction"``.

    Raises
    ------
    ValueError
        If ``lo >= hi``, ``n < 1``, or ``name`` is softmax or unknown.
    """
    lo = check_real(lo, "lo", owner="activation_profile")
    hi = check_real(hi, "hi", owner="activation_profile")
    if not lo < hi:
        raise ValueError(f"activation_profile: expected lo < hi, got lo={lo:g}, hi={hi:g}.")
    n = check_positive_int(n, "n", owner="activation_profile")
    if name == "softmax":
        raise ValueError("activation_profile: softmax is not element-wise; pick another.")
    act = get_activation(name)
    x = np.linspace(lo, hi, n)
    df = np.asarray(act.df(x), dtype=float)
    peak = 0.25 if name == "sigmoid" else 1.0
    vanishing = df < threshold * peak
    return {
        "x": x,
        "f": np.asarray(act.f(x), dtype=float),
        "df": df,
        "vanishing": vanishing,
        "vanishing_fraction": float(vanishing.mean()),
    }


def plot_activation(profile: dict, ax=None, *, title: str | None = None):
    """Draw :func:`activation_profile`'s function, derivative and vanishing region."""
    plt = pyplot()
    ax = ax or plt.gca()
    x = profile["x"]
    ax.fill_between(
        x,
        -1.2,
        1.2,
        where=profile["vanishing"],
        color="#d62728",
        alpha=0.12,
        label="gradient < 1% of max",
    )
    ax.plot(x, profile["f"], color="#1f77b4", label="f(z)")
    ax.plot(x, profile["df"], color="#ff7f0e", ls="--", label="f'(z)")
    ax.axhline(0, color="#999999", lw=0.5)
    ax.set(xlim=(x[0], x[-1]), ylim=(-1.2, 1.2), xlabel="z")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def activation_explorer():
    """Pick an activation and an input range; see f, f' and where the gradient vanishes.

    The range keeps a width of at least one slider step: when both handles land on one value
    it is widened by a step, so the plot always shows the range written beside the slider.
    Needs a running kernel.
    """
    widgets = ipywidgets()
    plt = pyplot()
    name = widgets.Dropdown(
        options=list(ELEMENTWISE), value="sigmoid", description="activation", style=FULL_LABEL
    )
    # The range is written in a Label: the slider's own readout is too narrow for "-20.0 – 20.0".
    span = widgets.FloatRangeSlider(
        value=(-6, 6),
        min=-20,
        max=20,
        step=0.5,
        description="input range",
        readout=False,
        style=FULL_LABEL,
    )
    readout = widgets.Label()

    def draw(activation, bounds):
        lo, hi = bounds
        if not lo < hi:  # both handles on one value: widen, which draws again
            step = span.step
            span.value = (lo, lo + step) if lo + step <= span.max else (hi - step, hi)
            return
        readout.value = f"z from {lo:g} to {hi:g}"
        prof = activation_profile(activation, lo, hi)
        _, ax = plt.subplots(figsize=(5, 3))
        share = prof["vanishing_fraction"]
        plot_activation(
            prof, ax, title=f"{activation}: gradient vanishes on {share:.0%} of the range"
        )
        ax.legend(fontsize=7, loc="upper left")

    controls = {"activation": name, "bounds": span}
    return explorer(controls, draw, rows=[[name, span, readout]])
