"""Every layer's backward pass against central finite differences, in float64."""

import numpy as np
import pytest
from helpers import TOL, layer_input_grad_fd, param_grad_fd, relative_error

import nnlab as nl

SHAPES = [(1, 1, 1), (3, 4, 2), (7, 5, 6), (16, 3, 8)]
ACTIVATIONS = [nl.Identity, nl.Sigmoid, nl.Tanh, nl.ReLU, lambda: nl.LeakyReLU(0.1), nl.Softmax]


def away_from_kinks(rng, shape, margin=1e-3):
    """Inputs in [-3, 3] whose absolute value exceeds ``margin`` (ReLU kinks sit at 0)."""
    X = rng.uniform(-3, 3, size=shape)
    return np.where(np.abs(X) < margin, margin * 2, X)


@pytest.mark.parametrize(("n", "n_in", "n_out"), SHAPES)
def test_dense_gradients_match_finite_differences(rng, n, n_in, n_out):
    layer = nl.Dense(n_in, n_out, rng=rng)
    layer.b = rng.normal(size=n_out)
    X, dZ = rng.normal(size=(n, n_in)), rng.normal(size=(n, n_out))
    layer.forward(X)
    dX = layer.backward(dZ)
    assert relative_error(dX, layer_input_grad_fd(layer, X, dZ)) <= TOL
    assert relative_error(layer.dW, param_grad_fd(layer, X, dZ, "W")) <= TOL
    assert relative_error(layer.db, param_grad_fd(layer, X, dZ, "b")) <= TOL


@pytest.mark.parametrize("make", ACTIVATIONS)
@pytest.mark.parametrize(("n", "k"), [(1, 1), (4, 3), (9, 10)])
def test_activation_gradients_match_finite_differences(rng, make, n, k):
    layer = make()
    X, dA = away_from_kinks(rng, (n, k)), rng.normal(size=(n, k))
    layer.forward(X)
    dX = layer.backward(dA)
    assert dX.shape == X.shape
    assert relative_error(dX, layer_input_grad_fd(layer, X, dA)) <= TOL


def test_softmax_backward_is_the_full_jacobian_vector_product(rng):
    Z, dA = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    layer = nl.Softmax()
    A = layer.forward(Z)
    dZ = layer.backward(dA)
    for i in range(5):
        J = np.diag(A[i]) - np.outer(A[i], A[i])  # dA_i / dZ_i, built explicitly
        np.testing.assert_allclose(dZ[i], J.T @ dA[i], rtol=1e-12, atol=1e-15)


def test_element_wise_f_and_df_agree_with_layers(rng):
    x = away_from_kinks(rng, (50,))
    for cls in (nl.Sigmoid, nl.Tanh, nl.ReLU, nl.Identity):
        layer = cls()
        np.testing.assert_allclose(layer.f(x), layer.forward(x[:, None])[:, 0])
        slope = np.array(
            [
                layer_input_grad_fd(layer, x[i : i + 1, None], np.ones((1, 1)))[0, 0]
                for i in range(len(x))
            ]
        )
        np.testing.assert_allclose(layer.df(x), slope, rtol=1e-6, atol=1e-9)
    leaky = nl.LeakyReLU(0.2)
    np.testing.assert_allclose(leaky.df(x), np.where(x > 0, 1.0, 0.2))


def test_sigmoid_is_stable_and_accurate_at_extremes():
    z = np.array([[-800.0, -40.0, 0.0, 40.0, 800.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = nl.Sigmoid().forward(z)
    assert np.all(np.isfinite(a))
    np.testing.assert_allclose(a[0, 1], 1 / (1 + np.exp(40.0)), rtol=1e-12)
    assert a[0, 2] == 0.5 and a[0, 4] == 1.0


def test_softmax_is_stable_for_huge_logits():
    z = np.array([[1000.0, 1000.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = nl.Softmax().forward(z)
    np.testing.assert_allclose(a, [[0.5, 0.5, 0.0]])


@pytest.mark.parametrize("make", [*ACTIVATIONS, lambda: nl.Dense(3, 3, rng=0)])
def test_backward_before_forward_raises(make):
    with pytest.raises(RuntimeError, match="before forward"):
        make().backward(np.ones((2, 3)))


def test_backward_overwrites_instead_of_accumulating(rng):
    layer = nl.Dense(3, 2, rng=0)
    X, dZ = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    layer.forward(X)
    layer.backward(dZ)
    first = layer.dW.copy(), layer.db.copy()
    layer.backward(dZ)
    np.testing.assert_array_equal(layer.dW, first[0])
    np.testing.assert_array_equal(layer.db, first[1])


def test_dense_computes_affine_map(rng):
    layer = nl.Dense(3, 2, rng=0)
    X = rng.normal(size=(4, 3))
    np.testing.assert_allclose(layer.forward(X), X @ layer.W + layer.b)


def test_parameter_assignment_is_in_place(rng):
    layer = nl.Dense(3, 2, rng=0)
    W = layer.W
    layer.W = np.ones((3, 2))
    assert layer.W is W and np.all(W == 1)
    with pytest.raises(ValueError, match=r"W must have shape \(3, 2\), got \(2, 3\)"):
        layer.W = np.ones((2, 3))


@pytest.mark.parametrize("init", ["he", "xavier", "normal", "zeros"])
def test_initializers_have_the_documented_scale(init):
    W = nl.Dense(400, 300, init=init, rng=0).W
    expected = {"he": np.sqrt(2 / 400), "xavier": np.sqrt(2 / 700), "normal": 0.01, "zeros": 0.0}[
        init
    ]
    assert abs(W.std() - expected) <= 0.02 * expected + 1e-12
    assert abs(W.mean()) <= 0.01 * max(expected, 1e-3)


def test_callable_init_and_rng_reproducibility():
    layer = nl.Dense(2, 3, init=lambda a, b, rng: np.full((a, b), 0.5))
    assert np.all(layer.W == 0.5)
    np.testing.assert_array_equal(nl.Dense(4, 4, rng=7).W, nl.Dense(4, 4, rng=7).W)
    gen = np.random.default_rng(7)
    assert not np.array_equal(nl.Dense(4, 4, rng=gen).W, nl.Dense(4, 4, rng=gen).W)


def test_float32_stays_float32(rng):
    net = nl.Sequential(
        [
            nl.Dense(3, 5, rng=0, dtype=np.float32),
            nl.Sigmoid(),
            nl.Dense(5, 4, rng=0, dtype=np.float32),
            nl.Softmax(),
        ]
    )
    Z = net.forward(rng.normal(size=(6, 3)))  # float64 input is cast to the network's dtype
    dX = net.backward(rng.normal(size=(6, 4)))
    assert Z.dtype == dX.dtype == np.float32
    assert all(p.dtype == g.dtype == np.float32 for _, p, g in net.parameters())
    loss = nl.SoftmaxCrossEntropy()
    loss(Z, np.arange(6) % 4)
    assert loss.backward().dtype == np.float32


def test_reprs_are_short_and_informative():
    assert repr(nl.Dense(2, 16)) == "Dense(2 -> 16, init='he')"
    assert repr(nl.Dense(2, 16, init="xavier", dtype=np.float32)) == (
        "Dense(2 -> 16, init='xavier', dtype=float32)"
    )
    assert repr(nl.LeakyReLU(0.2)) == "LeakyReLU(alpha=0.2)"
    assert repr(nl.Tanh()) == "Tanh()"
