"""Whole networks: property tests against finite differences, and the Sequential contract.

The property tests use the five-point stencil with eps = 1e-3: its truncation error is
O(eps^4) and its rounding error about 1e-13 |loss|, so even gradients of order 1e-4 are
measured to better than 1e-7 relative. ReLU kinks are kept 10 eps away.
"""

import numpy as np
import pytest
from helpers import TOL
from hypothesis import assume, given
from hypothesis import strategies as st

import nnlab as nl

ACTIVATION_NAMES = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
KINKED = (nl.ReLU, nl.LeakyReLU)


@st.composite
def networks(draw):
    """A random network (depth 1-4, widths 1-16), a batch (1-32) and a matching loss."""
    depth = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 16), min_size=depth + 1, max_size=depth + 1))
    acts = draw(st.lists(st.sampled_from(ACTIVATION_NAMES), min_size=depth, max_size=depth))
    loss_name = draw(
        st.sampled_from(
            ["mse", "softmax_cross_entropy", "binary_cross_entropy", "softmax_layer_mse"]
        )
    )
    n = draw(st.integers(1, 32))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(depth):
        layers.append(nl.Dense(widths[i], widths[i + 1], init="xavier", rng=rng))
        if i < depth - 1:
            layers.append(nl.get_activation(acts[i]))
    if loss_name == "softmax_layer_mse":  # exercises the standalone Softmax Jacobian product
        layers.append(nl.Softmax())
    net = nl.Sequential(layers)
    X = rng.normal(size=(n, widths[0]))
    k = widths[-1]
    if loss_name == "softmax_cross_entropy":
        loss, y = nl.SoftmaxCrossEntropy(), rng.integers(0, k, size=n)
    elif loss_name == "binary_cross_entropy":
        loss, y = nl.BinaryCrossEntropy(), rng.integers(0, 2, size=(n, k))
    else:
        loss, y = nl.MSELoss(), rng.normal(size=(n, k))
    return net, loss, X, y


def min_kink_distance(net, X):
    """Smallest |pre-activation| entering a ReLU-like layer (inf if there is none)."""
    smallest = np.inf
    for layer in net.layers:
        if isinstance(layer, KINKED):
            smallest = min(smallest, np.abs(X).min())
        X = layer.forward(X, cache=False)
    return smallest


@given(networks())
def test_network_gradients_match_finite_differences(case):
    net, loss, X, y = case
    assume(min_kink_distance(net, X) > 1e-2)
    errors = nl.gradcheck(net, loss, X, y, eps=1e-3, order=4)
    assert max(errors.values()) <= TOL, errors


@given(networks())
def test_input_gradient_matches_finite_differences(case):
    net, loss, X, y = case
    assume(min_kink_distance(net, X) > 1e-2)
    loss(net.forward(X), y)
    dX = net.backward(loss.backward())
    numeric = nl.numerical_gradient(
        lambda x: loss.forward(net.forward(x, cache=False), y), X.copy(), 1e-3, order=4
    )
    assert nl.relative_error(dX, numeric) <= TOL


def test_parameters_are_stable_views_of_one_buffer():
    net = nl.Sequential([nl.Dense(2, 16, rng=0), nl.Tanh(), nl.Dense(16, 3, rng=0)])
    first, second = net.parameters(), net.parameters()
    assert [n for n, _, _ in first] == ["0.W", "0.b", "2.W", "2.b"]
    assert all(
        p1 is p2 and g1 is g2 for (_, p1, g1), (_, p2, g2) in zip(first, second, strict=False)
    )
    assert first[0][1] is net.layers[0].W and first[0][2] is net.layers[0].dW
    assert all(np.shares_memory(p, net.flat_params) for _, p, _ in first)
    assert net.n_params == 2 * 16 + 16 + 16 * 3 + 3


def test_sequential_keeps_the_layer_list_and_visits_layers_in_order(rng):
    calls = []

    class Spy(nl.Identity):
        def __init__(self, tag):
            super().__init__()
            self.tag = tag

        def forward(self, X, *, cache=True):
            calls.append(("forward", self.tag))
            return super().forward(X, cache=cache)

        def backward(self, dA, *, input_grad=True):
            calls.append(("backward", self.tag))
            return super().backward(dA, input_grad=input_grad)

    layers = [Spy("a"), nl.Dense(2, 2, rng=0), Spy("b")]
    net = nl.Sequential(layers)
    assert net.layers is layers
    net.backward(np.ones((3, 2))) if net.forward(rng.normal(size=(3, 2))) is not None else None
    assert calls == [("forward", "a"), ("forward", "b"), ("backward", "b"), ("backward", "a")]


def test_sequential_backward_twice_gives_same_grads_and_skips_input_grad(rng):
    net = nl.mlp([3, 4, 2], "tanh", rng=0)
    X, dZ = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    net.forward(X)
    dX = net.backward(dZ)
    g1 = net.flat_grads.copy()
    assert net.backward(dZ, input_grad=False) is None
    np.testing.assert_array_equal(net.flat_grads, g1)
    np.testing.assert_array_equal(net.backward(dZ), dX)


def test_inference_forward_caches_nothing(rng):
    net = nl.mlp([3, 4, 2], "relu", rng=0)
    out = net.forward(rng.normal(size=(5, 3)), cache=False)
    assert out.shape == (5, 2)
    assert net.cached_arrays() == [] and all(la.cached_arrays() == [] for la in net.layers)
    with pytest.raises(RuntimeError, match="before forward"):
        net.backward(np.ones((5, 2)))


def test_astype_copies_weights_and_leaves_original_alone():
    net = nl.mlp([3, 4, 2], "tanh", rng=0)
    net32 = net.astype(np.float32)
    assert net32.flat_params.dtype == np.float32 and net.flat_params.dtype == np.float64
    np.testing.assert_allclose(net32.flat_params, net.flat_params, rtol=1e-6)
    net32.flat_params[:] = 0
    assert np.any(net.flat_params != 0)


def test_mlp_builder_and_repr():
    net = nl.mlp([2, 16, 3], "tanh", rng=0)
    assert [type(la).__name__ for la in net.layers] == ["Dense", "Tanh", "Dense"]
    assert net.layers[0].init == "fan_in_uniform"
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Dense(2 -> 16, init='fan_in_uniform')  # 48 params\n"
        "  (1): Tanh()\n"
        "  (2): Dense(16 -> 3, init='fan_in_uniform')  # 51 params\n"
        ")  # 99 parameters"
    )


@pytest.mark.parametrize(
    ("activation", "hidden"),
    [("relu", "he"), ("leaky_relu", "he"), ("tanh", "xavier"), ("sigmoid", "xavier")],
)
def test_mlp_default_init_depends_on_the_layer_place(activation, hidden):
    net = nl.mlp([6, 32, 32, 32, 4], activation, rng=0)
    inits = [la.init for la in net.layers if isinstance(la, nl.Dense)]
    assert inits == ["fan_in_uniform", hidden, hidden, "fan_in_uniform"]
    first, middle = net.layers[0].W, net.layers[2].W
    assert np.abs(first).max() <= 1 / np.sqrt(6)  # U(-1/sqrt(n_in), 1/sqrt(n_in))
    expected_std = np.sqrt(2 / 32) if hidden == "he" else np.sqrt(2 / 64)
    assert abs(middle.std() / expected_std - 1) < 0.15
    assert [la.init for la in nl.mlp([6, 32, 4], activation, init="he", rng=0).layers[::2]] == [
        "he",
        "he",
    ]


def test_flops_per_layer_follow_the_formula():
    net = nl.mlp([784, 256, 10], "relu", rng=0)
    rows = nl.flops(net, 64)
    assert rows[0]["forward"] == 2 * 64 * 784 * 256 + 64 * 256
    assert rows[0]["backward"] == 2 * rows[0]["forward"] - 64 * 256
    no_dx = nl.flops(net, 64, input_grad=False)
    assert no_dx[0]["backward"] == rows[0]["forward"]
    assert no_dx[2]["backward"] == rows[2]["backward"]
    assert rows[1]["forward"] == 64 * 256
