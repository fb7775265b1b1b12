"""The layer contract: every tool works on every layer type, through public methods only.

Nested networks, checkpointing of every layer type, gradient checks of the training pass,
``input_grad=False`` everywhere, exact caches, FLOPs of every layer, and one parameter buffer
per network (the outermost one, when they nest).
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import nnlab as nl

RNG = np.random.default_rng(7)


def cnn(seed=0, p=0.5):
    return nl.Sequential(
        [
            nl.Conv2D(1, 3, 3, padding=1, rng=seed),
            nl.ReLU(),
            nl.MaxPool2D(2),
            nl.Flatten(),
            nl.Dropout(p, rng=seed),
            nl.Dense(3 * 4 * 4, 3, rng=seed),
        ]
    )


def rnn_net(seed=0):
    return nl.Sequential(
        [
            nl.RNN(2, 5, return_sequences=True, rng=seed),
            nl.Dropout(0.3, rng=seed),
            nl.RNN(5, 4, rng=seed),
            nl.Tanh(),
            nl.Dense(4, 2, rng=seed),
        ]
    )


def nested(seed=0):
    block = nl.Sequential([nl.Dense(4, 4, rng=seed + 1), nl.LeakyReLU(), nl.Dropout(0.2, rng=3)])
    return nl.Sequential([nl.Dense(3, 4, rng=seed), nl.Tanh(), block, nl.Dense(4, 2, rng=seed)])


CASES = {
    "cnn": (cnn, RNG.normal(size=(6, 1, 8, 8)), RNG.integers(0, 3, 6)),
    "rnn": (rnn_net, RNG.normal(size=(5, 7, 2)), RNG.integers(0, 2, 5)),
    "nested": (nested, RNG.normal(size=(8, 3)), RNG.integers(0, 2, 8)),
}


def every_layer_type():
    X = RNG.normal(size=(4, 2, 6, 6))
    yield nl.Conv2D(2, 3, 3, stride=2, padding=1, rng=0), X
    yield nl.MaxPool2D(2), X
    yield nl.Flatten(), X
    yield nl.Dropout(0.5, rng=0), X
    yield nl.Dense(5, 3, rng=0), RNG.normal(size=(4, 5))
    yield nl.RNN(3, 4, return_sequences=True, rng=0), RNG.normal(size=(4, 6, 3))
    for act in nl.ACTIVATIONS.values():
        yield act(), RNG.normal(size=(4, 5))
    yield nested(), RNG.normal(size=(4, 3))
    S = RNG.normal(size=(4, 5, 6))  # sequences (N, T, d_model)
    yield nl.LayerNorm(6), S
    yield nl.BatchNorm(2), X
    yield nl.LSTM(6, 3, return_sequences=True, rng=0), S
    yield nl.MultiHeadAttention(6, 2, causal=True, rng=0), S
    yield nl.PositionalEmbedding(7, 6, rng=0), S
    yield nl.Residual(nl.Sequential([nl.LayerNorm(6), nl.Dense(6, 6, rng=0)])), S


@pytest.mark.parametrize("make", list(CASES))
def test_checkpointing_gives_the_plain_gradients_bit_for_bit_for_every_layer_type(make):
    build, X, y = CASES[make]
    loss = nl.SoftmaxCrossEntropy()
    for segments in range(1, len(build().layers) + 1):
        plain, checked = build(), build()  # the same weights and the same random streams
        loss.forward(plain.forward(X), y)
        plain.backward(loss.backward())
        info = nl.checkpointed_backward(checked, loss, X, y, segments)
        assert np.array_equal(checked.flat_grads, plain.flat_grads), segments
        assert info["peak_kept_bytes"] > 0
        assert checked.cached_arrays() == []  # every cache released afterwards
        # the random streams advanced exactly as one plain training pass advanced them
        assert str(checked.get_random_state()) == str(plain.get_random_state())


@pytest.mark.parametrize("make", list(CASES))
def test_gradcheck_of_the_training_pass_holds_dropout_masks_fixed(make):
    build, X, y = CASES[make]
    errors = nl.gradcheck(build(), nl.SoftmaxCrossEntropy(), X, y, training=True)
    assert max(errors.values()) < 1e-6
    inference = nl.gradcheck(build(), nl.SoftmaxCrossEntropy(), X, y)
    assert max(inference.values()) > 1e-3  # the inference pass has no masks: it differs


def test_a_nested_network_trains_checks_and_converts_like_a_layer():
    net = nested()
    block = net[2]
    assert [n for n, _, _ in net.parameters()] == ["0.W", "0.b", "2.0.W", "2.0.b", "3.W", "3.b"]
    assert block.parent is net and block[0].parent is block
    # one buffer: the block's parameters are a slice of the outer network's
    assert np.shares_memory(block.flat_params, net.flat_params)
    assert np.shares_memory(block[0].W, net.flat_params)
    assert net.n_params == sum(p.size for _, p, _ in net.parameters())
    X, y = CASES["nested"][1:]
    opt = nl.Adam(net.parameters(), lr=0.05)
    history = nl.fit(net, nl.SoftmaxCrossEntropy(), opt, X, y, epochs=30, rng=0, progress=False)
    assert history["loss"][-1] < history["loss"][0]
    net32 = net.astype(np.float32)
    assert net32.flat_params.dtype == np.float32 and net32[2][0].W.dtype == np.float32
    assert np.shares_memory(net32[2][0].W, net32.flat_params)
    np.testing.assert_allclose(net32.flat_params, net.flat_params, rtol=1e-6)
    for copied in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert np.shares_memory(copied[2][0].W, copied.flat_params)
        assert not np.shares_memory(copied.flat_params, net.flat_params)
        np.testing.assert_array_equal(copied.flat_params, net.flat_params)
    rows = nl.flops(net, 8)
    assert [r["index"] for r in rows] == [0, 1, 2, 3]
    assert rows[2]["forward"] == sum(r["forward"] for r in nl.flops(block, 8))
    net.forward(X)
    assert nl.cached_bytes(net) > 0 and nl.cached_bytes(block) > 0


def test_a_layer_belongs_to_one_network_at_any_depth():
    block = nl.Sequential([nl.Dense(2, 2, rng=0), nl.ReLU()])
    outer = nl.Sequential([block, nl.Dense(2, 1)])
    assert block.parent is outer
    with pytest.raises(ValueError, match="already belongs to another Sequential"):
        nl.Sequential([block])
    dense = nl.Dense(2, 2)
    with pytest.raises(ValueError, match=r"layer 0 Dense.* already belongs to another Sequential"):
        nl.Sequential([dense, nl.Sequential([nl.ReLU(), dense])])
    inner = nl.Sequential([nl.Dense(2, 2)])
    with pytest.raises(ValueError, match="layer 1 is the same Sequential object as layer 0"):
        nl.Sequential([inner, inner])
    with pytest.raises(ValueError, match="set_dtype: the layer belongs to a Sequential"):
        block[0].set_dtype(np.float32)


@pytest.mark.parametrize(("layer", "X"), list(every_layer_type()), ids=repr)
def test_every_layer_honours_input_grad_and_keeps_an_exact_cache(layer, X):
    state = layer.get_random_state()  # replayed: dropout draws the same mask every time
    Z = layer.forward(X)
    dZ = np.ones_like(Z)
    assert layer.backward(dZ, input_grad=False) is None
    without_dx = layer.flat_grads.copy()
    layer.set_random_state(state)
    layer.forward(X)
    dX = layer.backward(dZ)
    assert dX.shape == X.shape
    # the parameter gradients are the same whether or not dX was wanted
    np.testing.assert_array_equal(layer.flat_grads, without_dx)
    kept = layer.cached_arrays()
    assert all(isinstance(a, np.ndarray) for a in kept)
    layer.clear_cache()
    assert layer.cached_arrays() == []
    with pytest.raises(RuntimeError, match="backward\\(\\) called before forward\\(\\)"):
        layer.backward(dZ)
    layer.forward(X, cache=False)
    assert layer.cached_arrays() == []


@pytest.mark.parametrize(("layer", "X"), list(every_layer_type()), ids=repr)
def test_every_layer_counts_its_flops(layer, X):
    layer.forward(X)
    f = layer.flops(len(X))
    assert set(f) == {"forward", "backward_dW", "backward_dX"}
    assert all(isinstance(v, int) and v >= 0 for v in f.values())
    assert layer.flops(len(X), X.shape[1:]) == f
    assert layer.flops(2 * len(X))["forward"] == 2 * f["forward"]  # linear in the batch
    if layer.n_params:
        assert f["backward_dW"] > 0


def test_losses_count_their_flops():
    for loss in (nl.MSELoss(), nl.SoftmaxCrossEntropy(), nl.BinaryCrossEntropy()):
        f = loss.flops(8, (3,))
        assert f["forward"] > 0 and f["backward"] > 0
        assert loss.flops(16, (3,))["forward"] == 2 * f["forward"]


def test_parameters_are_declared_once_and_checked_on_assignment():
    layer = nl.RNN(2, 3, rng=0)
    assert [n for n, _, _ in layer.parameters()] == ["W_xh", "W_hh", "b"]
    assert layer.dW_hh is layer.gradient("W_hh") and layer.W_hh is layer.parameter("W_hh")
    before = layer.flat_params.copy()
    with pytest.raises(ValueError, match=r"W_hh must have shape \(3, 3\), got \(2, 2\)"):
        layer.W_hh = np.eye(2)
    with pytest.raises(ValueError, match="W_xh must be finite"):
        layer.W_xh = np.full((2, 3), np.nan)
    np.testing.assert_array_equal(layer.flat_params, before)  # a failing call changes nothing
    layer.b = [1.0, 2.0, 3.0]
    assert np.shares_memory(layer.b, layer.flat_params) and layer.b[2] == 3.0
