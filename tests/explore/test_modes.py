"""nnlab.explore.modes: the computations behind the forward-reverse-modes chapter, checked
against counts and formulas worked out here, not against the module's own arithmetic."""

import numpy as np
import pytest

import nnlab as nl
from nnlab.explore import modes


def test_gradient_cost_counts_and_agrees():
    cost = modes.gradient_cost([3, 6], n_in=4, n_out=2, batch=5, repeats=1)
    # mlp([4, h, h, 2]): (4 + 1) h + (h + 1) h + (h + 1) 2 parameters
    expected = [5 * h + (h + 1) * h + (h + 1) * 2 for h in (3, 6)]
    np.testing.assert_array_equal(cost["n_params"], expected)
    np.testing.assert_array_equal(cost["passes_forward"], expected)
    np.testing.assert_array_equal(cost["passes_reverse"], [2, 2])
    assert (cost["max_difference"] < 1e-12).all()
    assert (cost["seconds_forward"] > 0).all() and (cost["seconds_reverse"] > 0).all()


@pytest.mark.parametrize(("n_in", "n_out"), [(1, 5), (5, 1), (3, 3)])
def test_jacobian_both_ways_against_finite_differences(n_in, n_out):
    out = modes.jacobian_both_ways(n_in, n_out, hidden=4, seed=2, repeats=1)
    assert out["passes_forward"] == n_in and out["passes_reverse"] == 1 + n_out
    assert out["max_difference"] < 1e-13
    net = nl.mlp([n_in, 4, n_out], "tanh", rng=2)
    x = np.random.default_rng(2).normal(size=(1, n_in))
    h, J = 1e-6, np.empty((n_out, n_in))
    for i in range(n_in):
        e = np.zeros((1, n_in))
        e[0, i] = h
        J[:, i] = (net.forward(x + e, cache=False) - net.forward(x - e, cache=False))[0] / (2 * h)
    np.testing.assert_allclose(out["jacobian"], J, rtol=1e-6, atol=1e-9)


def test_mode_memory_reverse_keeps_the_hidden_layers_forward_keeps_nothing():
    batch, sizes = 16, [8, 32, 32, 32, 4]
    mem = modes.mode_memory(sizes, batch)
    assert mem["forward_kept"] == 0
    assert mem["reverse_kept"] == 8 * batch * (8 + 32 + 32 + 32)  # X and each hidden output
    deep = modes.mode_memory([8, *[32] * 12, 4], batch)
    assert deep["reverse_peak"] > mem["reverse_peak"] + 8 * batch * 32 * 8  # grows with depth
    assert deep["forward_peak"] < 2 * mem["forward_peak"]  # does not


def test_slowdown_runs_delta_ratio_is_two_o_one_minus_o():
    runs = modes.slowdown_runs([0, 1, 2], steps=60, bias=4.0)
    o = runs["o1"]["mse"][:, 0]
    np.testing.assert_allclose(runs["o1"]["cross_entropy"][:, 0], o, rtol=1e-12)  # same start
    np.testing.assert_allclose(runs["delta_ratio"], 2 * o * (1 - o), rtol=1e-10)
    assert runs["o1"]["mse"].shape == (3, 61)
    fixed = runs["steps_to_fix"]
    assert (fixed["cross_entropy"] < fixed["mse"]).all()
    for name, track in runs["o1"].items():  # steps_to_fix is the first step within 0.2
        for k, run in zip(fixed[name], track, strict=True):
            assert k == 61 or (abs(run[k] - 0.1) < 0.2 and (np.abs(run[:k] - 0.1) >= 0.2).all())


def test_figures_and_widget(monkeypatch):
    plt = pytest.importorskip("matplotlib.pyplot")
    cost = modes.gradient_cost([2, 3], n_in=2, n_out=2, batch=3, repeats=1)
    ax = modes.plot_gradient_cost(cost)
    assert len(ax.lines) == 2
    ax = modes.plot_slowdown(modes.slowdown_runs([0, 1], steps=5))
    assert ax.get_ylabel().startswith("output")
    plt.close("all")
    pytest.importorskip("ipywidgets")
    box = modes.modes_explorer(max_size=8)
    sliders = next(c for c in box.children if hasattr(c, "children")).children
    sliders[0].value = 3  # redraws without error
    plt.close("all")
