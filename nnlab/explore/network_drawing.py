"""A fully connected network drawn with a number on each unit and each edge (chapter
book/step-by-step-backprop, where :mod:`nnlab.explore.backprop_frames` draws each step on it).

Figure only: :func:`network_layout` places the units, :func:`draw_network` draws them.
"""

from __future__ import annotations

import numpy as np

from ..viz import pyplot

# The strong and the light colour of each phase of a pass.
PHASE_PALETTE = {
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
    plt = pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    if phase not in PHASE_PALETTE:
        raise ValueError(
            f"draw_network: phase must be one of {', '.join(map(repr, PHASE_PALETTE))}, "
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
    strong, light = PHASE_PALETTE[phase]
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
