"""validation_split: a seeded partition of the rows, the documented formula on the digits,
and bad input rejected naming the argument."""

import numpy as np
import pytest

import nnlab as nl
from nnlab.data import validation_split


def rows(n):
    """Rows that carry their own index, so a split can be traced back."""
    X = np.arange(n, dtype=float)[:, None] * np.ones((1, 3))
    return X, np.arange(n) % 4


def test_the_split_is_a_partition_of_the_rows():
    X, y = rows(53)
    X_fit, X_val, y_fit, y_val = validation_split(X, y, fraction=0.3, rng=4)
    fit_idx, val_idx = X_fit[:, 0].astype(int), X_val[:, 0].astype(int)
    assert len(val_idx) == int(53 * 0.3) == 15 and len(fit_idx) == 38
    np.testing.assert_array_equal(np.sort(np.concatenate([fit_idx, val_idx])), np.arange(53))
    assert np.all(np.diff(fit_idx) > 0)  # the fitting rows keep their order
    np.testing.assert_array_equal(y_fit, y[fit_idx])  # X and y stay paired
    np.testing.assert_array_equal(y_val, y[val_idx])
    assert not np.all(np.diff(val_idx) > 0)  # the held-out rows come in the drawn order


def test_the_split_is_reproducible_and_depends_on_the_seed():
    X, y = rows(40)
    first = validation_split(X, y, rng=1)
    for a, b in zip(first, validation_split(X, y, rng=1), strict=True):
        np.testing.assert_array_equal(a, b)
    gen = validation_split(X, y, rng=np.random.default_rng(1))
    for a, b in zip(first, gen, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], validation_split(X, y, rng=2)[1])


def test_the_split_of_the_digits_follows_the_formula():
    pytest.importorskip("sklearn")
    split = nl.load_digits()
    X, y = split.X_train, split.y_train
    X_fit, X_val, y_fit, y_val = validation_split(X, y)  # fraction 0.2, rng 0
    n = len(X)
    assert len(X_val) == len(y_val) == n // 5 == int(n * 0.2)
    held = np.random.default_rng(0).permutation(n)[: n // 5]
    kept = np.setdiff1d(np.arange(n), held)
    np.testing.assert_array_equal(X_val, X[held])
    np.testing.assert_array_equal(y_val, y[held])
    np.testing.assert_array_equal(X_fit, X[kept])
    np.testing.assert_array_equal(y_fit, y[kept])
    assert len(X_fit) + len(X_val) == n
    assert set(np.unique(y_val)) == set(range(10))  # every digit is seen in validation


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((np.zeros((5, 2)), np.zeros(4)), {}, ValueError, r"same number of rows, got 5 and 4"),
        ((np.zeros(5), 3), {}, ValueError, r"X and y must be arrays of rows"),
        (rows(10), {"fraction": 0.0}, ValueError, r"fraction must be in \(0, 1\), got 0"),
        (rows(10), {"fraction": 1.0}, ValueError, r"fraction must be in \(0, 1\), got 1"),
        (rows(10), {"fraction": -0.5}, ValueError, r"fraction must be in \(0, 1\)"),
        (rows(10), {"fraction": float("nan")}, ValueError, r"fraction must be in \(0, 1\)"),
        (rows(10), {"fraction": "0.2"}, TypeError, r"fraction must be a real number"),
        (
            rows(4),
            {"fraction": 0.2},
            ValueError,
            r"fraction=0\.2 of 4 rows leaves the validation set with 0 rows; use a larger",
        ),
        ((np.zeros((0, 2)), np.zeros(0)), {}, ValueError, r"leaves the validation set with 0"),
        (rows(10), {"rng": "seed"}, TypeError, r"rng must be None, an int seed"),
    ],
)
def test_bad_input_is_rejected_naming_the_argument(args, kwargs, error, message):
    with pytest.raises(error, match=rf"validation_split: .*{message}"):
        validation_split(*args, **kwargs)


def test_the_smallest_splits_keep_a_row_on_each_side():
    X, y = rows(2)
    X_fit, X_val, _, _ = validation_split(X, y, fraction=0.5)
    assert len(X_fit) == len(X_val) == 1
    X_fit, X_val, _, _ = validation_split(*rows(5), fraction=0.99)
    assert (len(X_fit), len(X_val)) == (1, 4)
