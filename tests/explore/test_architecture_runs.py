"""architecture_runs: the digits CNN and its parameter count, the MLPs of the same budget,
train_digits against the documented recipe and an accuracy counted here, the depth sweep,
nnlab against scikit-learn (the iterations scikit-learn really ran) and the depth figure. The
runs train on a subset of the digits for a few epochs; the measured times are never asserted."""

import numpy as np
import pytest

import nnlab as nl
from nnlab.explore import architecture_runs
from nnlab.explore.architecture_runs import (
    budget_models,
    depth_sweep,
    nnlab_vs_sklearn,
    plot_depth_sweep,
    small_cnn,
    train_digits,
)

from .digit_runs import counted_accuracy, dense_shapes, mlp_params


def recording(build):
    """build, and the list of the networks it returned."""
    nets = []

    def wrapped(seed):
        nets.append(build(seed))
        return nets[-1]

    return wrapped, nets


# what the fixtures subset and fit_calls (conftest.py) act on
EXPLORED = architecture_runs  # the module whose digits and fit they replace
SUBSET = (400, 150)  # its training and test digits


# the networks


@pytest.mark.parametrize("channels", [8, 4, 3])
def test_small_cnn(channels):
    net = small_cnn(0, channels)
    kinds = [nl.Conv2D, nl.ReLU, nl.MaxPool2D, nl.Flatten, nl.Dense]
    assert [type(la) for la in net.layers] == kinds
    conv, _, pool, _, dense = net.layers
    assert conv.W.shape == (channels, 1, 3, 3) and conv.b.shape == (channels,)
    assert conv.padding == (1, 1) and conv.stride == (1, 1) and pool.kernel_size == (2, 2)
    assert dense.W.shape == (channels * 16, 10)  # channels x 4 x 4 after the pooling
    assert net.n_params == channels * 9 + channels + channels * 16 * 10 + 10
    assert net.forward(np.zeros((5, 1, 8, 8))).shape == (5, 10)
    np.testing.assert_array_equal(small_cnn(0, channels).layers[0].W, conv.W)  # seeded
    assert not np.array_equal(small_cnn(1, channels).layers[0].W, conv.W)


def test_the_chapter_cnn_has_1370_parameters():
    assert small_cnn(0).n_params == 8 * 9 + 8 + 128 * 10 + 10 == 1370


@pytest.mark.parametrize("channels", [8, 4, 16])
def test_budget_models_are_the_widest_mlps_within_the_cnn_budget(channels):
    models = budget_models(channels)
    budget = small_cnn(0, channels).n_params
    (cnn_name, (cnn_build, cnn_images)), one, two = models.items()
    assert cnn_name == "cnn" and cnn_images is True
    assert cnn_build(3).n_params == budget and isinstance(cnn_build(3).layers[0], nl.Conv2D)
    np.testing.assert_array_equal(cnn_build(3).layers[0].W, small_cnn(3, channels).layers[0].W)
    for (name, (build, images)), hidden in ((one, 1), (two, 2)):
        assert images is False
        net = build(0)
        widths = [s[1] for s in dense_shapes(net)[:-1]]
        assert len(widths) == hidden and len(set(widths)) == 1
        h = widths[0]
        assert name == "mlp 64-" + "-".join([str(h)] * hidden) + "-10"
        assert net.n_params == mlp_params([64] + [h] * hidden + [10]) <= budget
        wider = nl.mlp([64] + [h + 1] * hidden + [10], rng=0)
        assert wider.n_params > budget  # one more unit would go over
        assert isinstance(net.layers[1], nl.ReLU)


def test_budget_models_for_the_chapter():
    assert list(budget_models()) == ["cnn", "mlp 64-18-10", "mlp 64-14-14-10"]
    # 1360 <= 1370 < 1435 (width 19); 1270 <= 1370 < 1375 (widths 15)
    assert mlp_params([64, 18, 10]) == 1360 and mlp_params([64, 19, 10]) == 1435
    assert mlp_params([64, 14, 14, 10]) == 1270 and mlp_params([64, 15, 15, 10]) == 1375


def test_budget_models_is_not_capped_at_199_units():
    budget = small_cnn(0, 96).n_params  # 16330: up to 217 units fit
    one = max(h for h in range(1, 1000) if mlp_params([64, h, 10]) <= budget)
    assert one == 217
    assert f"mlp 64-{one}-10" in budget_models(96)


# train_digits


def test_train_digits_follows_the_recipe_and_counts_accuracy(subset, fit_calls):
    build, nets = recording(lambda seed: nl.mlp([64, 16, 10], rng=seed))
    run = train_digits(build, seeds=2, epochs=3, lr=0.02, batch_size=50)
    assert set(run) == {"test_accuracy", "train_accuracy", "seconds", "n_params"}
    assert run["test_accuracy"].shape == run["train_accuracy"].shape == run["seconds"].shape
    assert run["seconds"].shape == (2,)
    assert run["n_params"] == mlp_params([64, 16, 10]) == nets[0].n_params
    assert len(nets) == 2 and not np.array_equal(nets[0].layers[0].W, nets[1].layers[0].W)
    for seed, (net, call) in enumerate(zip(nets, fit_calls, strict=True)):
        assert call.net is net and isinstance(call.opt, nl.Adam) and call.opt.lr == 0.02
        assert call.kwargs == dict(epochs=3, batch_size=50, rng=seed, progress=False)
        assert call.X is subset.X_train and call.y is subset.y_train
        assert run["test_accuracy"][seed] == counted_accuracy(net, subset.X_test, subset.y_test)
        assert run["train_accuracy"][seed] == counted_accuracy(net, subset.X_train, subset.y_train)
    assert np.all((run["test_accuracy"] >= 0) & (run["test_accuracy"] <= 1))
    assert np.all(run["test_accuracy"] > 0.5)  # far above chance (0.1) after three epochs


def test_train_digits_is_the_documented_adam_loop_and_is_deterministic(subset):
    run = train_digits(lambda seed: nl.mlp([64, 8, 10], rng=seed), seeds=2, epochs=1)
    again = train_digits(lambda seed: nl.mlp([64, 8, 10], rng=seed), seeds=2, epochs=1)
    for key in ("test_accuracy", "train_accuracy", "n_params"):
        np.testing.assert_array_equal(run[key], again[key])
    # the defaults written out: Adam(lr=0.01), batches of 32, shuffled by the seed
    net = nl.mlp([64, 8, 10], rng=1)
    opt = nl.Adam(net.parameters(), lr=0.01)
    nl.fit(
        net,
        nl.SoftmaxCrossEntropy(),
        opt,
        subset.X_train,
        subset.y_train,
        epochs=1,
        batch_size=32,
        rng=1,
        progress=False,
    )
    assert run["test_accuracy"][1] == counted_accuracy(net, subset.X_test, subset.y_test)
    assert run["train_accuracy"][1] == counted_accuracy(net, subset.X_train, subset.y_train)


def test_train_digits_feeds_images_to_a_cnn(subset, fit_calls):
    build, nets = recording(small_cnn)
    run = train_digits(build, images=True, seeds=1, epochs=1)
    (call,) = fit_calls
    assert call.X.shape == (400, 1, 8, 8)
    np.testing.assert_array_equal(call.X[7, 0], subset.X_train[7].reshape(8, 8))  # row-major
    X_test = subset.X_test.reshape(-1, 1, 8, 8)
    assert run["test_accuracy"][0] == counted_accuracy(nets[0], X_test, subset.y_test)
    assert run["n_params"] == 1370 and 0.3 < run["test_accuracy"][0] <= 1
    with pytest.raises(ValueError):  # rows of 64 do not fit a Conv2D
        train_digits(small_cnn, images=False, seeds=1, epochs=1)


# depth_sweep


def test_depth_sweep_builds_relu_mlps_of_each_depth(monkeypatch):
    seen = {}

    def spy(build, **kwargs):
        net = build(0)
        seen[len(dense_shapes(net)) - 1] = (build, net, kwargs)
        return {"depth": len(seen)}

    monkeypatch.setattr(architecture_runs, "train_digits", spy)
    sweep = depth_sweep((0, 1, 3), width=16, seeds=2, epochs=4, lr=0.1)
    assert list(sweep) == [0, 1, 3] and [sweep[d]["depth"] for d in (0, 1, 3)] == [1, 2, 3]
    assert sorted(seen) == [0, 1, 3]  # each depth its own network (no late-binding lambda)
    (_, softmax, kwargs) = seen[0]
    assert kwargs == dict(seeds=2, epochs=4, lr=0.1)
    # depth 0: softmax regression, one Dense 64 -> 10 and nothing else
    assert len(softmax.layers) == 1 and dense_shapes(softmax) == [(64, 10)]
    _, deep, _ = seen[3]
    assert dense_shapes(deep) == [(64, 16), (16, 16), (16, 16), (16, 10)]
    assert [type(la) for la in deep.layers[1::2]] == [nl.ReLU] * 3
    np.testing.assert_array_equal(
        seen[1][0](5).layers[0].W, nl.mlp([64, 16, 10], "relu", rng=5).layers[0].W
    )


def test_depth_sweep_equals_train_digits_per_depth(subset):
    sweep = depth_sweep((0, 2), width=8, seeds=2, epochs=1)
    for depth, sizes in ((0, [64, 10]), (2, [64, 8, 8, 10])):
        alone = train_digits(lambda seed, s=sizes: nl.mlp(s, "relu", rng=seed), seeds=2, epochs=1)
        assert sweep[depth]["n_params"] == mlp_params(sizes)
        for key in ("test_accuracy", "train_accuracy"):
            np.testing.assert_array_equal(sweep[depth][key], alone[key])


# nnlab against scikit-learn


@pytest.fixture
def classifiers(monkeypatch):
    """Every MLPClassifier nnlab_vs_sklearn fits, kept after its fit."""
    neural_network = pytest.importorskip("sklearn.neural_network")
    fitted = []

    class Recorded(neural_network.MLPClassifier):
        def fit(self, X, y):
            fitted.append(self)
            return super().fit(X, y)

    monkeypatch.setattr(neural_network, "MLPClassifier", Recorded)
    return fitted


def test_nnlab_vs_sklearn_trains_the_same_mlp_both_ways(subset, fit_calls, classifiers):
    out = nnlab_vs_sklearn(hidden=8, epochs=2, seeds=1)
    assert set(out) == {"nnlab", "sklearn"}
    for entry in out.values():
        assert set(entry) == {"test_accuracy", "seconds"}
        assert entry["test_accuracy"].shape == entry["seconds"].shape == (1,)
        assert 0 <= entry["test_accuracy"][0] <= 1
    (clf,) = classifiers
    assert clf.n_iter_ == 2  # exactly `epochs` passes, no early stop
    assert len(clf.loss_curve_) == 2
    assert clf.hidden_layer_sizes == (8,) and clf.alpha == 0.0 and clf.random_state == 0
    assert clf.solver == "adam" and clf.learning_rate_init == 1e-3 and clf.batch_size == "auto"
    assert clf.activation == "relu" and [c.shape for c in clf.coefs_] == [(64, 8), (8, 10)]
    sk_accuracy = np.mean(clf.predict(subset.X_test) == subset.y_test)
    assert out["sklearn"]["test_accuracy"][0] == sk_accuracy
    (call,) = fit_calls
    assert dense_shapes(call.net) == [(64, 8), (8, 10)] and isinstance(call.net.layers[1], nl.ReLU)
    assert isinstance(call.opt, nl.Adam) and call.opt.lr == 1e-3
    assert call.kwargs == dict(epochs=2, batch_size=200, rng=0, progress=False)
    assert out["nnlab"]["test_accuracy"][0] == counted_accuracy(
        call.net, subset.X_test, subset.y_test
    )


def test_nnlab_vs_sklearn_both_learn(classifiers):
    out = nnlab_vs_sklearn(hidden=16, epochs=10, seeds=2)  # the whole split
    assert [c.random_state for c in classifiers] == [0, 1]
    assert all(c.n_iter_ == 10 for c in classifiers)
    for entry in out.values():
        assert entry["test_accuracy"].shape == (2,)
        assert np.all(entry["test_accuracy"] > 0.2)  # chance is 0.1
        assert np.all(entry["test_accuracy"] <= 1)


# figure


def test_plot_depth_sweep():
    sweep = {  # keys out of order: the figure sorts them
        4: {"test_accuracy": np.array([0.90, 0.94, 0.92]), "seconds": np.array([3.0, 2.0, 4.0])},
        0: {"test_accuracy": np.array([0.95, 0.93, 0.96]), "seconds": np.array([1.0, 1.5, 0.5])},
        1: {"test_accuracy": np.array([0.97, 0.97, 0.98]), "seconds": np.array([2.0, 2.5, 1.0])},
    }
    axes = plot_depth_sweep(sweep)
    assert len(axes) == 2
    for ax, key, label in zip(
        axes, ("test_accuracy", "seconds"), ("test accuracy", "training time (s)"), strict=True
    ):
        assert list(ax.get_xticks()) == [0, 1, 4]
        assert ax.get_xlabel() == "hidden layers" and ax.get_ylabel() == label
        values = np.array([sweep[d][key] for d in (0, 1, 4)])
        (bars,) = ax.containers
        line, _, (ranges,) = bars
        np.testing.assert_array_equal(line.get_xdata(), [0, 1, 4])
        np.testing.assert_allclose(line.get_ydata(), np.median(values, axis=1))
        for segment, row in zip(ranges.get_segments(), values, strict=True):
            np.testing.assert_allclose(segment[:, 1], [row.min(), row.max()])  # the seed range
