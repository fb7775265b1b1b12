"""The step-by-step backpropagation widget: its steps, its drawing and its wiring.

The numbers of every step must be nnlab's own (forward outputs, deltas, gradients, SGD
update), so the chapter's animation shows exactly what the library computes.
"""

import copy

import numpy as np
import pytest

import nnlab as nl
from nnlab import viz, widgets

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

X = np.array([1.0, 0.5])
T = np.array([0.1, 0.9])
KEYS = ["input", "z1", "a1", "z2", "a2", "loss", "delta2", "dA1", "grad2", "delta1", "grad1"]


def example_net():
    """The chapter's 2-2-2 sigmoid network."""
    net = nl.Sequential(
        [nl.Dense(2, 2, init="zeros"), nl.Sigmoid(), nl.Dense(2, 2, init="zeros"), nl.Sigmoid()]
    )
    net[0].W, net[0].b = [[0.4, -0.3], [0.2, 0.6]], [0.1, -0.1]
    net[2].W, net[2].b = [[0.7, -0.5], [-0.2, 0.8]], [0.0, 0.2]
    return net


def random_net(sizes, rng, activation="tanh"):
    return nl.mlp(sizes, activation, rng=rng)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def by_key(steps):
    return {s.key: s for s in steps}


def test_keys_and_count_of_the_chapter_example():
    steps = widgets.backprop_steps(example_net(), X, T, nl.MSELoss(), lr=0.5)
    assert [s.key for s in steps] == [*KEYS, "update"]
    assert len(steps) == 5 * 2 + 2
    assert [s.key for s in widgets.backprop_steps(example_net(), X, T, nl.MSELoss())] == KEYS
    assert {s.phase for s in steps} == {"forward", "loss", "backward", "update"}


@pytest.mark.parametrize("m", [1, 2, 3])
def test_count_without_output_activation(rng, m):
    """mlp ends on a Dense layer: no a_m and no delta_m step, so 5 m - 1 steps (+1 update)."""
    sizes = [3] + [4] * (m - 1) + [2]
    steps = widgets.backprop_steps(
        random_net(sizes, rng), rng.normal(size=3), 1, nl.SoftmaxCrossEntropy(), lr=0.1
    )
    assert len(steps) == 5 * m - 1 + 1
    assert f"a{m}" not in by_key(steps) and f"delta{m}" not in by_key(steps)


def test_forward_values_are_the_layer_outputs():
    net = example_net()
    s = by_key(widgets.backprop_steps(net, X, T, nl.MSELoss()))
    ref = copy.deepcopy(net)
    Z1 = ref[0].forward(X[None])
    A1 = ref[1].forward(Z1)
    Z2 = ref[2].forward(A1)
    A2 = ref[3].forward(Z2)
    np.testing.assert_array_equal(s["input"].node_values[0], X)
    np.testing.assert_allclose(s["z1"].node_values[1], Z1[0])
    np.testing.assert_allclose(s["a1"].node_values[1], A1[0])
    np.testing.assert_allclose(s["z2"].node_values[2], Z2[0])
    np.testing.assert_allclose(s["a2"].node_values[2], A2[0])
    assert np.isnan(s["z1"].node_values[2]).all()  # not computed yet
    assert s["loss"].loss == pytest.approx(nl.MSELoss()(A2, T[None]))
    np.testing.assert_allclose(s["input"].edge_values[1], net[2].W)
    assert s["input"].edge_kinds == ["weight", "weight"]


def test_deltas_and_gradients_are_nnlabs():
    net = example_net()
    loss = nl.MSELoss()
    s = by_key(widgets.backprop_steps(net, X, T, loss))
    ref, ref_loss = example_net(), nl.MSELoss()
    A2 = ref(X[None])
    ref_loss(A2, T[None])
    ref.backward(ref_loss.backward())
    for (_, _, g), (_, _, g_ref) in zip(net.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(g, g_ref)  # net now holds the gradients
    dA2 = 2 * (A2 - T) / A2.size
    np.testing.assert_allclose(s["loss"].node_grads[2], dA2[0])
    delta2 = dA2[0] * A2[0] * (1 - A2[0])
    np.testing.assert_allclose(s["delta2"].node_grads[2], delta2)
    np.testing.assert_allclose(s["dA1"].node_grads[1], delta2 @ ref[2].W.T)
    final = s["grad1"]
    assert final.edge_kinds == ["grad", "grad"]
    np.testing.assert_allclose(final.edge_values[1], ref[2].dW)
    np.testing.assert_allclose(final.bias_values[1], ref[2].db)
    np.testing.assert_allclose(final.edge_values[0], ref[0].dW)
    np.testing.assert_allclose(final.bias_values[0], ref[0].db)
    # each edge's gradient: forward value at its start times delta at its end
    a1 = s["a2"].node_values[1]
    np.testing.assert_allclose(final.edge_values[1], np.outer(a1, final.node_grads[2]))
    np.testing.assert_allclose(final.edge_values[0], np.outer(X, final.node_grads[1]))
    np.testing.assert_allclose(final.bias_values[1], final.node_grads[2])


def test_update_step_is_one_sgd_step_and_leaves_net_alone():
    net = example_net()
    before = net.flat_params.copy()
    update = widgets.backprop_steps(net, X, T, nl.MSELoss(), lr=0.5)[-1]
    np.testing.assert_array_equal(net.flat_params, before)
    ref, ref_loss = example_net(), nl.MSELoss()
    ref_loss(ref(X[None]), T[None])
    ref.backward(ref_loss.backward())
    nl.SGD(ref.parameters(), lr=0.5).step()
    np.testing.assert_allclose(update.edge_values[0], ref[0].W)
    np.testing.assert_allclose(update.bias_values[1], ref[2].b)
    assert update.loss == pytest.approx(ref_loss(ref(X[None]), T[None]))
    assert update.loss < widgets.backprop_steps(example_net(), X, T, nl.MSELoss())[5].loss
    assert update.highlight_edges == (0, 1)


def test_softmax_cross_entropy_output_delta(rng):
    net = random_net([2, 3, 3], rng)
    s = by_key(widgets.backprop_steps(net, X, 2, nl.SoftmaxCrossEntropy()))
    Z = s["z2"].node_values[2]
    np.testing.assert_allclose(s["loss"].node_grads[2], nl.Softmax.f(Z) - [0, 0, 1])
    one_hot = by_key(widgets.backprop_steps(net, X, [0, 0, 1], nl.SoftmaxCrossEntropy()))
    np.testing.assert_allclose(one_hot["loss"].node_grads[2], s["loss"].node_grads[2])


def test_step_snapshots_are_independent():
    steps = widgets.backprop_steps(example_net(), X, T, nl.MSELoss())
    steps[0].node_values[0][:] = 99.0
    assert steps[1].node_values[0][0] == 1.0
    assert repr(steps[0]) == "Step('input', 'Input')"
    assert steps[0].layer_sizes == [2, 2, 2]


@pytest.mark.parametrize(
    ("layers", "kwargs", "error", "match"),
    [
        (None, {"x": np.ones((2, 2))}, ValueError, r"x of shape \(2,\) or \(1, 2\), got \(2, 2\)"),
        (None, {"lr": 0.0}, ValueError, r"lr must be in \(0, inf\)"),
        ([nl.Sigmoid()], {}, ValueError, r"layer 0 is Sigmoid\(\)"),
        (
            [nl.Dense(2, 2), nl.Tanh(), nl.Sigmoid()],
            {},
            ValueError,
            r"layer 2 is Sigmoid\(\) after",
        ),
        ("list", {}, TypeError, "expected a Sequential, got list"),
    ],
)
def test_backprop_steps_errors(layers, kwargs, error, match):
    if layers is None:
        net = example_net()
    elif layers == "list":
        net = [nl.Dense(2, 2)]
    else:
        net = nl.Sequential(layers)
    args = {"x": X, "y": T, "loss": nl.MSELoss(), **kwargs}
    with pytest.raises(error, match=match):
        widgets.backprop_steps(net, **args)


def test_network_layout():
    units, bias = viz.network_layout([2, 3, 1], dx=2.0)
    np.testing.assert_allclose(units[1], [[2.0, 1.0], [2.0, 0.0], [2.0, -1.0]])
    np.testing.assert_allclose(bias[0], [0.0, -1.5])
    assert bias[2] is None
    assert viz.network_layout([2, 3], bias=False)[1] == [None, None]
    with pytest.raises(ValueError, match="at least 2 layer sizes"):
        viz.network_layout([3])


def test_draw_network_artists():
    s = by_key(widgets.backprop_steps(example_net(), X, T, nl.MSELoss()))["grad2"]
    fig, ax = plt.subplots()
    viz.draw_network(
        s.layer_sizes,
        node_values=s.node_values,
        node_grads=s.node_grads,
        edge_values=s.edge_values,
        bias_values=s.bias_values,
        edge_kinds=s.edge_kinds,
        highlight_edges=[1],
        phase="backward",
        ax=ax,
    )
    assert len(ax.lines) == 2 * (4 + 2)  # weights and bias edges
    assert len(ax.patches) == 6 + 2  # units and bias units
    texts = [t.get_text() for t in ax.texts]
    # 6 values, 4 gradients (outputs: delta, hidden: dL/da), 12 edge labels, 2 "1", 3 captions
    assert len(texts) == 6 + 4 + 12 + 2 + 3
    assert f"{s.edge_values[1][0, 0]:.3f}" in texts and "output" in texts
    red = [t for t in ax.texts if t.get_color() == "#c0392b"]
    assert len(red) == 4 + 6  # node gradients and layer 2's edge gradients
    fig.canvas.draw()


def test_draw_network_without_values_or_bias():
    _, ax = plt.subplots()
    viz.draw_network([3, 4, 2], ax=ax)
    assert (len(ax.lines), len(ax.patches), len(ax.texts)) == (12 + 8, 9, 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"node_values": [np.zeros(2), np.zeros(3), np.zeros(2)]}, r"node_values\[1\] must"),
        ({"edge_values": [np.zeros((2, 2))]}, "edge_values needs 2 entries, got 1"),
        ({"edge_kinds": ["weight", "gradient"]}, "edge_kinds needs 2 entries"),
        ({"phase": "sideways"}, "phase must be one of"),
    ],
)
def test_draw_network_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        viz.draw_network([2, 2, 2], **kwargs)


def test_draw_step_and_animation():
    steps = widgets.backprop_steps(example_net(), X, T, nl.MSELoss(), lr=0.5)
    ax = viz.draw_step(steps[-1])
    assert "Update" in ax.get_title() and r"\eta = 0.5" in ax.get_title()
    assert any("0.1757" in t.get_text() for t in ax.texts)  # the description
    anim = viz.steps_animation(steps, figsize=(3, 2), dpi=30)
    fig = anim._fig
    html = viz.animation_html(anim).data  # the book's static counterpart: one PNG per step
    assert html.count("data:image/png;base64") == len(steps)
    assert "Update" in fig.axes[0].get_title()  # the last frame drawn
    with pytest.raises(ValueError, match="at least one step"):
        viz.steps_animation([])


def test_number_table():
    html = viz.number_table(["unit", "z"], [["h<sub>1</sub>", 0.123456], ["n", 3]]).data
    assert html.count("<tr>") == 3
    assert ">0.1235</td>" in html and ">3.0000</td>" in html and "h<sub>1</sub>" in html
    assert ">0.123</td>" in viz.number_table(["z"], [[0.12345]], digits=3).data


def test_step_through_widget():
    pytest.importorskip("ipywidgets")
    box = widgets.step_through(example_net(), X, T, nl.MSELoss(), lr=0.5)
    controls, text, _out = box.children
    play, slider, back, nxt = controls.children
    assert slider.max == play.max == len(box.steps) - 1 == 11
    assert text.value.startswith("<b>1/12. Input.</b>")
    nxt.click()
    nxt.click()
    assert slider.value == 2 and "2/12" not in text.value and "3/12" in text.value
    back.click()
    assert slider.value == 1
    slider.value = 11
    nxt.click()
    assert slider.value == 11 and "0.1757" in text.value


def test_animation_html_uses_palette_frames():
    import base64
    import io
    import re

    from PIL import Image

    steps = widgets.backprop_steps(example_net(), X, T, nl.MSELoss())
    anim = viz.steps_animation(steps[:3], figsize=(3, 2), dpi=40)
    html = viz.animation_html(anim, colors=16).data
    frames = re.findall(r"data:image/png;base64,([^\"]+)", html)
    assert len(frames) == 3
    image = Image.open(io.BytesIO(base64.b64decode(frames[0].replace("\\n", ""))))
    assert image.mode == "P" and len(image.getcolors()) <= 16
    assert not plt.fignum_exists(anim._fig.number)  # closed, so not shown twice
    with pytest.raises(ValueError, match=r"colors must be an int in \[2, 256\], got 1"):
        viz.animation_html(anim, colors=1)
