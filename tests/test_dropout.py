"""Dropout: a scaled random mask in training, the identity at inference; backward uses the same
mask (checked against finite differences with the mask held fixed by re-seeding); the mean is
preserved; and the layer inside networks of Dense and Conv2D layers."""

import doctest

import numpy as np
import pytest
from helpers import TOL, relative_error, train

import nnlab as nl
from nnlab import dropout
from nnlab.conv import Conv2D
from nnlab.dropout import Dropout
from nnlab.pooling import Flatten, MaxPool2D


def test_training_forward_zeroes_entries_and_scales_the_rest(rng):
    drop = Dropout(0.25, rng=0)
    X = rng.normal(size=(50, 40))
    Z = drop.forward(X)
    mask = drop.mask
    assert mask.shape == X.shape and mask.dtype == X.dtype
    assert set(np.unique(mask)) == {0.0, 1 / 0.75}
    np.testing.assert_array_equal(Z, X * (1 / 0.75) * (mask != 0))
    assert drop.cached_arrays() == [mask]
    assert 0.2 < np.mean(Z == 0) < 0.3


def test_inference_is_the_identity_and_draws_nothing(rng):
    X = rng.normal(size=(4, 6))
    a, b = Dropout(0.5, rng=3), Dropout(0.5, rng=3)
    a.forward(X)
    assert a.forward(X, cache=False) is X
    assert a.mask is None and a.cached_arrays() == []
    with pytest.raises(RuntimeError, match=r"Dropout\(p=0\.5\): backward\(\) called before"):
        a.backward(X)
    b.forward(X)
    # a's inference call used no random numbers: both draw the same second mask
    np.testing.assert_array_equal(a.forward(X), b.forward(X))


def test_backward_multiplies_by_the_same_scaled_mask(rng):
    drop = Dropout(0.4, rng=0)
    X = rng.normal(size=(6, 5))
    Z = drop.forward(X)
    dZ = rng.normal(size=X.shape)
    dX = drop.backward(dZ)
    np.testing.assert_array_equal(dX, dZ * drop.mask)
    np.testing.assert_array_equal(dX == 0, Z == 0)  # the dropped entries get no gradient
    assert drop.backward(dZ, input_grad=False) is None


def frozen(drop, seed):
    """Re-seed the layer's generator: its next forward draws the same mask every time."""
    drop.rng = np.random.default_rng(seed)
    return drop


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4, 4), (2, 5, 3)])
def test_backward_matches_finite_differences_with_the_mask_frozen(rng, shape):
    drop = frozen(Dropout(0.5), 7)
    X = rng.normal(size=shape)
    dZ = rng.normal(size=shape)
    drop.forward(X)
    dX = drop.backward(dZ)
    numeric = nl.numerical_gradient(
        lambda x: float(np.sum(frozen(drop, 7).forward(x) * dZ)), X.copy()
    )
    assert relative_error(dX, numeric) <= TOL
    assert (dX == 0).any()  # the mask dropped something


def test_the_expected_output_is_the_input():
    # one large draw: the kept fraction is 1 - p and the mean of Z is 1 (within 5 sigma)
    p, n = 0.3, 200_000
    Z = Dropout(p, rng=0).forward(np.ones((n // 100, 100)))
    assert abs(np.mean(Z != 0) - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    assert abs(Z.mean() - 1.0) < 5 * np.sqrt(p / (1 - p) / n)
    # many draws on one X: each entry's average tends to that entry
    X = np.random.default_rng(1).normal(size=(3, 4))
    p, k = 0.5, 4000
    drop = Dropout(p, rng=2)
    mean = sum(drop.forward(X) for _ in range(k)) / k
    sigma = np.abs(X) * np.sqrt(p / (1 - p) / k)  # Z is 0 or X / (1 - p)
    assert np.all(np.abs(mean - X) < 5 * sigma)


def test_p_zero_is_the_identity_in_training_too(rng):
    drop = Dropout(0.0, rng=0)
    X = rng.normal(size=(3, 2))
    assert drop.forward(X) is X
    assert drop.mask is None and drop.cached_arrays() == []
    dZ = rng.normal(size=(3, 2))
    assert drop.backward(dZ) is dZ
    assert drop.flops(8, (2,)) == {"forward": 0, "backward_dW": 0, "backward_dX": 0}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_keeps_the_input_dtype(rng, dtype):
    drop = Dropout(0.5, rng=0)
    X = rng.normal(size=(4, 3, 2)).astype(dtype)
    Z = drop.forward(X)
    dX = drop.backward(np.ones(X.shape))  # a float64 dZ is cast to the input's dtype
    assert Z.dtype == dX.dtype == drop.mask.dtype == dtype
    assert drop.forward([[1, 2]]).dtype == np.float64  # lists and ints become float64


def test_masks_are_reproducible_from_the_seed(rng):
    X = rng.normal(size=(5, 8))
    a, b, c = Dropout(0.5, rng=1), Dropout(0.5, rng=1), Dropout(0.5, rng=2)
    np.testing.assert_array_equal(a.forward(X), b.forward(X))
    assert not np.array_equal(a.forward(X), c.forward(X))
    gen = np.random.default_rng(0)
    assert Dropout(0.1, rng=gen).rng is gen  # a Generator is used as it is


def test_dropout_repr_and_flops():
    drop = Dropout(0.5)
    assert repr(drop) == "Dropout(p=0.5)" and repr(Dropout(0.125)) == "Dropout(p=0.125)"
    assert drop.input_shape is None and drop.output_shape((3, 8, 8)) == (3, 8, 8)
    assert drop.flops(4, (3, 8, 8)) == {
        "forward": 3 * 4 * 192,
        "backward_dW": 0,
        "backward_dX": 4 * 192,
    }
    drop.forward(np.ones((2, 10)), cache=False)
    assert drop.flops(4)["backward_dX"] == 40  # the shape of the last forward


def test_module_examples_run():
    assert doctest.testmod(dropout).failed == 0


# -- inside networks --------------------------------------------------------------------------


def mlp_with_dropout(p=0.5, seed=0):
    return nl.Sequential(
        [
            nl.Dense(2, 32, rng=0),
            nl.ReLU(),
            Dropout(p, rng=seed),
            nl.Dense(32, 2, rng=1),
        ]
    )


def test_predict_is_deterministic_and_skips_dropout():
    net = mlp_with_dropout()
    X = np.random.default_rng(0).normal(size=(10, 2))
    d1, d2 = net[0], net[3]
    want = np.maximum(X @ d1.W + d1.b, 0) @ d2.W + d2.b
    out = nl.predict(net, X)
    np.testing.assert_allclose(out, want, rtol=1e-14)
    np.testing.assert_array_equal(nl.predict(net, X), out)
    train = net.forward(X)
    assert not np.allclose(train, out)
    assert not np.allclose(net.forward(X), train)  # a new mask every training pass


def flat_grad_fd(net, loss, X, y, seed):
    """Finite differences of the training loss in flat_params, every mask frozen."""

    def f(_):
        for layer in net.layers:
            if isinstance(layer, Dropout):
                frozen(layer, seed)
        return loss.forward(net.forward(X), y)

    return nl.numerical_gradient(f, net.flat_params)


def test_network_gradients_with_dropout_match_finite_differences_with_frozen_masks():
    net = mlp_with_dropout(seed=5)
    X = np.random.default_rng(0).normal(size=(6, 2))
    y = np.array([0, 1, 1, 0, 1, 0])
    loss = nl.SoftmaxCrossEntropy()
    frozen(net[2], 5)
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    analytic = net.flat_grads.copy()
    assert relative_error(analytic, flat_grad_fd(net, loss, X, y, 5)) < 1e-7
    # with p = 0 the inference pass is the training pass, and gradcheck applies
    errors = nl.gradcheck(mlp_with_dropout(p=0.0), loss, X, y)
    assert max(errors.values()) < 1e-7


def test_fit_with_dropout_trains_and_predicts():
    X, y = nl.make_moons(n_samples=300, noise=0.1, rng=0)
    X, X_test, y, y_test = X[:200], X[200:], y[:200], y[200:]
    net = mlp_with_dropout(p=0.2)
    history = train(
        net, nl.SoftmaxCrossEntropy(), nl.Adam, X, y, lr=0.02, epochs=30,
        validation_data=(X_test, y_test),
    )  # fmt: skip
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert nl.accuracy(net, X_test, y_test) > 0.9
    assert nl.accuracy(net, X_test, y_test) == history["val_accuracy"][-1]


def cnn_with_dropout(dtype=np.float64):
    return nl.Sequential(
        [
            Conv2D(1, 4, 3, padding=1, rng=0, dtype=dtype),
            nl.ReLU(),
            Dropout(0.25, rng=0),
            MaxPool2D(2),
            Flatten(),
            nl.Dense(4 * 4 * 4, 10, rng=0, dtype=dtype),
        ]
    )


@pytest.fixture(scope="module")
def digits():
    X_train, _, y_train, _ = nl.load_digits()
    return X_train.reshape(-1, 1, 8, 8), y_train


def test_dropout_after_a_conv_layer(digits):
    X, y = digits
    net = cnn_with_dropout()
    loss = nl.SoftmaxCrossEntropy()
    frozen(net[2], 1)
    loss.forward(net.forward(X[:3]), y[:3])
    dX = net.backward(loss.backward())
    assert dX.shape == (3, 1, 8, 8)
    assert net[2].mask.shape == (3, 4, 8, 8)
    analytic = net.flat_grads.copy()
    assert relative_error(analytic, flat_grad_fd(net, loss, X[:3], y[:3], 1)) < 1e-7
    out = nl.predict(net, X[:20])
    np.testing.assert_array_equal(out, nl.predict(net, X[:20]))
    history = train(net, loss, nl.Adam, X[:300], y[:300], lr=0.01, epochs=3)
    assert history["loss"][-1] < history["loss"][0]


def test_cached_bytes_astype_and_flops_count_the_mask(digits):
    X = digits[0][:8]
    net = cnn_with_dropout()
    net.forward(X)
    relu = 8 * 4 * 8 * 8
    cols = 9 * 8 * 64
    pooled = 8 * 4 * 4 * 4
    # the mask, and Dropout's output (kept by MaxPool) next to the conv and ReLU arrays
    assert nl.cached_bytes(net) == 8 * (cols + relu + relu + relu + pooled)
    net32 = net.astype(np.float32)
    assert net32[2].mask is None
    assert net32.forward(X).dtype == np.float32 and net32[2].mask.dtype == np.float32
    rows = nl.flops(net, 8, input_shape=(1, 8, 8))
    assert rows[2]["forward"] == 3 * relu and rows[2]["backward"] == relu


def test_dropout_is_exported_and_documents_its_shapes():
    assert nl.Dropout is Dropout and "Dropout" in nl.__all__
    assert "Shapes\n    ------" in Dropout.__doc__ and "Notes\n    -----" in Dropout.__doc__
