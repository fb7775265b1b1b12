"""PositionalEmbedding against a reference written in HIPS autograd (values and gradients),
against PyTorch (an nn.Embedding of positions, added), against finite differences through
nnlab's tools (gradcheck, jvp), and the contract: dtypes, copies, FLOPs and clear errors."""

import copy
import doctest

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from helpers import raises_and_changes_nothing, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlab as nl
from nnlab import positional
from nnlab.positional import PositionalEmbedding


def reference(X, P):
    return X + P[: X.shape[1]][None]


@settings(max_examples=20, deadline=None)
@given(
    N=st.integers(1, 4),
    T=st.integers(1, 6),
    extra=st.integers(0, 3),
    d=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_matches_autograd_reference(N, T, extra, d, seed):
    rng = np.random.default_rng(seed)
    layer = PositionalEmbedding(T + extra, d, rng=seed)
    X, P = rng.normal(size=(N, T, d)), layer.P.copy()
    np.testing.assert_allclose(layer.forward(X), reference(X, P), rtol=0, atol=0)
    dZ = rng.normal(size=(N, T, d))
    dX = layer.backward(dZ)

    def loss(X, P):
        return anp.sum(reference(X, P) * dZ)

    np.testing.assert_allclose(dX, grad(loss, 0)(X, P), rtol=1e-12)
    np.testing.assert_allclose(layer.dP, grad(loss, 1)(X, P), rtol=1e-12, atol=1e-15)
    assert not layer.dP[T:].any()  # rows past the sequence get no gradient


def test_equals_torch_embedding_of_positions():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    layer = PositionalEmbedding(9, 4, rng=1)
    X = rng.normal(size=(3, 6, 4))
    emb = torch.nn.Embedding(9, 4, dtype=torch.float64)
    with torch.no_grad():
        emb.weight.copy_(torch.from_numpy(layer.P))
    Xt = torch.from_numpy(X).requires_grad_()
    out = Xt + emb(torch.arange(6))
    dZ = rng.normal(size=out.shape)
    out.backward(torch.from_numpy(dZ))
    np.testing.assert_allclose(layer.forward(X), out.detach().numpy(), rtol=1e-15)
    dX = layer.backward(dZ)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(layer.dP, emb.weight.grad.numpy(), rtol=1e-12, atol=1e-15)


def token_net(seed=0, dtype=np.float64):
    return nl.Sequential(
        [
            nl.Embedding(5, 4, rng=seed, dtype=dtype),
            PositionalEmbedding(6, 4, rng=seed + 1, dtype=dtype),
            nl.MultiHeadAttention(4, 2, rng=seed + 2, dtype=dtype),
            nl.Dense(4, 5, rng=seed + 3, dtype=dtype),
        ]
    )


def test_gradcheck_and_fit_in_a_network_of_tokens():
    rng = np.random.default_rng(3)
    net = token_net()
    X, y = rng.integers(0, 5, (4, 6)), rng.integers(0, 5, (4, 6))
    errors = nl.gradcheck(net, nl.SoftmaxCrossEntropy(), X, y)
    # b_k adds the same number to every score of a row, which softmax takes away: its
    # gradient is exactly zero, and a relative error of two roundoff-sized numbers means nothing
    assert np.abs(net[2].db_k).max(initial=0.0) < 1e-12 or errors["2.b_k"] < 1e-6
    errors.pop("2.b_k")
    assert max(errors.values()) < 1e-6, errors
    before = net[1].P.copy()
    history = nl.fit(
        net,
        nl.SoftmaxCrossEntropy(),
        nl.Adam(net.parameters(), lr=0.05),
        X,
        y,
        epochs=20,
        progress=False,
        rng=0,
    )
    assert history["loss"][-1] < history["loss"][0]
    assert not np.array_equal(net[1].P, before)


def test_position_matters_to_attention_only_through_the_table():
    # Without positions, self-attention is permutation-equivariant; with them it is not.
    rng = np.random.default_rng(0)
    att = nl.MultiHeadAttention(4, 2, rng=0)
    X, perm = rng.normal(size=(2, 5, 4)), np.array([4, 2, 0, 1, 3])
    np.testing.assert_allclose(att.forward(X[:, perm]), att.forward(X)[:, perm], atol=1e-12)
    pos = PositionalEmbedding(5, 4, rng=1)
    moved = att.forward(pos.forward(X[:, perm]))
    assert not np.allclose(moved, att.forward(pos.forward(X))[:, perm], atol=1e-3)


def test_jvp_against_central_differences():
    rng = np.random.default_rng(1)
    layer = PositionalEmbedding(7, 3, rng=0)
    X, dX = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 3))
    dparams = rng.normal(size=layer.n_params)
    Z, dZ = nl.jvp(layer, X, dX, dparams)
    theta, h = layer.flat_params.copy(), 1e-6

    def f(t):
        layer.flat_params[...] = theta + t * dparams
        return layer.forward(X + t * dX, cache=False)

    numeric = (f(h) - f(-h)) / (2 * h)
    layer.flat_params[...] = theta
    np.testing.assert_array_equal(Z, layer.forward(X, cache=False))
    assert relative_error(dZ, numeric) < 1e-8
    np.testing.assert_array_equal(nl.jvp(layer, X, dX)[1], dX)


def test_float32_stays_float32_and_agrees_with_float64():
    rng = np.random.default_rng(2)
    X, y = rng.integers(0, 5, (3, 6)), rng.integers(0, 5, (3, 6))
    nets = token_net(dtype=np.float64), token_net(dtype=np.float32)
    grads = []
    for net in nets:
        loss = nl.SoftmaxCrossEntropy()
        out = net.forward(X)
        loss.forward(out, y)
        net.backward(loss.backward())
        assert out.dtype == net.dtype and net[1].dP.dtype == net.dtype
        grads.append(net[1].dP.copy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-3, atol=1e-5)


def test_inference_keeps_nothing_and_flops_by_hand():
    layer = PositionalEmbedding(8, 3)
    X = np.ones((2, 5, 3))
    layer.forward(X, cache=False)
    assert layer.cached_arrays() == []
    # one addition per entry forward (2*5*3 = 30), and 30 to sum dP over the batch
    assert layer.flops(2, (5, 3)) == {"forward": 30, "backward_dW": 30, "backward_dX": 0}
    with pytest.raises(ValueError, match=r"flops expected input_shape \(T, 3\)"):
        layer.flops(2, (5, 4))


def test_deepcopy_and_astype_give_independent_converted_layers():
    layer = PositionalEmbedding(4, 2, rng=0)
    twin, single = copy.deepcopy(layer), layer.astype(np.float32)
    twin.P[...] = 0.0
    assert layer.P.any() and single.P.dtype == np.float32
    np.testing.assert_allclose(single.P, layer.P, rtol=1e-7)
    assert repr(single) == "PositionalEmbedding(4, 2, dtype=float32)"


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda: PositionalEmbedding(0, 3), ValueError, "max_len must be a positive"),
        (lambda: PositionalEmbedding(3, 2.5), TypeError, "d_model must be"),
        (lambda: PositionalEmbedding(3, 2, dtype=np.int64), TypeError, "dtype must be"),
    ],
)
def test_bad_constructor_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_inputs_change_nothing():
    layer = PositionalEmbedding(4, 3, rng=0)
    layer.forward(np.ones((2, 3, 3)))
    with raises_and_changes_nothing(layer, ValueError, r"expected sequences of 1 to 4 steps"):
        layer.forward(np.ones((2, 5, 3)))
    with raises_and_changes_nothing(layer, ValueError, r"PositionalEmbedding\(4, 3\) expected X"):
        layer.forward(np.ones((2, 3, 2)))
    with raises_and_changes_nothing(layer, ValueError, r"expected dZ of shape \(2, 3, 3\)"):
        layer.backward(np.ones((2, 4, 3)))
    with raises_and_changes_nothing(layer, TypeError, "numeric array"):
        layer.forward(np.array([[["a"] * 3] * 2]))


def test_doctests():
    assert doctest.testmod(positional).failed == 0
