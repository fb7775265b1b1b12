"""Issue 11, bad input to layers, networks and gradient checking: never a crash with an
exception nnlab does not promise, never a silently wrong result or gradient, and a call that
fails changes nothing."""

import copy
import gc
import pickle

import numpy as np
import pytest
from helpers import raises_and_changes_nothing
from hypothesis import given
from hypothesis import strategies as st

import nnlab as nl

ACTIVATIONS = [nl.Identity, nl.Sigmoid, nl.Tanh, nl.ReLU, lambda: nl.LeakyReLU(0.1), nl.Softmax]
CACHES_OUTPUT = [nl.Identity, nl.Sigmoid, nl.Tanh, nl.ReLU, nl.Softmax]
DENSE = r"Dense\(3 -> 2, init='he'\)"


def small_net(rng=0):
    return nl.Sequential([nl.Dense(3, 4, rng=rng), nl.Tanh(), nl.Dense(4, 2, rng=rng)])


# -- empty batches: well defined, so they work ----------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_on_an_empty_batch_returns_empty_arrays_and_zero_gradients(dtype):
    layer = nl.Dense(3, 2, rng=0, dtype=dtype)
    layer.dW[...], layer.db[...] = 7.0, 7.0  # stale values that backward must overwrite
    Z = layer.forward(np.zeros((0, 3)))
    dX = layer.backward(np.zeros((0, 2)))
    assert Z.shape == (0, 2) and dX.shape == (0, 3)
    assert Z.dtype == dX.dtype == dtype
    np.testing.assert_array_equal(layer.dW, np.zeros((3, 2)))
    np.testing.assert_array_equal(layer.db, np.zeros(2))


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_activations_on_an_empty_batch(make):
    layer = make()
    A = layer.forward(np.zeros((0, 4)))
    assert A.shape == (0, 4)
    assert layer.backward(np.zeros((0, 4))).shape == (0, 4)


def test_sequential_on_an_empty_batch():
    net = nl.Sequential([nl.Dense(3, 4, rng=0), nl.Sigmoid(), nl.Dense(4, 2, rng=0), nl.Softmax()])
    net.flat_grads[...] = 5.0
    out = net.forward(np.zeros((0, 3)))
    dX = net.backward(np.zeros((0, 2)))
    assert out.shape == (0, 2) and dX.shape == (0, 3)
    np.testing.assert_array_equal(net.flat_grads, 0.0)


def test_softmax_needs_at_least_one_class():
    with pytest.raises(ValueError, match=r"Softmax expected Z .*n_classes >= 1, got \(2, 0\)"):
        nl.Softmax().forward(np.zeros((2, 0)))


# -- non-numeric, ragged and complex arrays name the argument ---------------------------------

NOT_REAL = [
    (np.ones((2, 3)) * (1 + 1j), TypeError, r"dtype complex128"),
    (np.full((2, 3), "1"), TypeError, r"numeric array, got dtype <U1"),
    (np.array([[1.0, None, 2.0]] * 2, dtype=object), TypeError, r"got dtype object"),
    (None, TypeError, r"got dtype object"),
    ([[1.0, 2.0, 3.0], [4.0]], ValueError, r"rectangular numeric array, got a ragged"),
]


@pytest.mark.parametrize(("bad", "exc", "msg"), NOT_REAL)
def test_bad_inputs_name_X(bad, exc, msg):
    with pytest.raises(exc, match=rf"{DENSE} expected X .*{msg}"):
        nl.Dense(3, 2, rng=0).forward(bad)
    with pytest.raises(exc, match=rf"Sequential expected X .*{msg}"):
        small_net().forward(bad)
    with pytest.raises(exc, match=rf"Tanh\(\) expected X .*{msg}"):
        nl.Tanh().forward(bad)


@pytest.mark.parametrize(("bad", "exc", "msg"), NOT_REAL)
def test_bad_gradients_name_dZ_and_change_nothing(bad, exc, msg):
    layer = nl.Dense(3, 2, rng=0)
    layer.forward(np.ones((2, 3)))
    layer.backward(np.ones((2, 2)))
    with raises_and_changes_nothing(layer, exc, rf"{DENSE} expected dZ .*{msg}"):
        layer.backward(bad)
    act = nl.Sigmoid()
    act.forward(np.ones((2, 3)))
    with raises_and_changes_nothing(act, exc, rf"Sigmoid\(\) expected dZ .*{msg}"):
        act.backward(bad)
    net = small_net()
    net.forward(np.ones((2, 3)))
    with raises_and_changes_nothing(net, exc, rf"Dense\(4 -> 2, init='he'\) expected dZ .*{msg}"):
        net.backward(bad)


@pytest.mark.parametrize(("bad", "exc", "msg"), NOT_REAL)
def test_bad_assigned_weights_name_the_parameter_and_change_nothing(bad, exc, msg):
    layer = nl.Dense(3, 2, rng=0)
    with raises_and_changes_nothing(layer, exc, rf"{DENSE} expected W .*{msg}"):
        layer.W = bad
    with pytest.raises(exc, match=rf"expected W \(returned by init\) .*{msg}"):
        nl.Dense(3, 2, init=lambda a, b, rng: bad)


def test_complex_weights_and_gradients_are_never_truncated():
    layer = nl.Dense(2, 2, rng=0)
    with pytest.raises(TypeError, match="complex128"):
        layer.b = np.array([1.0, 2.0 + 1e-9j])
    layer.forward(np.ones((1, 2)))
    with pytest.raises(TypeError, match="complex128"):
        layer.backward(np.array([[1.0, 1j]]))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_assigned_weights_must_be_finite(value):
    layer = nl.Dense(3, 2, rng=0)
    W = np.ones((3, 2))
    W[1, 0] = value
    with pytest.raises(ValueError, match=rf"{DENSE}: W must be finite in float64, got 1 nan"):
        layer.W = W
    assert np.isfinite(layer.W).all()
    with pytest.raises(ValueError, match=r"init returned nan or inf weights"):
        nl.Dense(3, 2, init=lambda a, b, rng: W)


def test_assigned_weights_that_overflow_float32_are_rejected():
    layer = nl.Dense(2, 1, rng=0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"b must be finite in float32, got 1 nan or inf value\."):
        layer.b = [1e300]
    assert np.isfinite(layer.b).all()


def test_integer_and_list_weights_are_still_welcome():
    layer = nl.Dense(2, 2, rng=0)
    layer.W = [[1, 2], [3, 4]]
    layer.b = np.array([True, False])
    np.testing.assert_array_equal(layer.W, [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(layer.b, [1.0, 0.0])


@pytest.mark.parametrize(
    ("kwargs", "exc", "msg"),
    [
        ({"rng": -1}, ValueError, r"Dense\(2 -> 3, init='he'\): an int seed rng must be "),
        ({"dtype": False}, TypeError, r"Dense: dtype must be float32 or float64, got False"),
        ({"dtype": "float16"}, TypeError, r"dtype must be float32 or float64, got 'float16'"),
    ],
)
def test_dense_bad_rng_and_dtype(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        nl.Dense(2, 3, **kwargs)


def test_dense_flops_rejects_a_bad_batch_size():
    with pytest.raises(ValueError, match=rf"{DENSE}.flops: batch_size must be a positive int"):
        nl.Dense(3, 2, rng=0).flops(-1)


# -- the same layer twice, or in two networks -------------------------------------------------


@pytest.mark.parametrize("make", [lambda: nl.Dense(2, 2, rng=0), nl.Tanh])
def test_a_layer_listed_twice_is_rejected(make):
    layer = make()
    layers = [nl.Dense(2, 2, rng=1), layer, nl.Dense(2, 2, rng=2), layer]
    if isinstance(layer, nl.Dense):
        layers = [layer, nl.Tanh(), layer]
    with pytest.raises(
        ValueError,
        match=r"Sequential: layer \d is the same .* object as layer \d\. .*overwrite the cache "
        r"and gradients .*wrong gradients",
    ):
        nl.Sequential(layers)


def test_a_layer_of_another_network_is_rejected_and_that_network_keeps_working(rng):
    first = small_net()
    with pytest.raises(
        ValueError,
        match=r"Sequential: layer 0 Dense\(3 -> 4, init='he'\) already belongs to another "
        r"Sequential\. .*wrong gradients\. Use copy\.deepcopy\(layer\)",
    ):
        nl.Sequential([first.layers[0], nl.ReLU()])
    with pytest.raises(ValueError, match=r"layer 1 Tanh\(\) already belongs"):
        nl.Sequential([nl.Dense(4, 4, rng=0), first.layers[1]])
    # the failed constructions moved nothing: an update of flat_params still reaches W
    first.flat_params[0] = 42.0
    assert first.layers[0].W[0, 0] == 42.0
    errors = nl.gradcheck(first, nl.MSELoss(), rng.normal(size=(5, 3)), rng.normal(size=(5, 2)))
    assert max(errors.values()) < 1e-7


def test_a_deep_copy_of_a_layer_is_free_and_independent():
    first = small_net()
    clone = copy.deepcopy(first.layers[0])
    second = nl.Sequential([clone, nl.Tanh()])
    second.flat_params[...] = 0.0
    assert np.all(clone.W == 0) and not np.all(first.layers[0].W == 0)


def test_a_layer_is_free_again_once_its_network_is_gone():
    layer = nl.Dense(2, 2, rng=0)
    net = nl.Sequential([layer])
    del net
    gc.collect()
    again = nl.Sequential([layer])
    assert np.shares_memory(layer.W, again.flat_params)


def test_deepcopy_and_pickle_give_networks_whose_layers_view_their_own_buffer(rng):
    net = small_net()
    X = rng.normal(size=(4, 3))
    for twin in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        np.testing.assert_array_equal(twin.forward(X), net.forward(X))
        _, p, g = twin.parameters()[0]
        assert np.shares_memory(p, twin.flat_params) and np.shares_memory(g, twin.flat_grads)
        assert not np.shares_memory(p, net.flat_params)
        twin.flat_params[...] = 0.0
        assert np.all(twin.layers[2].b == 0) and np.any(net.layers[0].W != 0)


def test_a_shallow_copy_of_a_network_is_refused():
    with pytest.raises(TypeError, match=r"copied shallowly.*Use copy\.deepcopy\(net\)"):
        copy.copy(small_net())


# -- arrays returned by forward and kept for backward -----------------------------------------


@pytest.mark.parametrize("make", CACHES_OUTPUT)
def test_cached_outputs_are_read_only_so_backward_cannot_be_corrupted(rng, make):
    layer = make()
    Z, dA = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    A = layer.forward(Z)
    expected = layer.backward(dA)
    assert not A.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        A[...] = 0.5
    with pytest.raises(ValueError, match="read-only"):
        A *= 2
    np.testing.assert_array_equal(layer.backward(dA), expected)
    assert Z.flags.writeable  # the caller's own array keeps its flags
    assert layer.forward(Z, cache=False).flags.writeable  # nothing kept: the caller's


def test_network_output_is_read_only_only_when_backward_needs_it(rng):
    X = rng.normal(size=(4, 3))
    probs = nl.Sequential([nl.Dense(3, 2, rng=0), nl.Sigmoid()])
    assert not probs.forward(X).flags.writeable
    assert probs.forward(X, cache=False).flags.writeable
    assert small_net().forward(X).flags.writeable  # a Dense output is not kept
    assert X.flags.writeable


def test_backward_twice_gives_the_same_gradients(rng):
    net = small_net()
    X, dZ = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    net.forward(X)
    dX = net.backward(dZ)
    grads = net.flat_grads.copy()
    np.testing.assert_array_equal(net.backward(dZ), dX)
    np.testing.assert_array_equal(net.flat_grads, grads)


def test_backward_after_an_inference_forward_is_refused():
    net = small_net()
    net.forward(np.ones((2, 3)))
    net.forward(np.ones((2, 3)), cache=False)
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        net.backward(np.ones((2, 2)))


# -- numerical_gradient and gradcheck ---------------------------------------------------------


@pytest.mark.parametrize("eps", [0, -1e-6, np.nan])
def test_eps_must_be_positive(eps):
    with pytest.raises(ValueError, match=r"numerical_gradient: eps must be in \(0, inf\), got"):
        nl.numerical_gradient(lambda v: float(v.sum()), np.ones(2), eps)
    with pytest.raises(ValueError, match=r"gradcheck: eps must be in \(0, inf\), got"):
        nl.gradcheck(small_net(), nl.MSELoss(), np.ones((2, 3)), np.ones((2, 2)), eps)


def test_eps_and_order_must_be_numbers():
    with pytest.raises(TypeError, match=r"numerical_gradient: eps must be a real number, got '1'"):
        nl.numerical_gradient(lambda v: float(v.sum()), np.ones(2), "1")
    with pytest.raises(ValueError, match=r"gradcheck: order must be 2 or 4, got 3"):
        nl.gradcheck(small_net(), nl.MSELoss(), np.ones((2, 3)), np.ones((2, 2)), order=3)


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.bool_])
def test_numerical_gradient_of_an_integer_array_is_computed_in_float(dtype):
    x = np.array([1, 0, 1], dtype=dtype)
    g = nl.numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(g, 3.0 * x.astype(float) ** 2, rtol=1e-7, atol=1e-7)
    assert x.dtype == dtype and list(x) == [1, 0, 1]


@pytest.mark.parametrize(("order", "eps"), [(2, 1e-6), (2, 1e-3), (4, 1e-3)])
def test_numerical_gradient_of_a_float32_array_perturbed_in_place(order, eps):
    x = np.array([1.0, -0.37, 3.3], dtype=np.float32)
    x0 = x.copy()
    g = nl.numerical_gradient(
        lambda _: float(np.sum(x.astype(np.float64) ** 2)), x, eps, order=order
    )
    # dividing by the nominal eps instead of the rounded step was off by up to 2% here
    np.testing.assert_allclose(g, 2.0 * x0.astype(np.float64), rtol=1e-6)
    np.testing.assert_array_equal(x, x0)


def test_numerical_gradient_refuses_an_eps_below_the_resolution():
    with pytest.raises(
        ValueError, match=r"eps=1e-06 is below the resolution of float16 at entry 0"
    ):
        nl.numerical_gradient(lambda v: float(v.sum()), np.ones(2, dtype=np.float16))


def test_numerical_gradient_bad_x_and_bad_f():
    with pytest.raises(TypeError, match=r"x must be a real array, got dtype complex128"):
        nl.numerical_gradient(lambda v: 0.0, np.ones(2, dtype=complex))
    frozen = np.ones(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match=r"numerical_gradient: x is read-only"):
        nl.numerical_gradient(lambda v: 0.0, frozen)
    with pytest.raises(TypeError, match=r"f must return a real scalar, got shape \(2,\)"):
        nl.numerical_gradient(lambda v: v**2, np.ones(2))
    with pytest.raises(TypeError, match=r"f must return a real scalar, got a ragged list"):
        nl.numerical_gradient(lambda v: [[1.0], [1.0, 2.0]], np.ones(2))
    with pytest.raises(TypeError, match=r"f must return a real scalar, got dtype complex128"):
        nl.numerical_gradient(lambda v: complex(v[0], 1), np.ones(2))
    assert nl.numerical_gradient(lambda v: 0.0, np.ones((0, 3))).shape == (0, 3)


def test_gradcheck_converts_integer_inputs_to_float(rng):
    X = rng.integers(-3, 4, size=(6, 3))
    errors = nl.gradcheck(small_net(), nl.MSELoss(), X, rng.normal(size=(6, 2)))
    assert max(errors.values()) < 1e-7


def test_gradcheck_of_a_single_layer(rng):
    layer = nl.Dense(3, 2, rng=0)
    W = layer.W.copy()
    errors = nl.gradcheck(layer, nl.MSELoss(), rng.normal(size=(4, 3)), rng.normal(size=(4, 2)))
    assert set(errors) == {"W", "b"} and max(errors.values()) < 1e-7
    np.testing.assert_array_equal(layer.W, W)
    assert nl.Sequential([layer]).n_params == 8  # gradcheck did not take the layer


@pytest.mark.parametrize(("bad", "exc", "msg"), NOT_REAL)
def test_gradcheck_bad_X(bad, exc, msg):
    with pytest.raises(exc, match=rf"gradcheck expected X .*{msg}"):
        nl.gradcheck(small_net(), nl.MSELoss(), bad, np.zeros((2, 2)))


def test_gradcheck_bad_arguments():
    net = small_net()
    with pytest.raises(ValueError, match=r"gradcheck: X has 0 samples"):
        nl.gradcheck(net, nl.MSELoss(), np.zeros((0, 3)), np.zeros((0, 2)))
    with pytest.raises(TypeError, match=r"gradcheck: loss must be an nnlab loss, got function"):
        nl.gradcheck(net, lambda p, t: 0.0, np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(TypeError, match=r"gradcheck: net must be an nnlab layer or network, got"):
        nl.gradcheck([net], nl.MSELoss(), np.zeros((2, 3)), np.zeros((2, 2)))


# -- property: whatever a learner passes, only promised exceptions, and nothing changes ---------

PROMISED = (ValueError, TypeError, RuntimeError, FloatingPointError, OverflowError)

junk = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=10),
    st.lists(st.one_of(st.floats(-3, 3), st.text(max_size=1)), max_size=4),
    st.lists(st.lists(st.floats(-3, 3), max_size=4), max_size=4),
    st.integers(0, 5).flatmap(
        lambda n: st.sampled_from([(n, 3), (n, 2), (n,), (n, 3, 1), (3, n)]).map(np.ones)
    ),
    st.sampled_from(
        [np.ones((2, 3), dtype=complex), np.full((2, 3), "x"), np.ones((2, 3), dtype=np.float16)]
    ),
)


@given(
    st.sampled_from(["forward", "backward", "W", "b", "gradcheck", "layer_forward"]),
    junk,
)
def test_bad_input_raises_only_promised_errors_and_changes_nothing(entry, bad):
    net = small_net()
    net.forward(np.ones((2, 3)))
    net.backward(np.ones((2, 2)))
    params, grads = net.flat_params.copy(), net.flat_grads.copy()
    calls = {
        "forward": lambda: net.forward(bad),
        "backward": lambda: net.backward(bad),
        "W": lambda: setattr(net.layers[0], "W", bad),
        "b": lambda: setattr(net.layers[2], "b", bad),
        "gradcheck": lambda: nl.gradcheck(net, nl.MSELoss(), bad, np.zeros((2, 2))),
        "layer_forward": lambda: net.layers[1].forward(bad),
    }
    try:
        calls[entry]()
    except PROMISED as err:
        assert any(n in str(err) for n in ("Dense", "Tanh", "Sequential", "gradcheck", "MSELoss"))
        np.testing.assert_array_equal(net.flat_params, params)
        if entry != "gradcheck":  # a loss evaluation error may come after backward there
            np.testing.assert_array_equal(net.flat_grads, grads)
