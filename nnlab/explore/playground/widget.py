"""The playground widget: the TensorFlow Playground's controls over a :class:`Playground`.

Thin wiring only: every number comes from :class:`~.model.Playground`, the maps from
:func:`~.maps.playground_maps`, the figure from :func:`~.drawing.draw_playground`, the maths
from :func:`~.explain.explain_point` and the code from :func:`~.export.export_code`. Each
frame is drawn on a bare ``matplotlib.figure.Figure`` and shown as a PNG in an
``ipywidgets.Image`` (:func:`~.frame.render_frame`), so the play loop can run in a background
thread while the buttons stay responsive. The loop, what stops it, the divergence check and the
loss plot: :mod:`~.player`.
"""

from __future__ import annotations

import threading

from ...viz import pyplot
from .._widgets import FULL_LABEL, ipywidgets, titled
from ._controls import OPTIONAL, TRAINING, button, menu, optional_controls
from .config import ACTIVATIONS, INITS, L2_RATES, LEARNING_RATES, PlaygroundConfig
from .datasets import DATASETS
from .drawing import VIEWS
from .editing import OUTPUT_UNIT, WeightEditor, unit_options
from .explain import explain_point
from .export import export_code
from .features import FEATURES
from .frame import render_frame
from .maps import DELTA_TARGET_RULE
from .model import Playground
from .player import Player, diverged, loss_name, short, stop_all, train

# Display equations start at the left of the maths block: centred, the start of a wide one
# would sit beyond the block's left edge, where its scroll bar cannot reach.
MATHS_STYLE = (
    "<style>.nnlab-maths mjx-container[jax][display='true']"
    "{text-align: left !important; margin-left: 0.5em !important}</style>"
)


def playground(
    config: PlaygroundConfig | None = None,
    *,
    data=None,
    grid: int = 40,
    steps_per_frame: int = 10,
    figsize: tuple[float, float] = (11, 5.6),
):
    """The TensorFlow Playground in a notebook, with the backward pass shown as well.

    Parameters
    ----------
    config : PlaygroundConfig, optional
        The starting settings (default: circle, x1 and x2, two hidden layers of 4 tanh units).
    data : (X, y), optional
        Your own points (see :class:`Playground`); adds "custom" to the data menu.
    grid : int, default 40
        Points per side of every map.
    steps_per_frame : int, default 10
        Epochs between two frames while playing.
    figsize : (float, float)
        Size of the figure, in inches at 72 dots per inch.

    Returns
    -------
    ipywidgets.VBox
        The widget. Its attributes give the state and the handlers, so a test (or a script)
        can drive it without a browser: ``playground`` (the :class:`Playground`),
        ``controls`` (dict of the control widgets), ``step``, ``reset``, ``play``,
        ``pause``, ``run_frames(n)`` (n frames of play, synchronously), ``add_layer``,
        ``remove_layer``, ``add_unit(l)``, ``remove_unit(l)``, ``export``, ``redraw``,
        ``status``, ``epoch``, ``maths``, ``code``, ``image``, ``delta_note`` (the deltas'
        target rule, shown in the deltas view only), ``drawn`` (``{"axes": ...}``, what
        :func:`draw_playground` returned last), ``player`` (the :class:`~.player.Player`),
        ``editor`` (the :class:`~.editing.WeightEditor` row: one weight set by hand).

    Notes
    -----
    Play trains ``steps_per_frame`` epochs and redraws, in a background (daemon) thread, until
    Pause, ``close()``, a new playground (it stops the older ones) or a divergence ("diverged
    at epoch N", N the epoch shown; :func:`~.player.train`): then play and step wait for a new
    network. "L1" and "output (loss)" appear when the config has ``l1`` and ``output``.
    The "shared colour scale" box (on) gives the unit maps one colour range, so that a layer
    with vanishing activations or deltas shows as blank (``shared_scale`` of
    :func:`draw_playground`). The deltas view notes its targets: :data:`DELTA_TARGET_RULE`.
    Needs a running kernel; :func:`playground_animation` is its static counterpart.
    """
    w = ipywidgets()
    pyplot()  # fail early, with the install hint, if matplotlib is missing
    from matplotlib.figure import Figure

    stop_all()  # a re-run cell leaves its old widget behind: stop it playing

    pg = Playground(config if config is not None else PlaygroundConfig(), data=data)
    c = pg.config
    lock = threading.RLock()  # a handler may redraw while another holds it
    run = {"quiet": False, "diverged": (None, None)}  # diverged: (net, message)
    fig = Figure(figsize=figsize, dpi=72)
    drawn: dict = {}  # the axes of the last drawing, updated in place when they can be
    d = pg.domain

    datasets = [*DATASETS, "custom"] if data is not None else list(DATASETS)
    controls = {
        "dataset": w.Dropdown(options=datasets, value=c.dataset, description="data"),
        "noise": w.FloatSlider(value=c.noise, min=0.0, max=0.5, step=0.05, description="noise"),
        "train_ratio": w.FloatSlider(
            value=c.train_ratio,
            min=0.1,
            max=0.9,
            step=0.1,
            description="train ratio",
            style=FULL_LABEL,
        ),
        "batch_size": w.IntSlider(
            value=c.batch_size, min=1, max=30, description="batch size", style=FULL_LABEL
        ),
        "activation": menu(w, list(ACTIVATIONS), c.activation, "activation"),
        "lr": menu(w, LEARNING_RATES, c.lr, "learning rate"),
        "l2": menu(w, L2_RATES, c.l2, "L2"),
        "init": w.Dropdown(options=list(INITS), value=c.init, description="init"),
        "view": w.ToggleButtons(
            options=list(VIEWS),
            value="activations",
            tooltips=["forward: A^[l]", "backward: delta^[l]"],
        ),
        "show_test": w.Checkbox(value=True, description="show test data", indent=False),
        "discretize": w.Checkbox(value=False, description="discretize output", indent=False),
        "shared_scale": w.Checkbox(value=True, description="shared colour scale", indent=False),
        "x1": w.FloatSlider(value=0.5, min=-d, max=d, step=0.05, description="x1"),
        "x2": w.FloatSlider(value=-1.0, min=-d, max=d, step=0.05, description="x2"),
        "weights": w.Checkbox(value=False, description="write out W and dW", indent=False),
        "unit": w.Dropdown(
            options=[("output", OUTPUT_UNIT)],
            value=OUTPUT_UNIT,
            description="big map",
            style=FULL_LABEL,
        ),
    }
    controls.update(optional_controls(w, c))
    # Controls in a grid cell fill it; the check boxes take their text's width; the sliders of
    # the point share a line with its label.
    for name in (*TRAINING, "dataset", "noise", "train_ratio", "batch_size", "show_test"):
        if name in controls:
            controls[name].layout.width = "auto"
    for name in ("discretize", "shared_scale", "weights"):
        controls[name].layout.width = "auto"
    for name in ("x1", "x2"):
        controls[name].layout.width = "230px"
    checks = {
        name: w.Checkbox(
            value=name in c.features, description=name, indent=False, layout=w.Layout(width="80px")
        )
        for name in FEATURES
    }
    buttons = {
        "play": button(w, "▶ play", "train and redraw until pause", style="success"),
        "pause": button(w, "⏸ pause", "stop playing"),
        "step": button(w, "step", "train one epoch"),
        "reset": button(w, "reset", "new network from the same seed, epoch 0", style="warning"),
        "regenerate": button(w, "regenerate", "draw new data (next data seed)"),
        "add_layer": button(w, "+ layer", "add a hidden layer"),
        "remove_layer": button(w, "− layer", "remove the last hidden layer"),
        "export": button(w, "export code", "nnlab code that reproduces this run"),
    }
    epoch, losses = w.HTML(), w.HTML()  # the losses in words: the figure's are in a PNG
    layers = w.HTML()
    units = w.HBox()
    status = w.HTML()
    delta_note = w.HTML(f"<i>{DELTA_TARGET_RULE}</i>", layout=w.Layout(display="none"))
    image = w.Image(format="png")
    # Wide matrices scroll inside the maths block instead of running off the page.
    maths = w.HTMLMath(layout=w.Layout(max_width="100%", max_height="30em", overflow="auto"))
    maths.add_class("nnlab-maths")
    code = w.Textarea(
        description="exported code",
        style=FULL_LABEL,
        layout=w.Layout(width="100%", height="22em", display="none"),
    )

    def explain():
        if diverged(pg):  # numbers hundreds of digits long: nothing to learn from them
            maths.value = "<i>No maths for a diverged network: press reset.</i>"
            return
        point = (controls["x1"].value, controls["x2"].value)
        maths.value = MATHS_STYLE + explain_point(pg, point, weights=controls["weights"].value)

    def divergence() -> str | None:  # the message, while the network that diverged is shown
        return run["diverged"][1] if run["diverged"][0] is pg.net else None

    def show_status():  # and, after a divergence, play and step disabled until a new network
        message = divergence()
        status.value = f"<span style='color:#c0392b'>{message}</span>" if message else ""
        buttons["step"].disabled = message is not None
        if not player.playing:  # else on_stop does it
            buttons["play"].disabled = message is not None

    def redraw(_=None):
        names = ("view", "show_test", "discretize", "shared_scale")
        options, unit = {k: controls[k].value for k in names}, controls["unit"].value
        drawn["axes"], image.value = render_frame(
            pg,
            fig,
            grid=grid,
            axes=drawn.get("axes"),
            unit=None if unit == OUTPUT_UNIT else unit,
            **options,
        )
        delta_note.layout.display = None if controls["view"].value == "deltas" else "none"
        epoch.value = f"<b>epoch {pg.epoch}</b>"
        train_loss, test_loss = (short(h[-1]) for h in (pg.train_loss, pg.test_loss))
        losses.value = f"{loss_name(pg)}: training {train_loss}, test {test_loss}"
        explain()
        editor.refresh()  # the weight shown follows the network

    def unit_row():
        children = []
        for k, width in enumerate(pg.config.hidden):
            minus = button(w, "−", f"one unit fewer in hidden layer {k + 1}", "32px")
            plus = button(w, "+", f"one more unit in hidden layer {k + 1}", "32px")
            minus.on_click(lambda _, k=k: remove_unit(k))
            plus.on_click(lambda _, k=k: add_unit(k))
            label = w.HTML(f"&nbsp;{width} unit{'s' if width > 1 else ''}&nbsp;")
            children.append(w.HBox([minus, label, plus], layout=w.Layout(margin="0 12px 0 0")))
        units.children = children
        titled(units)
        n = len(pg.config.hidden)
        layers.value = f"<b>{n} hidden layer{'' if n == 1 else 's'}</b>"
        options = unit_options(pg)
        chosen = controls["unit"].value
        run["quiet"] = True  # new options: no redraw (the caller redraws)
        controls["unit"].options = options
        controls["unit"].value = chosen if chosen in [v for _, v in options] else OUTPUT_UNIT
        run["quiet"] = False

    def apply(**changes) -> bool:
        with lock:
            before = pg.config
            try:
                pg.update(**changes)
            except ValueError as err:
                status.value = f"<span style='color:#c0392b'>{err}</span>"
                return False
            show_status()
            if pg.config == before:  # a +/- press at a bound: nothing to do
                return True
            unit_row()
            redraw()
        return True

    def on_control(change):
        if not run["quiet"]:
            apply(**{change["owner"].playground_field: change["new"]})

    fields = ("dataset", "noise", "train_ratio", "batch_size", "activation", "lr", "l2", "init")
    for name in (*fields, *(n for n in OPTIONAL if n in controls)):
        controls[name].playground_field = name
        controls[name].observe(on_control, names="value")

    def on_feature(change):
        if run["quiet"]:
            return
        chosen = tuple(n for n in FEATURES if checks[n].value)
        if not apply(features=chosen):  # e.g. no feature left: undo the click
            run["quiet"] = True
            change["owner"].value = change["old"]
            run["quiet"] = False

    for check in checks.values():
        check.observe(on_feature, names="value")

    def locked_redraw(_=None):
        with lock:
            redraw()

    def locked_explain(_=None):
        with lock:
            explain()

    def on_display(_=None):
        if not run["quiet"]:
            locked_redraw()

    for name in ("view", "show_test", "discretize", "unit", "shared_scale"):
        controls[name].observe(on_display, names="value")
    for name in ("x1", "x2", "weights"):
        controls[name].observe(locked_explain, names="value")

    def add_layer(_=None):
        apply(hidden=pg.config.add_layer().hidden)

    def remove_layer(_=None):
        apply(hidden=pg.config.remove_layer().hidden)

    def add_unit(k: int):
        apply(hidden=pg.config.add_unit(k).hidden)

    def remove_unit(k: int):
        apply(hidden=pg.config.remove_unit(k).hidden)

    def advance(n: int) -> bool:
        """Train n epochs and redraw; False if training diverged (then, or before)."""
        with lock:
            if divergence():  # said once: nothing more until reset
                return False
            message = train(pg, n)
            if message:
                run["diverged"] = (pg.net, message)
                show_status()
            redraw()
        return message is None

    def step(_=None):
        advance(1)

    def reset(_=None):
        pause()
        with lock:
            pg.reset()
            show_status()
            redraw()

    def regenerate(_=None):
        apply(data_seed=pg.config.data_seed + 1)

    def run_frames(n: int):
        for _ in range(n):
            if not advance(steps_per_frame):
                break

    def on_stop():
        buttons["play"].disabled = divergence() is not None

    player = Player(lambda: advance(steps_per_frame), on_stop=on_stop)
    editor = WeightEditor(w, pg, status, lock, player, blocked=divergence, redraw=redraw)

    def play(_=None):
        if divergence() is None and not player.playing:
            buttons["play"].disabled = True
            player.play()

    def pause(_=None):
        player.pause()

    def export(_=None):
        with lock:
            code.value = export_code(pg) + box.editor.export_note()
        code.layout.display = None

    for handler in (play, pause, step, reset, regenerate, add_layer, remove_layer, export):
        buttons[handler.__name__].on_click(handler)

    unit_row()
    redraw()

    def row(children):
        return w.HBox(children, layout=w.Layout(flex_flow="row wrap", align_items="center"))

    def columns(children, n: int):  # equal columns: the rows are even on any page width
        template = f"repeat({n}, minmax(0, 1fr))"
        return w.GridBox(children, layout=w.Layout(grid_template_columns=template))

    box = w.VBox(
        [
            columns(
                [row([controls["dataset"], buttons["regenerate"]])]
                + [controls[k] for k in ("noise", "train_ratio", "batch_size")],
                2,
            ),
            row([w.HTML("<b>features</b>&nbsp;"), *checks.values()]),
            row([buttons["remove_layer"], layers, buttons["add_layer"], w.HTML("&nbsp;"), units]),
            columns([controls[k] for k in TRAINING if k in controls], 3),
            row([*(buttons[k] for k in ("play", "pause", "step", "reset")), epoch, losses]),
            row([controls["view"], controls["unit"]]),
            row([controls[k] for k in ("show_test", "discretize", "shared_scale")]),
            delta_note,
            status,
            image,
            editor.row,
            row([buttons["export"]]),
            code,
            row([w.HTML("<b>show the maths at</b>&nbsp;"), controls["x1"], controls["x2"]]),
            controls["weights"],
            maths,
        ]
    )
    titled(box)  # no "null" tooltips
    box.playground, box.controls, box.features, box.buttons = pg, controls, checks, buttons
    box.status, box.maths, box.code, box.image = status, maths, code, image
    box.delta_note, box.epoch, box.player, box.editor = delta_note, epoch, player, editor
    box.losses = losses
    player.attach(box)  # box.close() stops playing for good
    box.step, box.reset, box.play, box.pause, box.run_frames = step, reset, play, pause, run_frames
    box.add_layer, box.remove_layer = add_layer, remove_layer
    box.add_unit, box.remove_unit = add_unit, remove_unit
    box.export, box.redraw, box.units, box.drawn = export, locked_redraw, units, drawn
    return box
