"""The steps of :func:`~.backprop_steps` as frames: one figure, an animation, a
widget (chapter book/step-by-step-backprop).

Figure (:func:`draw_step`, on the diagram of :func:`~.draw_network`) -> animation
(:func:`steps_animation`, the static counterpart) -> widget (:func:`step_through`).
"""

from __future__ import annotations

from ..viz import pyplot
from ._widgets import FULL_LABEL, explorer, ipywidgets
from .backprop_steps import backprop_steps
from .network_drawing import PHASE_PALETTE, draw_network


def draw_step(step, ax=None, *, description: bool = True, width: int = 100):
    """Draw one :class:`~.Step`: the network, a title with the step's equation,
    and (with ``description=True``) its sentence underneath.

    Parameters
    ----------
    step : nnlab.explore.Step
        A step of :func:`~.backprop_steps`.
    ax : matplotlib Axes, optional
        Where to draw; default the current Axes.
    description : bool, default True
        Whether to write the step's description under the diagram.
    width : int, default 100
        Characters per line of the description.

    Returns
    -------
    matplotlib Axes
    """
    import textwrap

    ax = draw_network(
        step.layer_sizes,
        node_values=step.node_values,
        node_grads=step.node_grads,
        edge_values=step.edge_values,
        bias_values=step.bias_values,
        edge_kinds=step.edge_kinds,
        highlight_nodes=step.highlight_nodes,
        highlight_edges=step.highlight_edges,
        phase=step.phase,
        ax=ax,
    )
    color = PHASE_PALETTE[step.phase][0]
    ax.set_title(f"{step.title}\n{step.formula}", fontsize=11, color=color)
    if description:
        ax.text(
            0.5,
            -0.02,
            textwrap.fill(step.description, width),
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=8.5,
            color="#333333",
        )
    return ax


def steps_animation(steps, *, figsize=(6.4, 4.2), dpi: int = 90, interval: int = 2000):
    """A ``matplotlib.animation`` with one frame per :class:`~.Step`.

    Render it without a kernel with :func:`nnlab.viz.animation_html`.

    Parameters
    ----------
    steps : list of Step
        From :func:`~.backprop_steps`.
    figsize : tuple of float, default (6.4, 4.2)
        Figure size in inches.
    dpi : int, default 90
        Resolution of each frame.
    interval : int, default 2000
        Milliseconds between frames.

    Returns
    -------
    matplotlib.animation.FuncAnimation
    """
    plt = pyplot()
    from matplotlib import animation

    steps = list(steps)
    if not steps:
        raise ValueError("steps_animation expected at least one step, got none.")
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.85, bottom=0.15)

    def frame(i: int):
        ax.clear()
        draw_step(steps[i], ax=ax)
        return ()

    return animation.FuncAnimation(fig, frame, frames=len(steps), interval=interval)


def step_through(net, x, y, loss, lr: float | None = None, *, figsize=(6.4, 3.6)):
    """A widget that steps through the forward and backward pass drawn on the network.

    A slider, a Play button and back/next buttons choose a step of
    :func:`~.backprop_steps`, counted from 1 like the text; below them, a sentence with the
    step's numbers and the drawing of :func:`draw_step`. The steps are computed once, when the
    widget is built.

    Parameters
    ----------
    net, x, y, loss, lr
        As in :func:`~.backprop_steps`.
    figsize : tuple of float
        Size of the drawing in inches.

    Returns
    -------
    ipywidgets.VBox
        The widget; its ``steps`` attribute holds the list of :class:`~.Step`.

    Shapes
    ------
    x ``(n_in,)`` or ``(1, n_in)``; y as in :func:`~.backprop_steps`.
    """
    import html

    w = ipywidgets()
    plt = pyplot()
    steps = backprop_steps(net, x, y, loss, lr)
    n = len(steps)
    # Counts from 1, like the text "step 3/12": slider.value is the step's number.
    play = w.Play(min=1, max=n, interval=1500, description="Play")
    slider = w.IntSlider(min=1, max=n, description="step", readout=True, style=FULL_LABEL)
    w.jslink((play, "value"), (slider, "value"))
    back = w.Button(description="back", icon="chevron-left", layout=w.Layout(width="80px"))
    nxt = w.Button(description="next", icon="chevron-right", layout=w.Layout(width="80px"))
    text = w.HTML()

    def show(number: int):
        step = steps[number - 1]
        text.value = (
            f"<b>{number}/{n}. {html.escape(step.title)}.</b> {html.escape(step.description)}"
        )
        fig, ax = plt.subplots(figsize=figsize)
        draw_step(step, ax=ax, description=False)
        return fig

    back.on_click(lambda _: setattr(slider, "value", max(slider.value - 1, 1)))
    nxt.on_click(lambda _: setattr(slider, "value", min(slider.value + 1, n)))
    box = explorer({"number": slider}, show, rows=[[play, slider, back, nxt], text])
    box.steps = steps
    return box
