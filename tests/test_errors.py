"""Bad input gets a clear error naming the layer or argument, what was expected, what came."""

import numpy as np
import pytest
from helpers import raises_and_changes_nothing

import nnlab as nl


@pytest.fixture
def net():
    return nl.Sequential([nl.Dense(2, 16, rng=0), nl.Tanh(), nl.Dense(16, 3, rng=0)])


def test_wrong_input_width(net):
    with pytest.raises(ValueError, match=r"expected X of shape \(n_samples, 2\), got \(5, 4\)"):
        net.forward(np.ones((5, 4)))
    with pytest.raises(
        ValueError,
        match=r"Dense\(2 -> 16, init='he'\) expected X of shape "
        r"\(n_samples, 2\), got \(5, 4\)\.",
    ):
        net.layers[0].forward(np.ones((5, 4)))


def test_one_dimensional_input(net):
    with pytest.raises(ValueError, match=r"got a 1-D array of shape \(2,\).*reshape\(1, -1\)"):
        net.forward(np.ones(2))


def test_non_numeric_input(net):
    with pytest.raises(TypeError, match="numeric array, got dtype <U1"):
        net.forward(np.array([["a", "b"]]))


def test_wrong_gradient_shape(net):
    net.forward(np.ones((5, 2)))
    with raises_and_changes_nothing(
        net, ValueError, r"Dense\(16 -> 3, init='he'\) expected dZ of shape \(5, 3\).*got \(5, 2\)"
    ):
        net.backward(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"Tanh\(\) expected dZ of shape \(4, 16\)"):
        net.layers[1].forward(np.ones((4, 16)))
        net.layers[1].backward(np.ones((5, 16)))


def test_labels_out_of_range_and_wrong_kind():
    loss = nl.SoftmaxCrossEntropy()
    with pytest.raises(
        ValueError, match=r"labels in \[0, 3\) for 3 outputs, got values in \[0, 5\]"
    ):
        loss(np.zeros((4, 3)), np.array([0, 1, 2, 5]))
    with pytest.raises(TypeError, match="integer class labels, got dtype float64"):
        loss(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(
        ValueError, match=r"labels of shape \(4,\) or one-hot of shape \(4, 3\), got \(3,\)"
    ):
        loss(np.zeros((4, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"BinaryCrossEntropy\(\) expected targets in \[0, 1\]"):
        nl.BinaryCrossEntropy()(np.zeros((2, 1)), np.array([0, 2]))


def test_mismatched_batch_sizes(net):
    with pytest.raises(ValueError, match="fit: X has 10 samples but y has 9"):
        nl.fit(
            net,
            nl.SoftmaxCrossEntropy(),
            nl.SGD(net.parameters(), 0.1),
            np.ones((10, 2)),
            np.zeros(9, dtype=int),
            epochs=1,
            progress=False,
        )
    with pytest.raises(ValueError, match=r"MSELoss\(\) expected target of shape \(4, 3\)"):
        nl.MSELoss()(np.zeros((4, 3)), np.zeros((5, 3)))


@pytest.mark.parametrize("lr", [0, -0.1])
def test_non_positive_learning_rate(net, lr):
    for cls in (nl.SGD, nl.Adam):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: lr must be in \(0, inf\), got"):
            cls(net.parameters(), lr=lr)


def test_bad_optimizer_arguments(net):
    with pytest.raises(ValueError, match=r"SGD: momentum must be in \[0, 1\), got 1"):
        nl.SGD(net.parameters(), 0.1, momentum=1.0)
    with pytest.raises(TypeError, match=r"list of \(name, param, grad\) tuples"):
        nl.SGD([np.zeros(3)], 0.1)
    with pytest.raises(ValueError, match="params is empty"):
        nl.Adam([])
    with pytest.raises(TypeError, match=r"lr must be a real number, got '0.1'"):
        nl.SGD(net.parameters(), "0.1")


def test_unknown_init_and_activation_names():
    with pytest.raises(
        ValueError,
        match=r"unknown init 'kaiming'; expected one of 'he', "
        r"'xavier', 'fan_in_uniform', 'normal', 'zeros'",
    ):
        nl.Dense(2, 3, init="kaiming")
    with pytest.raises(ValueError, match=r"unknown activation 'relu6'; expected one of .*'relu'"):
        nl.mlp([2, 3, 1], "relu6")
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nl.get_activation("swish")


def test_bad_layer_construction():
    with pytest.raises(ValueError, match="Dense: n_out must be a positive int, got 0"):
        nl.Dense(2, 0)
    with pytest.raises(TypeError, match=r"Dense: n_in must be a positive int, got 2.5"):
        nl.Dense(2.5, 3)
    with pytest.raises(
        TypeError, match=r"dtype must be float32 or float64, got <class 'numpy.int32'>"
    ):
        nl.Dense(2, 3, dtype=np.int32)
    with pytest.raises(
        TypeError, match=r"rng must be None, an int seed or a np.random.Generator, got float"
    ):
        nl.Dense(2, 3, rng=0.5)
    with pytest.raises(ValueError, match=r"init returned shape \(3, 2\), expected \(2, 3\)"):
        nl.Dense(2, 3, init=lambda a, b, rng: np.zeros((b, a)))
    with pytest.raises(ValueError, match=r"LeakyReLU: alpha must be in \[0, 1\), got -1"):
        nl.LeakyReLU(-1)


def test_bad_sequential_construction():
    with pytest.raises(
        ValueError,
        match=r"layer 0 Dense\(2 -> 4, init='he'\) outputs 4 features "
        r"but layer 2 Dense\(5 -> 1, init='he'\) expects 5",
    ):
        nl.Sequential([nl.Dense(2, 4), nl.ReLU(), nl.Dense(5, 1)])
    with pytest.raises(TypeError, match="layer 1 must be an nnlab layer, got function"):
        nl.Sequential([nl.Dense(2, 4), lambda x: x])
    with pytest.raises(TypeError, match="share one dtype"):
        nl.Sequential([nl.Dense(2, 4), nl.Dense(4, 1, dtype=np.float32)])


def test_bad_fit_arguments(net):
    X, y = np.ones((4, 2)), np.zeros(4, dtype=int)
    opt = nl.SGD(net.parameters(), 0.1)
    with pytest.raises(ValueError, match="fit: epochs must be a positive int, got 0"):
        nl.fit(net, nl.SoftmaxCrossEntropy(), opt, X, y, epochs=0)
    with pytest.raises(TypeError, match="fit: loss must be an nnlab loss, got function"):
        nl.fit(net, lambda p, t: 0.0, opt, X, y, epochs=1)
    with pytest.raises(ValueError, match="fit: batch_size must be a positive int, got -1"):
        nl.fit(net, nl.SoftmaxCrossEntropy(), opt, X, y, epochs=1, batch_size=-1)


def test_bad_dataset_arguments():
    with pytest.raises(ValueError, match="make_moons: noise must be in"):
        nl.make_moons(10, noise=-1)
    with pytest.raises(TypeError, match="make_spirals: n_samples must be a positive int"):
        nl.make_spirals(10.0)
