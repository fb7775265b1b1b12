"""Datasets: shapes, balance, determinism, and the digits split."""

import numpy as np
import pytest

import nnlab as nl

GENERATORS = [nl.make_xor, nl.make_moons, nl.make_circles, nl.make_spirals]


@pytest.mark.parametrize("make", GENERATORS)
def test_classification_sets(make):
    X, y = make(n_samples=301, noise=0.1, rng=0)
    assert X.shape == (301, 2) and X.dtype == np.float64
    assert y.shape == (301,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1 or make is nl.make_xor
    X2, y2 = make(n_samples=301, noise=0.1, rng=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make(n_samples=301, noise=0.1, rng=1)[0])


def test_noise_free_geometry():
    X, y = nl.make_circles(200, noise=0.0, rng=0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)
    X, y = nl.make_xor(200, noise=0.0, rng=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    X, y = nl.make_moons(200, noise=0.0, rng=0)
    np.testing.assert_allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0)


def test_sine():
    X, y = nl.make_sine(100, noise=0.0, rng=0)
    assert X.shape == y.shape == (100, 1)
    assert np.all(np.diff(X[:, 0]) >= 0)
    np.testing.assert_allclose(y, np.sin(X))


def test_load_digits_is_a_stratified_standardized_split():
    X_train, X_test, _y_train, y_test = nl.load_digits(test_size=0.25, rng=0)
    assert X_train.shape[1] == X_test.shape[1] == 64
    assert len(X_train) + len(X_test) == 1797
    assert abs(len(X_test) / 1797 - 0.25) < 0.01
    assert set(np.unique(y_test)) == set(range(10))
    np.testing.assert_allclose(X_train.mean(axis=0), 0, atol=1e-12)
    std = X_train.std(axis=0)
    assert np.all((np.abs(std - 1) < 1e-12) | (std == 0))
    again = nl.load_digits(rng=0)
    np.testing.assert_array_equal(again.X_test, X_test)
