"""Activation profiles: the computation, the figure, and the explorer's wiring."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnlab as nl
from nnlab.explore.activation_profiles import (
    activation_explorer,
    activation_profile,
    plot_activation,
)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "identity"])
def test_activation_profile_derivative_matches_finite_differences(name):
    prof = activation_profile(name, -3.0, 3.0, n=61)
    act = nl.get_activation(name)
    x = prof["x"] + 1e-3  # stay off the ReLU kink at 0
    numeric = (act.f(x + 1e-6) - act.f(x - 1e-6)) / 2e-6
    np.testing.assert_allclose(np.asarray(act.df(x), dtype=float), numeric, atol=1e-6)
    np.testing.assert_allclose(prof["f"], act.f(prof["x"]))


def test_vanishing_fractions():
    assert activation_profile("sigmoid", -10, 10)["vanishing_fraction"] > 0.35
    assert activation_profile("relu", 0.1, 5)["vanishing_fraction"] == 0.0
    assert activation_profile("relu", -5, -0.1)["vanishing_fraction"] == 1.0
    assert activation_profile("tanh", -1, 1)["vanishing_fraction"] == 0.0


def test_activation_profile_errors():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        activation_profile("gelu")
    with pytest.raises(ValueError, match="expected lo < hi, got lo=2, hi=1"):
        activation_profile("tanh", 2, 1)
    with pytest.raises(ValueError, match="expected lo < hi, got lo=2, hi=2"):
        activation_profile("tanh", 2, 2)
    with pytest.raises(ValueError, match="softmax is not element-wise"):
        activation_profile("softmax")


def test_plot_activation():
    ax = plot_activation(activation_profile("tanh"), title="tanh")
    assert ax.get_title() == "tanh" and len(ax.lines) == 3


def controls(box):
    name, span, readout = box.children[0].children
    return name, span, readout


def last_xlim():
    return plt.figure(plt.get_fignums()[-1]).axes[0].get_xlim()


def test_activation_explorer_redraws():
    pytest.importorskip("ipywidgets")
    box = activation_explorer()
    name, span, readout = controls(box)
    assert readout.value == "z from -6 to 6"
    name.value = "relu"
    span.value = (-2.0, 3.5)
    assert readout.value == "z from -2 to 3.5"
    assert last_xlim() == (-2.0, 3.5)  # the plot shows the range the readout says


@pytest.mark.parametrize(("handles", "widened"), [(2.0, (2.0, 2.5)), (20.0, (19.5, 20.0))])
def test_activation_explorer_widens_a_degenerate_range(handles, widened):
    """Both handles on one value: no exception escapes, and plot and readout still agree."""
    pytest.importorskip("ipywidgets")
    box = activation_explorer()
    _, span, readout = controls(box)
    span.value = (handles, handles)
    assert span.value == widened
    assert readout.value == f"z from {widened[0]:g} to {widened[1]:g}"
    assert last_xlim() == widened


def test_activation_explorer_labels_are_not_cut():
    pytest.importorskip("ipywidgets")
    name, span, _readout = controls(activation_explorer())
    assert name.style.description_width == span.style.description_width == "initial"
    assert span.readout is False  # its fixed-width readout cut the range; the Label grows
