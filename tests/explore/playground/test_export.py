"""export_code: the code it writes re-creates the weights at init and after the same steps."""

import numpy as np
import pytest

from nnlab.explore.playground import Playground, PlaygroundConfig, export_code

from .helpers import run


@pytest.mark.parametrize(
    "config",
    [
        PlaygroundConfig(),
        PlaygroundConfig(
            dataset="spiral",
            noise=0.2,
            train_ratio=0.7,
            n_samples=300,
            features=("x1", "sin(x2)"),
            hidden=(5, 3),
            activation="relu",
            init="he",
            lr=0.1,
            l2=0.001,
            batch_size=16,
            seed=3,
            data_seed=4,
        ),
        PlaygroundConfig(dataset="multigauss", hidden=(), activation="linear"),
    ],
)
def test_export_reproduces_the_weights_at_init_and_after_steps(config, capsys):
    pg = Playground(config)
    scope = run(export_code(pg))
    np.testing.assert_array_equal(scope["net"].flat_params, pg.net.flat_params)
    assert scope["train_loss"] == pg.train_loss[0]
    pg.step(3)
    scope = run(export_code(pg))
    np.testing.assert_array_equal(scope["net"].flat_params, pg.net.flat_params)
    assert scope["train_loss"] == pg.train_loss[-1] and scope["test_loss"] == pg.test_loss[-1]
    assert capsys.readouterr().out.startswith("epoch 0: train loss")


def test_export_replays_changes_of_learning_rate_l2_and_batch_size():
    pg = Playground().step(2)
    pg.update(lr=0.3).step(1)
    pg.update(batch_size=3, l2=0.01).step(2)
    pg.update(lr=1.0)
    code = export_code(pg)
    assert code.count("nl.fit(") == 3
    scope = run(code)
    np.testing.assert_array_equal(scope["net"].flat_params, pg.net.flat_params)
    assert scope["test_loss"] == pg.test_loss[-1]
    assert (scope["opt"].lr, scope["opt"].weight_decay, scope["l2"]) == (1.0, 0.0, 0.01)
    assert len(code.splitlines()) < 60


def test_export_writes_out_custom_data():
    gen = np.random.default_rng(2)
    X = gen.uniform(-2, 2, size=(40, 2))
    pg = Playground(PlaygroundConfig(hidden=(3,), train_ratio=0.6), data=(X, X[:, 0] ** 2))
    pg.step(2)
    scope = run(export_code(pg))
    np.testing.assert_array_equal(scope["X"], X)
    np.testing.assert_array_equal(scope["net"].flat_params, pg.net.flat_params)
    assert scope["test_loss"] == pg.test_loss[-1]
