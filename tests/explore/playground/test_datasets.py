"""The data sets: shapes, labels, seeded determinism, the regression targets, the split."""

import numpy as np
import pytest

import nnlab as nl
from nnlab.explore.playground import (
    CLASSIFICATION,
    DATASETS,
    DOMAIN,
    REGRESSION,
    load_dataset,
    make_dataset,
    make_gaussians,
    split_dataset,
)
from nnlab.explore.playground.datasets import BUMPS, multigauss, plane, task_of


@pytest.mark.parametrize("name", DATASETS)
def test_shapes_labels_and_determinism(name):
    X, y = make_dataset(name, 200, noise=0.1, rng=3)
    assert X.shape == (200, 2) and y.shape == (200,)
    assert np.abs(X).max() < 2 * DOMAIN
    if name in CLASSIFICATION:
        assert y.dtype == np.int64 and sorted(set(y.tolist())) == [0, 1]
        if name != "xor":  # the others alternate the classes
            assert abs(int(y.sum()) - 100) <= 1
    else:
        assert y.dtype == np.float64 and len(np.unique(y)) == 200
    X2, y2 = make_dataset(name, 200, noise=0.1, rng=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make_dataset(name, 200, noise=0.1, rng=4)[0])


def test_classification_sets_are_nnlab_generators_scaled():
    np.testing.assert_array_equal(
        make_dataset("circle", 50, 0.1, 1)[0], 2.5 * nl.make_circles(50, 0.1, 1)[0]
    )
    np.testing.assert_array_equal(
        make_dataset("xor", 50, 0.1, 1)[0], 2.5 * nl.make_xor(50, 0.1, 1)[0]
    )
    X, _ = nl.make_spirals(50, 0.1, 1, n_classes=2)
    np.testing.assert_array_equal(make_dataset("spiral", 50, 0.1, 1)[0], 2.8 * X)
    X, _ = nl.make_moons(50, 0.1, 1)
    np.testing.assert_allclose(make_dataset("moons", 50, 0.1, 1)[0], 2 * (X - [0.5, 0.25]))


def test_two_gaussians():
    X, y = make_gaussians(4000, noise=0.0, rng=0)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [1.25, 1.25], atol=0.05)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-1.25, -1.25], atol=0.05)
    np.testing.assert_allclose(X[y == 0].std(axis=0), [0.5, 0.5], atol=0.05)
    assert make_gaussians(4000, noise=0.5, rng=0)[0][y == 0].std() == pytest.approx(1.25, abs=0.05)


def test_regression_targets():
    X, y = make_dataset("plane", 100, noise=0.0, rng=0)
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 6)
    np.testing.assert_allclose(plane(np.array([[2.5, 2.5]])), [5 / 6])
    X, y = make_dataset("multigauss", 100, noise=0.0, rng=0)
    bumps = [s * np.exp(-((X - (cx, cy)) ** 2).sum(axis=1) / 0.72) for cx, cy, s in BUMPS]
    np.testing.assert_allclose(y, np.sum(bumps, axis=0))
    assert multigauss(np.array([[-2.0, 1.25]]))[0] == pytest.approx(1.0, abs=0.01)
    noisy = make_dataset("plane", 2000, noise=0.2, rng=0)
    assert np.std(noisy[1] - plane(noisy[0])) == pytest.approx(0.2, abs=0.02)


def test_tasks():
    assert all(task_of(n) == "classification" for n in CLASSIFICATION)
    assert all(task_of(n) == "regression" for n in REGRESSION)


@pytest.mark.parametrize("ratio, n_train", [(0.5, 250), (0.1, 50), (0.9, 450), (0.33, 165)])
def test_split_ratio(ratio, n_train):
    data = load_dataset("xor", 500, train_ratio=ratio, rng=0)
    assert len(data.X_train) == n_train and len(data.X_test) == 500 - n_train
    assert data.y_train.shape == (n_train,) and data.task == "classification"


def test_split_is_a_seeded_permutation():
    X, y = make_dataset("moons", 40, rng=1)
    a = split_dataset(X, y, 0.25, rng=7)
    b = split_dataset(X, y, 0.25, rng=7)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    joined = np.vstack([a.X_train, a.X_test])
    assert sorted(map(tuple, joined)) == sorted(map(tuple, X))
    order = np.random.default_rng(7).permutation(40)
    np.testing.assert_array_equal(a.X_train, X[order[:10]])
    np.testing.assert_array_equal(a.y_test, y[order[10:]])
    # one generator draws the data and then the split
    gen = np.random.default_rng(5)
    again = split_dataset(*make_dataset("moons", 40, 0.0, gen), 0.25, gen)
    np.testing.assert_array_equal(load_dataset("moons", 40, 0.0, 0.25, rng=5).X_test, again.X_test)


def test_split_infers_the_task_of_custom_data():
    X = np.random.default_rng(0).normal(size=(20, 2))
    assert split_dataset(X, np.arange(20) % 2, 0.5).task == "classification"
    assert split_dataset(X, (np.arange(20) % 2).astype(float), 0.5).task == "classification"
    assert split_dataset(X, np.arange(20) / 7, 0.5).task == "regression"
    assert split_dataset(X, np.arange(20) % 2, 0.5, task="regression").y_train.dtype == float


def test_bad_inputs_name_the_options():
    with pytest.raises(
        ValueError,
        match="unknown dataset 'ring'; expected one of 'circle', 'xor', 'gauss', 'spiral', "
        "'moons', 'plane', 'multigauss'",
    ):
        make_dataset("ring")
    with pytest.raises(ValueError, match="noise must be in"):
        make_dataset("xor", noise=-1)
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="leaves an empty training or test set"):
        split_dataset(X, np.arange(10) % 2, 0.01)
    with pytest.raises(ValueError, match="train_ratio must be in"):
        split_dataset(X, np.arange(10) % 2, 1.0)
    with pytest.raises(ValueError, match=r"expected X of shape \(n_samples, 2\)"):
        split_dataset(np.zeros((10, 3)), np.arange(10) % 2)
    with pytest.raises(ValueError, match=r"expected y of shape \(10,\)"):
        split_dataset(X, np.arange(9))
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        split_dataset(X, np.arange(10), task="classification")
    with pytest.raises(ValueError, match="task must be 'classification' or 'regression'"):
        split_dataset(X, np.arange(10) % 2, task="ranking")
    with pytest.raises(ValueError, match="finite"):
        split_dataset(np.full((10, 2), np.nan), np.arange(10) % 2)
