"""The playground's figure: the network with a heatmap in each unit and edges drawn by weight,
the output over the plane with the data, the loss curves and the per-layer gradient norms.

Every number drawn comes from :class:`~.model.Playground` and :func:`~.maps.playground_maps`;
the colours and colour ranges of the maps from :mod:`~.scales` (``shared_scale``: one range
for the unit maps of a view, on by default, so that vanishing signals show as blank).
"""

from __future__ import annotations

import numpy as np

from ...viz import pyplot
from ..network_drawing import network_layout
from .features import feature_label
from .labels import loss_name, output_name
from .maps import Maps, playground_maps
from .model import Playground
from .scales import (
    NEGATIVE,
    POSITIVE,
    colormap,
    output_image,
    scale_note,
    target_range,
    unit_images,
)
from .scales import symmetric as _symmetric

VIEWS = ("activations", "deltas")


def check_view(view: str) -> str:
    if view not in VIEWS:
        raise ValueError(
            f"playground: unknown view {view!r}; expected one of "
            + ", ".join(repr(v) for v in VIEWS)
            + "."
        )
    return view


def _edge_style(pg: Playground) -> tuple[list, np.ndarray]:
    """Each weight's colour (by sign) and line width (by size), in ``W[i, j]`` order."""
    W = np.concatenate([la.W.ravel() for la in pg.dense])
    colors = [POSITIVE if w > 0 else NEGATIVE for w in W]
    return colors, 0.3 + 4.0 * np.minimum(np.abs(W) / _symmetric(W), 1.0)


def draw_unit_network(
    pg: Playground,
    maps: Maps,
    ax=None,
    *,
    view: str = "activations",
    shared_scale: bool = True,
):
    """The network, each unit drawn as its map over the plane, each edge by its weight.

    Inputs show their feature; hidden units and the output show ``A^[l]`` (``view=
    "activations"``) or the delta maps ``delta^[l]`` (``view="deltas"``). The deltas are
    those of a one-sample loss at each grid point whose target is that of the nearest
    training point (:data:`~.maps.DELTA_TARGET_RULE`, :func:`~.maps.playground_maps`).

    With ``shared_scale`` (default) the hidden units, and the output except a classifier's
    (in the activations view), share one symmetric colour range ``[-M, M]``, ``M`` the
    largest ``|value|`` over them, given in the title: a layer with tiny activations or deltas
    shows as nearly blank. With ``shared_scale=False`` each map has its own symmetric range,
    so a small delta looks as strong as a large one. The inputs (features) always have their
    own range; a classifier's output its fixed one, orange (class 0) to blue (class 1): the
    probability from 0 to 1 (``output="nnlab"``), the ``tanh`` output from -1 to 1
    (``output="playground"``); see :mod:`~.scales`. Edges are blue for positive weights,
    orange for negative, as wide as ``|w|`` relative to the largest.

    Returns
    -------
    matplotlib Axes
        One image per unit, one line per weight (a LineCollection).
    """
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Rectangle

    check_view(view)
    ax = ax or pyplot().gca()
    sizes = pg.config.sizes
    units, _ = network_layout(sizes, bias=False, dx=2.4)
    units = [u * [1.0, 1.3] for u in units]
    half = 0.45
    cmap = colormap()
    segments = [
        [(p[0] + half, p[1]), (q[0] - half, q[1])]
        for k in range(len(units) - 1)
        for p in units[k]
        for q in units[k + 1]
    ]
    colors, widths = _edge_style(pg)
    ax.add_collection(LineCollection(segments, colors=colors, linewidths=widths, zorder=1))
    styles = iter(unit_images(pg, maps, view, shared_scale))
    for k, layer in enumerate(units):
        for i, (x, y) in enumerate(layer):
            img, lo, hi = next(styles)
            ax.imshow(
                img,
                origin="lower",
                extent=(x - half, x + half, y - half, y + half),
                cmap=cmap,
                vmin=lo,
                vmax=hi,
                interpolation="bilinear",
                zorder=2,
            )
            ax.add_patch(
                Rectangle(
                    (x - half, y - half),
                    2 * half,
                    2 * half,
                    fill=False,
                    ec="#555555",
                    lw=0.8,
                    zorder=3,
                )
            )
            if k == 0:
                label = f"${feature_label(pg.config.features[i])}$"
                ax.text(x - half - 0.1, y, label, ha="right", va="center", fontsize=9)
    top = max(u[0, 1] for u in units) + half + 0.2
    m = len(units) - 1
    names = ["features", *(f"hidden {k}" for k in range(1, m)), "output"]
    for layer, name in zip(units, names, strict=True):
        ax.text(layer[0, 0], top, name, ha="center", va="bottom", fontsize=9, color="#444444")
    bottom = min(u[-1, 1] for u in units) - half - 0.2
    ax.set_xlim(units[0][0, 0] - 1.6, units[-1][0, 0] + half + 0.2)
    ax.set_ylim(bottom, top + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    _network_title(ax, view, scale_note(pg, maps, view, shared_scale))
    return ax


def _network_title(ax, view: str, note: str) -> None:
    what = r"$\delta^{[l]}$" if view == "deltas" else "$A^{[l]}$"
    ax.set_title(f"each unit over the plane: {what}, {note}", fontsize=10)


def plot_output(
    pg: Playground,
    maps: Maps,
    ax=None,
    *,
    show_test: bool = True,
    discretize: bool = False,
    unit: tuple[int, int] | None = None,
    view: str = "activations",
    shared_scale: bool = True,
):
    """The output over the plane with the training points (white edges) and, with
    ``show_test``, the test points (black edges), coloured by their targets on the same
    scale: P(class 1) on ``[0, 1]`` (``output="nnlab"``), the ``tanh`` output on ``[-1, 1]``
    with the labels as -1/+1 (``output="playground"``), or the prediction on a range
    symmetric about 0 (see :func:`~.scales.target_range`). ``discretize`` shows the predicted
    class (the output above ``pg.boundary``, 0.5 or 0) or the sign of the prediction instead.

    ``unit=(l, i)`` shows unit ``i`` of layer ``l`` instead (0-based unit, ``l = 0`` for
    the features, ``l = m`` for the output), as :func:`draw_unit_network` draws it in
    ``view`` with ``shared_scale`` (the same colour range): the TensorFlow Playground's
    enlarged unit. Its deltas use the nearest training point's target (see
    :func:`~.maps.playground_maps`)."""
    ax = ax or pyplot().gca()
    cmap, d = colormap(), pg.domain
    img, img_lo, img_hi, title = _big_map(pg, maps, discretize, unit, view, shared_scale)
    lo, top = target_range(pg)
    ax.imshow(
        img,
        origin="lower",
        extent=(-d, d, -d, d),
        cmap=cmap,
        vmin=img_lo,
        vmax=img_hi,
        alpha=0.75,
        interpolation="bilinear",
    )
    parts = [(pg.split.X_train, pg.targets_train, "white", "train")]
    if show_test:
        parts.append((pg.split.X_test, pg.targets_test, "black", "test"))
    for X, y, edge, label in parts:
        ax.scatter(
            X[:, 0],
            X[:, 1],
            c=y,
            cmap=cmap,
            vmin=lo,
            vmax=top,
            s=11,
            edgecolors=edge,
            linewidths=0.5,
            label=label,
        )
    ax.set(xlim=(-d, d), ylim=(-d, d), aspect="equal")
    ax.set_xlabel("$x_1$", fontsize=9)
    ax.set_ylabel("$x_2$", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.set_title(title, fontsize=10)
    return ax


def _big_map(
    pg: Playground, maps: Maps, discretize: bool, unit, view: str, shared_scale: bool = True
) -> tuple:
    """The output panel's image, its colour limits and its title."""
    if unit is None:
        image = output_image(pg, maps, discretize)
        return image, *target_range(pg), f"output: {output_name(pg.task)}, epoch {pg.epoch}"
    sizes = pg.config.sizes
    layer, i = unit
    if not (0 <= layer < len(sizes) and 0 <= i < sizes[layer]):
        raise ValueError(f"playground: no unit {unit} in a network of sizes {sizes}.")
    image = unit_images(pg, maps, view, shared_scale)[sum(sizes[:layer]) + i]
    if layer == 0:
        name = f"feature {pg.config.features[i]}"
    else:
        place = "output" if layer == len(sizes) - 1 else f"hidden {layer}"
        name = f"{place}, unit {i + 1}: " + ("δ" if view == "deltas" else "A")
    return (*image, f"{name}, epoch {pg.epoch}")


def plot_losses(pg: Playground, ax=None):
    """Training and test loss after each epoch (epoch 0: at initialization), named in the
    title (:func:`~.labels.loss_name`: half squared error for ``output="playground"``)."""
    ax = ax or pyplot().gca()
    epochs = np.arange(len(pg.train_loss))
    ax.plot(epochs, pg.train_loss, color="#333333", lw=1.4, label="train")
    ax.plot(epochs, pg.test_loss, color="#999999", lw=1.4, ls="--", label="test")
    ax.set_xlabel("epoch", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, loc="upper right")
    _loss_title(pg, ax)
    return ax


def _loss_title(pg: Playground, ax) -> None:
    name = loss_name(pg.task)
    ax.set_title(f"{name}: train {pg.train_loss[-1]:.3f}, test {pg.test_loss[-1]:.3f}", fontsize=10)


def plot_grad_norms(pg: Playground, ax=None):
    """``||dW^[l]||_F`` of the training loss per layer, after the last epoch (on a log scale
    when they span more than a factor 30; a note when all are 0)."""
    ax = ax or pyplot().gca()
    norms = pg.grad_norms[-1]
    layers = np.arange(1, len(norms) + 1)
    ax.bar(layers, norms, color=POSITIVE, width=0.6)
    _grad_scale(ax, norms)
    ax.set_xticks(layers, [str(k) for k in layers])
    ax.set_xlabel("layer l", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.set_title(r"gradient norms $\|\partial L / \partial W^{[l]}\|_F$", fontsize=10)
    return ax


ZERO_GRADIENTS = "every dL/dW is 0: no gradient reaches the weights"


def _grad_scale(ax, norms: np.ndarray) -> None:
    """The scale for ``norms``, and :data:`ZERO_GRADIENTS` written across the panel when they
    are all 0 (dead ReLUs in a layer, say), where empty bars would look like a fault."""
    finite = np.all(np.isfinite(norms)) and np.all(norms > 0)
    log = finite and norms.max() > 30 * norms.min()  # vanishing or exploding: log scale
    ax.set_yscale("log" if log else "linear")
    if not ax.texts:
        box = {"fc": "white", "ec": "none"}
        ax.text(0.5, 0.6, ZERO_GRADIENTS, transform=ax.transAxes, ha="center", fontsize=9, bbox=box)
    ax.texts[0].set_visible(bool(np.all(norms == 0)))


def _layout_key(pg: Playground, *options) -> tuple:
    """What fixes the figure's artists: a change of any of these needs a full redraw."""
    c = pg.config
    return (tuple(c.sizes), c.features, pg.task, id(pg.split), *options)


def _refresh(pg: Playground, maps: Maps, axes: dict, discretize: bool, shared: bool) -> None:
    """Put the current numbers, and the colour ranges for ``shared`` (``shared_scale``), into
    the artists of a figure drawn for the same layout."""
    net, view = axes["network"], axes["view"]
    for image, (img, lo, hi) in zip(
        net.get_images(), unit_images(pg, maps, view, shared), strict=True
    ):
        image.set_data(img)
        image.set_clim(lo, hi)
    _network_title(net, view, scale_note(pg, maps, view, shared))
    (edges,) = net.collections
    colors, widths = _edge_style(pg)
    edges.set_colors(colors)
    edges.set_linewidths(widths)
    img, lo, hi, title = _big_map(pg, maps, discretize, axes["unit"], view, shared)
    axes["output"].get_images()[0].set_data(img)
    axes["output"].get_images()[0].set_clim(lo, hi)
    axes["output"].set_title(title, fontsize=10)
    train, test = axes["loss"].lines
    epochs = np.arange(len(pg.train_loss))
    train.set_data(epochs, pg.train_loss)
    test.set_data(epochs, pg.test_loss)
    _loss_title(pg, axes["loss"])
    norms = pg.grad_norms[-1]
    for bar, height in zip(axes["grads"].patches, norms, strict=True):
        bar.set_height(height)
    _grad_scale(axes["grads"], norms)
    for name in ("loss", "grads"):
        axes[name].relim()
        axes[name].autoscale_view()


def draw_playground(
    pg: Playground,
    fig=None,
    *,
    maps: Maps | None = None,
    grid: int = 50,
    view: str = "activations",
    show_test: bool = True,
    discretize: bool = False,
    unit: tuple[int, int] | None = None,
    axes: dict | None = None,
    shared_scale: bool = True,
) -> dict:
    """The whole playground in one figure: the unit network on the left; the output map,
    the loss curves and the gradient norms on the right.

    Parameters
    ----------
    pg : Playground
    fig : matplotlib Figure, optional
        A pyplot figure or a bare ``matplotlib.figure.Figure``; default a new pyplot figure.
    maps : Maps, optional
        Default ``playground_maps(pg, grid)``.
    view : {"activations", "deltas"}
        Each unit's activations, or its deltas for the target of the nearest training point
        (:data:`~.maps.DELTA_TARGET_RULE`).
    show_test, discretize : bool
        See :func:`plot_output`.
    unit : (l, i), optional
        Enlarge this unit in the output panel (see :func:`plot_output`).
    axes : dict, optional
        What the last call on ``fig`` returned. If the network's shape, the data and the
        options are unchanged, the figure is updated in place (images, edges, curves, bars:
        a few times faster than drawing it again); otherwise it is cleared and drawn anew.
        ``shared_scale`` may change between the two: only the colour ranges differ.
    shared_scale : bool, default True
        One colour range for the unit maps of the view, in the network and in an enlarged
        unit (see :func:`draw_unit_network`); ``False``: each map on its own range.

    Returns
    -------
    dict
        The axes ``network``, ``output``, ``loss``, ``grads``, and what a later call needs
        to update them in place.
    """
    check_view(view)
    fig = fig if fig is not None else pyplot().figure(figsize=(12, 6.2))
    maps = maps if maps is not None else playground_maps(pg, grid)
    key = _layout_key(pg, view, show_test, discretize, unit)
    if axes is not None and axes.get("key") == key and axes["network"].figure is fig:
        _refresh(pg, maps, axes, discretize, shared_scale)
        return axes
    fig.clear()
    spec = fig.add_gridspec(
        3,
        2,
        width_ratios=(1.7, 1),
        height_ratios=(2.2, 1, 1),
        hspace=0.6,
        wspace=0.12,
        left=0.02,
        right=0.98,
        top=0.94,
        bottom=0.08,
    )
    axes = {
        "network": fig.add_subplot(spec[:, 0]),
        "output": fig.add_subplot(spec[0, 1]),
        "loss": fig.add_subplot(spec[1, 1]),
        "grads": fig.add_subplot(spec[2, 1]),
        "key": key,
        "view": view,
        "unit": unit,
    }
    draw_unit_network(pg, maps, axes["network"], view=view, shared_scale=shared_scale)
    options = {"show_test": show_test, "discretize": discretize, "unit": unit, "view": view}
    plot_output(pg, maps, axes["output"], shared_scale=shared_scale, **options)
    plot_losses(pg, axes["loss"])
    plot_grad_norms(pg, axes["grads"])
    return axes
