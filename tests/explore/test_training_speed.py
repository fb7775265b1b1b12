"""training_speed: the batching runs against the same SGD written out batch by batch, the
optimizer runs and the optimizers they build, the size sweep against its recipe and an
accuracy counted here, the Pareto front against a brute-force definition, and the two figures.
The runs train on a subset of the digits for an epoch or two; measured seconds are never
asserted, only that they are there, positive, finite and cumulative."""

import itertools
import math
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnlab as nl
from nnlab.explore import training_speed
from nnlab.explore.signal_propagation import digits
from nnlab.explore.training_speed import (
    BATCHING,
    OPTIMIZER_SETTINGS,
    batching_runs,
    optimizer_runs,
    pareto_front,
    plot_curves,
    plot_pareto,
    size_sweep,
)


@pytest.fixture
def subset(monkeypatch):
    """The first 150 training and 60 test digits, in place of the whole split: faster."""
    split = digits()
    small = SimpleNamespace(
        X_train=split.X_train[:150],
        y_train=split.y_train[:150],
        X_test=split.X_test[:60],
        y_test=split.y_test[:60],
    )
    monkeypatch.setattr(training_speed, "digits", lambda: small)
    return small


@pytest.fixture
def fit_calls(monkeypatch):
    """Every call of nnlab.fit made by the module: (net, optimizer, X, y, kwargs)."""
    calls = []

    def spy(net, loss, optimizer, X, y, **kwargs):
        assert isinstance(loss, nl.SoftmaxCrossEntropy)
        calls.append(SimpleNamespace(net=net, opt=optimizer, X=X, y=y, kwargs=kwargs))
        return nl.fit(net, loss, optimizer, X, y, **kwargs)

    monkeypatch.setattr(training_speed, "fit", spy)
    return calls


def sgd_by_hand(net, X, y, optimizer, epochs, batch_size, gen):
    """Mini-batch training written out: a fresh order from ``gen`` each epoch, forward, loss,
    backward, step; the loss of each epoch is the size-weighted mean of its batch losses."""
    loss = nl.SoftmaxCrossEntropy()
    means = []
    for _ in range(epochs):
        order = gen.permutation(len(y))
        total = 0.0
        for start in range(0, len(y), batch_size):
            idx = order[start : start + batch_size]
            total += loss.forward(net.forward(X[idx]), y[idx]) * len(idx)
            net.backward(loss.backward())
            optimizer.step()
        means.append(total / len(y))
    return np.array(means)


def counted_accuracy(net, X, y):
    """Fraction of samples whose largest logit is the label, from a forward pass."""
    return float(np.mean(np.argmax(net.forward(X, cache=False), axis=1) == y))


def dense_shapes(net):
    return [la.W.shape for la in net.layers if isinstance(la, nl.Dense)]


def mlp_params(sizes):
    return sum(a * b + b for a, b in itertools.pairwise(sizes))


def assert_cumulative_seconds(seconds):
    assert np.isfinite(seconds).all() and np.all(seconds > 0)
    assert np.all(np.diff(seconds, axis=-1) >= 0)


# batching_runs

EPOCHS = {"per-sample": 1, "mini-batch 32": 2, "full batch": 3}


def test_batching_runs_shapes_updates_and_seconds(subset):
    runs = batching_runs(EPOCHS, seeds=2)
    assert list(runs) == list(EPOCHS)
    n = len(subset.y_train)
    expected_updates = {"per-sample": n, "mini-batch 32": math.ceil(n / 32), "full batch": 1}
    for mode, run in runs.items():
        assert run["loss"].shape == run["seconds"].shape == (2, EPOCHS[mode])
        assert run["updates"] == expected_updates[mode]
        assert np.isfinite(run["loss"]).all()
        assert_cumulative_seconds(run["seconds"])
        assert not np.array_equal(run["loss"][0], run["loss"][1])  # seeds differ
    again = batching_runs(EPOCHS, seeds=2)
    for mode, run in runs.items():
        np.testing.assert_array_equal(run["loss"], again[mode]["loss"])


def test_batching_runs_are_plain_sgd_written_out(subset):
    runs = batching_runs(EPOCHS, seeds=2)
    X, y = subset.X_train, subset.y_train
    for mode, (batch, lr) in BATCHING.items():
        for seed in range(2):
            net = nl.mlp([64, 64, 10], "relu", rng=seed)
            opt = nl.SGD(net.parameters(), lr=lr)
            gen = np.random.default_rng(seed)  # one shuffling generator across the epochs
            losses = sgd_by_hand(net, X, y, opt, EPOCHS[mode], batch or len(y), gen)
            np.testing.assert_allclose(runs[mode]["loss"][seed], losses, rtol=1e-10)
    # every mode learns on its way (the full batch takes one step per epoch)
    assert np.all(runs["mini-batch 32"]["loss"][:, 1] < runs["mini-batch 32"]["loss"][:, 0])
    assert np.all(np.diff(runs["full batch"]["loss"], axis=1) < 0)


def test_batching_runs_of_one_mode(subset, fit_calls):
    runs = batching_runs({"mini-batch 32": 3}, seeds=1)
    assert list(runs) == ["mini-batch 32"] and runs["mini-batch 32"]["loss"].shape == (1, 3)
    assert len(fit_calls) == 3  # one fit per epoch, so the clock stops between epochs
    assert len({id(c.net) for c in fit_calls}) == 1 and len({id(c.opt) for c in fit_calls}) == 1
    assert len({id(c.kwargs["rng"]) for c in fit_calls}) == 1  # the shuffling continues
    for c in fit_calls:
        assert c.kwargs["epochs"] == 1 and c.kwargs["batch_size"] == 32
        assert type(c.opt) is nl.SGD and c.opt.lr == 0.05 and c.opt.momentum == 0
        assert c.X is subset.X_train and c.y is subset.y_train


# optimizer_runs


EXPECTED_OPTIMIZERS = {
    "sgd": (nl.SGD, dict(lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0)),
    "momentum": (nl.SGD, dict(lr=0.05, momentum=0.9, nesterov=False, weight_decay=0.0)),
    "nesterov": (nl.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.0)),
    "adam": (nl.Adam, dict(lr=0.01, betas=(0.9, 0.999), weight_decay=0.0)),
    "adamw": (nl.AdamW, dict(lr=0.01, betas=(0.9, 0.999), weight_decay=0.01)),
}


@pytest.mark.parametrize("name", list(EXPECTED_OPTIMIZERS))
def test_optimizer_settings_build_the_documented_optimizers(name):
    kind, settings = EXPECTED_OPTIMIZERS[name]
    net = nl.mlp([3, 4, 2], rng=0)
    opt = OPTIMIZER_SETTINGS[name](net.parameters())
    assert type(opt) is kind
    assert {key: getattr(opt, key) for key in settings} == settings


def test_optimizer_settings_are_the_five_of_the_chapter():
    assert list(OPTIMIZER_SETTINGS) == list(EXPECTED_OPTIMIZERS)


def test_optimizer_runs_on_the_digits(subset, fit_calls):
    runs = optimizer_runs("digits", epochs=2, seeds=2)
    assert list(runs) == list(OPTIMIZER_SETTINGS)
    for run in runs.values():
        assert run["loss"].shape == run["seconds"].shape == (2, 2)
        assert np.isfinite(run["loss"]).all()
        assert np.isfinite(run["seconds"]).all() and np.all(run["seconds"] > 0)
    assert len(fit_calls) == 5 * 2 * 2  # one fit per epoch, so each epoch is timed
    for call, (name, _seed, _epoch) in zip(
        fit_calls, itertools.product(OPTIMIZER_SETTINGS, range(2), range(2)), strict=True
    ):
        kind, settings = EXPECTED_OPTIMIZERS[name]
        assert type(call.opt) is kind and {k: getattr(call.opt, k) for k in settings} == settings
        rng = call.kwargs.pop("rng")
        assert isinstance(rng, np.random.Generator)  # one generator per run, across epochs
        assert call.kwargs == dict(epochs=1, batch_size=32, progress=False)
        assert call.X is subset.X_train and call.y is subset.y_train
    for run in runs.values():
        assert np.all(np.diff(run["seconds"], axis=1) >= 0)  # cumulative
        assert dense_shapes(call.net) == [(64, 64), (64, 10)]
        assert isinstance(call.net.layers[1], nl.ReLU)
    # the same training, written out
    for name in ("sgd", "nesterov", "adamw"):
        for seed in range(2):
            net = nl.mlp([64, 64, 10], "relu", rng=seed)
            opt = OPTIMIZER_SETTINGS[name](net.parameters())
            gen = np.random.default_rng(seed)
            losses = sgd_by_hand(net, subset.X_train, subset.y_train, opt, 2, 32, gen)
            np.testing.assert_allclose(runs[name]["loss"][seed], losses, rtol=1e-10)


def test_optimizer_runs_on_the_spirals_are_reproducible(fit_calls):
    runs = optimizer_runs("spirals", ["momentum", "adam"], epochs=2, seeds=2)
    assert list(runs) == ["momentum", "adam"]
    for seed in range(2):
        call = fit_calls[2 * seed]  # two epochs, one fit each
        X, y = nl.make_spirals(300, rng=seed)
        np.testing.assert_array_equal(call.X, X)
        np.testing.assert_array_equal(call.y, y)
        assert dense_shapes(call.net) == [(2, 32), (32, 32), (32, 3)]
        assert [type(la) for la in call.net.layers[1::2]] == [nl.Tanh, nl.Tanh]
        net = nl.mlp([2, 32, 32, 3], "tanh", rng=seed)
        opt = nl.Adam(net.parameters(), lr=0.01)
        losses = sgd_by_hand(net, X, y, opt, 2, 32, np.random.default_rng(seed))
        np.testing.assert_allclose(runs["adam"]["loss"][seed], losses, rtol=1e-10)
    assert not np.array_equal(runs["adam"]["loss"][0], runs["adam"]["loss"][1])
    again = optimizer_runs("spirals", ["momentum", "adam"], epochs=2, seeds=2)
    for name, run in runs.items():
        np.testing.assert_array_equal(run["loss"], again[name]["loss"])


def test_optimizer_runs_names_the_problems_it_knows():
    with pytest.raises(ValueError, match=r"unknown problem 'mnist'.*'digits' or 'spirals'"):
        optimizer_runs("mnist", ["sgd"], epochs=1, seeds=1)


# size_sweep


def test_size_sweep_rows_against_the_recipe(subset):
    rows = size_sweep(widths=(4, 8), depths=(1, 2), seeds=2, epochs=3, repeats=1)
    assert [(r["depth"], r["width"]) for r in rows] == [(1, 4), (1, 8), (2, 4), (2, 8)]
    for r in rows:
        sizes = [64] + [r["width"]] * r["depth"] + [10]
        assert r["n_params"] == mlp_params(sizes)
        assert 0 <= r["accuracy"] <= 1
        assert math.isfinite(r["seconds_per_sample"]) and r["seconds_per_sample"] > 0
        accs = []
        for seed in range(2):  # Adam, learning rate 0.01, batches of 32, as documented
            net = nl.mlp(sizes, "relu", rng=seed)
            opt = nl.Adam(net.parameters(), lr=0.01)
            sgd_by_hand(
                net, subset.X_train, subset.y_train, opt, 3, 32, np.random.default_rng(seed)
            )
            accs.append(counted_accuracy(net, subset.X_test, subset.y_test))
        assert r["accuracy"] == pytest.approx(np.median(accs), abs=1e-12)
    assert max(r["accuracy"] for r in rows) > 0.4  # four times chance (0.1) after three epochs


# pareto_front


def row(name, cost, value):
    return {"name": name, "n_params": cost, "accuracy": value}


def names(rows):
    return [r["name"] for r in rows]


def test_pareto_front_of_hand_made_rows():
    rows = [
        row("D", 30, 0.65),  # beaten by B: cheaper and more accurate
        row("E", 40, 0.9),
        row("A", 10, 0.5),
        row("G", 50, 0.9),  # as accurate as E, dearer
        row("C", 20, 0.6),  # as cheap as B, less accurate
        row("F", 40, 0.9),  # a tie of E in both: kept once, the first
        row("B", 20, 0.7),
        row("H", 5, 0.1),
    ]
    front = pareto_front(rows)
    assert names(front) == ["H", "A", "B", "E"]
    assert front[1] is rows[2]  # the rows themselves
    assert front[0] is min(rows, key=lambda r: r["n_params"])
    assert front[-1]["accuracy"] == max(r["accuracy"] for r in rows)
    assert all(
        a["n_params"] < b["n_params"] and a["accuracy"] < b["accuracy"]
        for a, b in itertools.pairwise(front)
    )


def test_pareto_front_of_one_row_and_of_equal_rows():
    only = row("x", 3, 0.5)
    assert pareto_front([only]) == [only]
    same = [row(str(i), 7, 0.25) for i in range(4)]
    (kept,) = pareto_front(same)
    assert kept is same[0]
    assert pareto_front([]) == []


def test_pareto_front_against_a_brute_force_definition():
    """A row is on the front unless another is at most as costly and at least as accurate,
    and better in one of the two; of rows equal in both, the first is kept."""
    gen = np.random.default_rng(0)
    for _ in range(50):
        n = int(gen.integers(1, 12))
        costs, values = gen.integers(1, 6, n), gen.integers(0, 5, n) / 4
        rows = [
            row(i, int(c), float(v)) for i, (c, v) in enumerate(zip(costs, values, strict=True))
        ]
        expected = []
        for r in rows:
            beaten = any(
                s["n_params"] <= r["n_params"]
                and s["accuracy"] >= r["accuracy"]
                and (s["n_params"] < r["n_params"] or s["accuracy"] > r["accuracy"])
                for s in rows
            )
            duplicate = any(
                (s["n_params"], s["accuracy"]) == (r["n_params"], r["accuracy"])
                for s in rows[: r["name"]]
            )
            if not beaten and not duplicate:
                expected.append(r)
        expected.sort(key=lambda r: r["n_params"])
        assert names(pareto_front(rows)) == names(expected)


def test_pareto_front_with_another_cost():
    rows = [
        {"seconds_per_sample": 3e-6, "score": 0.8, "n_params": 1},
        {"seconds_per_sample": 1e-6, "score": 0.7, "n_params": 2},
        {"seconds_per_sample": 2e-6, "score": 0.6, "n_params": 3},
    ]
    front = pareto_front(rows, cost="seconds_per_sample", value="score")
    assert [r["n_params"] for r in front] == [2, 1]


# figures


def fake_runs():
    gen = np.random.default_rng(1)
    return {
        name: {
            "loss": gen.uniform(0.1, 2.0, size=(3, 4)),
            "seconds": np.cumsum(gen.uniform(0.01, 0.1, size=(3, 4)), axis=1),
        }
        for name in ("a", "b")
    }


def band_limits(band, xs):
    vertices = band.get_paths()[0].vertices
    return [
        (
            vertices[np.isclose(vertices[:, 0], x), 1].min(),
            vertices[np.isclose(vertices[:, 0], x), 1].max(),
        )
        for x in xs
    ]


@pytest.mark.parametrize("x", ["epoch", "seconds"])
def test_plot_curves_draws_the_median_and_the_band(x):
    runs = fake_runs()
    _, ax = plt.subplots()
    assert plot_curves(runs, ax, x=x) is ax
    assert len(ax.lines) == len(ax.collections) == 2
    for line, band, (name, run) in zip(ax.lines, ax.collections, runs.items(), strict=True):
        xs = np.arange(1, 5) if x == "epoch" else np.median(run["seconds"], axis=0)
        np.testing.assert_allclose(line.get_xdata(), xs)
        np.testing.assert_allclose(line.get_ydata(), np.median(run["loss"], axis=0))
        assert line.get_label() == name
        np.testing.assert_allclose(
            band_limits(band, xs),
            np.stack([run["loss"].min(axis=0), run["loss"].max(axis=0)], axis=1),
        )
    assert [line.get_color() for line in ax.lines] == ["#0072B2", "#D55E00"]
    assert ax.get_xlabel() == x and ax.get_ylabel() == "training loss"
    assert ax.get_yscale() == "log"


def test_plot_curves_on_a_linear_scale_and_own_axes():
    ax = plot_curves(fake_runs(), log=False)
    assert ax.get_yscale() == "linear" and len(ax.figure.axes) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_plot_curves_of_real_batching_runs(subset):
    runs = batching_runs({"mini-batch 32": 2, "full batch": 2}, seeds=2)
    ax = plot_curves(runs, x="seconds")
    for line, run in zip(ax.lines, runs.values(), strict=True):
        np.testing.assert_allclose(line.get_xdata(), np.median(run["seconds"], axis=0))


SIZES = [
    {"width": 8, "depth": 1, "n_params": 610, "accuracy": 0.90, "seconds_per_sample": 3e-7},
    {"width": 16, "depth": 1, "n_params": 1210, "accuracy": 0.95, "seconds_per_sample": 2e-7},
    {"width": 8, "depth": 2, "n_params": 682, "accuracy": 0.88, "seconds_per_sample": 4e-7},
    {"width": 16, "depth": 2, "n_params": 1482, "accuracy": 0.97, "seconds_per_sample": 5e-7},
]


@pytest.mark.parametrize("cost", ["n_params", "seconds_per_sample"])
def test_plot_pareto_joins_the_front(cost):
    _, ax = plt.subplots()
    assert plot_pareto(SIZES, ax, cost=cost) is ax
    one, two = ax.collections
    np.testing.assert_array_equal(
        one.get_offsets(), [[r[cost], r["accuracy"]] for r in SIZES if r["depth"] == 1]
    )
    np.testing.assert_array_equal(
        two.get_offsets(), [[r[cost], r["accuracy"]] for r in SIZES if r["depth"] == 2]
    )
    (line,) = ax.lines
    front = pareto_front(SIZES, cost)
    np.testing.assert_array_equal(line.get_xdata(), [r[cost] for r in front])
    np.testing.assert_array_equal(line.get_ydata(), [r["accuracy"] for r in front])
    expected = {"n_params": [610, 1210, 1482], "seconds_per_sample": [2e-7, 5e-7]}[cost]
    assert list(line.get_xdata()) == expected
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "test accuracy"
    assert ax.get_xlabel() == ("parameters" if cost == "n_params" else "seconds per sample")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["1 hidden layer(s)", "2 hidden layer(s)", "Pareto front"]


def test_plot_pareto_draws_every_network_of_any_depth():
    rows = [dict(r, depth=r["depth"] + 2) for r in SIZES] + [dict(SIZES[0], depth=1)]
    ax = plot_pareto(rows)
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(rows)
    for depth, scatter in zip((1, 3, 4), ax.collections, strict=True):  # in order of depth
        expected = [[r["n_params"], r["accuracy"]] for r in rows if r["depth"] == depth]
        np.testing.assert_array_equal(scatter.get_offsets(), expected)
    colors = {tuple(c.get_facecolor()[0]) for c in ax.collections}
    assert len(colors) == 3  # one colour per depth
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [f"{d} hidden layer(s)" for d in (1, 3, 4)] + ["Pareto front"]
