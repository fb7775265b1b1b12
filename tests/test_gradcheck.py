"""The gradient checker itself: exact on known functions, and it catches a wrong backward."""

import numpy as np
import pytest

import nnlab as nl


def test_numerical_gradient_of_known_functions(rng):
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(
        nl.numerical_gradient(lambda v: float(np.sum(v**3)), x), 3 * x**2, rtol=1e-7, atol=1e-8
    )
    g4 = nl.numerical_gradient(lambda v: float(np.sum(np.sin(v))), x, 1e-3, order=4)
    np.testing.assert_allclose(g4, np.cos(x), rtol=1e-10, atol=1e-12)


def test_numerical_gradient_restores_x_exactly(rng):
    x = rng.normal(size=10)
    before = x.copy()
    nl.numerical_gradient(lambda v: float(v @ v), x)
    np.testing.assert_array_equal(x, before)


def test_gradcheck_passes_on_a_correct_network(rng):
    net = nl.mlp([3, 5, 4], "tanh", rng=0)
    errors = nl.gradcheck(
        net, nl.SoftmaxCrossEntropy(), rng.normal(size=(6, 3)), rng.integers(0, 4, 6)
    )
    assert set(errors) == {"0.W", "0.b", "2.W", "2.b"}
    assert max(errors.values()) < 1e-7


def test_gradcheck_catches_a_wrong_backward(rng):
    class BrokenTanh(nl.Tanh):
        def _backward(self, dA, A, *, input_grad):
            return dA * (1.0 - A)  # forgot to square

    net = nl.Sequential([nl.Dense(3, 5, rng=0), BrokenTanh(), nl.Dense(5, 2, rng=0)])
    errors = nl.gradcheck(net, nl.MSELoss(), rng.normal(size=(4, 3)), rng.normal(size=(4, 2)))
    assert errors["0.W"] > 1e-2 and errors["2.W"] < 1e-7


def test_gradcheck_works_on_float32_networks_in_float64(rng):
    net = nl.mlp([2, 3, 1], "sigmoid", rng=0, dtype=np.float32)
    before = net.flat_params.copy()
    errors = nl.gradcheck(net, nl.MSELoss(), rng.normal(size=(5, 2)), rng.normal(size=(5, 1)))
    assert max(errors.values()) < 1e-7
    np.testing.assert_array_equal(net.flat_params, before)


def test_relative_error():
    assert nl.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert nl.relative_error(np.ones(3), -np.ones(3)) == 1.0
    with pytest.raises(ValueError, match="order must be 2 or 4"):
        nl.numerical_gradient(lambda v: 0.0, np.zeros(2), order=3)
