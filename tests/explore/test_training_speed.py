"""training_speed: the learning-rate tuning (argmin of the median validation loss, a diverged
run the worst), the batching runs against the same SGD written out batch by batch on the
fitting rows, the optimizers and the optimizer runs at given rates and seeds, the size sweep
against its recipe and a validation accuracy counted here, the Pareto front against a
brute-force definition, and the two figures. The runs train on a subset of the digits for an
epoch or two; measured seconds are never asserted, only that they are there, positive, finite
and cumulative."""

import itertools
import math
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnlab as nl
from nnlab.data import validation_split
from nnlab.explore import training_speed
from nnlab.explore.training_speed import (
    ADAMW_DECAY,
    BATCHING,
    BATCHING_RATES,
    LEARNING_RATES,
    OPTIMIZERS,
    batching_runs,
    optimizer_runs,
    pareto_front,
    plot_curves,
    plot_pareto,
    size_sweep,
    tune_batching,
    tune_learning_rates,
)

from .digit_runs import counted_accuracy, dense_shapes, mlp_params


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


def assert_cumulative_seconds(seconds):
    assert np.isfinite(seconds).all() and np.all(seconds > 0)
    assert np.all(np.diff(seconds, axis=-1) >= 0)


def fitting_rows(subset):
    """``(X_fit, X_val, y_fit, y_val)``: the subset's training rows, a fifth held out."""
    return validation_split(subset.X_train, subset.y_train, fraction=0.2, rng=0)


def cross_entropy(net, X, y):
    return float(nl.SoftmaxCrossEntropy().forward(net.forward(X, cache=False), y))


def assert_same_data(call, X, y):
    np.testing.assert_array_equal(call.X, X)
    np.testing.assert_array_equal(call.y, y)


# what the fixtures subset and fit_calls (conftest.py) act on
EXPLORED = training_speed  # the module whose digits and fit they replace
SUBSET = (150, 60)  # its training and test digits


# the optimizers and the grids


EXPECTED_OPTIMIZERS = {
    "sgd": (nl.SGD, dict(momentum=0.0, nesterov=False, weight_decay=0.0)),
    "momentum": (nl.SGD, dict(momentum=0.9, nesterov=False, weight_decay=0.0)),
    "nesterov": (nl.SGD, dict(momentum=0.9, nesterov=True, weight_decay=0.0)),
    "adam": (nl.Adam, dict(betas=(0.9, 0.999), weight_decay=0.0)),
    "adamw": (nl.AdamW, dict(betas=(0.9, 0.999), weight_decay=0.01)),
}


@pytest.mark.parametrize("name", list(EXPECTED_OPTIMIZERS))
def test_optimizers_build_the_documented_optimizer_at_the_given_rate(name):
    kind, settings = EXPECTED_OPTIMIZERS[name]
    net = nl.mlp([3, 4, 2], rng=0)
    opt = OPTIMIZERS[name](net.parameters(), 0.0123)
    assert type(opt) is kind and opt.lr == 0.0123
    assert {key: getattr(opt, key) for key in settings} == settings


def test_the_five_optimizers_and_their_grids():
    assert ADAMW_DECAY == 0.01
    assert list(OPTIMIZERS) == list(LEARNING_RATES) == list(EXPECTED_OPTIMIZERS)
    for grid in [*LEARNING_RATES.values(), *BATCHING_RATES.values()]:
        ratios = np.diff(np.log(grid))
        assert np.all(ratios > 0) and np.all(np.exp(ratios) <= 4.0)  # rising, factor <= 4
    assert list(BATCHING) == list(BATCHING_RATES) == ["per-sample", "mini-batch 32", "full batch"]
    assert BATCHING == {"per-sample": 1, "mini-batch 32": 32, "full batch": None}


# tune_learning_rates


@pytest.fixture
def fake_fit(monkeypatch):
    """``fit`` replaced by a table: the validation loss of ``(lr, seed)``, or an exception to
    raise. Records every call's optimizer, data and keyword arguments."""
    table, calls = {}, []

    def fake(net, loss, optimizer, X, y, **kwargs):
        calls.append(SimpleNamespace(net=net, opt=optimizer, X=X, y=y, kwargs=kwargs))
        value = table.get((optimizer.lr, kwargs["rng"]), 1.0)
        if isinstance(value, Exception):
            raise value
        history = nl.History()
        history.append(loss=0.5, val_loss=value)
        return history

    monkeypatch.setattr(training_speed, "fit", fake)
    return SimpleNamespace(table=table, calls=calls)


def test_tuning_takes_the_median_and_counts_a_diverged_run_as_worst(subset, fake_fit):
    nan, boom = float("nan"), FloatingPointError("fit diverged")
    fake_fit.table.update(
        {
            (0.1, 0): 1.0, (0.1, 1): 1.0, (0.1, 2): 90.0,  # median 1, mean 30.7
            (0.2, 0): 2.0, (0.2, 1): 2.0, (0.2, 2): 2.0,  # median 2, mean 2
            (0.3, 0): nan, (0.3, 1): 0.01, (0.3, 2): boom,  # lowest loss, but diverged twice
            (0.4, 0): 5.0, (0.4, 1): np.inf, (0.4, 2): 0.5,  # median 5
        }
    )  # fmt: skip
    out = tune_learning_rates(
        "digits", ["sgd"], epochs=4, seeds=3, grid={"sgd": (0.1, 0.2, 0.3, 0.4)}
    )
    assert list(out) == ["sgd"]
    res = out["sgd"]
    assert res["rates"] == (0.1, 0.2, 0.3, 0.4)
    expected = [[1, 1, 90], [2, 2, 2], [np.inf, 0.01, np.inf], [5, np.inf, 0.5]]
    np.testing.assert_array_equal(res["val_loss"], expected)
    assert res["best"] == 0.1 and isinstance(res["best"], float)  # the mean would take 0.2
    # without 0.1 the median takes 0.2; the lowest single loss would take the diverging 0.3
    out = tune_learning_rates("digits", ["sgd"], epochs=4, seeds=3, grid={"sgd": (0.3, 0.2, 0.4)})
    assert out["sgd"]["best"] == 0.2


def test_tuning_calls_fit_on_the_fitting_rows_with_validation(subset, fake_fit):
    X_fit, X_val, y_fit, y_val = fitting_rows(subset)
    out = tune_learning_rates("digits", ["momentum", "adamw"], epochs=7, seeds=2)
    assert list(out) == ["momentum", "adamw"]
    assert out["momentum"]["rates"] == LEARNING_RATES["momentum"]
    assert out["adamw"]["val_loss"].shape == (5, 2)
    assert len(fake_fit.calls) == 2 * 5 * 2
    order = [(n, lr, s) for n in ("momentum", "adamw") for lr in LEARNING_RATES[n] for s in (0, 1)]
    for call, (name, lr, seed) in zip(fake_fit.calls, order, strict=True):
        kind, settings = EXPECTED_OPTIMIZERS[name]
        assert type(call.opt) is kind and call.opt.lr == lr
        assert {key: getattr(call.opt, key) for key in settings} == settings
        assert_same_data(call, X_fit, y_fit)
        (Xv, yv) = call.kwargs.pop("validation_data")
        np.testing.assert_array_equal(Xv, X_val)
        np.testing.assert_array_equal(yv, y_val)
        assert call.kwargs == dict(epochs=7, batch_size=32, rng=seed, progress=False)
        assert dense_shapes(call.net) == [(64, 64), (64, 10)]
        np.testing.assert_array_equal(
            call.net.flat_params, nl.mlp([64, 64, 10], "relu", rng=seed).flat_params
        )
    out = tune_learning_rates("digits", epochs=1, seeds=1)  # all of them by default
    assert list(out) == list(OPTIMIZERS)
    assert {n: r["rates"] for n, r in out.items()} == LEARNING_RATES


def test_tuning_the_spirals_validates_on_other_spirals(fake_fit):
    tune_learning_rates("spirals", ["adam"], epochs=1, seeds=2, grid={"adam": (0.01,)})
    for call, seed in zip(fake_fit.calls, (0, 1), strict=True):
        assert_same_data(call, *nl.make_spirals(300, rng=seed))
        Xv, yv = call.kwargs["validation_data"]
        X_other, y_other = nl.make_spirals(300, rng=seed + 1000)
        np.testing.assert_array_equal(Xv, X_other)
        np.testing.assert_array_equal(yv, y_other)
        assert dense_shapes(call.net) == [(2, 32), (32, 32), (32, 3)]
        assert [type(la) for la in call.net.layers[1::2]] == [nl.Tanh, nl.Tanh]


def test_tuning_for_real_records_the_validation_loss_and_a_divergence(subset):
    X_fit, X_val, y_fit, y_val = fitting_rows(subset)
    out = tune_learning_rates("digits", ["sgd"], epochs=2, seeds=2, grid={"sgd": (0.1, 1e300)})
    res = out["sgd"]
    assert np.all(res["val_loss"][1] == np.inf)  # the update overflows: fit raises, +inf
    assert res["best"] == 0.1
    for seed in range(2):
        net = nl.mlp([64, 64, 10], "relu", rng=seed)
        opt = nl.SGD(net.parameters(), lr=0.1)
        sgd_by_hand(net, X_fit, y_fit, opt, 2, 32, np.random.default_rng(seed))
        assert res["val_loss"][0, seed] == pytest.approx(cross_entropy(net, X_val, y_val))


# tune_batching and batching_runs


def test_tune_batching_trains_plain_sgd_with_each_batch_size(subset, fake_fit):
    X_fit, X_val, y_fit, y_val = fitting_rows(subset)
    fake_fit.table.update({(0.05, 0): np.inf, (0.05, 1): np.inf, (2.0, 1): float("nan")})
    grid = {"per-sample": (0.01, 0.02), "mini-batch 32": (0.05, 0.2), "full batch": (0.5, 2.0)}
    out = tune_batching(grid, epochs=3, seeds=2)
    assert list(out) == list(BATCHING)
    assert out["mini-batch 32"]["best"] == 0.2  # 0.05 diverged
    assert out["full batch"]["best"] == 0.5  # 2.0 is inf in one seed of two: median inf
    assert out["per-sample"]["best"] == 0.01  # a tie: the first
    sizes = {"per-sample": 1, "mini-batch 32": 32, "full batch": len(y_fit)}
    order = [(m, lr, s) for m, rates in grid.items() for lr in rates for s in (0, 1)]
    for call, (mode, lr, seed) in zip(fake_fit.calls, order, strict=True):
        assert type(call.opt) is nl.SGD and call.opt.lr == lr and call.opt.momentum == 0
        assert_same_data(call, X_fit, y_fit)
        Xv, yv = call.kwargs["validation_data"]
        np.testing.assert_array_equal(Xv, X_val)
        np.testing.assert_array_equal(yv, y_val)
        assert call.kwargs["batch_size"] == sizes[mode]
        assert call.kwargs["epochs"] == 3 and call.kwargs["rng"] == seed
    out = tune_batching(epochs=1, seeds=1)
    assert {m: r["rates"] for m, r in out.items()} == BATCHING_RATES


RATES = {"per-sample": 0.01, "mini-batch 32": 0.07, "full batch": 0.9}
EPOCHS = {"per-sample": 1, "mini-batch 32": 2, "full batch": 3}


def test_batching_runs_shapes_updates_and_seconds(subset):
    runs = batching_runs(EPOCHS, RATES, seeds=2)
    assert list(runs) == list(EPOCHS)
    n = len(fitting_rows(subset)[2])
    assert n == 120  # 150 rows, 30 held out
    expected_updates = {"per-sample": n, "mini-batch 32": math.ceil(n / 32), "full batch": 1}
    for mode, run in runs.items():
        assert run["loss"].shape == run["seconds"].shape == (2, EPOCHS[mode])
        assert run["updates"] == expected_updates[mode] and run["lr"] == RATES[mode]
        assert np.isfinite(run["loss"]).all()
        assert_cumulative_seconds(run["seconds"])
        assert not np.array_equal(run["loss"][0], run["loss"][1])  # seeds differ
    again = batching_runs(EPOCHS, RATES, seeds=2)
    for mode, run in runs.items():
        np.testing.assert_array_equal(run["loss"], again[mode]["loss"])


def test_batching_runs_are_plain_sgd_on_the_fitting_rows_written_out(subset):
    runs = batching_runs(EPOCHS, RATES, seeds=2)
    X, _, y, _ = fitting_rows(subset)
    for mode, batch in BATCHING.items():
        for seed in range(2):
            net = nl.mlp([64, 64, 10], "relu", rng=seed)
            opt = nl.SGD(net.parameters(), lr=RATES[mode])
            gen = np.random.default_rng(seed)  # one shuffling generator across the epochs
            losses = sgd_by_hand(net, X, y, opt, EPOCHS[mode], batch or len(y), gen)
            np.testing.assert_allclose(runs[mode]["loss"][seed], losses, rtol=1e-10)
    # every mode learns on its way (the full batch takes one step per epoch)
    assert np.all(runs["mini-batch 32"]["loss"][:, 1] < runs["mini-batch 32"]["loss"][:, 0])
    assert np.all(np.diff(runs["full batch"]["loss"], axis=1) < 0)


def test_batching_runs_of_one_mode(subset, fit_calls):
    runs = batching_runs({"mini-batch 32": 3}, {"mini-batch 32": 0.123}, seeds=1)
    assert list(runs) == ["mini-batch 32"] and runs["mini-batch 32"]["loss"].shape == (1, 3)
    assert len(fit_calls) == 1  # one fit per run; its on_epoch callback reads the clock
    X_fit, _, y_fit, _ = fitting_rows(subset)
    for c in fit_calls:
        assert c.kwargs["epochs"] == 3 and c.kwargs["batch_size"] == 32
        assert c.kwargs["rng"] == 0 and callable(c.kwargs["on_epoch"])
        assert type(c.opt) is nl.SGD and c.opt.lr == 0.123 and c.opt.momentum == 0
        assert_same_data(c, X_fit, y_fit)
        assert "validation_data" not in c.kwargs  # only training is timed


# optimizer_runs


def test_optimizer_runs_on_the_digits_at_the_given_rates(subset, fit_calls):
    rates = {"sgd": 0.2, "nesterov": 0.02, "adamw": 0.004}
    runs = optimizer_runs("digits", rates, epochs=2, seeds=2)
    assert list(runs) == list(rates)
    X_fit, X_val, y_fit, y_val = fitting_rows(subset)
    for name, run in runs.items():
        assert run["loss"].shape == run["seconds"].shape == (2, 2)
        assert run["val_loss"].shape == (2,) and run["lr"] == rates[name]
        assert np.isfinite(run["loss"]).all()
        assert_cumulative_seconds(run["seconds"])
    assert len(fit_calls) == 3 * 2  # one fit per run; on_epoch times each epoch
    for call, (name, seed) in zip(fit_calls, itertools.product(rates, (10, 11)), strict=True):
        kind, settings = EXPECTED_OPTIMIZERS[name]
        assert type(call.opt) is kind and call.opt.lr == rates[name]
        assert {k: getattr(call.opt, k) for k in settings} == settings
        assert callable(call.kwargs.pop("on_epoch"))
        assert call.kwargs == dict(epochs=2, batch_size=32, rng=seed, progress=False)
        assert_same_data(call, X_fit, y_fit)
        assert dense_shapes(call.net) == [(64, 64), (64, 10)]
        assert isinstance(call.net.layers[1], nl.ReLU)
    # the same training, written out, from the seeds 10 and 11 (tuning uses 0, 1, 2)
    for name in rates:
        for k, seed in enumerate((10, 11)):
            net = nl.mlp([64, 64, 10], "relu", rng=seed)
            opt = OPTIMIZERS[name](net.parameters(), rates[name])
            gen = np.random.default_rng(seed)
            losses = sgd_by_hand(net, X_fit, y_fit, opt, 2, 32, gen)
            np.testing.assert_allclose(runs[name]["loss"][k], losses, rtol=1e-10)
            assert runs[name]["val_loss"][k] == pytest.approx(cross_entropy(net, X_val, y_val))


def test_optimizer_runs_on_the_spirals_from_another_first_seed(fit_calls):
    rates = {"momentum": 0.05, "adam": 0.02}
    runs = optimizer_runs("spirals", rates, epochs=2, seeds=2, first_seed=3)
    assert list(runs) == ["momentum", "adam"]
    for k, seed in enumerate((3, 4)):
        call = fit_calls[k]  # one fit per run, the momentum runs first
        X, y = nl.make_spirals(300, rng=seed)
        assert_same_data(call, X, y)
        assert dense_shapes(call.net) == [(2, 32), (32, 32), (32, 3)]
        assert [type(la) for la in call.net.layers[1::2]] == [nl.Tanh, nl.Tanh]
        net = nl.mlp([2, 32, 32, 3], "tanh", rng=seed)
        opt = nl.Adam(net.parameters(), lr=0.02)
        losses = sgd_by_hand(net, X, y, opt, 2, 32, np.random.default_rng(seed))
        np.testing.assert_allclose(runs["adam"]["loss"][k], losses, rtol=1e-10)
        X_val, y_val = nl.make_spirals(300, rng=seed + 1000)
        assert runs["adam"]["val_loss"][k] == pytest.approx(cross_entropy(net, X_val, y_val))
    assert not np.array_equal(runs["adam"]["loss"][0], runs["adam"]["loss"][1])
    again = optimizer_runs("spirals", rates, epochs=2, seeds=2, first_seed=3)
    for name, run in runs.items():
        np.testing.assert_array_equal(run["loss"], again[name]["loss"])
        np.testing.assert_array_equal(run["val_loss"], again[name]["val_loss"])


def test_optimizer_runs_names_the_problems_it_knows():
    with pytest.raises(ValueError, match=r"unknown problem 'mnist'.*'digits' or 'spirals'"):
        optimizer_runs("mnist", {"sgd": 0.1}, epochs=1, seeds=1)
    with pytest.raises(ValueError, match=r"unknown problem 'mnist'"):
        tune_learning_rates("mnist", ["sgd"], epochs=1, seeds=1)


# size_sweep


def test_size_sweep_rows_against_the_recipe_on_the_validation_rows(subset):
    X_fit, X_val, y_fit, y_val = fitting_rows(subset)
    subset.X_test = subset.y_test = None  # the test set must not be touched
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
            sgd_by_hand(net, X_fit, y_fit, opt, 3, 32, np.random.default_rng(seed))
            accs.append(counted_accuracy(net, X_val, y_val))
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
        row("F", 40, 0.9),  # a tie of E in both: neither dominates, both stay
        row("B", 20, 0.7),
        row("H", 5, 0.1),
    ]
    front = pareto_front(rows)
    assert names(front) == ["H", "A", "B", "E", "F"]
    assert front[1] is rows[2]  # the rows themselves
    assert front[0] is min(rows, key=lambda r: r["n_params"])
    assert front[-1]["accuracy"] == max(r["accuracy"] for r in rows)
    assert all(
        (a["n_params"] < b["n_params"] and a["accuracy"] < b["accuracy"])
        or (a["n_params"], a["accuracy"]) == (b["n_params"], b["accuracy"])
        for a, b in itertools.pairwise(front)
    )


def test_pareto_front_of_one_row_and_of_equal_rows():
    only = row("x", 3, 0.5)
    assert pareto_front([only]) == [only]
    same = [row(str(i), 7, 0.25) for i in range(4)]
    assert pareto_front(same) == same  # none dominates another: all stay, in input order
    assert pareto_front([]) == []


def test_pareto_front_against_a_brute_force_definition():
    """A row is on the front unless another is at most as costly and at least as accurate,
    and better in one of the two; rows equal in both all stay."""
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
            if not beaten:
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
    runs = batching_runs({"mini-batch 32": 2, "full batch": 2}, RATES, seeds=2)
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
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "validation accuracy"
    assert ax.get_xlabel() == ("parameters" if cost == "n_params" else "seconds per sample")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["1 hidden layer", "2 hidden layers", "Pareto front"]
    # the legend sits outside the axes, so it hides no point
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1


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
    assert labels == ["1 hidden layer", "3 hidden layers", "4 hidden layers", "Pareto front"]
