"""The playground's figure: what each panel shows comes from the Playground and its maps."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from helpers import loaded_by_import
from matplotlib.collections import LineCollection

from nnlab import viz
from nnlab.explore.playground import (
    Playground,
    PlaygroundConfig,
    draw_playground,
    draw_unit_network,
    playground_animation,
    playground_maps,
    plot_grad_norms,
    plot_losses,
    plot_output,
)
from nnlab.explore.playground.drawing import NEGATIVE, POSITIVE
from nnlab.explore.playground.scales import shared_limit, unit_images


def test_importing_the_playground_needs_only_numpy():
    heavy = ["matplotlib", "ipywidgets", "IPython"]
    assert loaded_by_import("nnlab.explore.playground", heavy) == []


@pytest.fixture(scope="module")
def trained():
    pg = Playground(PlaygroundConfig(features=("x1", "x2", "x1^2"), hidden=(3, 2))).step(3)
    return pg, playground_maps(pg, grid=10)


def test_the_network_has_a_map_per_unit_and_a_line_per_weight(trained):
    pg, maps = trained
    ax = draw_unit_network(pg, maps, plt.gca())
    images = ax.get_images()
    assert len(images) == 3 + 3 + 2 + 1
    np.testing.assert_array_equal(images[0].get_array(), maps.inputs[0])
    np.testing.assert_array_equal(images[3].get_array(), maps.A[0][0])
    np.testing.assert_array_equal(images[-1].get_array(), maps.output)
    assert images[-1].get_clim() == (0.0, 1.0)
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    W = np.concatenate([la.W.ravel() for la in pg.dense])
    assert len(lines.get_segments()) == W.size == 3 * 3 + 3 * 2 + 2
    colors = [tuple(c) for c in lines.get_colors()]
    blue, orange = plt.matplotlib.colors.to_rgba(POSITIVE), plt.matplotlib.colors.to_rgba(NEGATIVE)
    assert colors == [blue if w > 0 else orange for w in W]
    widths = np.asarray(lines.get_linewidths())
    assert widths[np.argmax(np.abs(W))] == pytest.approx(4.3)
    assert np.all(np.diff(widths[np.argsort(np.abs(W))]) >= 0)


def test_the_deltas_view_draws_the_delta_maps(trained):
    pg, maps = trained
    ax = draw_unit_network(pg, maps, plt.gca(), view="deltas", shared_scale=False)
    images = ax.get_images()
    np.testing.assert_array_equal(images[4].get_array(), maps.delta[0][1])
    np.testing.assert_array_equal(images[-1].get_array(), maps.delta[-1][0])
    lo, hi = images[-1].get_clim()
    assert lo == -hi == -np.abs(maps.delta[-1]).max()
    with pytest.raises(ValueError, match="unknown view 'gradients'; expected one of 'activations'"):
        draw_unit_network(pg, maps, plt.gca(), view="gradients")


def clims(ax) -> list:
    return [image.get_clim() for image in ax.get_images()]


def own_range(values) -> tuple:
    top = np.abs(values).max()
    return (-top, top)


@pytest.mark.parametrize("view", ["activations", "deltas"])
def test_a_shared_scale_gives_the_unit_maps_one_symmetric_range(trained, view):
    pg, maps = trained
    layers = maps.delta if view == "deltas" else maps.A
    shared = layers if view == "deltas" else layers[:-1]  # not the probability
    top = max(np.abs(values).max() for values in shared)
    assert shared_limit(pg, maps, view) == top
    got = clims(draw_unit_network(pg, maps, plt.figure().gca(), view=view))
    n_in = len(maps.inputs)
    assert got[:n_in] == [own_range(x) for x in maps.inputs]  # features: their own range
    n_shared = sum(len(values) for values in shared)
    assert got[n_in : n_in + n_shared] == [(-top, top)] * n_shared
    if view == "activations":
        assert got[-1] == (0.0, 1.0)
    assert got[n_in + 2] != own_range(np.concatenate(shared)[2])  # not their own range
    own = clims(draw_unit_network(pg, maps, plt.figure().gca(), view=view, shared_scale=False))
    units = [*maps.inputs, *np.concatenate(shared)]
    assert own[: len(units)] == [own_range(img) for img in units]
    ax = draw_unit_network(pg, maps, plt.figure().gca(), view=view)
    assert f"one colour scale ±{top:.3g}" in ax.get_title()
    ax = draw_unit_network(pg, maps, plt.figure().gca(), view=view, shared_scale=False)
    assert "each map on its own scale" in ax.get_title()


def test_the_enlarged_unit_uses_the_networks_range(trained):
    pg, maps = trained
    top = shared_limit(pg, maps, "deltas")
    for shared, expected in ((True, (-top, top)), (False, own_range(maps.delta[1][0]))):
        ax = plot_output(
            pg, maps, plt.figure().gca(), unit=(2, 0), view="deltas", shared_scale=shared
        )
        assert ax.get_images()[0].get_clim() == expected
    regression = Playground(PlaygroundConfig(dataset="plane", hidden=(2,))).step(1)
    reg_maps = playground_maps(regression, grid=6)
    images = unit_images(regression, reg_maps, "activations")
    top = max(np.abs(reg_maps.A[0]).max(), np.abs(reg_maps.output).max())
    assert [(lo, hi) for _, lo, hi in images[2:]] == [(-top, top)] * 3  # the prediction too
    bare = Playground(PlaygroundConfig(hidden=()))
    assert shared_limit(bare, playground_maps(bare, grid=6), "activations") is None


@pytest.mark.parametrize("view", ["activations", "deltas"])
def test_a_layer_a_thousand_times_weaker_shows_as_nearly_blank(view):
    pg = Playground(PlaygroundConfig(hidden=(3, 3), activation="tanh")).step(2)
    pg.dense[1].W *= 1e-4  # A^[2] = tanh(A^[1] W^[2]), delta^[1] = delta^[2] W^[2]T f': tiny
    pg.dense[1].b[...] = 0.0
    maps = playground_maps(pg, grid=10)
    layers = maps.A if view == "activations" else maps.delta
    weak, strong = (layers[1], layers[0]) if view == "activations" else (layers[0], layers[1])
    assert np.abs(weak).max() < np.abs(strong).max() / 1000
    ax = draw_unit_network(pg, maps, plt.figure().gca(), view=view)
    images = ax.get_images()
    n_in = len(maps.inputs)
    first = n_in if view == "deltas" else n_in + 3  # the weak layer's three images
    for image in images[first : first + 3]:
        lo, hi = image.get_clim()
        assert lo == -hi and np.abs(image.get_array()).max() < hi / 100
    assert hi == shared_limit(pg, maps, view) >= np.abs(strong).max()
    for image in draw_unit_network(
        pg, maps, plt.figure().gca(), view=view, shared_scale=False
    ).get_images()[first : first + 3]:
        assert np.abs(image.get_array()).max() == image.get_clim()[1]  # looks as strong


def test_output_losses_and_gradient_panels(trained):
    pg, maps = trained
    ax = plot_output(pg, maps, plt.figure().gca())
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), maps.output)
    assert [len(c.get_offsets()) for c in ax.collections] == [250, 250]
    ax = plot_output(pg, maps, plt.figure().gca(), show_test=False, discretize=True)
    assert set(np.unique(ax.get_images()[0].get_array())) <= {0.0, 1.0}
    assert len(ax.collections) == 1 and "epoch 3" in ax.get_title()
    ax = plot_losses(pg, plt.figure().gca())
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), pg.train_loss)
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), pg.test_loss)
    ax = plot_grad_norms(pg, plt.figure().gca())
    np.testing.assert_allclose([p.get_height() for p in ax.patches], pg.grad_norms[-1])


def test_the_output_panel_can_enlarge_any_unit(trained):
    pg, maps = trained
    ax = plot_output(pg, maps, plt.figure().gca(), unit=(1, 1), shared_scale=False)
    image = ax.get_images()[0]
    np.testing.assert_array_equal(image.get_array(), maps.A[0][1])
    assert image.get_clim() == (-np.abs(maps.A[0][1]).max(), np.abs(maps.A[0][1]).max())
    assert ax.get_title() == "hidden 1, unit 2: A, epoch 3"
    ax = plot_output(pg, maps, plt.figure().gca(), unit=(0, 2))
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), maps.inputs[2])
    assert ax.get_title() == "feature x1^2, epoch 3"
    ax = plot_output(pg, maps, plt.figure().gca(), unit=(3, 0), view="deltas")
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), maps.delta[-1][0])
    assert ax.get_title() == "output, unit 1: δ, epoch 3"
    with pytest.raises(ValueError, match=r"no unit \(2, 2\) in a network of sizes \[3, 3, 2, 1\]"):
        plot_output(pg, maps, plt.figure().gca(), unit=(2, 2))


def test_an_enlarged_unit_is_updated_in_place():
    pg = Playground(PlaygroundConfig(hidden=(2,)))
    fig = plt.figure()
    axes = draw_playground(pg, fig, grid=6, unit=(1, 0))
    pg.step(5)
    assert draw_playground(pg, fig, grid=6, unit=(1, 0), axes=axes) is axes
    maps = playground_maps(pg, grid=6)
    image = axes["output"].get_images()[0]
    np.testing.assert_array_equal(image.get_array(), maps.A[0][0])
    assert image.get_clim() == (-np.abs(maps.A[0]).max(), np.abs(maps.A[0]).max())  # shared
    assert axes["output"].get_title() == "hidden 1, unit 1: A, epoch 5"
    draw_playground(pg, fig, grid=6, unit=(1, 0), axes=axes, shared_scale=False)
    assert image.get_clim()[1] == np.abs(maps.A[0][0]).max()


def test_an_in_place_redraw_follows_shared_scale():
    pg = Playground(PlaygroundConfig(hidden=(3, 2))).step(2)
    fig = plt.figure()
    axes = draw_playground(pg, fig, grid=6, view="deltas", unit=(1, 0))
    maps = playground_maps(pg, grid=6)
    images = axes["network"].get_images()
    top = shared_limit(pg, maps, "deltas")
    assert clims(axes["network"])[2:] == [(-top, top)] * 6
    assert axes["output"].get_images()[0].get_clim() == (-top, top)
    own = draw_playground(
        pg, fig, grid=6, view="deltas", unit=(1, 0), axes=axes, shared_scale=False
    )
    assert own is axes and axes["network"].get_images() == images  # the same artists
    units = [*maps.inputs, *(img for values in maps.delta for img in values)]
    assert clims(axes["network"]) == [own_range(img) for img in units]
    assert axes["output"].get_images()[0].get_clim() == own_range(maps.delta[0][0])
    assert "each map on its own scale" in axes["network"].get_title()
    draw_playground(pg, fig, grid=6, view="deltas", unit=(1, 0), axes=axes)
    assert clims(axes["network"])[2:] == [(-top, top)] * 6
    assert f"±{top:.3g}" in axes["network"].get_title()


def test_regression_output_and_the_whole_figure():
    pg = Playground(PlaygroundConfig(dataset="multigauss", hidden=(2,))).step(1)
    axes = draw_playground(pg, plt.figure(), grid=8, view="deltas")
    assert {"network", "output", "loss", "grads"} <= set(axes)
    assert "prediction" in axes["output"].get_title()
    assert "squared error" in axes["loss"].get_title()
    fig = axes["output"].figure
    draw_playground(pg, fig, grid=8)  # drawn anew on the same figure
    assert len(fig.axes) == 4


def test_a_redraw_of_the_same_layout_updates_the_artists_in_place():
    pg = Playground(PlaygroundConfig(hidden=(3,), l2=0.01))
    fig = plt.figure()
    axes = draw_playground(pg, fig, grid=8)
    first = axes["network"].get_images()[4]
    pg.step(40)
    again = draw_playground(pg, fig, grid=8, axes=axes)
    assert again is axes and again["network"].get_images()[4] is first
    fresh = draw_playground(pg, plt.figure(), grid=8)
    for name in ("network", "output"):
        for a, b in zip(axes[name].get_images(), fresh[name].get_images(), strict=True):
            np.testing.assert_array_equal(a.get_array(), b.get_array())
            assert a.get_clim() == b.get_clim()
    (edges,), (fresh_edges,) = axes["network"].collections, fresh["network"].collections
    np.testing.assert_array_equal(edges.get_colors(), fresh_edges.get_colors())
    np.testing.assert_array_equal(edges.get_linewidths(), fresh_edges.get_linewidths())
    np.testing.assert_array_equal(axes["loss"].lines[0].get_ydata(), pg.train_loss)
    assert axes["loss"].get_ylim() == fresh["loss"].get_ylim()
    heights = [p.get_height() for p in axes["grads"].patches]
    np.testing.assert_allclose(heights, pg.grad_norms[-1])
    assert (
        axes["output"].get_title()
        == fresh["output"].get_title()
        == ("output: P(class 1), epoch 40")
    )
    pg.update(hidden=(2,))  # another shape: drawn anew
    new = draw_playground(pg, fig, grid=8, axes=axes)
    assert new is not axes and len(new["network"].get_images()) == 2 + 2 + 1
    assert draw_playground(pg, fig, grid=8, view="deltas", axes=new) is not new
    assert draw_playground(pg, fig, grid=8, unit=(1, 0), axes=new) is not new


def test_the_animation_trains_up_to_each_frame():
    anim = playground_animation(
        PlaygroundConfig(hidden=(2,)), steps=2, every=1, grid=6, figsize=(4, 2)
    )
    html = viz.animation_html(anim, alt="a playground run").data
    assert html.count("data:image/png") == 3  # epochs 0, 1 and 2
    with pytest.raises(ValueError, match="every must be an int in"):
        playground_animation(steps=5, every=6)
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        playground_animation(steps=0)


def test_the_gradient_panel_says_when_no_gradient_reaches_the_weights():
    from nnlab.explore.playground.drawing import ZERO_GRADIENTS

    pg = Playground(PlaygroundConfig(hidden=(3, 2))).step(1)
    ax = plot_grad_norms(pg, plt.figure().gca())
    (note,) = ax.texts
    assert note.get_text() == ZERO_GRADIENTS and not note.get_visible()
    fig = plt.figure()
    axes = draw_playground(pg, fig, grid=10)
    for layer in pg.dense[-2:]:  # the last hidden layer outputs 0 and the output weighs it 0:
        layer.W[...] = 0.0  # no gradient reaches any weight, only the output's bias
    pg.dense[-2].b[...] = 0.0
    pg.step(1)
    assert np.all(pg.grad_norms[-1] == 0)
    assert draw_playground(pg, fig, grid=10, axes=axes) is axes  # updated in place
    (note,) = axes["grads"].texts
    assert note.get_visible()
    pg.reset()
    pg.step(1)
    axes = draw_playground(pg, fig, grid=10, axes=axes)
    assert not axes["grads"].texts[0].get_visible()
