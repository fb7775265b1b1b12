"""Losses given bad or edge-case input: a clear error naming the argument, or a correct value."""

import numpy as np
import pytest

import nnlab as nl

LOSSES = [nl.MSELoss, nl.SoftmaxCrossEntropy, nl.BinaryCrossEntropy]


@pytest.mark.parametrize("cls", LOSSES)
def test_empty_prediction_is_rejected(cls):
    with pytest.raises(
        ValueError,
        match=rf"{cls.__name__}\(\) expected prediction with at least one sample, got 0 samples",
    ):
        cls()(np.zeros((0, 2)), np.zeros((0, 2)))
    with pytest.raises(ValueError, match=r"at least one output, got shape \(3, 0\)"):
        cls()(np.zeros((3, 0)), np.zeros((3, 0)))


@pytest.mark.parametrize(
    ("bad", "text"),
    [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf")],
)
def test_nan_or_inf_labels_get_a_message_about_the_labels(bad, text):
    with pytest.raises(
        ValueError,
        match=rf"SoftmaxCrossEntropy\(\) expected target as class labels in \[0, 3\), got "
        rf"{text} at index 2 \(1 NaN or inf label",
    ):
        nl.SoftmaxCrossEntropy()(np.zeros((3, 3)), np.array([0.0, 1.0, bad]))


def test_fractional_labels_are_rejected_and_whole_floats_accepted():
    loss = nl.SoftmaxCrossEntropy()
    with pytest.raises(
        TypeError,
        match=r"integer class labels, got dtype float64 with the non-integral value 2.5 at "
        r"index 1",
    ):
        loss(np.zeros((2, 3)), np.array([0.0, 2.5]))
    Z = np.random.default_rng(0).normal(size=(4, 3))
    assert loss(Z, np.array([0.0, 1.0, 2.0, 1.0])) == loss(Z, np.array([0, 1, 2, 1]))
    with pytest.raises(
        ValueError, match=r"labels in \[0, 3\) for 3 outputs, got values in \[0, 3\]"
    ):
        loss(Z, np.array([0.0, 1.0, 3.0, 1.0]))
    with pytest.raises(TypeError, match="integer class labels, got dtype bool"):
        loss(np.zeros((2, 3)), np.array([True, False]))


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (np.ones((2, 3)), r"rows of probabilities .*got a row summing to 3 at row 0"),
        ([[0.5, 0.5, 0.0], [0.2, 0.2, 0.2]], r"got a row summing to 0\.6 at row 1"),
        ([[1.5, -0.5, 0.0], [1.0, 0.0, 0.0]], r"got the negative value -0\.5 in row 0"),
        ([[1.0, 0.0, 0.0], [np.nan, 1.0, 0.0]], r"finite target values, got NaN or inf in 1 row"),
    ],
)
def test_probability_targets_must_be_distributions(target, message):
    loss = nl.SoftmaxCrossEntropy()
    with pytest.raises(ValueError, match=rf"SoftmaxCrossEntropy\(\) expected .*{message}"):
        loss(np.zeros((2, 3)), np.asarray(target))
    with pytest.raises(RuntimeError, match="backward"):
        loss.backward()  # nothing was cached by the failed call


def test_why_rows_must_sum_to_one():
    """With rows summing to s != 1 the fused backward (p - Y)/n is not the loss's gradient."""
    Z = np.random.default_rng(1).normal(size=(1, 3))
    Y = np.array([[2.0, 0.0, 0.0]])
    p = np.exp(Z) / np.exp(Z).sum()
    true_grad = p * Y.sum() - Y  # d/dZ of sum(Y * (logsumexp(Z) - Z))
    assert not np.allclose(true_grad, p - Y)


def test_float32_probabilities_pass_the_float64_tolerance():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(50, 10)).astype(np.float32)
    Y = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)  # rows sum to 1 within ~1e-7
    value = nl.SoftmaxCrossEntropy()(rng.normal(size=(50, 10)), Y)
    assert np.isfinite(value)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_regression_targets_are_bad_data(bad):
    T = np.zeros((3, 2))
    T[1, 0] = bad
    with pytest.raises(
        ValueError,
        match=r"MSELoss\(\) expected finite target values, got NaN or inf in 1 row\(s\), the "
        r"first at row 1",
    ):
        nl.MSELoss()(np.zeros((3, 2)), T)
    with pytest.raises(ValueError, match=r"BinaryCrossEntropy\(\) expected finite target"):
        nl.BinaryCrossEntropy()(np.zeros((3, 2)), T)


def test_nan_prediction_is_returned_not_raised():
    """A NaN prediction is divergence, which fit reports with the batch; the loss says nan."""
    assert np.isnan(nl.MSELoss()(np.array([[np.nan]]), np.array([[0.0]])))


@pytest.mark.parametrize("cls", LOSSES)
@pytest.mark.parametrize(
    ("argument", "value", "error", "message"),
    [
        (
            "target",
            np.zeros((2, 1), complex),
            TypeError,
            r"target to hold real numbers, got complex",
        ),
        ("prediction", np.zeros((2, 1), complex), TypeError, r"prediction to hold real numbers"),
        (
            "target",
            np.array([["a"], ["b"]]),
            TypeError,
            r"target to be a numeric array, got dtype <U1",
        ),
        ("target", None, TypeError, r"target to be a numeric array, got dtype object"),
        ("prediction", "ab", TypeError, r"prediction to be a numeric array, got dtype <U2"),
        ("target", [[0.0], [1.0, 0.0]], ValueError, r"target to be a rectangular numeric array"),
        ("prediction", [[0.0], [1.0, 0.0]], ValueError, r"prediction to be a rectangular"),
    ],
)
def test_non_numeric_complex_and_ragged_arguments_are_named(cls, argument, value, error, message):
    args = {"prediction": np.zeros((2, 1)), "target": np.zeros(2, dtype=int)}
    args[argument] = value
    with pytest.raises(error, match=rf"{cls.__name__}\(\) expected {message}"):
        cls()(args["prediction"], args["target"])


def test_complex_values_are_never_truncated_silently():
    T = np.array([[1 + 2j], [0 + 0j]])
    with pytest.raises(TypeError, match=r"complex values \(dtype complex128\); pass target\.real"):
        nl.MSELoss()(np.zeros((2, 1)), T)


@pytest.mark.parametrize(
    ("loss", "prediction", "target", "expected"),
    [
        (nl.MSELoss(), np.full((2, 2), 300.0), np.zeros((2, 2)), 90000.0),
        (nl.SoftmaxCrossEntropy(), np.array([[60000.0, -60000.0, 0.0]]), np.array([1]), 120000.0),
        (nl.BinaryCrossEntropy(), np.full((2, 1), -60000.0), np.ones(2), 60000.0),
    ],
)
def test_float16_predictions_compute_in_float32(loss, prediction, target, expected):
    value = loss(prediction.astype(np.float16), target)
    assert value == pytest.approx(expected, rel=1e-6)
    grad = loss.backward()
    assert grad.dtype == np.float32
    assert np.all(np.isfinite(grad))


def test_integer_predictions_compute_in_float64():
    loss = nl.MSELoss()
    assert loss(np.array([[3]]), np.array([[1]])) == 4.0
    assert loss.backward().dtype == np.float64
