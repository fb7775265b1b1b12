"""Optimizers reject parameters they would update wrongly, naming the optimizer and parameter.

Issue 11, category 4: a gradient of another shape, a non-float parameter, a non-array entry,
or one array listed twice (or two that share memory) would give a silently wrong update.
"""

import numpy as np
import pytest

import nnlab as nl

OPTIMIZERS = {
    "SGD": lambda p: nl.SGD(p, 0.1, momentum=0.9),
    "Adam": lambda p: nl.Adam(p),
    "AdamW": lambda p: nl.AdamW(p),
}


def net():
    return nl.mlp([3, 4, 2], rng=0)


def one(p, g, name="w"):
    return [(name, p, g)]


@pytest.fixture(params=sorted(OPTIMIZERS))
def make(request):
    """(name, factory) of each optimizer."""
    return request.param, OPTIMIZERS[request.param]


def test_gradient_of_another_shape(make):
    owner, factory = make
    with pytest.raises(
        ValueError,
        match=rf"^{owner}: parameter 'w' has shape \(2, 3\) but its gradient has shape \(3, 2\)\.$",
    ):
        factory(one(np.zeros((2, 3)), np.zeros((3, 2))))
    with pytest.raises(ValueError, match=r"parameter 'w' has shape \(6,\) but its gradient"):
        factory(one(np.zeros(6), np.zeros((2, 3))))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.float16, np.complex128])
def test_non_float_parameter(make, dtype):
    owner, factory = make
    message = (
        rf"^{owner}: parameter 'w' must be a float32 or float64 array, "
        rf"got dtype {np.dtype(dtype)}\.$"
    )
    with pytest.raises(TypeError, match=message):
        factory(one(np.zeros(3, dtype=dtype), np.zeros(3)))


@pytest.mark.parametrize("dtype", [np.int64, object, "U3", np.complex64])
def test_non_float_gradient(make, dtype):
    owner, factory = make
    with pytest.raises(
        TypeError,
        match=rf"^{owner}: the gradient of parameter 'w' must be a float32 or float64 array, got",
    ):
        factory(one(np.zeros(3), np.zeros(3, dtype=dtype)))


@pytest.mark.parametrize(
    "param, grad, message",
    [
        ([0.0, 1.0], np.zeros(2), r"parameter 'w' must be a NumPy array, got list\."),
        (3.0, np.zeros(()), r"parameter 'w' must be a NumPy array, got float\."),
        (np.zeros(2), None, r"the gradient of parameter 'w' must be a NumPy array, got NoneType"),
        (np.zeros(2), (0.0, 0.0), r"the gradient of parameter 'w' must be a NumPy array, got tup"),
    ],
)
def test_non_array_entries(make, param, grad, message):
    owner, factory = make
    with pytest.raises(TypeError, match=rf"^{owner}: {message}"):
        factory(one(param, grad))


@pytest.mark.parametrize(
    "params, got",
    [
        (None, "NoneType"),
        (3, "int"),
        ({"w": np.zeros(2)}, "dict"),
        ("0.W", "str"),
        (np.zeros((2, 3)), "ndarray"),
    ],
)
def test_params_that_are_not_a_list_of_triples(make, params, got):
    owner, factory = make
    with pytest.raises(
        TypeError,
        match=rf"^{owner}: params must be a list of \(name, param, grad\) tuples as returned by "
        rf"net\.parameters\(\), got {got}\.$",
    ):
        factory(params)


@pytest.mark.parametrize("thing", [net, lambda: nl.Dense(2, 3)])
def test_passing_the_network_itself_says_call_parameters(make, thing):
    owner, factory = make
    with pytest.raises(TypeError, match=rf"^{owner}: params must be the list that net.parameters"):
        factory(thing())


@pytest.mark.parametrize(
    "entry, got",
    [
        (np.zeros(3), "ndarray"),
        (("w", np.zeros(2)), "tuple"),
        (["w", np.zeros(1), np.zeros(1)], "list"),
    ],
)
def test_malformed_entries(make, entry, got):
    owner, factory = make
    with pytest.raises(
        TypeError, match=rf"^{owner}: params must be a list .* got an entry of type {got}\."
    ):
        factory([entry])


def test_same_array_listed_twice(make):
    owner, factory = make
    params = net().parameters()
    with pytest.raises(
        ValueError,
        match=rf"^{owner}: parameter '0\.W' \(entry 0\) and parameter '0\.W' \(entry 4\) share "
        r"memory \(is one array listed twice\?\); list each parameter once",
    ):
        factory(params + params[:1])


def test_same_layer_parameters_twice_is_caught_on_the_gradients_too(make):
    _, factory = make
    _, p, g = net().parameters()[1]
    with pytest.raises(ValueError, match=r"share memory"):
        factory([("a", p, g), ("b", p.copy(), g)])  # two parameters, one gradient array


def test_overlapping_views_are_caught(make):
    owner, factory = make
    buf, grads = np.zeros(10), np.zeros(10)
    params = [("a", buf[:6], grads[:6]), ("b", buf[4:], grads[4:])]
    with pytest.raises(
        ValueError,
        match=rf"^{owner}: parameter 'a' \(entry 0\) and parameter 'b' \(entry 1\) share",
    ):
        factory(params)
    inner = [("outer", buf, grads), ("inner", buf[3:5], np.zeros(2))]
    with pytest.raises(ValueError, match=r"parameter 'outer' \(entry 0\) and parameter 'inner'"):
        factory(inner)


def test_a_parameter_that_is_its_own_gradient(make):
    _, factory = make
    w = np.zeros(3)
    with pytest.raises(
        ValueError,
        match=r"parameter 'w' \(entry 0\) and the gradient of parameter 'w' \(entry 0\) share",
    ):
        factory(one(w, w))


def test_non_contiguous_views_are_rejected(make):
    owner, factory = make
    W = np.zeros((3, 4))
    with pytest.raises(
        ValueError,
        match=rf"^{owner}: parameter 'W' must be C-contiguous, got a non-contiguous view of "
        r"shape \(4, 3\) \(such as W\.T\)",
    ):
        factory(one(W.T, np.zeros((4, 3)), "W"))
    with pytest.raises(ValueError, match=r"the gradient of parameter 'W' must be C-contiguous"):
        factory(one(W, np.zeros((3, 8))[:, ::2], "W"))


def test_read_only_parameter(make):
    owner, factory = make
    w = np.zeros(3)
    w.flags.writeable = False
    with pytest.raises(ValueError, match=rf"^{owner}: parameter 'w' is read-only"):
        factory(one(w, np.zeros(3)))


def test_unnamed_entries_are_named_by_position(make):
    _, factory = make
    with pytest.raises(ValueError, match=r"parameter 1 has shape \(2,\) but its gradient"):
        factory([(0, np.zeros(1), np.zeros(1)), (None, np.zeros(2), np.zeros(3))])


def test_rejected_parameters_are_left_untouched(make):
    _, factory = make
    model = net()
    model.flat_grads[:] = 1.0
    before = model.flat_params.tobytes()
    with pytest.raises(ValueError):
        factory(model.parameters() + model.parameters()[-1:])
    assert model.flat_params.tobytes() == before


def test_empty_and_zero_size_parameters(make):
    owner, factory = make
    with pytest.raises(ValueError, match=rf"^{owner}: params is empty; pass net.parameters\(\)\."):
        factory([])
    with pytest.raises(ValueError, match=rf"^{owner}: params is empty"):
        factory(iter([]))
    w, g = np.ones(2), np.ones(2)
    opt = factory([("empty", np.zeros((0, 3)), np.zeros((0, 3))), ("w", w, g)])
    opt.step()
    assert np.all(w < 1.0)


def test_separate_float32_and_float64_parameters_each_keep_their_precision():
    w64, w32 = np.full(3, 1.0), np.full(3, 1.0, dtype=np.float32)
    g64, g32 = np.full(3, 1 / 3), np.full(3, 1 / 3, dtype=np.float32)
    # float32 first: a shared float32 scratch buffer would round the float64 update.
    nl.SGD([("a", w32, g32), ("b", w64, g64)], lr=0.1).step()
    assert w32.dtype == np.float32
    assert w64[0] == 1.0 - 0.1 * (1 / 3)
    assert w32[0] == np.float32(1.0) - np.float32(0.1) * np.float32(1 / 3)


def test_generators_of_triples_still_work():
    model = net()
    before = model.flat_params.copy()
    model.flat_grads[:] = 1.0
    nl.SGD((entry for entry in model.parameters()), 0.5).step()
    np.testing.assert_allclose(model.flat_params, before - 0.5)
