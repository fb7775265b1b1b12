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


def test_check_target_returns_the_target_forward_uses():
    # MSE: a flat target for one output becomes a column, in the prediction's dtype.
    T = nl.MSELoss().check_target([1, 2, 3], (3, 1), np.float32)
    assert T.shape == (3, 1) and T.dtype == np.float32
    np.testing.assert_array_equal(T[:, 0], [1, 2, 3])
    # Softmax cross-entropy: whole-float labels become integers; one-hot rows stay rows.
    labels = nl.SoftmaxCrossEntropy().check_target(np.array([2.0, 0.0]), (2, 3), np.float64)
    assert labels.dtype.kind == "i"
    np.testing.assert_array_equal(labels, [2, 0])
    onehot = np.eye(3)[[2, 0]]
    rows = nl.SoftmaxCrossEntropy().check_target(onehot, (2, 3), np.float32)
    assert rows.dtype == np.float32
    np.testing.assert_array_equal(rows, onehot)
    # Binary cross-entropy: values in [0, 1], shaped like the prediction.
    T = nl.BinaryCrossEntropy().check_target(np.array([0, 1, 1]), (3, 1), np.float64)
    assert T.shape == (3, 1) and T.dtype == np.float64
    # The base class accepts anything unchanged: a subclass defines what a target is.
    target = object()
    assert nl.Loss().check_target(target, (1, 1), np.float64) is target


@pytest.mark.parametrize(
    ("loss", "target", "shape", "message"),
    [
        (nl.MSELoss(), np.zeros((4, 2)), (4, 3), r"expected y of shape \(4, 3\)"),
        (nl.SoftmaxCrossEntropy(), [0, 3], (2, 3), r"expected y labels in \[0, 3\)"),
        (nl.SoftmaxCrossEntropy(), [[0.5, 0.6]], (1, 2), r"expected y as rows of probab"),
        (nl.SoftmaxCrossEntropy(), np.zeros((2, 2, 2)), (2, 2), r"expected y as labels"),
        (nl.BinaryCrossEntropy(), [[2.0]], (1, 1), r"expected targets in \[0, 1\], got y"),
    ],
)
def test_check_target_raises_naming_the_target(loss, target, shape, message):
    with pytest.raises(ValueError, match=message):
        loss.check_target(target, shape, np.float64, "y")


@pytest.mark.parametrize(
    ("loss", "target"),
    [
        (nl.MSELoss(), np.zeros((4, 2))),
        (nl.SoftmaxCrossEntropy(), np.array([0, 5, 1, 1])),
        (nl.SoftmaxCrossEntropy(), np.array([0.0, 1.5, 1.0, 0.0])),
        (nl.BinaryCrossEntropy(), -np.ones((4, 3))),
    ],
)
def test_check_target_fails_as_forward_does(loss, target):
    """Same check, same message: fit can validate the whole data set up front."""
    P = np.zeros((4, 3))
    with pytest.raises((ValueError, TypeError)) as from_forward:
        loss(P, target)
    with pytest.raises(from_forward.type) as from_check:
        loss.check_target(target, P.shape, P.dtype)
    assert str(from_check.value) == str(from_forward.value)


def test_forward_uses_an_overridden_check_target():
    class Clipped(nl.MSELoss):
        def check_target(self, target, shape, dtype, name="target"):
            return np.clip(super().check_target(target, shape, dtype, name), 0.0, 1.0)

    assert Clipped()(np.zeros((2, 1)), np.array([2.0, -3.0])) == 0.5  # mean of 1 and 0
