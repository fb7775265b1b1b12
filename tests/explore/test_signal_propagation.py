"""signal_propagation: deep_mlp, layer_statistics and init_study against NumPy recomputations of
the forward and backward pass, the variance argument of Xavier and He, the figures and the
propagation explorer."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnlab as nl
from nnlab.explore import signal_propagation
from nnlab.explore.signal_propagation import (
    ACTIVATION_NAMES,
    INITS,
    MAX_SLOPE,
    deep_mlp,
    digits,
    init_study,
    layer_statistics,
    plot_layer_histograms,
    plot_propagation,
    propagation_explorer,
)

KINDS = {"sigmoid": nl.Sigmoid, "tanh": nl.Tanh, "relu": nl.ReLU}


def slope(name, Z):
    """f'(Z) written out here, not taken from the library."""
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-Z))
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(Z) ** 2
    return (Z > 0).astype(float)


def by_hand(net, name, X, y):
    """Forward and backward pass of the softmax cross-entropy with plain NumPy."""
    dense = [la for la in net.layers if isinstance(la, nl.Dense)]
    f = {"sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "tanh": np.tanh}.get(
        name, lambda z: np.maximum(z, 0.0)
    )
    Zs, As, A = [], [], X
    for k, layer in enumerate(dense):
        Zs.append(A @ layer.W + layer.b)
        if k < len(dense) - 1:
            A = f(Zs[-1])
            As.append(A)
    logits = Zs[-1] - Zs[-1].max(axis=1, keepdims=True)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    onehot = np.eye(10)[y]
    deltas = [(p - onehot) / len(y)]
    for k in range(len(dense) - 2, -1, -1):
        deltas.insert(0, (deltas[0] @ dense[k + 1].W.T) * slope(name, Zs[k]))
    inputs = [X, *As]
    dWs = [inputs[k].T @ deltas[k] for k in range(len(dense))]
    return {"Z": Zs, "A": As, "delta": deltas, "dW": dWs, "loss": loss}


def batch(n=40):
    split = digits()
    return split.X_train[:n], split.y_train[:n]


# deep_mlp


@pytest.mark.parametrize("depth, width", [(1, 5), (3, 16)])
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_deep_mlp_layers_and_widths(depth, width, activation):
    net = deep_mlp(depth, width, activation, "he", rng=0)
    assert len(net.layers) == 2 * depth + 1
    dense, acts = net.layers[::2], net.layers[1::2]
    assert all(isinstance(la, nl.Dense) for la in dense)
    assert all(type(la) is KINDS[activation] for la in acts)
    assert [la.W.shape for la in dense] == [(64, width)] + [(width, width)] * (depth - 1) + [
        (width, 10)
    ]
    assert all(np.all(la.b == 0) for la in dense)
    assert net.forward(np.zeros((3, 64))).shape == (3, 10)


def weights(net):
    return np.concatenate([la.W.ravel() for la in net.layers[::2]])


def test_deep_mlp_draws_every_layer_with_the_named_init():
    assert not np.any(weights(deep_mlp(3, 16, "relu", "zeros", rng=0)))
    assert np.std(weights(deep_mlp(2, 64, "relu", "normal(1)", rng=0))) == pytest.approx(
        1, rel=0.05
    )
    small = weights(deep_mlp(2, 64, "relu", "normal(0.01)", rng=0))
    assert np.std(small) == pytest.approx(0.01, rel=0.05)
    # a 256 x 256 hidden layer: He is N(0, 2/256), Xavier N(0, 2/(256 + 256))
    he = deep_mlp(2, 256, "relu", "he", rng=0).layers[2].W
    xavier = deep_mlp(2, 256, "tanh", "xavier", rng=0).layers[2].W
    assert he.shape == xavier.shape == (256, 256)
    assert np.std(he) == pytest.approx(np.sqrt(2 / 256), rel=0.02)
    assert np.std(xavier) == pytest.approx(np.sqrt(1 / 256), rel=0.02)
    # the output layer is drawn with the same init (its fan-in is the width)
    out = deep_mlp(1, 256, "relu", "he", rng=0).layers[-1].W
    assert np.std(out) == pytest.approx(np.sqrt(2 / 256), rel=0.1)


def test_deep_mlp_is_reproducible_and_layers_draw_from_one_stream():
    a = deep_mlp(3, 16, "tanh", "normal(1)", rng=7)
    b = deep_mlp(3, 16, "tanh", "normal(1)", rng=7)
    np.testing.assert_array_equal(a.flat_params, b.flat_params)
    c = deep_mlp(3, 16, "tanh", "normal(1)", rng=8)
    assert not np.array_equal(a.flat_params, c.flat_params)
    assert not np.array_equal(a.layers[2].W, a.layers[4].W)  # not one seed per layer


def test_deep_mlp_errors():
    for depth in (0, 2.0, "3"):
        with pytest.raises(ValueError, match=r"depth must be an int >= 1, got"):
            deep_mlp(depth, 8, "relu", "he")
    for width in (0, -3, 8.0):
        with pytest.raises(ValueError, match=r"width must be an int >= 1, got"):
            deep_mlp(2, width, "relu", "he")
    with pytest.raises(
        ValueError, match=r"activation must be one of 'sigmoid', 'tanh', 'relu', got 'swish'"
    ):
        deep_mlp(2, 8, "swish", "he")
    names = "'zeros', 'normal\\(0.01\\)', 'normal\\(1\\)', 'xavier', 'he', got 'glorot'"
    with pytest.raises(ValueError, match=f"init must be one of {names}"):
        deep_mlp(2, 8, "relu", "glorot")


# layer_statistics


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_layer_statistics_matches_a_pass_by_hand(activation):
    net = deep_mlp(3, 12, activation, "xavier", rng=1)
    X, y = batch()
    stats = layer_statistics(net, X, y, bound=True)
    ref = by_hand(net, activation, X, y)
    assert stats["loss"] == pytest.approx(ref["loss"], rel=1e-12)
    np.testing.assert_allclose(stats["activation_std"], [a.std() for a in ref["A"]], rtol=1e-12)
    np.testing.assert_allclose(
        stats["activation_ms"], [np.mean(a**2) for a in [X, *ref["A"]]], rtol=1e-12
    )
    np.testing.assert_allclose(
        stats["delta_rms"], [np.sqrt(np.mean(d**2)) for d in ref["delta"]], rtol=1e-10
    )
    np.testing.assert_allclose(
        stats["delta_norm"], [np.sqrt(np.sum(d**2)) for d in ref["delta"]], rtol=1e-10
    )
    np.testing.assert_allclose(
        stats["grad_norm"], [np.sqrt(np.sum(g**2)) for g in ref["dW"]], rtol=1e-10
    )
    dense = net.layers[::2]
    factor = [
        np.abs(slope(activation, ref["Z"][k])).max()
        * np.linalg.svd(dense[k + 1].W, compute_uv=False)[0]
        for k in range(3)
    ]
    np.testing.assert_allclose(stats["factor"], factor, rtol=1e-10)
    # the bound of book eq. cc-bound holds layer by layer
    assert np.all(
        stats["delta_norm"][:-1] <= stats["factor"] * stats["delta_norm"][1:] * (1 + 1e-12)
    )
    # and it is at most the activation's largest slope over the real line times ||W||_2
    norms = [np.linalg.svd(la.W, compute_uv=False)[0] for la in dense[1:]]
    assert np.all(stats["factor"] <= MAX_SLOPE[activation] * np.array(norms) * (1 + 1e-12))


def test_layer_statistics_agrees_with_the_network_and_its_loss():
    """grad_norm is the norm of the dW a plain forward, loss and backward leave in each Dense."""
    net = deep_mlp(4, 10, "relu", "he", rng=3)
    X, y = batch(30)
    stats = layer_statistics(net, X, y)
    assert "factor" not in stats
    assert set(stats) == {
        "activation_std",
        "activation_ms",
        "delta_rms",
        "grad_norm",
        "delta_norm",
        "loss",
    }
    assert [stats[k].shape for k in ("activation_std", "activation_ms", "delta_rms")] == [
        (4,),
        (5,),
        (5,),
    ]
    loss = nl.SoftmaxCrossEntropy()
    value = loss.forward(net.forward(X), y)
    dZ = loss.backward()
    net.backward(dZ)
    assert stats["loss"] == pytest.approx(value, rel=1e-12)
    dense = [la for la in net.layers if isinstance(la, nl.Dense)]
    np.testing.assert_allclose(
        stats["grad_norm"], [np.linalg.norm(d.dW) for d in dense], rtol=1e-12
    )
    assert stats["delta_rms"][-1] == pytest.approx(np.sqrt(np.mean(dZ**2)), rel=1e-12)
    assert stats["activation_ms"][0] == pytest.approx(np.mean(X**2), rel=1e-12)
    hidden, A = [], X
    for layer in net.layers[:-1]:
        A = layer.forward(A, cache=False)
        if isinstance(layer, nl.ReLU):
            hidden.append(A.std())
    np.testing.assert_allclose(stats["activation_std"], hidden, rtol=1e-12)


@pytest.mark.parametrize("init, gain", [("he", 1.0), ("xavier", 0.5)])
def test_relu_second_moment_ratio_is_n_var_w_over_two(init, gain):
    """E[(A^[l])^2] = n Var(w) / 2 * E[(A^[l-1])^2] for ReLU: 1 with He, 1/2 with Xavier (n = m)."""
    net = deep_mlp(6, 256, "relu", init, rng=0)
    X, y = batch(256)
    ms = layer_statistics(net, X, y)["activation_ms"]
    ratios = ms[2:] / ms[1:-1]  # between the 256-wide hidden layers
    assert len(ratios) == 5
    assert np.median(ratios) == pytest.approx(gain, rel=0.15)


def test_layer_statistics_rejects_other_networks():
    X, y = batch(8)
    message = "expected Dense layers separated by one activation each"
    for layers in (
        [nl.Dense(64, 10, rng=0), nl.Tanh()],
        [nl.Dense(64, 8, rng=0), nl.Dense(8, 10, rng=0)],
        [nl.Dense(64, 8, rng=0), nl.Tanh(), nl.ReLU(), nl.Dense(8, 10, rng=0)],
    ):
        with pytest.raises(ValueError, match=message):
            layer_statistics(nl.Sequential(layers), X, y)


def test_layer_statistics_rejects_a_misordered_network():
    X, y = batch(8)
    net = nl.Sequential(
        [
            nl.Dense(64, 8, rng=0),
            nl.Dense(8, 8, rng=1),
            nl.Tanh(),
            nl.Tanh(),
            nl.Dense(8, 10, rng=2),
        ]
    )
    with pytest.raises(ValueError, match="separated by one activation each"):
        layer_statistics(net, X, y)


def test_layer_statistics_bound_for_leaky_relu():
    X, y = batch(8)
    net = nl.Sequential([nl.Dense(64, 8, rng=0), nl.LeakyReLU(0.1), nl.Dense(8, 10, rng=1)])
    factor = layer_statistics(net, X, y, bound=True)["factor"]
    assert factor == pytest.approx([np.linalg.norm(net.layers[2].W, 2)])


# init_study


def test_init_study_stacks_layer_statistics_over_seeds():
    study = init_study("tanh", "xavier", depth=3, width=16, seeds=3, n_samples=40, bound=True)
    shapes = {
        "activation_std": (3, 3),
        "activation_ms": (3, 4),
        "delta_rms": (3, 4),
        "grad_norm": (3, 4),
        "delta_norm": (3, 4),
        "factor": (3, 3),
        "loss": (3,),
    }
    assert {k: v.shape for k, v in study.items()} == shapes
    X, y = batch(40)
    for seed in range(3):
        ref = layer_statistics(deep_mlp(3, 16, "tanh", "xavier", rng=seed), X, y, bound=True)
        for key in shapes:
            np.testing.assert_array_equal(study[key][seed], ref[key])
    assert not np.array_equal(study["grad_norm"][0], study["grad_norm"][1])  # seeds differ
    again = init_study("tanh", "xavier", depth=3, width=16, seeds=3, n_samples=40, bound=True)
    for key in shapes:
        np.testing.assert_array_equal(study[key], again[key])


def test_init_study_after_training_steps():
    kwargs = dict(depth=2, width=16, seeds=2, n_samples=64)
    before = init_study("tanh", "xavier", **kwargs)
    after = init_study("tanh", "xavier", steps=20, lr=0.1, **kwargs)
    assert np.all(after["loss"] < before["loss"] - 0.1)
    assert not np.allclose(after["grad_norm"], before["grad_norm"])
    # the same full-batch SGD steps by hand give the same statistics
    X, y = batch(64)
    net = deep_mlp(2, 16, "tanh", "xavier", rng=1)
    loss, opt = nl.SoftmaxCrossEntropy(), nl.SGD(net.parameters(), lr=0.1)
    for _ in range(20):
        loss.forward(net.forward(X), y)
        net.backward(loss.backward())
        opt.step()
    ref = layer_statistics(net, X, y)
    for key, value in ref.items():
        np.testing.assert_allclose(after[key][1], value, rtol=1e-12)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_zero_init_has_no_hidden_delta(activation):
    study = init_study(activation, "zeros", depth=3, width=8, seeds=2, n_samples=32)
    assert np.all(study["delta_rms"][:, :-1] == 0) and np.all(study["delta_norm"][:, :-1] == 0)
    assert np.all(study["delta_rms"][:, -1] > 0)
    assert np.all(study["activation_std"] == 0)  # every unit of a layer computes f(0)
    assert np.all(study["grad_norm"][:, :-1] == 0)
    # the output layer learns only if f(0) != 0
    assert np.all((study["grad_norm"][:, -1] > 0) == (activation == "sigmoid"))
    assert study["loss"] == pytest.approx(np.log(10))


def test_init_study_errors():
    for seeds in (0, 1.5):
        with pytest.raises(ValueError, match="seeds must be an int >= 1, got"):
            init_study("relu", "he", seeds=seeds)


# figures


def small_studies(activation="tanh", inits=INITS):
    return {
        (activation, i): init_study(activation, i, depth=3, width=16, seeds=3, n_samples=32)
        for i in inits
    }


def test_plot_propagation_draws_medians_and_bands_on_log_axes():
    studies = small_studies()
    studies[("relu", "he")] = studies[("tanh", "he")]  # another activation: not drawn
    axes = plot_propagation(studies, activation="tanh")
    assert len(axes) == 2 and all(ax.get_yscale() == "log" for ax in axes)
    # all-zero activations (zeros init) are skipped; its output-layer delta is not zero
    assert [line.get_label() for line in axes[0].lines] == [
        "normal(0.01)",
        "normal(1)",
        "xavier",
        "he",
    ]
    assert [line.get_label() for line in axes[1].lines] == list(INITS)
    assert [len(ax.collections) for ax in axes] == [4, 5]
    for ax, key in zip(axes, ("activation_std", "delta_rms"), strict=True):
        assert ax.get_xlabel() == "layer l" and ax.get_title().startswith("tanh: ")
        for line in ax.lines:
            values = studies[("tanh", line.get_label())][key]
            np.testing.assert_array_equal(line.get_xdata(), np.arange(1, values.shape[1] + 1))
            np.testing.assert_allclose(line.get_ydata(), np.median(values, axis=0))
        for band, line in zip(ax.collections, ax.lines, strict=True):
            values = studies[("tanh", line.get_label())][key]
            y = band.get_paths()[0].vertices[:, 1]
            assert y.min() == pytest.approx(values.min()) and y.max() == pytest.approx(values.max())
    legend = axes[1].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(INITS)


def test_plot_propagation_with_chosen_inits_and_given_axes():
    studies = small_studies("relu", ["zeros", "he", "xavier"])
    fig, given = plt.subplots(1, 2)
    axes = plot_propagation(
        studies, activation="relu", axes=given, inits=["he", "zeros", "normal(1)"]
    )
    assert axes is given and len(fig.axes) == 2
    assert [line.get_label() for line in axes[0].lines] == ["he"]  # zeros: nothing > 0
    assert [line.get_label() for line in axes[1].lines] == ["he", "zeros"]


def test_plot_layer_histograms_summarizes_each_hidden_layer():
    net = deep_mlp(4, 16, "tanh", "xavier", rng=0)
    X, _ = batch(50)
    ax = plot_layer_histograms(net, X, title="at init")
    hidden, A = [], X
    for layer in net.layers[:-1]:
        A = layer.forward(A, cache=False)
        if isinstance(layer, nl.Tanh):
            hidden.append(A.ravel())
    levels = np.concatenate([line.get_ydata() for line in ax.lines])
    for values in hidden:  # the median, and whiskers at the last samples within 1st-99th pct
        low, mid, high = np.percentile(values, [1, 50, 99])
        for level in (mid, values[values >= low].min(), values[values <= high].max()):
            assert np.isclose(levels, level, rtol=1e-12, atol=0).any()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3", "4"]
    assert ax.get_title() == "at init" and ax.get_xlabel() == "hidden layer l"
    # a deep network gets at most about ten tick labels
    deep = plot_layer_histograms(deep_mlp(25, 4, "relu", "he", rng=0), X)
    assert [t.get_text() for t in deep.get_xticklabels()] == [str(t) for t in range(1, 26, 2)]


# widget


def test_propagation_explorer(monkeypatch):
    pytest.importorskip("ipywidgets")
    calls = []

    def spy(net, X, y, **kwargs):
        calls.append((net, layer_statistics(net, X, y, **kwargs)))
        return calls[-1][1]

    monkeypatch.setattr(signal_propagation, "layer_statistics", spy)
    X, y = batch(32)  # the widget's batch (the first 256 training digits), smaller: faster
    monkeypatch.setattr(signal_propagation, "digits", lambda: SimpleNamespace(X_train=X, y_train=y))
    box = propagation_explorer()
    depth, width, steps = box.children[0].children
    activation, init = box.children[1].children
    assert (depth.min, depth.max, depth.value) == (1, 30, 10)
    assert (width.min, width.max, width.step, width.value) == (8, 256, 8, 64)
    assert (steps.min, steps.max, steps.step, steps.value) == (0, 200, 10, 20)
    assert list(activation.options) == list(ACTIVATION_NAMES) and activation.value == "relu"
    assert list(init.options) == list(INITS) and init.value == "he"
    for control in (depth, width, steps):
        assert control.style.description_width == "initial"
    assert len(calls) == 2  # before and after training
    assert plt.get_fignums() == []  # the redraw closes its figure
    calls.clear()
    steps.value = 0
    (net, before), (_, after) = calls
    assert len(net.layers) == 21 and net.layers[0].W.shape == (64, 64)
    assert before["loss"] == pytest.approx(
        layer_statistics(deep_mlp(10, 64, "relu", "he", rng=0), X, y)["loss"]
    )
    np.testing.assert_array_equal(before["grad_norm"], after["grad_norm"])  # no step taken
    calls.clear()
    depth.value, width.value = 3, 16
    assert len(calls) == 4 and len(calls[-1][0].layers) == 7
    assert calls[-1][0].layers[0].W.shape == (64, 16)
    calls.clear()
    init.value, activation.value, steps.value = "zeros", "sigmoid", 10  # zeros: log of 0 is fine
    assert len(calls) == 6 and isinstance(calls[-1][0].layers[1], nl.Sigmoid)
    assert not np.any(calls[-2][1]["grad_norm"][:-1])  # at a zero init only the output learns
    assert plt.get_fignums() == []
