"""Playground: training lowers the loss, histories, gradient norms computed independently,
live and rebuilding updates, custom data, reset."""

import numpy as np
import pytest

import nnlab as nl
from nnlab.explore.playground import Playground, PlaygroundConfig, features

from .helpers import by_hand, weights


def test_step_lowers_the_loss_on_the_circle_with_squared_features():
    pg = Playground(PlaygroundConfig(features=("x1^2", "x2^2")))
    start = pg.train_loss[0]
    pg.step(30)
    assert pg.epoch == 30 and len(pg.train_loss) == len(pg.test_loss) == 31
    assert pg.train_loss[-1] < 0.2 * start and pg.test_loss[-1] < 0.2 * pg.test_loss[0]
    accuracy = np.mean((pg.predict(pg.split.X_test) > 0.5) == pg.split.y_test)
    assert accuracy > 0.97


def test_losses_are_over_the_whole_sets_after_each_epoch():
    pg = Playground(PlaygroundConfig(dataset="moons")).step(2)
    for X, y, recorded in (
        (pg.split.X_train, pg.split.y_train, pg.train_loss[-1]),
        (pg.split.X_test, pg.split.y_test, pg.test_loss[-1]),
    ):
        loss = by_hand(pg, features(X, pg.config.features), y)["loss"].mean()
        assert recorded == pytest.approx(loss, rel=1e-12)


def test_a_step_is_one_epoch_of_fit():
    pg = Playground(PlaygroundConfig(batch_size=7, lr=0.1)).step(3)
    net = nl.mlp([2, 4, 4, 1], "tanh", rng=0)
    opt = nl.SGD(net.parameters(), lr=0.1)
    shuffle = np.random.default_rng(1)
    for _ in range(3):
        nl.fit(
            net,
            nl.BinaryCrossEntropy(),
            opt,
            pg.inputs_train,
            pg.split.y_train,
            epochs=1,
            batch_size=7,
            rng=shuffle,
            progress=False,
        )
    np.testing.assert_array_equal(net.flat_params, pg.net.flat_params)


@pytest.mark.parametrize(
    "config",
    [
        PlaygroundConfig(),
        PlaygroundConfig(dataset="spiral", hidden=(5, 3, 2), activation="relu"),
        PlaygroundConfig(dataset="multigauss", hidden=(3,), activation="sigmoid"),
        PlaygroundConfig(dataset="plane", hidden=(), features=("x1", "x2", "sin(x1)")),
    ],
)
def test_gradient_norms_are_those_of_the_full_training_gradient(config):
    pg = Playground(config).step(1)
    A0 = pg.inputs_train
    run = by_hand(pg, A0, pg.split.y_train)
    n = len(A0)
    dWs = [run["inputs"][k].T @ run["delta"][k] / n for k in range(len(pg.dense))]
    np.testing.assert_allclose(pg.grad_norms[-1], [np.linalg.norm(d) for d in dWs], rtol=1e-10)
    assert len(pg.grad_norms) == 2 and pg.grad_norms[0].shape == (len(config.hidden) + 1,)


@pytest.mark.parametrize("l2, l1", [(0.1, 0.0), (0.0, 0.03), (0.1, 0.03)])
def test_l2_and_l1_penalize_the_weights_only(l2, l1):
    config = PlaygroundConfig(l2=l2, l1=l1, batch_size=500, train_ratio=0.5)  # one batch
    pg = Playground(config)
    before = [(W.copy(), b.copy()) for W, b in weights(pg)]
    run = by_hand(pg, pg.inputs_train, pg.split.y_train)
    n = len(pg.inputs_train)
    pg.step(1)
    assert pg.optimizer.weight_decay == 0.0
    for k, ((W, b), (W1, b1)) in enumerate(zip(before, weights(pg), strict=True)):
        dW = run["inputs"][k].T @ run["delta"][k] / n
        db = run["delta"][k].sum(axis=0) / n
        penalty = l2 * W + l1 * np.sign(W)
        np.testing.assert_allclose(W1, W - 0.03 * (dW + penalty), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(b1, b - 0.03 * db, rtol=1e-12, atol=1e-15)


def test_reset_gives_back_the_initial_network_and_clears_the_histories():
    pg = Playground()
    start = pg.net.flat_params.copy()
    pg.step(3).reset()
    np.testing.assert_array_equal(pg.net.flat_params, start)
    assert pg.epoch == 0 and len(pg.train_loss) == 1 and pg.segments == []
    first = pg.step(2).train_loss[-1]
    assert pg.reset().step(2).train_loss[-1] == first


def test_live_updates_keep_training_and_others_rebuild():
    pg = Playground().step(2)
    weights_now = pg.net.flat_params.copy()
    pg.update(lr=0.3, l2=0.01, l1=0.003, batch_size=25)
    assert (
        pg.epoch == 2 and pg.optimizer.lr == 0.3 and (pg.config.l2, pg.config.l1) == (0.01, 0.003)
    )
    np.testing.assert_array_equal(pg.net.flat_params, weights_now)
    pg.step(1)
    assert pg.segments == [[2, 0.03, 0.0, 0.0, 10], [1, 0.3, 0.01, 0.003, 25]]
    pg.update(output="playground")  # another output and loss: starts over
    assert pg.epoch == 0 and pg.segments == [] and pg.loss.tanh
    pg.update(hidden=(3,))
    assert pg.epoch == 0 and pg.net.layers[0].W.shape == (2, 3)
    with pytest.raises(ValueError, match="unknown activation"):
        pg.update(activation="softplus")
    assert pg.config.activation == "tanh"
    with pytest.raises(ValueError, match="dataset 'custom' needs data"):
        pg.update(dataset="custom")
    assert pg.config.dataset == "circle" and pg.net.layers[0].W.shape == (2, 3)


def test_a_failed_rebuild_changes_nothing():
    X = np.random.default_rng(0).normal(size=(4, 2))
    pg = Playground(PlaygroundConfig(train_ratio=0.5), data=(X, np.arange(4) % 2))
    with pytest.raises(ValueError, match="leaves an empty training or test set"):
        pg.update(train_ratio=0.1)
    assert pg.config.train_ratio == 0.5 and len(pg.split.X_train) == 2


def test_custom_data():
    gen = np.random.default_rng(0)
    X = gen.normal(size=(60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    pg = Playground(PlaygroundConfig(features=("x1*x2",), hidden=()), data=(X, y))
    assert pg.config.dataset == "custom" and pg.task == "classification"
    assert len(pg.split.X_train) == 30 and pg.domain >= 1.1 * np.abs(X).max()
    pg.step(30)
    assert pg.train_loss[-1] < pg.train_loss[0]
    reg = Playground(data=(X, X[:, 0] - X[:, 1]))
    assert reg.task == "regression" and isinstance(reg.loss, nl.MSELoss)


def test_bad_inputs():
    with pytest.raises(ValueError, match="dataset 'custom' needs data"):
        Playground(PlaygroundConfig(dataset="custom"))
    with pytest.raises(TypeError, match="config must be a PlaygroundConfig"):
        Playground({"dataset": "xor"})
    with pytest.raises(TypeError, match="data must be a pair"):
        Playground(data=np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"expected X of shape \(n_samples, 2\)"):
        Playground(data=(np.zeros((5, 3)), np.zeros(5)))
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        Playground().step(0)


def test_divergence_is_reported():
    pg = Playground(PlaygroundConfig(dataset="plane", lr=10.0, activation="relu", hidden=(8, 8)))
    with pytest.raises(FloatingPointError, match="fit diverged"):
        pg.step(20)
    assert repr(pg).startswith("Playground('plane'")
