"""Losses: values against direct formulas, gradients against finite differences."""

import numpy as np
import pytest
from helpers import TOL, relative_error

import nnlab as nl
from nnlab.gradcheck import numerical_gradient


def loss_grad_error(loss, P, T):
    loss(P, T)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda p: loss.forward(p, T), P.copy())
    return relative_error(analytic, numeric)


@pytest.mark.parametrize(("n", "k"), [(1, 1), (5, 3), (12, 7)])
def test_mse_value_and_gradient(rng, n, k):
    P, T = rng.normal(size=(n, k)), rng.normal(size=(n, k))
    assert nl.MSELoss()(P, T) == pytest.approx(np.mean((P - T) ** 2), rel=1e-12)
    assert loss_grad_error(nl.MSELoss(), P, T) <= TOL


@pytest.mark.parametrize(("n", "k"), [(1, 2), (5, 3), (12, 10)])
def test_softmax_cross_entropy_value_and_gradient(rng, n, k):
    Z, labels = rng.normal(size=(n, k)) * 3, rng.integers(0, k, size=n)
    probs = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(probs[np.arange(n), labels]))
    assert nl.SoftmaxCrossEntropy()(Z, labels) == pytest.approx(expected, rel=1e-12)
    assert loss_grad_error(nl.SoftmaxCrossEntropy(), Z, labels) <= TOL
    onehot = np.eye(k)[labels]
    assert nl.SoftmaxCrossEntropy()(Z, onehot) == pytest.approx(expected, rel=1e-12)
    soft = rng.dirichlet(np.ones(k), size=n)
    assert loss_grad_error(nl.SoftmaxCrossEntropy(), Z, soft) <= TOL


def test_softmax_cross_entropy_equals_softmax_layer_then_log_loss(rng):
    """The fused gradient (p - y)/n equals Softmax's Jacobian-vector product of -log p / n."""
    Z, labels = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    loss = nl.SoftmaxCrossEntropy()
    loss(Z, labels)
    fused = loss.backward()
    sm = nl.Softmax()
    A = sm.forward(Z)
    dA = np.zeros_like(A)
    dA[np.arange(6), labels] = -1.0 / (6 * A[np.arange(6), labels])
    np.testing.assert_allclose(sm.backward(dA), fused, rtol=1e-10, atol=1e-14)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    Z = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]])
    loss = nl.SoftmaxCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss(Z, np.array([0, 0]))
        grad = loss.backward()
    assert value == pytest.approx(1000.0)  # sample 0 costs 0, sample 1 costs 2000, mean 1000
    np.testing.assert_allclose(grad, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-12)


@pytest.mark.parametrize(("n", "k"), [(1, 1), (8, 1), (6, 3)])
def test_binary_cross_entropy_value_and_gradient(rng, n, k):
    Z, T = rng.normal(size=(n, k)) * 2, rng.integers(0, 2, size=(n, k)).astype(float)
    p = 1 / (1 + np.exp(-Z))
    expected = -np.mean(T * np.log(p) + (1 - T) * np.log(1 - p))
    assert nl.BinaryCrossEntropy()(Z, T) == pytest.approx(expected, rel=1e-12)
    assert loss_grad_error(nl.BinaryCrossEntropy(), Z, T) <= TOL


def test_binary_cross_entropy_is_stable_and_accepts_flat_targets():
    Z = np.array([[800.0], [-800.0], [0.0]])
    loss = nl.BinaryCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss(Z, np.array([0, 1, 1]))
    assert value == pytest.approx((800 + 800 + np.log(2)) / 3)


def test_losses_return_python_floats(rng):
    P = rng.normal(size=(4, 2)).astype(np.float32)
    for loss, T in [
        (nl.MSELoss(), np.zeros((4, 2))),
        (nl.SoftmaxCrossEntropy(), [0, 1, 0, 1]),
        (nl.BinaryCrossEntropy(), np.ones((4, 2))),
    ]:
        assert type(loss(P, T)) is float
        assert loss.backward().dtype == np.float32


def test_loss_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match=r"MSELoss\(\): backward\(\) called before forward"):
        nl.MSELoss().backward()
