"""MultiHeadAttention against a head-by-head reference in HIPS autograd (values, attention
weights and every gradient), PyTorch's nn.MultiheadAttention, central finite differences
(gradcheck and jvp), and its causal mask, dtypes, caches, FLOPs, copies and bad input."""

import copy
import doctest
import pickle

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from helpers import raises_and_changes_nothing, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlab as nl
from nnlab import attention
from nnlab.attention import MultiHeadAttention
from nnlab.init import xavier

REF_TOL = 1e-10
NAMES = ("W_q", "W_k", "W_v", "W_o", "b_q", "b_k", "b_v", "b_o")


def reference_mha(X, params, n_heads, causal):
    """Attention one head at a time, as the equations read; masked scores are set to -1e30
    (not -inf, as the layer does) before a max-shifted softmax. Returns ``(Z, P)``."""
    W_q, W_k, W_v, W_o, b_q, b_k, b_v, b_o = params
    T, d = X.shape[1], X.shape[2]
    d_k = d // n_heads
    Q, K, V = anp.dot(X, W_q) + b_q, anp.dot(X, W_k) + b_k, anp.dot(X, W_v) + b_v
    future = np.triu(np.ones((T, T), dtype=bool), 1)
    heads, weights = [], []
    for h in range(n_heads):
        cols = slice(h * d_k, (h + 1) * d_k)
        S = anp.einsum("ntk,nsk->nts", Q[:, :, cols], K[:, :, cols]) / np.sqrt(d_k)
        if causal:
            S = anp.where(future, -1e30, S)
        E = anp.exp(S - anp.max(S, axis=-1, keepdims=True))
        P = E / anp.sum(E, axis=-1, keepdims=True)
        heads.append(anp.einsum("nts,nsk->ntk", P, V[:, :, cols]))
        weights.append(P)
    return anp.dot(anp.concatenate(heads, axis=2), W_o) + b_o, anp.stack(weights, axis=1)


def close(got, want, scale, tol=REF_TOL):
    """``||got - want||`` within ``tol`` of ``||got|| + ||want||``, or of ``scale`` when that is
    larger. ``db_k`` is 0 in exact arithmetic (a shift of every key's score by the same
    ``q . b_k`` leaves the softmax unchanged), so it is rounding noise on both sides and is
    measured against the size of the whole gradient instead of its own."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    denom = max(np.linalg.norm(got) + np.linalg.norm(want), scale)
    return np.linalg.norm(got - want) <= tol * denom


def random_layer(d_model, n_heads, causal, rng, scale=1.0, dtype=np.float64):
    """A layer with random weights (times ``scale``) and random, non-zero biases."""
    layer = MultiHeadAttention(d_model, n_heads, causal=causal, rng=rng, dtype=dtype)
    for name in NAMES:
        value = getattr(layer, name)
        setattr(layer, name, (value if name[0] == "W" else rng.normal(size=d_model)) * scale)
    return layer


def params_of(layer):
    return [getattr(layer, name).copy() for name in NAMES]


@st.composite
def cases(draw):
    return {
        "N": draw(st.integers(1, 3)),
        "T": draw(st.integers(1, 6)),
        "n_heads": draw(st.integers(1, 3)),
        "d_k": draw(st.integers(1, 3)),
        "causal": draw(st.booleans()),
        "scale": draw(st.sampled_from([0.5, 1.0, 3.0])),  # 3: peaked softmax rows
        "seed": draw(st.integers(0, 2**16)),
    }


@settings(max_examples=20, deadline=None)
@given(cases())
def test_values_weights_and_every_gradient_match_autograd(case):
    rng = np.random.default_rng(case["seed"])
    d, h, causal = case["n_heads"] * case["d_k"], case["n_heads"], case["causal"]
    layer = random_layer(d, h, causal, rng, case["scale"])
    X = rng.normal(size=(case["N"], case["T"], d))
    Z = layer.forward(X)
    params = params_of(layer)
    Z_ref, P_ref = reference_mha(X, params, h, causal)
    np.testing.assert_allclose(Z, Z_ref, rtol=REF_TOL, atol=REF_TOL)
    np.testing.assert_allclose(layer.attention_weights, P_ref, rtol=REF_TOL, atol=REF_TOL)
    dZ = rng.normal(size=Z.shape)
    dX = layer.backward(dZ)

    def loss(X, params):
        return anp.sum(reference_mha(X, params, h, causal)[0] * dZ)

    dX_ref, grads_ref = grad(loss, 0)(X, params), grad(loss, 1)(X, params)
    scale = np.linalg.norm(layer.flat_grads)
    assert dX.shape == X.shape and relative_error(dX, dX_ref) <= REF_TOL
    for name, want in zip(NAMES, grads_ref, strict=True):
        got = getattr(layer, "d" + name)
        assert got.shape == want.shape and close(got, want, scale), name


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(
    ("N", "T", "d_model", "n_heads"), [(3, 5, 8, 2), (1, 4, 6, 3), (2, 1, 4, 1)]
)
def test_matches_torch_multihead_attention(causal, N, T, d_model, n_heads):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    layer = random_layer(d_model, n_heads, causal, rng)
    X, dZ = rng.normal(size=(N, T, d_model)), rng.normal(size=(N, T, d_model))
    Z = layer.forward(X)
    dX = layer.backward(dZ)

    mha = torch.nn.MultiheadAttention(d_model, n_heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(
            torch.from_numpy(np.concatenate([layer.W_q.T, layer.W_k.T, layer.W_v.T]))
        )
        mha.in_proj_bias.copy_(torch.from_numpy(np.concatenate([layer.b_q, layer.b_k, layer.b_v])))
        mha.out_proj.weight.copy_(torch.from_numpy(layer.W_o.T.copy()))
        mha.out_proj.bias.copy_(torch.from_numpy(layer.b_o.copy()))
    Xt = torch.tensor(X, requires_grad=True)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None
    out, weights = mha(Xt, Xt, Xt, need_weights=True, average_attn_weights=False, attn_mask=mask)
    out.backward(torch.from_numpy(dZ))

    assert relative_error(Z, out.detach().numpy()) <= REF_TOL
    assert relative_error(layer.attention_weights, weights.detach().numpy()) <= REF_TOL
    assert relative_error(dX, Xt.grad.numpy()) <= REF_TOL
    d = d_model
    W_in, b_in = mha.in_proj_weight.grad.numpy(), mha.in_proj_bias.grad.numpy()
    want = {
        "W_q": W_in[:d].T, "W_k": W_in[d : 2 * d].T, "W_v": W_in[2 * d :].T,
        "W_o": mha.out_proj.weight.grad.numpy().T,
        "b_q": b_in[:d], "b_k": b_in[d : 2 * d], "b_v": b_in[2 * d :],
        "b_o": mha.out_proj.bias.grad.numpy(),
    }  # fmt: skip
    scale = np.linalg.norm(layer.flat_grads)
    for name in NAMES:
        assert close(getattr(layer, "d" + name), want[name], scale), name


@pytest.mark.parametrize("causal", [False, True])
def test_gradcheck_in_a_network(causal):
    rng = np.random.default_rng(5)
    net = nl.Sequential([random_layer(6, 2, causal, rng), nl.Flatten(), nl.Dense(24, 3, rng=0)])
    X, y = rng.normal(size=(3, 4, 6)), rng.integers(0, 3, size=3)
    errors = nl.gradcheck(net, nl.SoftmaxCrossEntropy(), X, y)
    assert set(errors) == {f"0.{n}" for n in NAMES} | {"2.W", "2.b"}
    # 0.b_k is 0 up to rounding on both sides: its relative error measures noise (see close)
    assert max(v for k, v in errors.items() if k != "0.b_k") < 1e-6
    net.forward(X)
    net.backward(rng.normal(size=(3, 3)))
    assert np.linalg.norm(net[0].db_k) <= 1e-12 * np.linalg.norm(net[0].flat_grads)


def inference_along(layer, X, dX, dparams, t):
    p0 = layer.flat_params.copy()
    layer.flat_params[:] = p0 + t * dparams
    try:
        return layer.forward(X + t * dX, cache=False).copy()
    finally:
        layer.flat_params[:] = p0


@pytest.mark.parametrize("causal", [False, True])
def test_jvp_matches_central_differences_and_backward(causal):
    rng = np.random.default_rng(11)
    layer = random_layer(6, 3, causal, rng)
    X = rng.normal(size=(2, 5, 6))
    dX, dparams = rng.normal(size=X.shape), rng.normal(size=layer.n_params)
    Z, dZ = nl.jvp(layer, X, dX, dparams)
    np.testing.assert_allclose(Z, layer.forward(X, cache=False), rtol=1e-13, atol=1e-14)
    eps = 1e-5
    numeric = inference_along(layer, X, dX, dparams, eps) - inference_along(
        layer, X, dX, dparams, -eps
    )
    numeric /= 2 * eps
    assert relative_error(dZ, numeric) < 1e-6
    # the same directional derivative from backward: <dZ_jvp, G> = <dX, dX_bp> + <dparams, g>
    G = rng.normal(size=Z.shape)
    layer.forward(X)
    dX_bp = layer.backward(G)
    assert np.vdot(dZ, G) == pytest.approx(
        np.vdot(dX, dX_bp) + np.vdot(dparams, layer.flat_grads), rel=1e-12
    )
    # input tangent only; and inside a network
    _, dZ_X = layer.jvp(X, dX)
    _, dZ_X0 = layer.jvp(X, dX, np.zeros(layer.n_params))
    np.testing.assert_allclose(dZ_X, dZ_X0, rtol=1e-14, atol=1e-15)
    net = nl.Sequential([layer, nl.Flatten()])
    _, dZ_net = nl.jvp(net, X, dX, dparams)
    np.testing.assert_allclose(dZ_net, dZ.reshape(2, -1), rtol=1e-14, atol=1e-15)


# -- the causal mask ------------------------------------------------------------------------


def test_causal_weights_are_exact_zeros_above_the_diagonal_and_rows_sum_to_one(rng):
    layer = random_layer(8, 2, True, rng, scale=2.0)
    layer.forward(rng.normal(size=(3, 6, 8)))
    P = layer.attention_weights
    assert P.shape == (3, 2, 6, 6)
    future = np.triu(np.ones((6, 6), dtype=bool), 1)
    assert np.all(P[..., future] == 0.0)
    assert np.all(P[..., ~future] > 0.0)
    np.testing.assert_allclose(P.sum(axis=-1), 1.0, rtol=1e-14)
    assert np.all(P[:, :, 0, 0] == 1.0)  # the first position sees only itself
    layer.causal = False  # not causal: every weight positive
    layer.forward(rng.normal(size=(3, 6, 8)))
    assert np.all(layer.attention_weights > 0.0)


def test_causal_output_at_t_ignores_later_inputs_and_sends_them_no_gradient(rng):
    layer = random_layer(6, 2, True, rng)
    X = rng.normal(size=(2, 7, 6))
    Z = layer.forward(X, cache=False)
    for t in range(7):
        changed = X.copy()
        changed[:, t + 1 :] = rng.normal(size=changed[:, t + 1 :].shape) * 10
        np.testing.assert_array_equal(
            layer.forward(changed, cache=False)[:, : t + 1], Z[:, : t + 1]
        )
        # a loss of the outputs up to t only: no gradient reaches the later inputs
        dZ = np.zeros(Z.shape)
        dZ[:, : t + 1] = rng.normal(size=dZ[:, : t + 1].shape)
        layer.forward(X)
        dX = layer.backward(dZ)
        assert not dX[:, t + 1 :].any()
        assert dX[:, : t + 1].any()
    not_causal = copy.deepcopy(layer)
    not_causal.causal = False
    changed = X.copy()
    changed[:, -1] += 1.0
    assert not np.allclose(not_causal.forward(changed)[:, 0], not_causal.forward(X)[:, 0])


# -- special cases --------------------------------------------------------------------------


def test_one_head_is_plain_scaled_dot_product_attention(rng):
    layer = random_layer(5, 1, False, rng)
    X = rng.normal(size=(3, 4, 5))
    Z = layer.forward(X)
    Q, K, V = (X @ getattr(layer, "W_" + c) + getattr(layer, "b_" + c) for c in "qkv")
    S = Q @ K.transpose(0, 2, 1) / np.sqrt(5)
    P = np.exp(S) / np.exp(S).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(Z, P @ V @ layer.W_o + layer.b_o, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(layer.attention_weights[:, 0], P, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("causal", [False, True])
def test_one_step_attends_to_itself_only(rng, causal):
    layer = random_layer(6, 3, causal, rng)
    X = rng.normal(size=(4, 1, 6))
    Z = layer.forward(X)
    assert np.all(layer.attention_weights == 1.0)
    np.testing.assert_allclose(
        Z, (X @ layer.W_v + layer.b_v) @ layer.W_o + layer.b_o, rtol=1e-13, atol=1e-14
    )
    dZ = rng.normal(size=Z.shape)
    dX = layer.backward(dZ)
    for name in ("W_q", "W_k", "b_q", "b_k"):  # a softmax of one score is 1 whatever it is
        assert not getattr(layer, "d" + name).any(), name
    np.testing.assert_allclose(dX, dZ @ layer.W_o.T @ layer.W_v.T, rtol=1e-12, atol=1e-14)


def test_batch_of_one_equals_that_row_of_a_bigger_batch(rng):
    layer = random_layer(6, 2, True, rng)
    X, dZ = rng.normal(size=(3, 5, 6)), rng.normal(size=(3, 5, 6))
    Z = layer.forward(X).copy()
    dX = layer.backward(dZ)
    grads = layer.flat_grads.copy()
    one = layer.forward(X[1:2]).copy()
    np.testing.assert_allclose(one, Z[1:2], rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(layer.backward(dZ[1:2]), dX[1:2], rtol=1e-12, atol=1e-14)
    parts = layer.flat_grads.copy()
    for i in (0, 2):
        layer.forward(X[i : i + 1])
        layer.backward(dZ[i : i + 1])
        parts += layer.flat_grads
    np.testing.assert_allclose(parts, grads, rtol=1e-11, atol=1e-12)


def test_empty_batch_gives_zero_gradients():
    layer = MultiHeadAttention(4, 2, rng=0)
    for _, _, g in layer.parameters():
        g[...] = 7.0
    Z = layer.forward(np.zeros((0, 3, 4)))
    dX = layer.backward(np.zeros((0, 3, 4)))
    assert Z.shape == dX.shape == (0, 3, 4)
    assert layer.attention_weights.shape == (0, 2, 3, 3)
    assert not layer.flat_grads.any()


# -- dtypes, passes, caches -----------------------------------------------------------------


@pytest.mark.parametrize("causal", [False, True])
def test_float32_stays_float32_and_agrees_with_float64(rng, causal):
    l64 = random_layer(8, 2, causal, rng)
    l32 = l64.astype(np.float32)
    X, dZ = rng.normal(size=(3, 6, 8)), rng.normal(size=(3, 6, 8))
    Z64, Z32 = l64.forward(X), l32.forward(X)  # float64 data is cast once, at the input
    dX64, dX32 = l64.backward(dZ), l32.backward(dZ)
    assert Z32.dtype == dX32.dtype == l32.attention_weights.dtype == np.float32
    assert all(p.dtype == g.dtype == np.float32 for _, p, g in l32.parameters())
    for got, want in ((Z32, Z64), (dX32, dX64), (l32.attention_weights, l64.attention_weights)):
        assert relative_error(got, want) < 1e-4
    scale = np.linalg.norm(l64.flat_grads)
    for name in NAMES:
        assert close(getattr(l32, "d" + name), getattr(l64, "d" + name), scale, 1e-4), name
    Zj, dZj = l32.jvp(X, X)
    assert Zj.dtype == dZj.dtype == np.float32


def test_inference_pass_keeps_nothing_but_the_weights(rng):
    layer = random_layer(6, 2, False, rng)
    X = rng.normal(size=(2, 5, 6))
    Z_train = layer.forward(X).copy()
    P_train = layer.attention_weights
    Z = layer.forward(X, cache=False)
    np.testing.assert_array_equal(Z, Z_train)
    assert layer.cached_arrays() == [] and nl.cached_bytes(layer) == 0
    assert layer.attention_weights is not P_train  # replaced by this forward
    np.testing.assert_array_equal(layer.attention_weights, P_train)
    Z[0, 0, 0] = 1.0  # the inference output is the caller's
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones(Z.shape))


def test_attention_weights_are_read_only_and_replaced_by_each_forward(rng):
    layer = MultiHeadAttention(4, 2, rng=0)
    assert layer.attention_weights is None
    X = rng.normal(size=(2, 3, 4))
    layer.forward(X)
    P = layer.attention_weights
    with pytest.raises(ValueError, match="read-only"):
        P[0, 0, 0, 0] = 1.0
    kept = P.copy()
    layer.backward(rng.normal(size=X.shape))  # backward does not touch P
    np.testing.assert_array_equal(P, kept)
    layer.forward(rng.normal(size=(1, 5, 4)))
    assert layer.attention_weights.shape == (1, 2, 5, 5)
    np.testing.assert_array_equal(P, kept)  # the old array is not overwritten


def test_input_grad_false_and_repeated_calls_with_reused_buffers(rng):
    layer = random_layer(6, 3, True, rng)
    X1, X2 = rng.normal(size=(2, 5, 6)), rng.normal(size=(3, 4, 6))
    dZ1, dZ2 = rng.normal(size=X1.shape), rng.normal(size=X2.shape)
    Z1 = layer.forward(X1)
    kept = Z1.copy()
    dX1 = layer.backward(dZ1)
    grads1 = layer.flat_grads.copy()
    assert layer.backward(dZ1, input_grad=False) is None
    np.testing.assert_array_equal(layer.flat_grads, grads1)
    layer.forward(X2)
    layer.backward(dZ2)
    layer.forward(X1)
    np.testing.assert_array_equal(layer.backward(dZ1), dX1)
    np.testing.assert_array_equal(layer.flat_grads, grads1)
    np.testing.assert_array_equal(Z1, kept)


def test_cache_holds_the_inputs_projections_and_a_T_by_T_matrix_per_head(rng):
    N, d, H = 2, 4, 2
    layer = MultiHeadAttention(d, H, rng=0)
    sizes = {}
    for T in (64, 128, 256):
        layer.forward(rng.normal(size=(N, T, d)))
        sizes[T] = sum(a.nbytes for a in layer.cached_arrays())
        # X, Q, K, V, O of (N, T, d) and P of (N, H, T, T), float64
        assert sizes[T] == 8 * (5 * N * T * d + N * H * T * T) == nl.cached_bytes(layer)
    assert 3.8 < sizes[256] / sizes[128] <= 4.0
    assert 3.6 < sizes[128] / sizes[64] <= 4.0


def test_flops_on_a_tiny_case():
    layer = MultiHeadAttention(4, 2, rng=0)  # d = 4, H = 2, d_k = 2; N = 2, T = 3
    f = layer.flops(2, (3, 4))
    # projections 2 N T d^2 = 2*2*3*16 = 192 each; a bias or scaling of (N, T, d): 24;
    # Q_h K_h^T or P_h V_h: 2 N H T^2 d_k = 2*2*2*9*2 = 144; entries of P: N H T^2 = 36
    assert f["forward"] == 4 * 192 + 4 * 24 + 24 + 2 * 144 + 5 * 36 == 1356
    assert f["backward_dW"] == 192 + 4 * 144 + 4 * 36 + 2 * 24 + 4 * (192 + 24) == 1824
    assert f["backward_dX"] == 3 * 192 + 2 * 24 == 624
    layer.forward(np.zeros((5, 3, 4)))
    assert layer.flops(2) == f  # the number of steps of the last forward
    with pytest.raises(ValueError, match=r"flops expected input_shape \(T, 4\), got \(3, 5\)"):
        layer.flops(2, (3, 5))
    rows = nl.flops(nl.Sequential([layer, nl.Flatten()]), 2, input_shape=(3, 4))
    assert rows[0]["forward"] == 1356 and rows[0]["backward"] == 1824 + 624


def test_trains_in_a_network():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 5, 4))
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    net = nl.Sequential(
        [MultiHeadAttention(4, 2, rng=0), nl.Flatten(), nl.Dense(20, 2, init="xavier", rng=0)]
    )
    opt = nl.Adam(net.parameters(), lr=0.02)
    history = nl.fit(net, nl.SoftmaxCrossEntropy(), opt, X, y, epochs=20, rng=0, progress=False)
    assert history["loss"][-1] < 0.5 * history["loss"][0]


def test_checkpointing_and_forward_mode_gradient_work_on_a_stack_of_attention_layers():
    def build():
        return nl.Sequential(
            [
                MultiHeadAttention(4, 2, causal=True, rng=0),
                nl.Tanh(),
                MultiHeadAttention(4, 1, rng=1),
                nl.Flatten(),
                nl.Dense(20, 3, rng=0),
            ]
        )

    rng = np.random.default_rng(2)
    X, y, loss = rng.normal(size=(6, 5, 4)), rng.integers(0, 3, 6), nl.SoftmaxCrossEntropy()
    plain = build()
    loss.forward(plain.forward(X), y)
    plain.backward(loss.backward())
    for segments in (2, 5):
        checked = build()
        nl.checkpointed_backward(checked, loss, X, y, segments)
        assert np.array_equal(checked.flat_grads, plain.flat_grads), segments
    small = build()
    loss.forward(small.forward(X[:2]), y[:2])
    small.backward(loss.backward())
    by_jvp = nl.forward_mode_gradient(build(), loss, X[:2], y[:2])
    assert relative_error(by_jvp, small.flat_grads) < 1e-12


# -- construction, copies, bad input --------------------------------------------------------


def test_init_draws_four_weights_in_order_from_one_generator():
    layer = MultiHeadAttention(6, 2, rng=42)
    gen = np.random.default_rng(42)
    for name in ("W_q", "W_k", "W_v", "W_o"):
        np.testing.assert_array_equal(getattr(layer, name), xavier(6, 6, gen))
    assert not any(getattr(layer, n).any() for n in ("b_q", "b_k", "b_v", "b_o"))
    seen = []

    def init(n_in, n_out, rng):
        seen.append((n_in, n_out, isinstance(rng, np.random.Generator)))
        return np.full((n_in, n_out), 0.5)

    layer = MultiHeadAttention(4, 4, init=init)
    assert seen == [(4, 4, True)] * 4 and np.all(layer.W_o == 0.5)
    he = MultiHeadAttention(6, 2, init="he", rng=42)
    assert not np.array_equal(he.W_q, MultiHeadAttention(6, 2, rng=42).W_q)
    assert repr(layer) == "MultiHeadAttention(d_model=4, n_heads=4, causal=False, init='init')"


def test_repr_shapes_and_docs():
    layer = MultiHeadAttention(8, 2, causal=True, dtype=np.float32)
    assert repr(layer) == (
        "MultiHeadAttention(d_model=8, n_heads=2, causal=True, init='xavier', dtype=float32)"
    )
    assert layer.d_k == 4 and layer.input_shape == ("n_steps", 8)
    assert layer.output_shape((5, 8)) == (5, 8)
    assert layer.n_params == 4 * 64 + 4 * 8
    assert [n for n, _, _ in layer.parameters()] == list(NAMES)
    assert "Notes\n    -----" in MultiHeadAttention.__doc__
    assert doctest.testmod(attention).failed == 0


def test_deepcopy_pickle_and_astype_are_independent(rng):
    layer = random_layer(6, 2, True, rng)
    X = rng.normal(size=(2, 4, 6))
    Z = layer.forward(X).copy()
    layer.backward(np.ones(X.shape))
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert not np.shares_memory(clone.flat_params, layer.flat_params)
        assert not np.shares_memory(clone.attention_weights, layer.attention_weights)
        np.testing.assert_array_equal(clone.forward(X), Z)
        clone.W_q = clone.W_q + 1.0
        clone.backward(np.ones(X.shape))
    np.testing.assert_array_equal(layer.forward(X), Z)
    l32 = layer.astype(np.float32)
    assert l32.dtype == np.float32 and layer.dtype == np.float64
    assert l32.attention_weights is None and l32.cached_arrays() == []
    assert l32.causal and l32.n_heads == 2
    np.testing.assert_allclose(l32.W_v, layer.W_v, rtol=1e-7)
    assert l32.forward(X).dtype == np.float32
    assert relative_error(l32.forward(X), Z) < 1e-5


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        (
            {"d_model": 10, "n_heads": 3},
            ValueError,
            r"MultiHeadAttention: d_model must be divisible by n_heads .*got d_model=10, "
            r"n_heads=3\.",
        ),
        ({"d_model": 0}, ValueError, r"MultiHeadAttention: d_model must be a positive int, got 0"),
        ({"n_heads": 2.0}, TypeError, r"n_heads must be a positive int, got 2\.0"),
        ({"causal": 1}, TypeError, r"MultiHeadAttention: causal must be True or False, got 1\."),
        ({"causal": "yes"}, TypeError, r"causal must be True or False, got 'yes'\."),
        ({"init": "glorot"}, ValueError, r"unknown init 'glorot'; expected one of"),
        ({"rng": 0.5}, TypeError, r"rng must be None, an int seed or a np\.random\.Generator"),
        ({"dtype": np.int32}, TypeError, r"dtype must be float32 or float64"),
        (
            {"init": lambda n_in, n_out, rng: np.full((n_in, n_out), np.nan)},
            ValueError,
            r"init returned nan or inf weights for W_q",
        ),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        MultiHeadAttention(**{"d_model": 4, "n_heads": 2, **kwargs})


LAYER = r"MultiHeadAttention\(d_model=4, n_heads=2, causal=False, init='xavier'\)"


@pytest.mark.parametrize(
    ("X", "exc", "match"),
    [
        (np.ones((2, 3, 5)), ValueError,
         rf"{LAYER} expected X of shape \(n_samples, n_steps, 4\), got \(2, 3, 5\)\."),
        (np.ones((3, 4)), ValueError,
         rf"{LAYER} expected X of shape \(n_samples, n_steps, 4\), got a 2-D array of shape "
         r"\(3, 4\)\. For a single sample use X\[np\.newaxis\]\."),
        (np.ones((2, 0, 4)), ValueError, rf"{LAYER} expected X with at least one time step"),
        (np.ones((2, 3, 4)) * 1j, TypeError, rf"{LAYER} expected X to be a numeric array"),
    ],
)  # fmt: skip
def test_bad_input_changes_nothing(rng, X, exc, match):
    layer = MultiHeadAttention(4, 2, rng=0)
    layer.forward(rng.normal(size=(2, 3, 4)))
    layer.backward(rng.normal(size=(2, 3, 4)))
    weights = layer.attention_weights.copy()
    with raises_and_changes_nothing(layer, exc, match):
        layer.forward(X)
    np.testing.assert_array_equal(layer.attention_weights, weights)
    with raises_and_changes_nothing(layer, ValueError, r"expected dZ of shape \(2, 3, 4\)"):
        layer.backward(np.ones((2, 3, 5)))
    with raises_and_changes_nothing(layer, ValueError, r"expected dX of shape \(2, 3, 4\)"):
        layer.jvp(np.ones((2, 3, 4)), np.ones((2, 3, 3)))


def test_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match=r"MultiHeadAttention\(.*backward\(\) called before"):
        MultiHeadAttention(4, 2).backward(np.ones((1, 2, 4)))
