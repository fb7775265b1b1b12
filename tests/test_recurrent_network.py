"""RNNs inside Sequential: gradcheck, fit on a sequence task, predict, float32, astype,
flat_params views, cached_bytes, flops and trace, and the shape checks made at build time."""

import numpy as np
import pytest
from helpers import assert_float32_pass, net_input_grad_and_fd, train

import nnlab as nl
from nnlab.recurrent import RNN


def rnn_net(dtype=np.float64, rng=0, n_in=1, n_hidden=16):
    return nl.Sequential(
        [RNN(n_in, n_hidden, rng=rng, dtype=dtype), nl.Dense(n_hidden, 1, rng=rng, dtype=dtype)]
    )


@pytest.fixture(scope="module")
def sums():
    """A sequence task: the (halved) sum of 6 numbers in [-1, 1]."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(256, 6, 1))
    return X, X.sum(axis=1) / 2


def test_rnn_network_shapes_and_repr():
    net = rnn_net(n_in=3, n_hidden=5)
    assert net.input_shape == ("n_steps", 3) and net.n_in is None
    assert net.forward(np.zeros((4, 7, 3))).shape == (4, 1)
    assert net.n_params == 3 * 5 + 5 * 5 + 5 + 5 + 1
    assert "(0): RNN(3 -> 5, return_sequences=False, init='xavier')  # 45 params" in repr(net)


@pytest.mark.parametrize(
    ("layers", "loss", "y"),
    [
        (lambda: [RNN(3, 5, rng=0), nl.Dense(5, 1, rng=0)], nl.MSELoss(), np.ones((4, 1))),
        (
            lambda: [
                RNN(3, 4, return_sequences=True, rng=0),
                RNN(4, 5, rng=1),
                nl.Dense(5, 3, rng=2),
            ],
            nl.SoftmaxCrossEntropy(),
            np.array([0, 2, 1, 2]),
        ),
    ],
)
def test_rnn_networks_pass_gradcheck(layers, loss, y):
    net = nl.Sequential(layers())
    X = np.random.default_rng(0).normal(size=(4, 5, 3))
    errors = nl.gradcheck(net, loss, X, y)
    assert len(errors) == 3 * (len(net.layers) - 1) + 2
    assert max(errors.values()) < 1e-7


def test_rnn_network_input_gradient_matches_finite_differences():
    net = nl.Sequential([RNN(2, 4, return_sequences=True, rng=0), RNN(4, 3, rng=1)])
    X = np.random.default_rng(1).normal(size=(2, 4, 2))
    loss = nl.MSELoss()
    y = np.zeros((2, 3))
    dX, numeric = net_input_grad_and_fd(net, loss, X, y)
    assert dX.shape == X.shape
    assert nl.relative_error(dX, numeric) < 1e-7


def test_fit_learns_to_add_and_predict_works(sums):
    X, y = sums
    net = rnn_net()
    loss = nl.MSELoss()
    before = loss(nl.predict(net, X), y)
    history = train(
        net, loss, nl.Adam, X[:192], y[:192], lr=0.01, epochs=20, validation_data=(X[192:], y[192:])
    )
    assert history["loss"][-1] < 0.05 * before
    assert history["val_loss"][-1] < 0.05 * before
    out = nl.predict(net, X[192:])
    assert out.shape == (64, 1) and out.flags.writeable
    np.testing.assert_array_equal(out, nl.predict(net, X[192:]))
    np.testing.assert_array_equal(out, net.forward(X[192:], cache=False))
    assert nl.cached_bytes(net) == 0  # inference keeps nothing


def test_float32_network_stays_float32_end_to_end(sums):
    X, y = sums
    net = rnn_net(np.float32)
    loss = nl.MSELoss()
    assert_float32_pass(net, loss, X[:16], y[:16])
    assert net.layers[0].grad_norms_by_step.dtype == np.float32
    history = train(net, loss, nl.Adam, X, y, lr=0.01, epochs=3)
    assert history["loss"][-1] < history["loss"][0]
    assert net.flat_params.dtype == np.float32


def test_astype_converts_the_rnn_and_keeps_the_values():
    net = rnn_net(n_in=3, n_hidden=5)
    X = np.random.default_rng(0).normal(size=(4, 6, 3))
    net.forward(X)
    net32 = net.astype(np.float32)
    rnn = net32.layers[0]
    assert rnn.dtype == rnn.W_hh.dtype == rnn.dW_xh.dtype == np.float32
    assert rnn.cached_arrays() == []  # the copy starts with no stale cache
    with pytest.raises(RuntimeError, match="before forward"):
        rnn.backward(np.ones((4, 5), np.float32))
    np.testing.assert_allclose(rnn.W_hh, net.layers[0].W_hh, rtol=1e-7)
    np.testing.assert_allclose(net32.forward(X), net.forward(X), rtol=1e-5, atol=1e-6)
    assert all(np.shares_memory(p, net32.flat_params) for _, p, _ in rnn.parameters())
    net32.backward(np.ones((4, 1), np.float32))
    assert rnn.grad_norms_by_step.dtype == np.float32


def test_rnn_weights_are_views_of_flat_params():
    net = rnn_net(n_in=2, n_hidden=3)
    rnn = net.layers[0]
    sizes = [("W_xh", 6), ("W_hh", 9), ("b", 3)]
    offset = 0
    for (name, p, g), (want, size) in zip(rnn.parameters(), sizes, strict=True):
        assert name == want
        np.testing.assert_array_equal(net.flat_params[offset : offset + size], p.ravel())
        assert np.shares_memory(g, net.flat_grads)
        offset += size
    net.flat_params[6] = 42.0
    assert rnn.W_hh[0, 0] == 42.0
    rnn.W_hh = np.eye(3)  # assignment writes into the buffer
    np.testing.assert_array_equal(net.flat_params[6:15], np.eye(3).ravel())
    net.forward(np.ones((2, 4, 2)))
    net.backward(np.ones((2, 1)))
    np.testing.assert_array_equal(net.flat_grads[6:15], rnn.dW_hh.ravel())
    assert rnn.dW_hh.any()


def test_cached_bytes_counts_the_input_copy_and_the_states_once():
    N, T = 32, 20
    net = rnn_net(n_in=8, n_hidden=64)
    net.forward(np.ones((N, T, 8)))
    # a time-major copy of X, and the states; the Dense layer's input h_T is one of them
    assert nl.cached_bytes(net) == 8 * (T * N * 8 + T * N * 64)
    stacked = nl.Sequential(
        [RNN(8, 16, return_sequences=True, rng=0), RNN(16, 4, rng=0), nl.Dense(4, 1)]
    )
    stacked.forward(np.ones((N, T, 8)))
    # the second RNN reads the first one's states as they are stored: no second copy
    assert nl.cached_bytes(stacked) == 8 * (T * N * 8 + T * N * 16 + T * N * 4)


def test_flops_of_an_rnn_network():
    net = rnn_net(n_in=8, n_hidden=64)
    dense = 32 * (2 * 64 + 1)
    unknown = nl.flops(net, 32)  # no forward yet: the number of steps is unknown
    assert [r["forward"] for r in unknown] == [None, dense]
    rows = nl.flops(net, 32, input_shape=(20, 8))
    f = net.layers[0].flops(32, (20, 8))
    assert rows[0]["forward"] == f["forward"]
    assert rows[0]["backward"] == f["backward_dW"] + f["backward_dX"]
    assert (
        nl.flops(net, 32, input_grad=False, input_shape=(20, 8))[0]["backward"]
        == (f["backward_dW"])
    )
    net.forward(np.zeros((2, 20, 8)))
    assert nl.flops(net, 32) == rows  # the length of the last forward
    assert nl.flops(net, 32, input_shape=(40, 8))[0]["forward"] > rows[0]["forward"]
    assert net.flops(32, input_shape=(40, 8))["forward"] > sum(r["forward"] for r in rows)


def test_trace_records_sequence_shapes():
    net = nl.Sequential([RNN(3, 4, return_sequences=True, rng=0), RNN(4, 5), nl.Dense(5, 1)])
    with nl.trace(net) as events:
        net.forward(np.zeros((2, 7, 3)))
        net.backward(np.ones((2, 1)))
    assert [(e.direction, e.shape_in, e.shape_out) for e in events] == [
        ("forward", (2, 7, 3), (2, 7, 4)),
        ("forward", (2, 7, 4), (2, 5)),
        ("forward", (2, 5), (2, 1)),
        ("backward", (2, 1), (2, 5)),
        ("backward", (2, 5), (2, 7, 4)),
        ("backward", (2, 7, 4), (2, 7, 3)),
    ]


# -- shapes checked when a network is built, and inputs when it runs --------------------------


def test_widths_must_chain_after_an_rnn():
    with pytest.raises(
        ValueError,
        match=r"layer 0 RNN\(3 -> 5, return_sequences=False, init='xavier'\) outputs 5 features "
        r"but layer 1 Dense\(4 -> 1, init='he'\) expects 4\.",
    ):
        nl.Sequential([RNN(3, 5), nl.Dense(4, 1)])
    with pytest.raises(
        ValueError,
        match=r"layer 0 RNN\(3 -> 5, return_sequences=True, .*\) outputs \(n_samples, n_steps, "
        r"5\) but layer 1 RNN\(4 -> 2, .*\) expects \(n_samples, n_steps, 4\)\.",
    ):
        nl.Sequential([RNN(3, 5, return_sequences=True), RNN(4, 2)])
    # Dense after every state applies to each step (positions share its weights)...
    per_step = nl.Sequential([RNN(3, 5, return_sequences=True, rng=0), nl.Dense(5, 1, rng=0)])
    assert per_step.forward(np.ones((2, 7, 3))).shape == (2, 7, 1)
    with pytest.raises(  # ...and must still fit the width of the states
        ValueError,
        match=r"outputs \(n_samples, n_steps, 5\) but layer 1 Dense\(4 -> 1, .*\) expects "
        r"\(n_samples, n_steps, 4\)\.",
    ):
        nl.Sequential([RNN(3, 5, return_sequences=True), nl.Dense(4, 1)])
    with pytest.raises(TypeError, match=r"layer 0: float32, layer 1: float64\."):
        nl.Sequential([RNN(3, 5, dtype=np.float32), nl.Dense(5, 1)])
    net = nl.Sequential([RNN(3, 5, return_sequences=True), nl.Flatten(), nl.Dense(20, 1)])
    assert net.forward(np.ones((2, 4, 3))).shape == (2, 1)  # T = 4 known only at run time


def test_sequence_inputs_are_checked_by_the_network_and_the_training_functions(sums):
    X, y = sums
    net = rnn_net()
    with pytest.raises(
        ValueError,
        match=r"Sequential expected X of shape \(n_samples, n_steps, 1\), got a 2-D array of "
        r"shape \(256, 6\)\. For a single sample use X\[np\.newaxis\]\.",
    ):
        net.forward(X[..., 0])
    with pytest.raises(ValueError, match=r"Sequential expected X of shape \(n_samples, n_step"):
        net.forward(np.ones((2, 6, 3)))
    weights = net.flat_params.copy()
    for call, owner in [
        (lambda Z: nl.predict(net, Z), "predict"),
        (lambda Z: nl.gradcheck(net, nl.MSELoss(), Z, y[:2]), "gradcheck"),
        (
            lambda Z: nl.fit(net, nl.MSELoss(), nl.SGD(net.parameters(), 0.1), Z, y[:2], epochs=1),
            "fit",
        ),
    ]:
        with pytest.raises(
            ValueError,
            match=rf"{owner} expected X of shape \(n_samples, n_steps, 1\), got \(2, 6, 3\)\.",
        ):
            call(np.ones((2, 6, 3)))
    with pytest.raises(ValueError, match=r"expected X with at least one time step, got X of sha"):
        nl.fit(
            net, nl.MSELoss(), nl.SGD(net.parameters(), 0.1), X[:, :0], y, epochs=1, progress=False
        )
    np.testing.assert_array_equal(net.flat_params, weights)
