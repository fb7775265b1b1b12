"""The 2-2-1 network that computes XOR (chapter book/forward-propagation).

Compute (:func:`two_two_one`, :data:`XOR_WEIGHTS`) -> figure (:func:`plot_two_two_one`) ->
widget (:func:`weights_explorer`).
"""

from __future__ import annotations

import numpy as np

from ..activations import Sigmoid
from ..layers import Dense
from ..network import Sequential
from ..viz import pyplot
from ._widgets import explorer, ipywidgets


def two_two_one(params, X) -> np.ndarray:
    """Output of a 2-2-1 network with sigmoid units, from its 9 numbers, on points ``X``.

    ``params`` is ``(w11, w12, w21, w22, b1, b2, v1, v2, c)``: ``w_ij`` joins input ``i`` to
    hidden unit ``j``, ``v_j`` joins hidden unit ``j`` to the output. Computed with
    :class:`nnlab.Sequential`, so it is exactly nnlab's forward pass.

    Shapes
    ------
    X ``(N, 2)`` -> output ``(N,)`` in (0, 1).
    """
    p = np.asarray(params, dtype=float)
    if p.shape != (9,):
        raise ValueError(f"two_two_one expected 9 parameters, got shape {p.shape}.")
    hidden, out = Dense(2, 2, init="zeros"), Dense(2, 1, init="zeros")
    hidden.W, hidden.b = p[:4].reshape(2, 2), p[4:6]
    out.W, out.b = p[6:8].reshape(2, 1), p[8:]
    net = Sequential([hidden, Sigmoid(), out, Sigmoid()])
    return net.forward(X, cache=False)[:, 0]


XOR_WEIGHTS = (6.0, -6.0, 6.0, -6.0, -3.0, 9.0, 10.0, 10.0, -15.0)
"""Hand-picked weights with which :func:`two_two_one` computes XOR of two 0/1 inputs: hidden
unit 1 fires for "at least one input on" (OR), unit 2 for "not both on" (NAND), and the output
for "both hidden units on" (AND)."""


def plot_two_two_one(params, ax=None, *, title: str | None = None, points=None, labels=None):
    """Colour the square [-0.5, 1.5]^2 by the output of :func:`two_two_one` and draw the
    0.5 contour (the decision boundary)."""
    plt = pyplot()
    ax = ax or plt.gca()
    g = np.linspace(-0.5, 1.5, 101)
    xx, yy = np.meshgrid(g, g)
    zz = two_two_one(params, np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    ax.contourf(xx, yy, zz, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.7)
    ax.contour(xx, yy, zz, levels=[0.5], colors="black", linewidths=1.5)
    if points is not None:
        ax.scatter(
            points[:, 0],
            points[:, 1],
            c=labels,
            cmap="RdBu_r",
            vmin=0,
            vmax=1,
            s=60,
            edgecolors="black",
        )
    ax.set(aspect="equal", xlabel="$x_1$", ylabel="$x_2$")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def weights_explorer(params=XOR_WEIGHTS):
    """Nine sliders for the weights and biases of a 2-2-1 sigmoid network; shows its output
    surface and decision boundary over the XOR points. Needs a running kernel."""
    widgets = ipywidgets()
    plt = pyplot()
    names = ["w11", "w12", "w21", "w22", "b1", "b2", "v1", "v2", "c"]
    sliders = {
        n: widgets.FloatSlider(value=v, min=-20, max=20, step=0.5, description=n)
        for n, v in zip(names, params, strict=True)
    }
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)

    def draw(**values):
        _, ax = plt.subplots(figsize=(4, 4))
        plot_two_two_one([values[n] for n in names], ax, points=corners, labels=[0, 1, 1, 0])

    return explorer(sliders, draw, rows=list(sliders.values()), beside=True)
