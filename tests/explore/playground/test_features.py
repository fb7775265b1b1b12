"""The feature map: values, column order, errors that name the options."""

import numpy as np
import pytest

from nnlab.explore.playground import FEATURES, features
from nnlab.explore.playground.features import feature_label

X = np.array([[0.5, -2.0], [3.0, 1.0], [0.0, 0.0]])


def test_every_feature_value():
    x1, x2 = X[:, 0], X[:, 1]
    expected = {
        "x1": x1,
        "x2": x2,
        "x1^2": x1**2,
        "x2^2": x2**2,
        "x1*x2": x1 * x2,
        "sin(x1)": np.sin(x1),
        "sin(x2)": np.sin(x2),
    }
    assert list(FEATURES) == list(expected)
    out = features(X, list(expected))
    assert out.shape == (3, 7)
    for j, name in enumerate(expected):
        np.testing.assert_array_equal(out[:, j], expected[name])


def test_columns_follow_the_order_of_the_names():
    np.testing.assert_array_equal(
        features(X, ["x2^2", "x1"]), np.column_stack([X[:, 1] ** 2, X[:, 0]])
    )
    assert features(X, "x1*x2").shape == (3, 1)
    assert features(np.zeros((0, 2)), ["x1", "x2"]).shape == (0, 2)


def test_labels_are_latex():
    assert feature_label("sin(x1)") == r"\sin x_1"
    assert feature_label("x1*x2") == "x_1 x_2"


def test_bad_names_and_shapes():
    with pytest.raises(
        ValueError, match=r"unknown feature 'cos\(x1\)'; expected one of 'x1', 'x2'"
    ):
        features(X, ["x1", "cos(x1)"])
    with pytest.raises(ValueError, match="at least one input feature"):
        features(X, [])
    with pytest.raises(ValueError, match="each feature may appear once"):
        features(X, ["x1", "x1"])
    with pytest.raises(ValueError, match=r"expected X of shape \(n_samples, 2\), got \(3,\)"):
        features(X[:, 0], ["x1"])
