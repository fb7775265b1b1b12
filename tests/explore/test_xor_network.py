"""The 2-2-1 XOR network: its computation, its figure and its widget's wiring."""

import numpy as np
import pytest

from nnlab.explore.xor_network import (
    XOR_WEIGHTS,
    plot_two_two_one,
    two_two_one,
    weights_explorer,
)

CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


def test_two_two_one_equals_the_formula():
    rng = np.random.default_rng(0)
    p = rng.normal(size=9)
    X = rng.normal(size=(7, 2))

    def sig(z):
        return 1 / (1 + np.exp(-z))

    h = sig(X @ p[:4].reshape(2, 2) + p[4:6])
    expected = sig(h @ p[6:8] + p[8])
    np.testing.assert_allclose(two_two_one(p, X), expected, rtol=1e-12)


def test_xor_weights_solve_xor():
    out = two_two_one(XOR_WEIGHTS, CORNERS)
    np.testing.assert_array_equal(out > 0.5, [False, True, True, False])
    assert np.all(np.abs(out - [0, 1, 1, 0]) < 0.05)


def test_two_two_one_rejects_wrong_parameter_count():
    with pytest.raises(ValueError, match=r"expected 9 parameters, got shape \(8,\)"):
        two_two_one(np.zeros(8), CORNERS)


def test_plot_two_two_one():
    ax = plot_two_two_one(XOR_WEIGHTS, points=CORNERS, labels=[0, 1, 1, 0], title="XOR")
    assert len(ax.collections) >= 2 and ax.get_title() == "XOR"


def test_weights_explorer():
    pytest.importorskip("ipywidgets")
    box = weights_explorer()
    sliders = box.children[0].children
    assert [s.description for s in sliders][:2] == ["w11", "w12"]
    assert [s.value for s in sliders] == list(XOR_WEIGHTS)
    sliders[0].value = -6.0  # redraws without error
