"""train_deep against the same training written out step by step, its divergence flag and
clipping, and the band and layer-norm figures."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnlab as nl
from nnlab.explore import deep_training
from nnlab.explore.deep_training import plot_band, plot_layer_norms, train_deep
from nnlab.explore.signal_propagation import deep_mlp, digits

SMALL = dict(depth=2, width=32, epochs=3, lr=0.01, seeds=2)  # ReLU + He learns in 3 epochs


def by_hand(
    activation, init, seed, *, depth, width, epochs, lr, momentum=0.9, batch_size=64, clip=None
):
    """The documented loop: shuffle with the seed's generator each epoch, SGD on mini-batches,
    record the epoch's mean loss over its samples (as fit reports it) and the median
    per-layer ||dW|| before clipping."""
    split = digits()
    X, y = split.X_train, split.y_train
    net = deep_mlp(depth, width, activation, init, rng=seed)
    loss = nl.SoftmaxCrossEntropy()
    opt = nl.SGD(net.parameters(), lr=lr, momentum=momentum)
    order_rng = np.random.default_rng(seed)
    losses, norms = [], []
    for _ in range(epochs):
        order = order_rng.permutation(len(y))
        batch_losses, batch_norms = [], []
        for start in range(0, len(y), batch_size):
            idx = order[start : start + batch_size]
            batch_losses.append(loss.forward(net.forward(X[idx]), y[idx]) * len(idx))
            net.backward(loss.backward())
            batch_norms.append([np.linalg.norm(la.dW) for la in net.layers[::2]])
            if clip is not None:
                nl.clip_grad_norm(net, clip)
            opt.step()
        losses.append(np.sum(batch_losses) / len(y))
        norms.append(np.median(batch_norms, axis=0))
    return net, np.array(losses), np.array(norms)


def at_init(activation, init, seed, depth, width):
    """Loss and per-layer ||dW|| of a fresh network on the whole training set, in NumPy."""
    split = digits()
    X, y = split.X_train, split.y_train
    net = deep_mlp(depth, width, activation, init, rng=seed)
    logits = net.forward(X)
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = nl.SoftmaxCrossEntropy()
    loss.forward(logits, y)
    net.backward(loss.backward())
    return -np.mean(logp[np.arange(len(y)), y]), [np.linalg.norm(la.dW) for la in net.layers[::2]]


def test_train_deep_shapes_and_reproducibility():
    run = train_deep("tanh", "xavier", depth=3, width=8, epochs=2, seeds=3)
    assert run["loss"].shape == (3, 3) and run["grad_norm"].shape == (3, 3, 4)
    assert run["test_accuracy"].shape == (3,) and run["diverged"].shape == (3,)
    assert run["diverged"].dtype == bool and not run["diverged"].any()
    assert np.isfinite(run["loss"]).all() and np.isfinite(run["grad_norm"]).all()
    assert not np.array_equal(run["loss"][0], run["loss"][1])  # seeds differ
    again = train_deep("tanh", "xavier", depth=3, width=8, epochs=2, seeds=3)
    for key, value in run.items():
        np.testing.assert_array_equal(value, again[key])


def test_entry_zero_is_the_fresh_network_on_the_training_set():
    run = train_deep("sigmoid", "normal(1)", depth=3, width=16, epochs=1, seeds=3)
    for seed in range(3):
        loss, norms = at_init("sigmoid", "normal(1)", seed, 3, 16)
        assert run["loss"][seed, 0] == pytest.approx(loss, rel=1e-10)
        np.testing.assert_allclose(run["grad_norm"][seed, 0], norms, rtol=1e-10)


def test_train_deep_is_the_documented_sgd_loop_and_learns():
    run = train_deep("relu", "he", **SMALL)
    split = digits()
    for seed in range(2):
        net, losses, norms = by_hand(
            "relu", "he", seed, **{k: SMALL[k] for k in SMALL if k != "seeds"}
        )
        np.testing.assert_allclose(run["loss"][seed, 1:], losses, rtol=1e-10)
        np.testing.assert_allclose(run["grad_norm"][seed, 1:], norms, rtol=1e-10)
        assert run["test_accuracy"][seed] == nl.accuracy(net, split.X_test, split.y_test)
    assert np.all(np.diff(run["loss"], axis=1) < 0)  # the loss falls every epoch
    assert np.all(run["loss"][:, -1] < run["loss"][:, 0] / 2)
    assert np.all(run["test_accuracy"] > 0.5) and not run["diverged"].any()


@pytest.mark.parametrize(
    "settings",
    [dict(momentum=0.0, batch_size=100), dict(momentum=0.5, batch_size=500, clip=0.5)],
)
def test_train_deep_honours_momentum_batch_size_and_clip(settings):
    kwargs = dict(depth=2, width=16, epochs=2, lr=0.05)
    run = train_deep("tanh", "xavier", seeds=1, **kwargs, **settings)
    net, losses, norms = by_hand("tanh", "xavier", 0, **kwargs, **settings)
    np.testing.assert_allclose(run["loss"][0, 1:], losses, rtol=1e-10)
    np.testing.assert_allclose(run["grad_norm"][0, 1:], norms, rtol=1e-10)
    split = digits()
    assert run["test_accuracy"][0] == nl.accuracy(net, split.X_test, split.y_test)


def test_clip_is_applied_to_the_network_on_every_step(monkeypatch):
    calls = []

    def spy(params, max_norm):
        calls.append((params, max_norm))
        return nl.clip_grad_norm(params, max_norm)

    monkeypatch.setattr(deep_training, "clip_grad_norm", spy)
    train_deep("relu", "he", depth=2, width=8, epochs=1, seeds=1)
    assert calls == []  # no clip, no clipping
    clipped = train_deep("relu", "he", **{**SMALL, "batch_size": 100}, clip=1e-3)
    steps = math.ceil(len(digits().y_train) / 100)
    assert len(calls) == SMALL["seeds"] * SMALL["epochs"] * steps
    assert all(isinstance(net, nl.Sequential) and value == 1e-3 for net, value in calls)
    assert len({id(net) for net, _ in calls}) == SMALL["seeds"]  # one network per seed
    # the recorded norms are from before clipping (after it, every layer's would be <= 1e-3)
    assert np.all(clipped["grad_norm"][:, 1:] > 0.1)
    # steps of length at most lr * 1e-3 (plus momentum) barely move the loss
    free = train_deep("relu", "he", **{**SMALL, "batch_size": 100})
    np.testing.assert_array_equal(clipped["loss"][:, 0], free["loss"][:, 0])
    assert np.all(np.abs(clipped["loss"][:, -1] - clipped["loss"][:, 0]) < 0.2)
    assert np.all(free["loss"][:, 0] - free["loss"][:, -1] > 1.0)


def test_a_diverged_run_is_flagged_with_nan_after_the_divergence():
    run = train_deep("relu", "he", depth=8, width=16, lr=0.7, epochs=3, seeds=3)
    np.testing.assert_array_equal(run["diverged"], [False, False, True])
    assert np.isfinite(run["loss"][:2]).all() and np.isfinite(run["grad_norm"][:2]).all()
    assert np.isfinite(run["loss"][2, :2]).all() and np.isnan(run["loss"][2, 2:]).all()
    assert np.isnan(run["grad_norm"][2, 3:]).all()  # epochs never run
    assert run["test_accuracy"][2] == 0 and np.all(run["test_accuracy"][:2] > 0)
    loss, _ = at_init("relu", "he", 2, 8, 16)
    assert run["loss"][2, 0] == pytest.approx(loss, rel=1e-10)


def test_every_seed_diverges_with_a_large_step():
    run = train_deep("relu", "he", depth=10, width=32, lr=1.0, epochs=2, seeds=2)
    assert run["diverged"].all() and np.all(run["test_accuracy"] == 0)
    assert np.isfinite(run["loss"][:, 0]).all() and np.isnan(run["loss"][:, 1:]).all()


def test_a_run_whose_gradients_overflow_is_flagged_diverged():
    """The batch loss stays finite (~1e284) but a gradient overflows: no update can follow."""
    run = train_deep("relu", "normal(1)", depth=10, width=32, lr=5.0, epochs=2, seeds=1)
    assert not np.isfinite(run["grad_norm"][0, 1]).all()  # the gradients overflowed
    assert run["diverged"][0] and np.isfinite(run["loss"][0, 0])
    assert np.isnan(run["loss"][0, 1:]).all() and run["test_accuracy"][0] == 0
    assert np.isnan(run["grad_norm"][0, 2]).all()  # the run stopped there


# figures


CURVES = np.array([[3.0, 2.0, 1.0, 0.5], [4.0, 1.0, np.nan, np.nan], [2.0, 3.0, 0.5, 0.2]])


def test_plot_band_draws_the_median_and_the_min_max_band_without_nan():
    _, ax = plt.subplots()
    assert plot_band(CURVES, ax, label="run", color="#009E73", style="--") is ax
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_allclose(line.get_ydata(), [3.0, 2.0, 0.75, 0.35])  # nan left out
    assert line.get_label() == "run" and line.get_linestyle() == "--"
    assert line.get_color() == "#009E73"
    (band,) = ax.collections
    vertices = band.get_paths()[0].vertices
    for x, low, high in zip([0, 1, 2, 3], [2.0, 1.0, 0.5, 0.2], [4.0, 3.0, 1.0, 0.5], strict=True):
        ys = vertices[np.isclose(vertices[:, 0], x), 1]
        assert ys.min() == pytest.approx(low) and ys.max() == pytest.approx(high)
    assert len(plot_band(CURVES, label="own axes", color="k").lines) == 1


def test_plot_band_of_runs_that_all_diverged():
    """An epoch where every seed diverged (all nan) is left out, without a warning."""
    curves = np.array([[3.0, np.nan, np.nan], [2.5, 4.0, np.nan]])
    ax = plot_band(curves, label="run", color="k")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [2.75, 4.0, np.nan])
    vertices = ax.collections[0].get_paths()[0].vertices
    assert np.isfinite(vertices).all() and set(vertices[:, 0]) <= {0.0, 1.0}
    assert set(vertices[:, 1]) == {2.5, 3.0, 4.0}


def test_plot_layer_norms_is_the_log_median_over_seeds():
    rng = np.random.default_rng(0)
    norms = 10.0 ** rng.uniform(-8, 0, size=(3, 5, 4))  # seeds, epochs + 1, layers
    norms[1, 2, 0] = np.nan  # left out of the median
    norms[:, 4, 3] = 0.0  # a zero gradient is drawn at the bottom of the scale
    ax = plot_layer_norms({"grad_norm": norms}, title="ReLU + He")
    (image,) = ax.images
    expected = np.log10(np.nanmedian(norms, axis=0).T + 1e-300)
    np.testing.assert_allclose(image.get_array(), expected)
    assert image.get_array().shape == (4, 5)  # layers up, epochs across
    assert image.get_clim() == (-12, 1) and image.origin == "lower"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2", "3", "4"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2", "3", "4"]  # no 2.5
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "layer l"
    assert ax.get_title() == "ReLU + He"
    assert len(ax.figure.axes) == 2  # and its colorbar


def test_plot_layer_norms_of_a_real_run_on_given_axes():
    run = train_deep("tanh", "xavier", depth=12, width=8, epochs=1, seeds=2)
    _, ax = plt.subplots()
    assert plot_layer_norms(run, ax) is ax
    np.testing.assert_allclose(
        ax.images[0].get_array(), np.log10(np.median(run["grad_norm"], axis=0).T)
    )
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "3", "5", "7", "9", "11", "13"]


def test_plot_layer_norms_of_runs_that_all_diverged():
    """An epoch where every seed diverged is left blank, without a warning."""
    norms = np.ones((2, 3, 4))
    norms[:, 2] = np.nan
    ax = plot_layer_norms({"grad_norm": norms})
    grid = ax.images[0].get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(grid), np.tile(np.arange(3) == 2, (4, 1)))
    np.testing.assert_array_equal(grid[:, :2], 0.0)  # log10(1)
