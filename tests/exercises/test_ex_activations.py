"""check_activation_backward: references pass, mistakes are named, ReLU's convention at 0."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import ReLU
from nnlab import exercises as ex
from nnlab.exercises.activations import SOLUTIONS

from .checkers import assert_names_the_mistake


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_nnlab_relu_uses_zero_at_zero():
    layer = ReLU()
    layer.forward(np.array([[0.0, -0.0, 1e-12, -1e-12]]))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 4))), [[0.0, 0.0, 1.0, 0.0]])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_solutions_pass(name):
    fb = ex.check_activation_backward(SOLUTIONS[name], name)
    assert fb.passed, fb.hint
    assert "z exactly 0 and ±1e-12" in fb.hint
    assert ("ReLU'(0) = 0" in fb.hint) == (name == "relu")


def test_activation_name_is_case_insensitive_and_checked():
    assert ex.check_activation_backward(SOLUTIONS["relu"], "ReLU").passed
    fb = ex.check_activation_backward(SOLUTIONS["relu"], "gelu")
    assert not fb.passed
    assert "activation must be one of 'sigmoid', 'tanh', 'relu', got 'gelu'" in fb.hint
    assert not ex.check_activation_backward(SOLUTIONS["relu"], None).passed


VARIANTS = {
    ("sigmoid", "dA left out"): (
        lambda Z, dA: sigmoid(Z) * (1 - sigmoid(Z)),
        "the chain rule multiplies it by the incoming gradient dA",
    ),
    ("sigmoid", "f instead of f'"): (lambda Z, dA: dA * sigmoid(Z), "the activation itself"),
    ("sigmoid", "f alone"): (lambda Z, dA: sigmoid(Z), "the forward output"),
    ("sigmoid", "z (1 - z)"): (lambda Z, dA: dA * Z * (1 - Z), "your dZ uses z (1 - z)"),
    ("sigmoid", "tanh's formula"): (
        lambda Z, dA: dA * (1 - sigmoid(Z) ** 2),
        "the shape of tanh's derivative",
    ),
    ("sigmoid", "overflowing formula"): (
        lambda Z, dA: dA * np.exp(-Z) / (1 + np.exp(-Z)) ** 2,
        "exp(800) overflows",
    ),
    ("tanh", "dA left out"): (lambda Z, dA: 1 - np.tanh(Z) ** 2, "incoming gradient dA"),
    ("tanh", "f instead of f'"): (lambda Z, dA: dA * np.tanh(Z), "the activation itself"),
    ("tanh", "1 - z^2"): (lambda Z, dA: dA * (1 - Z**2), "your dZ uses 1 - z^2"),
    ("tanh", "no square"): (lambda Z, dA: dA * (1 - np.tanh(Z)), "the square is missing"),
    ("tanh", "sigmoid's formula"): (
        lambda Z, dA: dA * sigmoid(Z) * (1 - sigmoid(Z)),
        "uses sigmoid's derivative",
    ),
    ("tanh", "a matrix product"): (lambda Z, dA: dA @ (1 - np.tanh(Z) ** 2), "*, not @"),
    ("relu", "dA left out"): (lambda Z, dA: (Z > 0).astype(float), "incoming gradient dA"),
    ("relu", "f instead of f'"): (lambda Z, dA: dA * np.maximum(Z, 0), "the activation itself"),
    ("relu", "ReLU of dA"): (lambda Z, dA: np.maximum(dA, 0), "applies ReLU to dA"),
    ("relu", "1 at z = 0"): (lambda Z, dA: dA * (Z >= 0), "at z = 0 your dZ / dA is 1"),
    ("relu", "a tolerance above 0"): (
        lambda Z, dA: dA * (Z > 1e-9),
        "at z = 1e-12 your dZ / dA is 0; z > 0 there",
    ),
    ("relu", "a tolerance below 0"): (
        lambda Z, dA: dA * (Z > -1e-9),
        "at z = -1e-12 your dZ / dA is 1; z < 0 there",
    ),
    ("relu", "heaviside(z, 0.5)"): (
        lambda Z, dA: dA * np.heaviside(Z, 0.5),
        "at z = 0 your dZ / dA is 0.5; nnlab uses 0 there",
    ),
}


@pytest.mark.parametrize("key", VARIANTS, ids=" / ".join)
def test_each_mistake_is_named(key):
    name, _ = key
    fn, phrase = VARIANTS[key]
    assert_names_the_mistake(ex.check_activation_backward(fn, name), phrase)


def test_relu_at_zero_names_the_convention():
    fb = ex.check_activation_backward(VARIANTS["relu", "1 at z = 0"][0], "relu")
    assert "as PyTorch does" in fb.hint and "any value in [0, 1] is a valid subgradient" in fb.hint


def test_da_changed_in_place_is_reported():
    def masks_in_place(Z, dA):
        dA[Z <= 0] = 0.0
        return dA

    fb = ex.check_activation_backward(masks_in_place, "relu")
    assert "your function changed dA in place" in fb.hint


def test_a_tuple_is_not_dz():
    fb = ex.check_activation_backward(lambda Z, dA: (dA, Z), "tanh")
    assert "returned a tuple of 2 values; it must return dZ alone" in fb.hint
