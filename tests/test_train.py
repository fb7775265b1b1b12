"""Training end to end: accuracy targets, History, and divergence handling."""

import numpy as np
import pytest
from helpers import RecordingSGD, raises_and_changes_nothing, train

import nnlab as nl


def test_moons_reach_97_percent_training_accuracy():
    X, y = nl.make_moons(400, noise=0.1, rng=0)
    net = nl.mlp([2, 16, 16, 2], "tanh", rng=0)
    history = train(net, nl.SoftmaxCrossEntropy(), nl.Adam, X, y, lr=0.01, epochs=60)
    assert nl.accuracy(net, X, y) >= 0.97
    assert history["accuracy"][-1] >= 0.97
    assert history["loss"][-1] < history["loss"][0] / 5


def test_digits_reach_96_percent_test_accuracy():
    X_train, X_test, y_train, y_test = nl.load_digits()
    net = nl.mlp([64, 128, 10], "relu", rng=0)
    history = train(
        net,
        nl.SoftmaxCrossEntropy(),
        nl.Adam,
        X_train,
        y_train,
        lr=1e-3,
        epochs=30,
        batch_size=32,
        validation_data=(X_test, y_test),
    )
    test_accuracy = nl.accuracy(net, X_test, y_test)
    assert test_accuracy >= 0.96
    assert history["val_accuracy"][-1] == pytest.approx(test_accuracy)


def test_binary_classification_with_one_output():
    X, y = nl.make_circles(300, noise=0.05, rng=1)
    net = nl.mlp([2, 8, 1], "tanh", rng=0)
    train(net, nl.BinaryCrossEntropy(), nl.Adam, X, y, lr=0.05, epochs=100)
    assert nl.accuracy(net, X, y) >= 0.97


def test_regression_on_sine():
    X, y = nl.make_sine(200, noise=0.05, rng=0)
    net = nl.mlp([1, 32, 1], "tanh", rng=0)
    history = train(net, nl.MSELoss(), nl.Adam, X, y, lr=0.01, epochs=200)
    assert "accuracy" not in history
    assert history["loss"][-1] < 0.01


def test_fit_is_reproducible():
    X, y = nl.make_xor(100, rng=0)
    runs = []
    for _ in range(2):
        net = nl.mlp([2, 8, 2], "tanh", rng=3)
        h = train(
            net, nl.SoftmaxCrossEntropy(), nl.SGD, X, y, lr=0.1, epochs=5, batch_size=16, rng=4
        )
        runs.append((h["loss"], net.flat_params.copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_divergence_raises_and_leaves_weights_as_before_the_failing_step(dtype):
    X, y = nl.make_moons(64, rng=0)
    net = nl.mlp([2, 32, 2], "relu", rng=0, dtype=dtype)
    opt = RecordingSGD(net, lr=1e6)
    with pytest.raises(
        FloatingPointError,
        match=r"fit diverged at epoch \d+, batch \d+: .* smaller learning rate "
        r"\(lr=1e\+06\)",
    ):
        nl.fit(
            net,
            nl.SoftmaxCrossEntropy(),
            opt,
            X * 1e3,
            y,
            epochs=50,
            batch_size=8,
            rng=0,
            progress=False,
        )
    assert opt.steps >= 1  # it trained a little before diverging
    np.testing.assert_array_equal(net.flat_params, opt.after)
    assert np.all(np.isfinite(net.flat_params))


def test_nan_input_raises_before_any_update():
    X, y = nl.make_moons(50, rng=0)
    X[7, 1] = np.nan
    net = nl.mlp([2, 4, 2], "relu", rng=0)
    with raises_and_changes_nothing(net, FloatingPointError, r"NaN or inf in 1 row.*row 7"):
        train(net, nl.SoftmaxCrossEntropy(), nl.SGD, X, y, lr=0.1, epochs=1)


def test_progress_bar_runs(capsys):
    X, y = nl.make_xor(40, rng=0)
    net = nl.mlp([2, 4, 2], "tanh", rng=0)
    h = nl.fit(
        net, nl.SoftmaxCrossEntropy(), nl.SGD(net.parameters(), 0.1), X, y, epochs=3, progress=True
    )
    assert h.epochs == 3
    assert "3/3" in capsys.readouterr().err
    assert repr(h).startswith("History(epochs=3, loss=")


def test_predict_caches_nothing_and_accuracy_thresholds():
    net = nl.Sequential([nl.Dense(1, 1, init="zeros"), nl.Sigmoid()])
    net.layers[0].W = [[1.0]]
    X = np.array([[-2.0], [-0.5], [0.5], [3.0]])
    assert nl.predict(net, X).shape == (4, 1)
    assert net.layers[0].cached_arrays() == []
    assert nl.accuracy(net, X, [0, 0, 1, 1]) == 1.0  # Sigmoid output: threshold 0.5
    assert nl.accuracy(net, X, np.array([[1, 0], [1, 0], [0, 1], [1, 0]])) == 0.75
