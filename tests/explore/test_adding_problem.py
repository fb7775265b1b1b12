"""nnlab.explore.adding_problem: the adding problem's data, the two models, short trainings,
the gradient reaching each step, and the figures."""

import matplotlib.figure
import numpy as np
import pytest

import nnlab as nl
from nnlab.explore import adding_problem as ap

TINY = {"steps": 4, "eval_every": 2, "batch_size": 8, "n_val": 16, "n_hidden": 4}


@pytest.mark.parametrize("T", [2, 7, 12])
def test_data_shapes_markers_and_targets(T):
    X, y = ap.adding_data(200, T, rng=0)
    assert X.shape == (200, T, 2) and y.shape == (200, 1)
    assert X.dtype == y.dtype == np.float64
    values, marks = X[:, :, 0], X[:, :, 1]
    assert np.all((values >= 0) & (values < 1))
    assert np.all(np.isin(marks, (0.0, 1.0))) and np.all(marks.sum(axis=1) == 2)
    half = T // 2
    assert np.all(marks[:, :half].sum(axis=1) == 1)  # one marker in the first half
    assert np.all(marks[:, half:].sum(axis=1) == 1)  # one in the second
    np.testing.assert_allclose(y[:, 0], (values * marks).sum(axis=1), rtol=1e-15)


def test_data_is_drawn_from_the_seed():
    a, b, c = (ap.adding_data(30, 10, rng=s) for s in (4, 4, 5))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_predicting_one_scores_the_baseline():
    _, y = ap.adding_data(200_000, 4, rng=1)
    assert ap.ADDING_BASELINE == pytest.approx(1 / 6)
    assert np.mean((y - 1.0) ** 2) == pytest.approx(ap.ADDING_BASELINE, abs=3e-3)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="adding_data: n"):
        ap.adding_data(0, 10)
    with pytest.raises(ValueError, match="adding_data: T"):
        ap.adding_data(5, 1)
    with pytest.raises(ValueError, match="adding_model: kind"):
        ap.adding_model("gru", 4)
    with pytest.raises(ValueError, match="train_adding: kind"):
        ap.train_adding("gru", 10)
    with pytest.raises(ValueError, match="train_adding: T"):
        ap.train_adding("rnn", 1)
    with pytest.raises(ValueError, match="train_adding: steps"):
        ap.train_adding("rnn", 10, steps=5, eval_every=2)
    with pytest.raises(ValueError, match="step_gradient_norms: kind"):
        ap.step_gradient_norms("transformer", 10)
    with pytest.raises(ValueError, match="step_gradient_norms: T"):
        ap.step_gradient_norms("lstm", 0)
    with pytest.raises(ValueError, match="step_gradient_norms: net"):
        ap.step_gradient_norms("lstm", 5, net=ap.adding_model("rnn", 4, rng=0))


@pytest.mark.parametrize("kind", ap.ADDING_KINDS)
def test_model_layout(kind):
    net = ap.adding_model(kind, 6, rng=0, dtype=np.float32)
    cell, out = net.layers
    assert isinstance(cell, nl.RNN if kind == "rnn" else nl.LSTM)
    assert isinstance(out, nl.Dense) and (out.n_in, out.n_out) == (6, 1)
    assert net.dtype == np.float32
    assert net.forward(np.zeros((3, 5, 2), np.float32)).shape == (3, 1)
    if kind == "lstm":  # gates i, f, g, o: only the forget gate's bias starts at 1
        np.testing.assert_array_equal(cell.b, np.repeat([0.0, 1.0, 0.0, 0.0], 6))


def test_train_adding_structure_and_determinism():
    runs = [ap.train_adding("lstm", 6, seeds=(0, 3), **TINY) for _ in range(2)]
    r = runs[0]
    assert (r["kind"], r["T"], r["lr"]) == ("lstm", 6, ap.ADDING_LR["lstm"])
    np.testing.assert_array_equal(r["seeds"], [0, 3])
    np.testing.assert_array_equal(r["steps"], [0, 2, 4])
    assert r["val_mse"].shape == (2, 3)
    assert r["final"].shape == r["test_mse"].shape == (2,)
    assert np.all(np.isfinite(r["val_mse"])) and np.all(np.isfinite(r["test_mse"]))
    np.testing.assert_array_equal(r["final"], r["val_mse"][:, -1])
    assert len(r["nets"]) == 2 and r["nets"][0].dtype == np.float32
    for key in ("val_mse", "test_mse"):
        np.testing.assert_array_equal(r[key], runs[1][key])
    other = ap.train_adding("rnn", 6, seeds=(0,), lr=1e-2, **TINY)
    assert other["lr"] == 1e-2 and other["val_mse"].shape == (1, 3)


@pytest.mark.parametrize("kind", ap.ADDING_KINDS)
def test_step_gradient_norms_has_one_positive_entry_per_step(kind):
    norms = ap.step_gradient_norms(kind, 9, seed=2, n=16, n_hidden=4)
    assert norms.shape == (9,) and np.all(norms > 0) and np.all(np.isfinite(norms))
    np.testing.assert_array_equal(norms, ap.step_gradient_norms(kind, 9, seed=2, n=16, n_hidden=4))
    trained = ap.train_adding(kind, 9, seeds=(1,), **TINY)["nets"][0]
    after = ap.step_gradient_norms(kind, 9, seed=2, net=trained, n=16)
    assert after.shape == (9,) and np.all(after > 0)
    assert trained.dtype == np.float32  # the net given is copied to float64, not converted


def test_rnn_gradient_decays_faster_than_the_lstms_at_init():
    # Over the first half of a T = 100 sequence, at initialization, seed by seed: the
    # Elman RNN keeps less than a third of the share of the gradient that the LSTM keeps.
    T = 100
    for seed in range(3):
        share = {
            kind: (lambda g: g[0] / g[T // 2])(ap.step_gradient_norms(kind, T, seed))
            for kind in ap.ADDING_KINDS
        }
        assert share["rnn"] < share["lstm"] / 3, (seed, share)


def test_plots_return_figures():
    results = [ap.train_adding(k, T, seeds=(0, 1), **TINY) for T in (4, 6) for k in ap.ADDING_KINDS]
    fig = ap.plot_adding(results)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["T = 4", "T = 6"]
    assert len(fig.axes[0].lines) == 3  # two kinds and the baseline
    norms = {
        "RNN, at init": ap.step_gradient_norms("rnn", 8, n=8, n_hidden=4),
        "LSTM, at init": np.array([ap.step_gradient_norms("lstm", 8, s, n=8) for s in (0, 1)]),
    }
    fig = ap.plot_step_norms(norms)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(ax.lines) == 2
    assert ax.lines[0].get_ydata()[-1] == pytest.approx(1.0)  # relative: ends at 1
    fig = ap.plot_step_norms(norms, relative=False)
    assert fig.axes[0].lines[0].get_ydata()[-1] == pytest.approx(norms["RNN, at init"][-1])
