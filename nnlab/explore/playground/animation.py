"""The widget's static counterpart: a training run as an animation, for the rendered book."""

from __future__ import annotations

from ...viz import pyplot
from .config import PlaygroundConfig
from .drawing import check_view, draw_playground
from .features import FEATURES
from .model import Playground

# The spiral with every feature: a run that learns the arms in about 100 epochs.
SPIRAL = PlaygroundConfig(dataset="spiral", features=tuple(FEATURES), hidden=(8, 8), lr=0.03)


def playground_animation(
    config: PlaygroundConfig | None = None,
    steps: int = 300,
    every: int = 10,
    *,
    grid: int = 40,
    view: str = "activations",
    shared_scale: bool = True,
    figsize: tuple[float, float] = (11, 5.6),
):
    """A training run drawn every ``every`` epochs, from epoch 0 to ``steps``: the widget's
    static counterpart. Turn it into HTML with :func:`nnlab.viz.animation_html`.

    Parameters
    ----------
    config : PlaygroundConfig, optional
        Default :data:`SPIRAL`: the spiral, all seven features, two hidden layers of 8 tanh
        units, learning rate 0.03, batches of 10.
    steps, every : int
        Epochs in all, and between two frames.
    grid : int
        Points per side of every map.
    view : {"activations", "deltas"}
        Draw each unit's activations or its deltas.
    shared_scale : bool, default True
        One colour range for the unit maps of a frame (see :func:`draw_unit_network`).
    figsize : (float, float)

    Returns
    -------
    matplotlib.animation.FuncAnimation
        ``steps // every + 1`` frames (the output map, the unit maps, the loss curves and the
        gradient-norm bars of :func:`draw_playground`). Each frame trains up to its epoch
        (from a reset when asked for an earlier one), so the frames can be drawn again in
        any order.

    Raises
    ------
    ValueError
        If ``steps`` < 1, ``every`` is not in ``[1, steps]``, or ``view`` is unknown.
    """
    from matplotlib.animation import FuncAnimation

    check_view(view)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"playground_animation: steps must be an int >= 1, got {steps!r}.")
    if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= steps:
        raise ValueError(
            f"playground_animation: every must be an int in [1, steps={steps}], got {every!r}."
        )
    pg = Playground(config if config is not None else SPIRAL)
    fig = pyplot().figure(figsize=figsize)
    drawn: dict = {}

    def frame(epoch: int):
        if epoch < pg.epoch:
            pg.reset()
        if epoch > pg.epoch:
            pg.step(epoch - pg.epoch)
        options = {"grid": grid, "view": view, "shared_scale": shared_scale}
        drawn["axes"] = draw_playground(pg, fig, axes=drawn.get("axes"), **options)
        return []

    frames = list(range(0, steps + 1, every))
    return FuncAnimation(fig, frame, frames=frames, interval=250, blit=False)
