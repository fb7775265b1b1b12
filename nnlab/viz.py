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


FORWARD_COLOR, BACKWARD_COLOR, SKIPPED_COLOR = "#1f77b4", "#d62728", "#999999"


def _layer_label(event) -> str:
    name = event.layer.split("(")[0]
    if name == "Dense":
        return f"Dense\n{event.shape_in[-1]}→{event.shape_out[-1]}"
    return name


def _arrow(ax, x_from, x_to, y, color, label, *, above: bool, dashed: bool = False) -> None:
    style = {"arrowstyle": "-|>", "color": color, "lw": 1.4, "ls": "--" if dashed else "-"}
    ax.annotate("", xy=(x_to, y), xytext=(x_from, y), arrowprops=style)
    ax.text(
        (x_from + x_to) / 2,
        y + (0.05 if above else -0.05),
        label,
        ha="center",
        va="bottom" if above else "top",
        fontsize=8.5,
        color=color,
    )


def plot_passes(events, ax=None, *, spacing: float = 1.75):
    """Draw a traced forward and backward pass as a chain of boxes joined by arrows.

    ``events`` come from :func:`nnlab.trace` (one forward pass, optionally one backward).
    Forward arrows (top, blue) carry the shape of each activation, backward arrows (bottom,
    red) the shape of each gradient. The numbers above and below a box give the order of its
    visits; under a dense layer are the parameter gradients its backward visit fills. An
    input gradient that backward skipped (``input_grad=False``) is drawn dashed and grey.
    """
    plt = _plt()
    from matplotlib.patches import FancyBboxPatch

    fwd = [e for e in events if e.direction == "forward"]
    bwd = {e.index: (k, e) for k, e in enumerate(e for e in events if e.direction == "backward")}
    if not fwd or [e.index for e in fwd] != list(range(len(fwd))):
        raise ValueError("plot_passes expected the events of exactly one forward pass.")
    ax = ax or plt.gca()
    n = len(fwd)
    half, dy = 0.45, 0.13
    labels = ["X", *(_layer_label(e) for e in fwd), "loss"]
    for j, text in enumerate(labels):
        box = FancyBboxPatch(
            (j * spacing - half, -0.3),
            2 * half,
            0.6,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor="#f2f2f2" if 0 < j <= n else "white",
            edgecolor="#555555",
            linewidth=1.0,
        )
        ax.add_patch(box)
        ax.text(j * spacing, 0, text, ha="center", va="center", fontsize=10.5)
    for j in range(n + 1):  # the gap between box j and box j + 1
        left, right = j * spacing + half, (j + 1) * spacing - half
        shape = fwd[j].shape_in if j < n else fwd[-1].shape_out
        _arrow(ax, left, right, dy, FORWARD_COLOR, str(shape), above=True)
        # Backward, this gap carries what layer j returns (dZ of the loss when j == n).
        if j == n and n - 1 in bwd:
            grad = bwd[n - 1][1].shape_in
        elif j in bwd:
            grad = bwd[j][1].shape_out
        else:
            continue
        if grad is None:
            _arrow(ax, right, left, -dy, SKIPPED_COLOR, "skipped", above=False, dashed=True)
        else:
            _arrow(ax, right, left, -dy, BACKWARD_COLOR, str(grad), above=False)
    for i, e in enumerate(fwd):
        x = (i + 1) * spacing
        bold = {"ha": "center", "fontsize": 9.5, "fontweight": "bold"}
        ax.text(x, 0.36, str(i + 1), va="bottom", color=FORWARD_COLOR, **bold)
        if i in bwd:
            ax.text(x, -0.36, str(n + bwd[i][0] + 1), va="top", color=BACKWARD_COLOR, **bold)
            if e.layer.startswith("Dense"):
                a, b = e.shape_in[-1], e.shape_out[-1]
                text = f"dW ({a}, {b})\ndb ({b},)"
                ax.text(x, -0.6, text, ha="center", va="top", fontsize=8, color=BACKWARD_COLOR)
    ax.text(0, 0.36, "forward", ha="center", va="bottom", fontsize=9, color=FORWARD_COLOR)
    if bwd:
        ax.text(0, -0.36, "backward", ha="center", va="top", fontsize=9, color=BACKWARD_COLOR)
    ax.set_xlim(-half - 0.1, (n + 1) * spacing + half + 0.1)
    ax.set_ylim(-1.0, 0.58)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_flops(table, ax=None, *, title: bool = True):
    """Bar chart of a :func:`nnlab.widgets.flops_table`: forward and backward FLOPs per layer.

    Each layer gets a forward bar (blue) and a stacked backward bar: ``dW`` and ``db`` (red),
    ``dX`` (light red) and the activation's backward (grey). A dashed tick marks twice the
    forward count, the rule of thumb; the title gives the total backward/forward ratio.
    """
    plt = _plt()
    from matplotlib.ticker import EngFormatter

    ax = ax or plt.gca()
    x = np.arange(len(table["labels"]))
    w = 0.38
    ax.bar(x - w / 2, table["forward"], w, color=FORWARD_COLOR, label="forward")
    bottom = np.zeros(len(x))
    for key, color, label in (
        ("backward_dW", BACKWARD_COLOR, "backward: dW, db"),
        ("backward_dX", "#f4a3a3", "backward: dX"),
        ("backward_act", SKIPPED_COLOR, "backward: activation"),
    ):
        ax.bar(x + w / 2, table[key], w, bottom=bottom, color=color, label=label)
        bottom = bottom + table[key]
    twice = 2 * np.asarray(table["forward"])
    dashed = {"colors": "black", "linestyles": "--", "lw": 1, "label": "2 × forward"}
    ax.hlines(twice, x + 0.02, x + w - 0.02, **dashed)
    for i in np.flatnonzero(np.asarray(table["backward_dX"]) == 0):
        ax.text(x[i] + w / 2, bottom[i], "dX\nskipped", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, [f"layer {i + 1}\n{s}" for i, s in enumerate(table["labels"])])
    ax.yaxis.set_major_formatter(EngFormatter())
    ax.set_ylabel("FLOPs per batch")
    ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(f"backward / forward FLOPs = {table['ratio']:.2f}")
    return ax


# --- Network diagrams (chapter book/step-by-step-backprop) -----------------------------------

_PHASE_COLORS = {
    "forward": ("#1f77b4", "#dbe9f6"),
    "loss": ("#7f3f98", "#eadcf2"),
    "backward": ("#d62728", "#f9dcdc"),
    "update": ("#2ca02c", "#dcf2dc"),
}
_GRAD_COLOR = "#c0392b"


def network_layout(layer_sizes, *, bias: bool = True, dx: float = 2.4):
    """Positions of the units (and bias units) of a fully connected network diagram.

    Layer ``l`` sits at ``x = l * dx``; its units are one unit of length apart, centred on
    ``y = 0``, unit 0 on top. A bias unit (the constant 1) sits below each layer but the last.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first.
    bias : bool, default True
        Whether to place bias units.
    dx : float, default 2.4
        Horizontal distance between layers.

    Returns
    -------
    units : list of ndarray
        ``units[l]`` holds the ``(x, y)`` of each unit of layer ``l``.
    bias_units : list of ndarray or None
        ``bias_units[l]`` is the ``(x, y)`` of layer ``l``'s bias unit (None for the last
        layer, and for all when ``bias=False``).

    Shapes
    ------
    ``units[l]``: ``(layer_sizes[l], 2)``; ``bias_units[l]``: ``(2,)``.
    """
    sizes = [int(k) for k in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(
            f"network_layout expected at least 2 layer sizes, all >= 1, got {list(layer_sizes)}."
        )
    units, bias_units = [], []
    for i, k in enumerate(sizes):
        y = (k - 1) / 2 - np.arange(k, dtype=float)
        units.append(np.column_stack([np.full(k, i * dx), y]))
        last = i == len(sizes) - 1
        bias_units.append(None if last or not bias else np.array([i * dx, y[-1] - 1.0]))
    return units, bias_units


def _check_values(values, sizes, name: str):
    if values is None:
        return [None] * len(sizes)
    values = list(values)
    if len(values) != len(sizes):
        raise ValueError(f"draw_network: {name} needs {len(sizes)} entries, got {len(values)}.")
    checked = []
    for i, (v, shape) in enumerate(zip(values, sizes, strict=True)):
        if v is not None:
            v = np.asarray(v, dtype=float)
            if v.shape != shape:
                raise ValueError(
                    f"draw_network: {name}[{i}] must have shape {shape}, got {v.shape}."
                )
        checked.append(v)
    return checked


def _edge_label(ax, p, q, text, t, color, weight, size):
    """Write ``text`` on the segment p -> q at fraction ``t``, rotated along it."""
    x, y = p + t * (q - p)
    angle = np.degrees(np.arctan2(q[1] - p[1], q[0] - p[0]))
    ax.text(
        x,
        y,
        text,
        color=color,
        fontsize=size,
        fontweight=weight,
        ha="center",
        va="center",
        rotation=angle,
        rotation_mode="anchor",
        transform_rotates_text=True,
        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.9},
        zorder=4,
    )


def draw_network(
    layer_sizes,
    *,
    node_values=None,
    node_grads=None,
    edge_values=None,
    bias_values=None,
    edge_kinds=None,
    highlight_nodes=(),
    highlight_edges=(),
    phase: str = "forward",
    layer_labels=None,
    ax=None,
    fontsize: float = 8.5,
):
    """Draw a fully connected network with a number on each unit and each edge.

    Units are circles holding their forward value (``node_values``), with their backward
    value (``node_grads``) in red underneath; each edge carries its weight, or its gradient
    (in red) when ``edge_kinds[k] == "grad"``. Bias units, labelled 1, are drawn when
    ``bias_values`` is given; their edges carry the biases. Highlighted layers take the colour
    of ``phase``; everything else is grey. NaN values are left blank.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first (``m + 1`` entries for ``m`` weight layers).
    node_values, node_grads : list of array_like or None, optional
        Per layer, one number per unit, or None for no numbers.
    edge_values : list of array_like or None, optional
        Per weight layer, ``W[i, j]`` is written on the edge from unit ``i`` to unit ``j``.
    bias_values : list of array_like or None, optional
        Per weight layer, the bias of each unit it feeds; draws the bias units.
    edge_kinds : list of str, optional
        Per weight layer, ``"weight"`` (default) or ``"grad"``.
    highlight_nodes, highlight_edges : iterable of int
        Indices of the unit layers and weight layers to highlight.
    phase : {"forward", "loss", "backward", "update"}, default "forward"
        Colour of the highlight.
    layer_labels : list of str, optional
        Captions above the layers; default "input", "hidden 1", ..., "output".
    ax : matplotlib Axes, optional
        Where to draw; default the current Axes.
    fontsize : float, default 8.5
        Size of the numbers.

    Returns
    -------
    matplotlib Axes
        The axes, with one Circle patch per unit and bias unit and one line per edge.

    Shapes
    ------
    ``node_values[k]``, ``node_grads[k]``: ``(layer_sizes[k],)``; ``edge_values[k]``:
    ``(layer_sizes[k], layer_sizes[k + 1])``; ``bias_values[k]``: ``(layer_sizes[k + 1],)``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_network([2, 3, 1], edge_values=[np.ones((2, 3)), np.ones((3, 1))])
    >>> len(ax.lines), len(ax.patches)
    (9, 6)
    """
    plt = _plt()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    if phase not in _PHASE_COLORS:
        raise ValueError(
            f"draw_network: phase must be one of {', '.join(map(repr, _PHASE_COLORS))}, "
            f"got {phase!r}."
        )
    sizes = [int(k) for k in layer_sizes]
    m = len(sizes) - 1
    nvals = _check_values(node_values, [(n,) for n in sizes], "node_values")
    ngrads = _check_values(node_grads, [(n,) for n in sizes], "node_grads")
    evals = _check_values(edge_values, [(sizes[i], sizes[i + 1]) for i in range(m)], "edge_values")
    bvals = _check_values(bias_values, [(n,) for n in sizes[1:]], "bias_values")
    kinds = list(edge_kinds) if edge_kinds is not None else ["weight"] * m
    if len(kinds) != m or set(kinds) - {"weight", "grad"}:
        raise ValueError(
            f"draw_network: edge_kinds needs {m} entries, each 'weight' or 'grad', got {kinds}."
        )
    units, bias_units = network_layout(sizes, bias=bias_values is not None)
    hl_nodes, hl_edges = set(highlight_nodes), set(highlight_edges)
    strong, light = _PHASE_COLORS[phase]
    ax = ax or plt.gca()
    r = 0.34

    for k in range(m):
        sources = list(units[k]) + ([bias_units[k]] if bias_units[k] is not None else [])
        on = k in hl_edges
        grad = kinds[k] == "grad"
        text_color = _GRAD_COLOR if grad else "#222222"
        for i, p in enumerate(sources):
            is_bias = i == sizes[k]
            for j, q in enumerate(units[k + 1]):
                ax.add_line(
                    Line2D(
                        [p[0], q[0]],
                        [p[1], q[1]],
                        color=strong if on else "#b0b0b0",
                        lw=2.0 if on else 0.9,
                        ls=(0, (3, 2)) if is_bias else "-",
                        zorder=1,
                    )
                )
                values = bvals[k] if is_bias else evals[k]
                if values is None:
                    continue
                value = values[j] if is_bias else values[i, j]
                if np.isfinite(value):
                    weight = "bold" if on else "normal"
                    _edge_label(ax, p, q, f"{value:.3f}", 0.36, text_color, weight, fontsize - 0.5)

    for k, layer in enumerate(units):
        on = k in hl_nodes
        for i, (x, y) in enumerate(layer):
            ax.add_patch(
                Circle(
                    (x, y),
                    r,
                    fc=light if on else "white",
                    ec=strong if on else "#555555",
                    lw=2.0 if on else 1.0,
                    zorder=2,
                )
            )
            if nvals[k] is not None and np.isfinite(nvals[k][i]):
                ax.text(
                    x,
                    y,
                    f"{nvals[k][i]:.4f}",
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    zorder=3,
                )
            if ngrads[k] is not None and np.isfinite(ngrads[k][i]):
                ax.text(
                    x,
                    y - r - 0.08,
                    f"{ngrads[k][i]:.4f}",
                    ha="center",
                    va="top",
                    color=_GRAD_COLOR,
                    fontsize=fontsize,
                    fontweight="bold",
                    zorder=3,
                )
        if bias_units[k] is not None:
            bx, by = bias_units[k]
            ax.add_patch(Circle((bx, by), 0.6 * r, fc="#f2f2f2", ec="#777777", zorder=2))
            ax.text(bx, by, "1", ha="center", va="center", fontsize=fontsize, zorder=3)

    labels = layer_labels
    if labels is None:
        hidden = ["hidden"] if m == 2 else [f"hidden {k}" for k in range(1, m)]
        labels = ["input", *hidden, "output"]
    top = max(layer[0, 1] for layer in units) + r + 0.15
    for layer, label in zip(units, labels, strict=True):
        ax.text(
            layer[0, 0],
            top,
            label,
            ha="center",
            va="bottom",
            fontsize=fontsize + 1,
            color="#444444",
        )
    bottom = min(
        [layer[-1, 1] - r - 0.45 for layer in units]
        + [b[1] - 0.6 * r - 0.1 for b in bias_units if b is not None]
    )
    ax.set_xlim(units[0][0, 0] - 0.6, units[-1][0, 0] + 0.6)
    ax.set_ylim(bottom, top + 0.4)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def draw_step(step, ax=None, *, description: bool = True, width: int = 100):
    """Draw one :class:`nnlab.widgets.Step`: the network, a title with the step's equation,
    and (with ``description=True``) its sentence underneath.

    Parameters
    ----------
    step : nnlab.widgets.Step
        A step of :func:`nnlab.widgets.backprop_steps`.
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
    color = _PHASE_COLORS[step.phase][0]
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
    """A ``matplotlib.animation`` with one frame per :class:`nnlab.widgets.Step`.

    Render it without a kernel with :func:`animation_html`.

    Parameters
    ----------
    steps : list of Step
        From :func:`nnlab.widgets.backprop_steps`.
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
    plt = _plt()
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


def number_table(header, rows, *, digits: int = 4):
    """A small HTML table for the book, with every number rounded to ``digits`` places.

    Numbers are right-aligned in tabular figures; strings are inserted as HTML, so
    ``"z<sub>1</sub>"`` shows a subscript. The output is plain HTML text, identical on every
    run, so nbval can compare it.

    Parameters
    ----------
    header : sequence of str
        Column captions.
    rows : sequence of sequence
        Cells: real numbers (formatted with ``digits`` decimals) or strings.
    digits : int, default 4
        Decimals of each number.

    Returns
    -------
    IPython.display.HTML

    Examples
    --------
    >>> number_table(["unit", "z"], [["h<sub>1</sub>", 0.6]]).data.count("<tr>")
    2
    """
    import numbers

    from IPython.display import HTML

    pad = "padding: 0.15em 0.8em"

    def cell(tag: str, value) -> str:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return f'<{tag} style="text-align:right; {pad}">{float(value):.{digits}f}</{tag}>'
        return f'<{tag} style="text-align:left; {pad}">{value}</{tag}>'

    head = "".join(cell("th", h) for h in header)
    body = "".join("<tr>" + "".join(cell("td", v) for v in row) + "</tr>" for row in rows)
    style = "font-variant-numeric: tabular-nums; border-collapse: collapse"
    return HTML(
        f'<table class="nnlab-numbers" style="{style}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def animation_html(anim, *, colors: int | None = 64, close: bool = True):
    """Render a ``matplotlib.animation`` as self-contained, scrubbable HTML (like ``to_jshtml``).

    Works without a kernel and without network: frames are inline PNGs (the book build strips
    the one CDN stylesheet link matplotlib adds). Each frame is stored as a palette PNG of at
    most ``colors`` colours: diagrams and line plots use few colours, so that is about three
    times smaller than a full-colour frame and looks the same (``colors=None`` keeps full
    colour).

    Parameters
    ----------
    anim : matplotlib.animation.Animation
        The animation; its frame interval sets the playback speed.
    colors : int or None, default 64
        Size of each frame's palette, from 2 to 256; None for full-colour frames.
    close : bool, default True
        Close the animation's figure, so that it is not shown a second time.

    Returns
    -------
    IPython.display.HTML
    """
    import base64
    import io
    import tempfile
    from pathlib import Path

    from IPython.display import HTML
    from matplotlib.animation import HTMLWriter
    from PIL import Image

    if colors is not None and (
        isinstance(colors, bool) or not isinstance(colors, int) or not 2 <= colors <= 256
    ):
        raise ValueError(f"animation_html: colors must be an int in [2, 256], got {colors!r}.")

    def palette_png(data: str) -> str:
        image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
        out = io.BytesIO()
        image.quantize(colors).save(out, format="png", optimize=True)
        return base64.encodebytes(out.getvalue()).decode("ascii")

    class PaletteHTMLWriter(HTMLWriter):
        def grab_frame(self, **savefig_kwargs):
            n = len(self._saved_frames)
            super().grab_frame(**savefig_kwargs)
            if colors is not None and len(self._saved_frames) > n:
                self._saved_frames[-1] = palette_png(self._saved_frames[-1])

    writer = PaletteHTMLWriter(fps=1000 / anim._interval, embed_frames=True, default_mode="once")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "animation.html")
        anim.save(str(path), writer=writer)
        html = path.read_text()
    if close:
        _plt().close(anim._fig)
    return HTML(html)


def plot_pass_memory(memory: dict, ax=None, *, title: str | None = None):
    """Bar chart of :func:`nnlab.widgets.pass_memory`'s result, in MB."""
    plt = _plt()
    ax = ax or plt.gca()
    keys = ["parameters", "gradients", "training_cache", "inference_peak"]
    labels = ["parameters", "gradients", "kept for\nbackward", "inference\nworking set"]
    colors = ["#7f7f7f", "#bbbbbb", "#d62728", "#1f77b4"]
    values = [memory[k] / 1e6 for k in keys]
    ax.bar(labels, values, color=colors)
    for i, v in enumerate(values):
        ax.text(i, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("MB")
    if title:
        ax.set_title(title, fontsize=10)
    return ax
