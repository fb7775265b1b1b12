"""Forward mode on networks: ``nl.jvp`` of every layer type against central differences and
against the Jacobian that backward builds row by row, ``forward_mode_gradient`` against
backpropagation, ``Loss.jvp``, float32, no state changed, and bad input."""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np
import pytest
from helpers import layer_state, raises_and_changes_nothing

import nnlab as nl

# -- the layers: one case per layer type (and per path through it) -----------------------


def normal(*shape):
    return lambda rng, n: rng.normal(size=(n, *shape))


def away_from_zero(*shape):
    """|x| in [0.2, 2]: no ReLU kink within reach of a difference step."""

    def make(rng, n):
        size = (n, *shape)
        return rng.choice([-1.0, 1.0], size=size) * rng.uniform(0.2, 2.0, size=size)

    return make


def small_integers(*shape, low=0):
    """Values in {low, low + 1, low + 2}: many equal maxima in a pooling window, or (from -1)
    many inputs exactly at an activation's kink."""
    return lambda rng, n: rng.integers(low, low + 3, size=(n, *shape)).astype(float)


class Case(NamedTuple):
    build: object  # dtype -> layer
    inputs: object  # (rng, n) -> X
    kinks: bool = False  # tied maxima, or inputs at a ReLU's kink: no differences there


def nested(dtype):
    block = nl.Sequential(
        [nl.Dense(4, 4, rng=1, dtype=dtype), nl.LeakyReLU(0.1), nl.Dropout(0.0, rng=0)]
    )
    return nl.Sequential(
        [nl.Dense(3, 4, rng=0, dtype=dtype), nl.Tanh(), block, nl.Dense(4, 2, rng=2, dtype=dtype)]
    )


def cnn(dtype):
    return nl.Sequential(
        [
            nl.Conv2D(1, 2, 3, padding=1, rng=0, dtype=dtype),
            nl.Tanh(),
            nl.MaxPool2D(2),
            nl.Flatten(),
            nl.Dense(2 * 3 * 3, 3, rng=1, dtype=dtype),
        ]
    )


CASES = {
    "Dense": Case(lambda dt: nl.Dense(4, 3, rng=0, dtype=dt), normal(4)),
    "Sigmoid": Case(lambda dt: nl.Sigmoid(), normal(5)),
    "Tanh": Case(lambda dt: nl.Tanh(), normal(5)),
    "ReLU": Case(lambda dt: nl.ReLU(), away_from_zero(5)),
    "LeakyReLU": Case(lambda dt: nl.LeakyReLU(0.1), away_from_zero(5)),
    "Identity": Case(lambda dt: nl.Identity(), normal(5)),
    "Softmax": Case(lambda dt: nl.Softmax(), normal(4)),
    "Conv2D stride 2 padding 1": Case(
        lambda dt: nl.Conv2D(2, 3, 3, stride=2, padding=1, rng=0, dtype=dt), normal(2, 5, 5)
    ),
    "Conv2D rectangular": Case(
        lambda dt: nl.Conv2D(2, 2, (2, 3), stride=(1, 2), padding=(0, 1), rng=1, dtype=dt),
        normal(2, 4, 5),
    ),
    "MaxPool2D overlapping": Case(lambda dt: nl.MaxPool2D(3, stride=2), normal(2, 7, 7)),
    "MaxPool2D overlapping ties": Case(
        lambda dt: nl.MaxPool2D(3, stride=2), small_integers(2, 7, 7), kinks=True
    ),
    "MaxPool2D tiled ties": Case(lambda dt: nl.MaxPool2D(2), small_integers(2, 4, 4), kinks=True),
    # at 0 exactly, jvp must take the derivative backward takes (0 for ReLU, alpha for leaky)
    "ReLU at 0": Case(lambda dt: nl.ReLU(), small_integers(6, low=-1), kinks=True),
    "LeakyReLU at 0": Case(lambda dt: nl.LeakyReLU(0.1), small_integers(6, low=-1), kinks=True),
    "Flatten": Case(lambda dt: nl.Flatten(), normal(2, 3, 3)),
    "RNN": Case(lambda dt: nl.RNN(3, 4, rng=0, dtype=dt), normal(5, 3)),
    "RNN return_sequences": Case(
        lambda dt: nl.RNN(3, 4, return_sequences=True, rng=0, dtype=dt), normal(4, 3)
    ),
    "Dropout(p=0)": Case(lambda dt: nl.Dropout(0.0, rng=0), normal(6)),
    "nested Sequential": Case(nested, normal(3)),
    "CNN": Case(cnn, normal(1, 6, 6)),
}
SMOOTH = [name for name, case in CASES.items() if not case.kinks]


def build(name, dtype=np.float64):
    """The layer of case ``name`` with random parameters (biases too), the same every call."""
    layer = CASES[name].build(dtype)
    layer.flat_params[:] = 0.6 * np.random.default_rng(99).normal(size=layer.n_params)
    return layer


def setup(name, n=2, seed=0):
    """The layer, an input batch of ``n`` and random tangents ``dX`` and ``dparams``."""
    layer, rng = build(name), np.random.default_rng(seed)
    X = CASES[name].inputs(rng, n)
    return layer, X, rng.normal(size=X.shape), rng.normal(size=layer.n_params)


def inference_along(layer, X, dX, dparams, t):
    """The inference output at ``(X + t dX, flat_params + t dparams)``; the parameters are
    restored afterwards."""
    p0 = layer.flat_params.copy()
    layer.flat_params[:] = p0 + t * dparams
    try:
        return layer.forward(X + t * dX, cache=False).copy()
    finally:
        layer.flat_params[:] = p0


def jacobians_by_backward(layer, X):
    """``(J_X, J_θ)``: row k is backward of a one-hot dZ at output entry k, after one forward."""
    Z = layer.forward(X)
    J_X, J_theta = np.empty((Z.size, X.size)), np.empty((Z.size, layer.n_params))
    for k in range(Z.size):
        onehot = np.zeros(Z.size)
        onehot[k] = 1.0
        J_X[k] = layer.backward(onehot.reshape(Z.shape)).ravel()
        J_theta[k] = layer.flat_grads
    return J_X, J_theta


# -- 1. every layer type: differences and the backward Jacobian ----------------------------


@pytest.mark.parametrize("name", SMOOTH)
def test_jvp_is_the_central_difference_of_inference_along_the_tangent(name):
    layer, X, dX, dparams = setup(name)
    Z, dZ = nl.jvp(layer, X, dX, dparams)
    assert Z.shape == dZ.shape and Z.dtype == dZ.dtype == np.float64
    np.testing.assert_allclose(Z, layer.forward(X, cache=False), rtol=1e-13, atol=1e-15)
    Z2, dZ2 = layer.jvp(X, dX, dparams)  # nl.jvp is the method
    np.testing.assert_array_equal(Z2, Z)
    np.testing.assert_array_equal(dZ2, dZ)
    h = 1e-5
    numeric = inference_along(layer, X, dX, dparams, h) - inference_along(layer, X, dX, dparams, -h)
    numeric /= 2 * h
    assert np.abs(numeric).max() > 1e-3  # the direction moves the output
    np.testing.assert_allclose(dZ, numeric, rtol=1e-7, atol=1e-7 * np.abs(numeric).max())


@pytest.mark.parametrize("name", list(CASES))
def test_jvp_is_the_jacobian_of_backward_times_the_tangent(name):
    layer, X, dX, dparams = setup(name)
    _, dZ = layer.jvp(X, dX, dparams)
    J_X, J_theta = jacobians_by_backward(layer, X)
    Jv = J_X @ dX.ravel() + J_theta @ dparams
    assert np.abs(Jv).max() > 1e-3
    # ties in max pooling: jvp moves each output with the entry that backward credits; at a
    # kink, jvp takes the one-sided slope that backward takes
    np.testing.assert_allclose(dZ.ravel(), Jv, rtol=1e-12, atol=1e-12 * np.abs(Jv).max())
    # each part on its own: the input tangent alone, the parameter tangent alone
    _, dZ_X = layer.jvp(X, dX)
    _, dZ_theta = layer.jvp(X, None, dparams)
    np.testing.assert_allclose(dZ_X.ravel(), J_X @ dX.ravel(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dZ_theta.ravel(), J_theta @ dparams, rtol=1e-12, atol=1e-12)
    # a zero tangent and None (no tangent) are the same direction
    _, dZ_zero = layer.jvp(X, dX, np.zeros(layer.n_params))
    np.testing.assert_allclose(dZ_zero, dZ_X, rtol=1e-14, atol=1e-15)


def test_max_pooling_ties_go_to_the_first_maximum_in_row_major_order():
    pool = nl.MaxPool2D(2)
    X = np.array([[[[1.0, 1.0], [1.0, 0.0]]]])  # three tied maxima: (0, 0) wins
    dX = np.array([[[[2.0, 3.0], [5.0, 7.0]]]])
    Z, dZ = pool.jvp(X, dX)
    assert Z.item() == 1.0 and dZ.item() == 2.0
    Z, dZ = nl.MaxPool2D(2, stride=1).jvp(np.ones((1, 1, 3, 3)), np.arange(9.0).reshape(1, 1, 3, 3))
    np.testing.assert_array_equal(dZ[0, 0], [[0.0, 1.0], [3.0, 4.0]])  # each window's first


@pytest.mark.parametrize("name", ["Dense", "RNN", "nested Sequential", "Softmax"])
def test_no_tangent_gives_the_output_and_a_zero_derivative(name):
    layer, X, _, _ = setup(name)
    Z, dZ = nl.jvp(layer, X)
    np.testing.assert_allclose(Z, layer.forward(X, cache=False), rtol=1e-13, atol=1e-15)
    assert dZ.shape == Z.shape and not dZ.any()


# -- 2. forward_mode_gradient against backpropagation -------------------------------------


def _softmax_rows(A):
    E = np.exp(A - A.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _problem(name):
    rng = np.random.default_rng(3)
    if name == "mlp, softmax cross-entropy":
        net = nl.mlp([4, 6, 5, 3], "tanh", rng=0)
        return net, nl.SoftmaxCrossEntropy(), rng.normal(size=(5, 4)), rng.integers(0, 3, 5)
    if name == "mlp, probability-row targets":
        net = nl.mlp([4, 6, 3], "relu", rng=1)
        Y = _softmax_rows(rng.normal(size=(5, 3)))
        return net, nl.SoftmaxCrossEntropy(), rng.normal(size=(5, 4)), Y
    if name == "cnn, softmax cross-entropy":
        net = nl.Sequential(
            [
                nl.Conv2D(1, 2, 3, stride=2, padding=1, rng=0),
                nl.ReLU(),
                nl.MaxPool2D(2, stride=1),
                nl.Flatten(),
                nl.Dense(2 * 2 * 2, 3, rng=1),
            ]
        )
        return net, nl.SoftmaxCrossEntropy(), rng.normal(size=(3, 1, 6, 6)), [0, 2, 1]
    if name == "rnn, mse":
        net = nl.Sequential(
            [
                nl.RNN(2, 3, return_sequences=True, rng=0),
                nl.Dropout(0.0),
                nl.RNN(3, 3, rng=1),
                nl.Dense(3, 2, rng=2),
            ]
        )
        return net, nl.MSELoss(), rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 2))
    if name == "binary cross-entropy":
        net = nl.Sequential([nl.Dense(3, 4, rng=0), nl.Sigmoid(), nl.Dense(4, 1, rng=1)])
        return net, nl.BinaryCrossEntropy(), rng.normal(size=(6, 3)), rng.uniform(0, 1, 6)
    raise KeyError(name)


PROBLEMS = [
    "mlp, softmax cross-entropy",
    "mlp, probability-row targets",
    "cnn, softmax cross-entropy",
    "rnn, mse",
    "binary cross-entropy",
]


@pytest.mark.parametrize("name", PROBLEMS)
def test_forward_mode_gradient_is_the_backprop_gradient(name):
    net, loss, X, y = _problem(name)
    for layer in net.leaves():  # nonzero biases: every parameter matters
        layer.flat_params[:] += 0.1 * np.random.default_rng(5).normal(size=layer.n_params)
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    expected = net.flat_grads.copy()
    params, cache = net.flat_params.copy(), [a.copy() for a in net.cached_arrays()]
    grad = nl.forward_mode_gradient(net, loss, X, y)
    assert grad.shape == (net.n_params,) and grad.dtype == np.float64
    assert np.abs(expected).min() < np.abs(expected).max()  # a real gradient, not constant
    np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())
    # the network is left as it was: weights, gradients, cache, and the loss's own cache
    np.testing.assert_array_equal(net.flat_params, params)
    np.testing.assert_array_equal(net.flat_grads, expected)
    np.testing.assert_equal([a.copy() for a in net.cached_arrays()], cache)
    net.backward(loss.backward())
    np.testing.assert_array_equal(net.flat_grads, expected)


def test_forward_mode_gradient_of_a_network_without_parameters_is_empty_but_checks_its_input():
    for dtype in (np.float64, np.float32):
        net = nl.Sequential([nl.Tanh(), nl.Softmax()]).astype(dtype)
        X = np.random.default_rng(2).normal(size=(3, 4))
        grad = nl.forward_mode_gradient(net, nl.SoftmaxCrossEntropy(), X, [0, 1, 3])
        assert grad.shape == (0,) and grad.dtype == dtype
        with pytest.raises(ValueError, match=r"expected target labels in \[0, 4\) for 4 outputs"):
            nl.forward_mode_gradient(net, nl.SoftmaxCrossEntropy(), X, [0, 1, 4])


# -- 3. Loss.jvp ---------------------------------------------------------------------------


def _loss_case(name):
    rng = np.random.default_rng(4)
    P = rng.normal(size=(5, 3))
    if name == "mse":
        return nl.MSELoss(), P, rng.normal(size=(5, 3))
    if name == "mse, (N,) target":
        return nl.MSELoss(), P[:, :1], rng.normal(size=5)
    if name == "softmax ce, labels":
        return nl.SoftmaxCrossEntropy(), P, np.array([0, 2, 1, 1, 0])
    if name == "softmax ce, float labels":
        return nl.SoftmaxCrossEntropy(), P, np.array([2.0, 0.0, 1.0, 2.0, 0.0])
    if name == "softmax ce, probability rows":
        return nl.SoftmaxCrossEntropy(), P, _softmax_rows(rng.normal(size=(5, 3)))
    if name == "bce":
        return nl.BinaryCrossEntropy(), P, rng.uniform(0, 1, size=(5, 3))
    if name == "bce, (N,) labels":
        return nl.BinaryCrossEntropy(), 3 * P[:, :1], np.array([0, 1, 1, 0, 1])
    raise KeyError(name)


LOSS_CASES = [
    "mse",
    "mse, (N,) target",
    "softmax ce, labels",
    "softmax ce, float labels",
    "softmax ce, probability rows",
    "bce",
    "bce, (N,) labels",
]


@pytest.mark.parametrize("name", LOSS_CASES)
def test_loss_jvp_is_the_loss_and_its_central_difference(name):
    loss, P, T = _loss_case(name)
    dP = np.random.default_rng(8).normal(size=P.shape)
    value, slope = loss.jvp(P, T, dP)
    assert type(value) is float and type(slope) is float
    assert value == pytest.approx(loss.forward(P, T), rel=1e-14)
    grad = loss.backward()
    h = 1e-5
    numeric = (loss.forward(P + h * dP, T) - loss.forward(P - h * dP, T)) / (2 * h)
    assert abs(numeric) > 1e-4
    assert slope == pytest.approx(numeric, rel=1e-7, abs=1e-10)
    assert slope == pytest.approx(float(np.vdot(grad, dP)), rel=1e-12)  # <dL/dP, dP>
    # no tangent: zero, and the value unchanged
    assert loss.jvp(P, T, None) == (value, 0.0)
    # nothing cached: backward still belongs to the last forward
    loss.forward(P, T)
    loss.jvp(P + 1.0, T, dP)
    np.testing.assert_array_equal(loss.backward(), grad)


# -- 4. float32 ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_float32_jvp_stays_float32_and_agrees_with_float64(name):
    net32 = build(name, np.float32)
    net64 = net32.astype(np.float64)
    rng = np.random.default_rng(6)
    X = CASES[name].inputs(rng, 2).astype(np.float32)
    dX = rng.normal(size=X.shape).astype(np.float32)
    dparams = rng.normal(size=net32.n_params).astype(np.float32)
    Z32, dZ32 = nl.jvp(net32, X, dX, dparams)
    assert Z32.dtype == dZ32.dtype == np.float32
    Z64, dZ64 = nl.jvp(net64, X.astype(np.float64), dX.astype(np.float64), dparams.astype(float))
    assert Z64.dtype == dZ64.dtype == np.float64
    np.testing.assert_allclose(Z32, Z64, rtol=1e-4, atol=1e-5 * np.abs(Z64).max())
    np.testing.assert_allclose(dZ32, dZ64, rtol=1e-4, atol=1e-5 * np.abs(dZ64).max())
    # float64 tangents are cast to the dtype of the pass: the network's, or for a layer without
    # parameters (no dtype of its own) the input's
    X_in = X if net32.dtype is None else X.astype(np.float64)
    Z, dZ = nl.jvp(net32, X_in, dX.astype(np.float64), dparams.astype(float))
    assert Z.dtype == dZ.dtype == np.float32
    np.testing.assert_allclose(dZ, dZ32, rtol=1e-6, atol=1e-6 * np.abs(dZ32).max())


def test_float32_forward_mode_gradient_is_float32_and_close_to_float64():
    net, loss, X, y = _problem("mlp, softmax cross-entropy")
    net32 = net.astype(np.float32)
    grad32 = nl.forward_mode_gradient(net32, loss, X, y)
    assert grad32.dtype == np.float32
    grad64 = nl.forward_mode_gradient(net, loss, X, y)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-3, atol=1e-5 * np.abs(grad64).max())


# -- 5. no state changed -------------------------------------------------------------------


def full_state(net):
    """``layer_state`` of the network and of every layer in it (last input shapes, caches)."""
    return [layer_state(la) for la in [net, *net.leaves()]]


@pytest.mark.parametrize("name", list(CASES))
def test_jvp_between_forward_and_backward_changes_nothing(name):
    twin, net = build(name), build(name)  # the same weights; twin never sees a jvp
    rng = np.random.default_rng(10)
    A = CASES[name].inputs(rng, 3)
    B = CASES[name].inputs(rng, 2)  # another batch size
    dB, dparams = rng.normal(size=B.shape), rng.normal(size=net.n_params)
    twin.forward(A)
    Z_A = net.forward(A)
    kept, before = Z_A.copy(), full_state(net)
    inputs = [B.copy(), dB.copy(), dparams.copy()]
    nl.jvp(net, B, dB, dparams)
    np.testing.assert_equal(full_state(net), before)
    assert net.last_input_shape == A.shape[1:]
    np.testing.assert_array_equal(Z_A, kept)  # the last output is not overwritten
    np.testing.assert_equal([B, dB, dparams], inputs)  # nor are the caller's arrays
    # backward still belongs to the forward on A, and gives the twin's gradients exactly
    G = rng.normal(size=Z_A.shape)
    dA = net.backward(G)
    np.testing.assert_array_equal(dA, twin.backward(G))
    np.testing.assert_array_equal(net.flat_grads, twin.flat_grads)


def test_a_failing_jvp_through_dropout_draws_no_random_numbers():
    def make():
        return nl.Sequential(
            [nl.Dense(3, 6, rng=0), nl.Dropout(0.5, rng=1), nl.Tanh(), nl.Dense(6, 2, rng=2)]
        )

    twin, net = make(), make()
    rng = np.random.default_rng(11)
    A, B = rng.normal(size=(4, 3)), rng.normal(size=(2, 3))
    twin.forward(A)
    net.forward(A)
    mask = net[1].mask.copy()
    rng_state = copy.deepcopy(net[1].get_random_state())
    with raises_and_changes_nothing(net, ValueError, r"Dropout\(p=0\.5\): forward mode"):
        nl.jvp(net, B, np.ones_like(B))
    for layer in (net, net[1]):  # the dropout layer's own state too
        with raises_and_changes_nothing(layer, ValueError, r"use p=0 \(or remove the layer\)"):
            layer.jvp(B if layer is net else np.ones((2, 6)))
    assert net[1].get_random_state() == rng_state
    np.testing.assert_array_equal(net[1].mask, mask)
    G = rng.normal(size=(4, 2))
    np.testing.assert_array_equal(net.backward(G), twin.backward(G))
    np.testing.assert_array_equal(net.flat_grads, twin.flat_grads)
    # the next training pass draws the same mask as the twin's: no numbers were drawn
    np.testing.assert_array_equal(net.forward(A), twin.forward(A))


# -- 6. bad input --------------------------------------------------------------------------


def _nets():
    rng = np.random.default_rng(12)
    net = nl.Sequential([nl.Dense(4, 3, rng=0), nl.Tanh(), nl.Dense(3, 2, rng=1)])
    dropout = nl.Sequential([nl.Dense(4, 3, rng=0), nl.Dropout(0.5, rng=0), nl.Dense(3, 2)])
    X = rng.normal(size=(3, 4))
    for n in (net, dropout):
        n.forward(X)  # a cache, a mask and a last input: none may change
    return {"net": net, "dropout": dropout}, X, np.array([0, 1, 1])


BAD = [
    # (which network's state to check, the call, the error, its message)
    ("net", lambda n, X, y: nl.jvp(object(), X), TypeError,
     r"^jvp expected an nnlab layer or network, got object\.$"),
    ("net", lambda n, X, y: nl.jvp(nl.MSELoss(), X), TypeError,
     r"^jvp expected an nnlab layer or network, got MSELoss\.$"),
    ("net", lambda n, X, y: nl.jvp(n, X, np.zeros((3, 5))), ValueError,
     r"^Sequential expected dX of shape \(3, 4\), got \(3, 5\)\.$"),
    ("net", lambda n, X, y: nl.jvp(n, X, np.zeros((2, 4))), ValueError,
     r"^Sequential expected dX of shape \(3, 4\), got \(2, 4\)\.$"),
    ("net", lambda n, X, y: nl.jvp(n, X, np.zeros(12)), ValueError,
     r"^Sequential expected dX of shape \(3, 4\), got \(12,\)\.$"),
    ("net", lambda n, X, y: nl.jvp(n, X, None, np.zeros(24)), ValueError,
     r"^Sequential expected dparams of shape \(23,\), got \(24,\)\.$"),
    ("net", lambda n, X, y: nl.jvp(n, X, None, np.zeros((23, 1))), ValueError,
     r"^Sequential expected dparams of shape \(23,\), got \(23, 1\)\.$"),
    ("net", lambda n, X, y: nl.jvp(n, X, None, np.zeros(0)), ValueError,
     r"expected dparams of shape \(23,\), got \(0,\)"),
    ("net", lambda n, X, y: nl.jvp(n, X, X * 1j), TypeError,
     r"^Sequential expected dX to be a numeric array, got dtype complex128\.$"),
    ("net", lambda n, X, y: nl.jvp(n, X, None, np.ones(23) * 1j), TypeError,
     r"^Sequential expected dparams to be a numeric array, got dtype complex128\.$"),
    ("net", lambda n, X, y: nl.jvp(n, X, np.full(X.shape, "a")), TypeError,
     r"expected dX to be a numeric array, got dtype <U1"),
    ("net", lambda n, X, y: nl.jvp(n, X * 1j), TypeError,
     r"^Sequential expected X to be a numeric array, got dtype complex128\.$"),
    ("net", lambda n, X, y: nl.jvp(n, X[:, :3]), ValueError,
     r"^Sequential expected X of shape \(n_samples, 4\), got \(3, 3\)\.$"),
    ("net", lambda n, X, y: n[0].jvp(X, None, np.zeros(16)), ValueError,
     r"^Dense\(4 -> 3, init='he'\) expected dparams of shape \(15,\), got \(16,\)\.$"),
    ("dropout", lambda n, X, y: nl.jvp(n, X), ValueError,
     r"^Dropout\(p=0\.5\): forward mode differentiates one fixed function, and a training pass "
     r"of dropout draws a new random mask each time; use p=0 \(or remove the layer\) for jvp\.$"),
    ("dropout", lambda n, X, y: nl.forward_mode_gradient(n, nl.SoftmaxCrossEntropy(), X, y),
     ValueError, r"dropout draws a new random mask each time; use p=0"),
    ("net", lambda n, X, y: nl.forward_mode_gradient(n, "mse", X, y), TypeError,
     r"^forward_mode_gradient expected an nnlab loss, got str\.$"),
    ("net", lambda n, X, y: nl.forward_mode_gradient(n, nl.MSELoss, X, y), TypeError,
     r"^forward_mode_gradient expected an nnlab loss, got type\.$"),
    ("net", lambda n, X, y: nl.forward_mode_gradient(n, lambda p, t: 0.0, X, y), TypeError,
     r"^forward_mode_gradient expected an nnlab loss, got function\.$"),
    ("net", lambda n, X, y: nl.forward_mode_gradient(list(n.layers), nl.MSELoss(), X, y),
     TypeError, r"^forward_mode_gradient expected an nnlab layer or network, got list\.$"),
    ("net", lambda n, X, y: nl.forward_mode_gradient(n, nl.MSELoss(), X, np.zeros((3, 3))),
     ValueError, r"MSELoss\(\) expected target of shape \(3, 2\) \(the prediction's\), got \(3, 3"),
    ("net", lambda n, X, y: nl.forward_mode_gradient(n, nl.SoftmaxCrossEntropy(), X, [0, 1, 5]),
     ValueError, r"expected target labels in \[0, 2\) for 2 outputs"),
]  # fmt: skip


@pytest.mark.parametrize(("which", "call", "exc", "match"), BAD)
def test_bad_input_raises_and_changes_nothing(which, call, exc, match):
    nets, X, y = _nets()
    before = full_state(nets[which])
    with raises_and_changes_nothing(nets[which], exc, match):
        call(nets[which], X, y)
    np.testing.assert_equal(full_state(nets[which]), before)  # the layers inside too


@pytest.mark.parametrize(
    ("dprediction", "exc", "match"),
    [
        (np.zeros((3, 3)), ValueError, r"^MSELoss\(\) expected dprediction of shape \(3, 2\), "),
        (np.zeros(6), ValueError, r"expected dprediction of shape \(3, 2\), got \(6,\)\.$"),
        (np.ones((3, 2)) * 1j, TypeError, r"dprediction to be a numeric array, got dtype compl"),
    ],
)
def test_bad_loss_tangent(dprediction, exc, match):
    loss, P = nl.MSELoss(), np.ones((3, 2))
    loss.forward(P, np.zeros((3, 2)))
    grad = loss.backward()
    with pytest.raises(exc, match=match):
        loss.jvp(P + 1, np.zeros((3, 2)), dprediction)
    np.testing.assert_array_equal(loss.backward(), grad)  # its cache unchanged
