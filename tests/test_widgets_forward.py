"""The 2-2-1 network widget and the activation explorer: computations and wiring."""

import matplotlib
import numpy as np
import pytest

import nnlab as nl
from nnlab import widgets

matplotlib.use("Agg")
import matplotlib.pyplot as plt

CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


def test_two_two_one_equals_the_formula():
    rng = np.random.default_rng(0)
    p = rng.normal(size=9)
    X = rng.normal(size=(7, 2))

    def sig(z):
        return 1 / (1 + np.exp(-z))

    h = sig(X @ p[:4].reshape(2, 2) + p[4:6])
    expected = sig(h @ p[6:8] + p[8])
    np.testing.assert_allclose(widgets.two_two_one(p, X), expected, rtol=1e-12)


def test_xor_weights_solve_xor():
    out = widgets.two_two_one(widgets.XOR_WEIGHTS, CORNERS)
    np.testing.assert_array_equal(out > 0.5, [False, True, True, False])
    assert np.all(np.abs(out - [0, 1, 1, 0]) < 0.05)


def test_two_two_one_rejects_wrong_parameter_count():
    with pytest.raises(ValueError, match=r"expected 9 parameters, got shape \(8,\)"):
        widgets.two_two_one(np.zeros(8), CORNERS)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "identity"])
def test_activation_profile_derivative_matches_finite_differences(name):
    prof = widgets.activation_profile(name, -3.0, 3.0, n=61)
    act = nl.get_activation(name)
    x = prof["x"] + 1e-3  # stay off the ReLU kink at 0
    numeric = (act.f(x + 1e-6) - act.f(x - 1e-6)) / 2e-6
    np.testing.assert_allclose(np.asarray(act.df(x), dtype=float), numeric, atol=1e-6)
    np.testing.assert_allclose(prof["f"], act.f(prof["x"]))


def test_vanishing_fractions():
    assert widgets.activation_profile("sigmoid", -10, 10)["vanishing_fraction"] > 0.35
    assert widgets.activation_profile("relu", 0.1, 5)["vanishing_fraction"] == 0.0
    assert widgets.activation_profile("relu", -5, -0.1)["vanishing_fraction"] == 1.0
    assert widgets.activation_profile("tanh", -1, 1)["vanishing_fraction"] == 0.0


def test_activation_profile_errors():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        widgets.activation_profile("gelu")
    with pytest.raises(ValueError, match="expected lo < hi, got lo=2, hi=1"):
        widgets.activation_profile("tanh", 2, 1)
    with pytest.raises(ValueError, match="softmax is not element-wise"):
        widgets.activation_profile("softmax")


def test_plots_and_widgets():
    ax = widgets.plot_two_two_one(widgets.XOR_WEIGHTS, points=CORNERS, labels=[0, 1, 1, 0])
    assert len(ax.collections) >= 2
    plt.close("all")
    ax = widgets.plot_activation(widgets.activation_profile("tanh"), title="tanh")
    assert ax.get_title() == "tanh" and len(ax.lines) == 3
    plt.close("all")
    box = widgets.weights_explorer()
    sliders = box.children[0].children
    assert [s.description for s in sliders][:2] == ["w11", "w12"]
    sliders[0].value = -6.0  # redraws without error
    box = widgets.activation_explorer()
    box.children[0].children[0].value = "relu"
    plt.close("all")
