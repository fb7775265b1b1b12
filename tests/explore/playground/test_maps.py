"""Unit maps against a per-point forward pass, delta maps against nnlab's own backward pass
for a one-sample batch, grid orientation, nearest targets, the cycle timing."""

import numpy as np
import pytest

import nnlab as nl
from nnlab.explore.playground import (
    DELTA_TARGET_RULE,
    Playground,
    PlaygroundConfig,
    benchmark_cycle,
    cycle,
    features,
    playground_maps,
)
from nnlab.explore.playground.maps import grid_points, nearest_targets

from .helpers import by_hand

CONFIGS = [
    PlaygroundConfig(),
    PlaygroundConfig(
        dataset="spiral",
        features=("x1", "x2", "sin(x1)", "x1*x2"),
        hidden=(5, 3, 2),
        activation="relu",
    ),
    PlaygroundConfig(dataset="multigauss", hidden=(3,), activation="sigmoid"),
    PlaygroundConfig(dataset="xor", hidden=(), features=("x1*x2",)),
]
CELLS = [(0, 0), (3, 7), (10, 2), (11, 11)]


def trained(config):
    return Playground(config).step(2)


@pytest.mark.parametrize("config", CONFIGS)
def test_unit_maps_equal_a_forward_pass_at_each_point(config):
    pg = trained(config)
    maps = playground_maps(pg, grid=12)
    m = len(pg.dense)
    assert maps.xs.shape == (12,) and maps.output.shape == (12, 12)
    assert maps.inputs.shape == (len(config.features), 12, 12)
    assert [a.shape for a in maps.A] == [(n, 12, 12) for n in config.sizes[1:]]
    assert len(maps.Z) == len(maps.delta) == m
    for i, j in CELLS:
        point = np.array([[maps.xs[j], maps.xs[i]]])  # row i is x2, column j is x1
        run = by_hand(pg, features(point, config.features), [0.0])
        np.testing.assert_allclose(maps.inputs[:, i, j], features(point, config.features)[0])
        for k in range(m):
            np.testing.assert_allclose(maps.Z[k][:, i, j], run["Z"][k][0], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(maps.A[k][:, i, j], run["A"][k][0], rtol=1e-12, atol=1e-14)
        assert maps.output[i, j] == pytest.approx(pg.predict(point)[0], rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("config", CONFIGS)
def test_delta_maps_are_the_backward_pass_of_a_one_sample_batch(config):
    """At a grid point, run nnlab's own forward, loss and layer backward on that one sample
    with its nearest training target, and read each dZ."""
    pg = trained(config)
    maps = playground_maps(pg, grid=9)
    for i, j in [(0, 0), (4, 6), (8, 3)]:
        point = np.array([[maps.xs[j], maps.xs[i]]])
        distances = np.linalg.norm(pg.split.X_train - point, axis=1)
        target = pg.split.y_train[np.argmin(distances)]
        assert maps.target[i, j] == target
        net, loss = pg.net, pg.loss
        loss.forward(net.forward(features(point, config.features)), np.array([target]))
        dZ = loss.backward()  # 1/N with N = 1: the one sample's own delta
        deltas = [dZ]
        for layer in net.layers[:0:-1]:
            dZ = layer.backward(dZ)
            if not isinstance(layer, nl.Dense):  # dZ is now dL/dZ of the Dense layer before
                deltas.insert(0, dZ)
        for k, d in enumerate(deltas):
            np.testing.assert_allclose(maps.delta[k][:, i, j], d[0], rtol=1e-10, atol=1e-14)


def test_delta_maps_are_grid_size_times_the_mean_loss_delta():
    pg = trained(PlaygroundConfig(dataset="gauss"))
    maps = playground_maps(pg, grid=6)
    _, points = grid_points(6, pg.domain)
    pg.loss.forward(pg.net.forward(features(points, pg.config.features)), maps.target.ravel())
    np.testing.assert_allclose(36 * pg.loss.backward()[:, 0], maps.delta[-1][0].ravel())


def test_grid_orientation_and_nearest_targets():
    xs, points = grid_points(4, 3.0)
    np.testing.assert_allclose(xs, [-3, -1, 1, 3])
    np.testing.assert_allclose(points[:5], [[-3, -3], [-1, -3], [1, -3], [3, -3], [-3, -1]])
    gen = np.random.default_rng(0)
    X, y = gen.normal(size=(30, 2)), gen.integers(0, 2, 30)
    P = gen.normal(size=(50, 2))
    brute = [y[np.argmin([np.sum((p - x) ** 2) for x in X])] for p in P]
    np.testing.assert_array_equal(nearest_targets(P, X, y), brute)
    with pytest.raises(ValueError, match="grid must be an int >= 2, got 1"):
        grid_points(1, 3.0)


def test_the_stated_target_rule_is_the_one_the_delta_maps_use():
    for words in ("nearest training point", "class label", "value in regression", "Euclidean"):
        assert words in DELTA_TARGET_RULE
    assert "test points not used" in DELTA_TARGET_RULE and "\n" not in DELTA_TARGET_RULE
    X, y = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 0.0]]), np.array([0.5, -1.5, 7.0])
    np.testing.assert_array_equal(nearest_targets(np.array([[1.0, 0.0]]), X[:2], y[:2]), [0.5])
    np.testing.assert_array_equal(nearest_targets(np.array([[1.1, 0.0]]), X, y), [7.0])
    pg = trained(PlaygroundConfig(dataset="plane", train_ratio=0.3))  # regression: values
    maps = playground_maps(pg, grid=7)
    assert set(maps.target.ravel()) <= set(pg.split.y_train)
    _, points = grid_points(7, pg.domain)
    expected = nearest_targets(points, pg.split.X_train, pg.split.y_train)
    np.testing.assert_array_equal(maps.target.ravel(), expected)  # the training points only
    with_test = nearest_targets(
        points,
        np.concatenate([pg.split.X_train, pg.split.X_test]),
        np.concatenate([pg.split.y_train, pg.split.y_test]),
    )
    assert not np.array_equal(with_test, expected)


def test_nearest_targets_are_remembered_until_a_reset():
    pg = Playground()
    playground_maps(pg, grid=10)
    assert ("targets", 10, 3.0) in pg.memo
    pg.update(data_seed=1)
    assert pg.memo == {}


def test_cycle_and_its_benchmark():
    pg = Playground()
    maps = cycle(pg, 2, grid=8)
    assert pg.epoch == 2 and maps.output.shape == (8, 8)
    seconds = benchmark_cycle(1, steps=1, grid=8)
    assert 0 < seconds < 10
