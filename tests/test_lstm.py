"""LSTM against an unrolled loop written in HIPS autograd (values, every gradient, and dL/dh_t,
dL/dc_t at every step), against torch.nn.LSTM, against central finite differences (gradcheck,
jvp), in float32, inference, FLOPs, bad input, copies."""

import copy
import doctest

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from helpers import assert_float32_pass, raises_and_changes_nothing, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlab as nl
from nnlab import lstm as lstm_module
from nnlab.init import xavier
from nnlab.lstm import LSTM
from nnlab.recurrent import orthogonal

REF_TOL = 1e-10


def sigmoid(z):
    return 1.0 / (1.0 + anp.exp(-z))


def reference_lstm(X, W_x, W_h, b, return_sequences, E_h=None, E_c=None):
    """The LSTM step by step, gates i, f, g, o. ``E_h[t]`` and ``E_c[t]`` are added to each
    state and cell: d(loss)/dE_h[t] at zero is dL/dh_t, and d(loss)/dE_c[t] is dL/dc_t (the
    whole gradient reaching them, since both feed the rest of the loop)."""
    N, n = X.shape[0], W_h.shape[0]
    h, c, states = anp.zeros((N, n)), anp.zeros((N, n)), []
    for t in range(X.shape[1]):
        G = anp.dot(X[:, t], W_x) + anp.dot(h, W_h) + b
        i, f = sigmoid(G[:, :n]), sigmoid(G[:, n : 2 * n])
        g, o = anp.tanh(G[:, 2 * n : 3 * n]), sigmoid(G[:, 3 * n :])
        c = f * c + i * g
        if E_c is not None:
            c = c + E_c[t]
        h = o * anp.tanh(c)
        if E_h is not None:
            h = h + E_h[t]
        states.append(h)
    return anp.stack(states, axis=1) if return_sequences else h


@st.composite
def lstm_cases(draw):
    return {
        "N": draw(st.integers(1, 4)),
        "T": draw(st.integers(1, 6)),
        "n_in": draw(st.integers(1, 4)),
        "n_hidden": draw(st.integers(1, 5)),
        "return_sequences": draw(st.booleans()),
        "scale": draw(st.sampled_from([0.5, 1.0, 2.0])),  # 2: saturated gates
        "seed": draw(st.integers(0, 2**16)),
    }


def lstm_case(case):
    rng = np.random.default_rng(case["seed"])
    h = case["n_hidden"]
    layer = LSTM(case["n_in"], h, return_sequences=case["return_sequences"], rng=rng)
    layer.W_x = layer.W_x * case["scale"]
    layer.W_h = layer.W_h * case["scale"]
    layer.b = rng.normal(size=4 * h)
    X = rng.normal(size=(case["N"], case["T"], case["n_in"]))
    return layer, X, rng


@settings(max_examples=20, deadline=None)
@given(lstm_cases())
def test_lstm_matches_autograd_reference(case):
    layer, X, rng = lstm_case(case)
    Z = layer.forward(X)
    W_x, W_h, b = layer.W_x.copy(), layer.W_h.copy(), layer.b.copy()
    seq = layer.return_sequences
    ref = reference_lstm(X, W_x, W_h, b, seq)
    assert Z.shape == ref.shape
    np.testing.assert_allclose(Z, ref, rtol=REF_TOL, atol=REF_TOL)
    dZ = rng.normal(size=Z.shape)
    dX = layer.backward(dZ)
    E = np.zeros((X.shape[1], X.shape[0], layer.n_hidden))

    def loss(X, W_x, W_h, b, E_h, E_c):
        return anp.sum(reference_lstm(X, W_x, W_h, b, seq, E_h, E_c) * dZ)

    args = (X, W_x, W_h, b, E, E.copy())
    for got, argnum in ((dX, 0), (layer.dW_x, 1), (layer.dW_h, 2), (layer.db, 3)):
        want = grad(loss, argnum)(*args)
        assert got.shape == want.shape
        assert relative_error(got, want) <= REF_TOL, argnum
    # the gradient reaching each state and each cell: (T, N, n_hidden) each
    for norms, argnum in ((layer.grad_norms_by_step, 4), (layer.cell_grad_norms_by_step, 5)):
        want = grad(loss, argnum)(*args)
        np.testing.assert_allclose(norms, np.sqrt((want**2).sum(axis=(1, 2))), rtol=1e-10)


# -- PyTorch ----------------------------------------------------------------------------------


def torch_lstm(layer):
    """``torch.nn.LSTM`` holding the layer's weights (float64, bias_hh = 0)."""
    torch = pytest.importorskip("torch")
    module = torch.nn.LSTM(layer.n_in, layer.n_hidden, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(layer.W_x.T.copy()))
        module.weight_hh_l0.copy_(torch.from_numpy(layer.W_h.T.copy()))
        module.bias_ih_l0.copy_(torch.from_numpy(layer.b.copy()))
        module.bias_hh_l0.zero_()
    return module


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize(("N", "T", "n_in", "n_hidden"), [(3, 7, 4, 5), (1, 1, 2, 3), (2, 4, 1, 1)])
def test_lstm_matches_torch(return_sequences, N, T, n_in, n_hidden):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(N * 100 + T)
    layer = LSTM(n_in, n_hidden, return_sequences=return_sequences, rng=rng)
    layer.b = rng.normal(size=4 * n_hidden)
    X = rng.normal(size=(N, T, n_in))
    module = torch_lstm(layer)
    Xt = torch.from_numpy(X.copy()).requires_grad_(True)
    out, _ = module(Xt)
    out = out if return_sequences else out[:, -1]
    Z = layer.forward(X)
    np.testing.assert_allclose(Z, out.detach().numpy(), rtol=REF_TOL, atol=1e-14)
    dZ = rng.normal(size=Z.shape)
    out.backward(torch.from_numpy(dZ))
    dX = layer.backward(dZ)
    pairs = [
        (dX, Xt.grad),
        (layer.dW_x, module.weight_ih_l0.grad.T),
        (layer.dW_h, module.weight_hh_l0.grad.T),
        (layer.db, module.bias_ih_l0.grad),
        (layer.db, module.bias_hh_l0.grad),  # the two torch biases get the same gradient
    ]
    for got, want in pairs:
        want = want.numpy()
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=REF_TOL, atol=1e-14)


def test_saturated_gates_stay_exact_and_finite():
    """Pre-activations in the hundreds: sigmoids of 0 or 1 to the last bit, no overflow warning
    (warnings are errors here), and torch's values and gradients still."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    layer = LSTM(3, 4, return_sequences=True, rng=0)
    X = 100.0 * rng.normal(size=(2, 5, 3))
    module = torch_lstm(layer)
    Xt = torch.from_numpy(X.copy()).requires_grad_(True)
    out, _ = module(Xt)
    Z = layer.forward(X)
    np.testing.assert_allclose(Z, out.detach().numpy(), rtol=REF_TOL, atol=1e-14)
    dZ = rng.normal(size=Z.shape)
    out.backward(torch.from_numpy(dZ))
    np.testing.assert_allclose(layer.backward(dZ), Xt.grad.numpy(), rtol=REF_TOL, atol=1e-14)
    assert relative_error(layer.dW_x, module.weight_ih_l0.grad.numpy().T) < 1e-13
    layer.forward(1e4 * X)
    layer.backward(dZ)
    assert np.isfinite(layer.flat_grads).all()


# -- finite differences -----------------------------------------------------------------------


def lstm_net(n_in, n_hidden, *, rng=0, dtype=np.float64):
    return nl.Sequential(
        [LSTM(n_in, n_hidden, rng=rng, dtype=dtype), nl.Dense(n_hidden, 1, rng=rng, dtype=dtype)]
    )


@pytest.mark.parametrize(("N", "T"), [(4, 5), (1, 1), (1, 3), (3, 1)])
def test_gradcheck_inside_a_network(N, T):
    rng = np.random.default_rng(N + 10 * T)
    net = lstm_net(3, 4, rng=rng)
    net.layers[0].b = rng.normal(size=16)
    X, y = rng.normal(size=(N, T, 3)), rng.normal(size=(N, 1))
    errors = nl.gradcheck(net, nl.MSELoss(), X, y)
    assert set(errors) == {"0.W_x", "0.W_h", "0.b", "1.W", "1.b"}
    assert max(errors.values()) < 1e-6, errors
    if T == 1:  # h_0 = 0: W_h does not act on a single step
        net.forward(X)
        loss = nl.MSELoss()
        loss(net.forward(X), y)
        net.backward(loss.backward())
        assert not net.layers[0].dW_h.any()


def test_gradcheck_of_stacked_lstms():
    rng = np.random.default_rng(3)
    net = nl.Sequential(
        [LSTM(2, 3, return_sequences=True, rng=0), LSTM(3, 4, rng=1), nl.Dense(4, 2, rng=2)]
    )
    X, y = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 2))
    errors = nl.gradcheck(net, nl.MSELoss(), X, y)
    assert max(errors.values()) < 1e-6, errors


def along(layer, X, dX, dparams, t):
    """The inference output at ``(X + t dX, params + t dparams)``; parameters restored."""
    p0 = layer.flat_params.copy()
    layer.flat_params[:] = p0 + t * dparams
    try:
        return layer.forward(X + t * dX, cache=False).copy()
    finally:
        layer.flat_params[:] = p0


@pytest.mark.parametrize("return_sequences", [False, True])
def test_jvp_is_the_central_difference_and_the_transpose_of_backward(return_sequences):
    rng = np.random.default_rng(5)
    layer = LSTM(3, 4, return_sequences=return_sequences, rng=0)
    layer.flat_params[:] = 0.6 * rng.normal(size=layer.n_params)
    X = rng.normal(size=(2, 5, 3))
    dX, dparams = rng.normal(size=X.shape), rng.normal(size=layer.n_params)
    before = layer.flat_params.copy()
    Z, dZ = nl.jvp(layer, X, dX, dparams)
    np.testing.assert_array_equal(layer.flat_params, before)
    assert layer.cached_arrays() == []  # jvp keeps nothing
    np.testing.assert_allclose(Z, layer.forward(X, cache=False), rtol=1e-14)
    eps = 1e-5
    numeric = (along(layer, X, dX, dparams, eps) - along(layer, X, dX, dparams, -eps)) / (2 * eps)
    assert relative_error(dZ, numeric) < 1e-6
    # each part on its own, and <J v, u> = <v, J^T u> with J^T u from backward
    _, dZ_X = nl.jvp(layer, X, dX)
    _, dZ_p = nl.jvp(layer, X, None, dparams)
    np.testing.assert_allclose(dZ_X + dZ_p, dZ, rtol=1e-12, atol=1e-14)
    U = rng.normal(size=Z.shape)
    layer.forward(X)
    dX_back = layer.backward(U)
    assert np.sum(dZ * U) == pytest.approx(
        np.sum(dX_back * dX) + layer.flat_grads @ dparams, rel=1e-12
    )


# -- the gradient through time ----------------------------------------------------------------


def test_grad_norms_end_with_dZ_and_its_path_into_the_last_cell(rng):
    layer = LSTM(3, 4, rng=0)
    X = rng.normal(size=(2, 6, 3))
    layer.forward(X)
    dZ = rng.normal(size=(2, 4))
    layer.backward(dZ)
    norms, cell = layer.grad_norms_by_step, layer.cell_grad_norms_by_step
    assert norms.shape == cell.shape == (6,)
    assert norms[-1] == pytest.approx(np.linalg.norm(dZ), rel=1e-14)
    # c_T reaches the loss through h_T = o_T tanh(c_T) only
    seq = LSTM(3, 4, return_sequences=True, rng=0)
    G = X[:, -1] @ seq.W_x + seq.forward(X)[:, -2] @ seq.W_h
    o_T = 1 / (1 + np.exp(-G[:, 12:]))
    tanh_c_T = layer.forward(X, cache=False) / o_T
    want = np.linalg.norm(dZ * o_T * (1 - tanh_c_T**2))
    assert cell[-1] == pytest.approx(want, rel=1e-12)


def test_the_cell_path_scales_the_gradient_by_the_forget_gate_per_step(rng):
    """With W_h = 0 nothing reaches h_{t-1} but through the output, so dc_{t-1} = dc_t * f_t;
    with the forget gate's input weights at 0, f_t = sigmoid(b_f) at every step."""
    h, T = 4, 12
    layer = LSTM(3, h, rng=0)
    layer.W_h = np.zeros((h, 4 * h))
    W_x = layer.W_x.copy()
    W_x[:, h : 2 * h] = 0.0
    layer.W_x = W_x
    b = np.zeros(4 * h)
    b[h : 2 * h] = 3.0
    layer.b = b
    layer.forward(rng.normal(size=(5, T, 3)))
    layer.backward(rng.normal(size=(5, h)))
    cell, norms = layer.cell_grad_norms_by_step, layer.grad_norms_by_step
    f = 1 / (1 + np.exp(-3.0))
    np.testing.assert_allclose(cell[:-1] / cell[1:], f, rtol=1e-12)
    assert not norms[:-1].any()  # the states before h_T feed nothing but W_h
    assert cell[0] / cell[-1] == pytest.approx(f ** (T - 1), rel=1e-10)


def test_gradient_norms_before_any_backward_raise():
    layer = LSTM(2, 3)
    for name in ("grad_norms_by_step", "cell_grad_norms_by_step"):
        with pytest.raises(RuntimeError, match=rf"{name} is measured by backward\(\); run"):
            getattr(layer, name)


# -- shapes, one step, return_sequences, dtypes, inference -----------------------------------


def test_lstm_with_one_step_and_one_sample_is_the_gate_formula():
    layer = LSTM(3, 2, rng=0)
    layer.b = np.linspace(-1, 1, 8)
    X = np.random.default_rng(1).normal(size=(1, 1, 3))
    G = X[:, 0] @ layer.W_x + layer.b
    s = 1 / (1 + np.exp(-G))
    c = s[:, :2] * np.tanh(G[:, 4:6])
    np.testing.assert_allclose(layer.forward(X), s[:, 6:] * np.tanh(c), rtol=1e-14)


def test_repr_shapes_and_parameter_count():
    layer = LSTM(8, 16, rng=0)
    assert repr(layer) == "LSTM(8 -> 16, return_sequences=False, init='xavier')"
    assert layer.input_shape == ("n_steps", 8)
    assert layer.output_shape((20, 8)) == layer.output_shape(None) == (16,)
    assert layer.W_x.shape == (8, 64) and layer.W_h.shape == (16, 64) and layer.b.shape == (64,)
    assert layer.n_params == 8 * 64 + 16 * 64 + 64
    seq = LSTM(8, 4, return_sequences=True, init="he", dtype=np.float32)
    assert repr(seq) == "LSTM(8 -> 4, return_sequences=True, init='he', dtype=float32)"
    assert seq.output_shape((20, 8)) == (20, 4)
    assert seq.output_shape(None) == ("n_steps", 4)
    assert seq.forward(np.zeros((2, 7, 8))).shape == (2, 7, 4)


def test_init_draws_W_x_then_four_orthogonal_blocks_of_W_h_from_one_generator():
    layer = LSTM(3, 5, rng=7)
    gen = np.random.default_rng(7)
    np.testing.assert_array_equal(layer.W_x, xavier(3, 20, gen))
    np.testing.assert_array_equal(layer.W_h, np.hstack([orthogonal(5, gen) for _ in range(4)]))
    for k in range(4):
        block = layer.W_h[:, 5 * k : 5 * (k + 1)]
        np.testing.assert_allclose(block.T @ block, np.eye(5), atol=1e-12)
    assert not layer.b.any()
    seen = []

    def init(n_in, n_out, rng):
        seen.append((n_in, n_out))
        return np.full((n_in, n_out), 0.5)

    assert repr(LSTM(3, 2, init=init)).endswith("init='init')")
    assert seen == [(3, 8)]
    assert not np.array_equal(LSTM(3, 5, rng=8).W_h, layer.W_h)


def test_return_sequences_outputs_every_state_and_the_last_is_h_T(rng):
    last, seq = LSTM(3, 4, rng=0), LSTM(3, 4, return_sequences=True, rng=0)
    X = rng.normal(size=(2, 6, 3))
    H = seq.forward(X)
    np.testing.assert_array_equal(H[:, -1], last.forward(X))
    dZ = np.zeros(H.shape)
    dZ[:, -1] = rng.normal(size=(2, 4))
    np.testing.assert_allclose(seq.backward(dZ), last.backward(dZ[:, -1]), rtol=1e-14)
    for a, b in zip(seq.parameters(), last.parameters(), strict=True):
        np.testing.assert_allclose(a[2], b[2], rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(seq.cell_grad_norms_by_step, last.cell_grad_norms_by_step)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_float32_stays_float32_and_agrees_with_float64(rng, return_sequences):
    l64 = LSTM(3, 6, return_sequences=return_sequences, rng=0)
    l64.b = rng.normal(size=24)
    l32 = l64.astype(np.float32)
    X = rng.normal(size=(4, 8, 3))  # float64 in: cast once, at the input
    Z64, Z32 = l64.forward(X), l32.forward(X)
    dZ = rng.normal(size=Z64.shape)
    dX64, dX32 = l64.backward(dZ), l32.backward(dZ)
    assert Z32.dtype == dX32.dtype == np.float32
    assert all(p.dtype == g.dtype == np.float32 for _, p, g in l32.parameters())
    assert l32.grad_norms_by_step.dtype == l32.cell_grad_norms_by_step.dtype == np.float32
    assert relative_error(Z32, Z64) < 1e-4 and relative_error(dX32, dX64) < 1e-4
    for (name, _, g32), (_, _, g64) in zip(l32.parameters(), l64.parameters(), strict=True):
        assert relative_error(g32, g64) < 1e-4, name
    _, dZ32 = l32.jvp(X, np.ones(X.shape))
    assert dZ32.dtype == np.float32
    net = lstm_net(3, 4, dtype=np.float32)
    assert_float32_pass(net, nl.MSELoss(), X, rng.normal(size=(4, 1)))


def test_inference_pass_keeps_nothing_and_equals_the_training_pass(rng):
    layer = LSTM(2, 3, return_sequences=True, rng=0)
    X = rng.normal(size=(2, 4, 2))
    Z = layer.forward(X)
    with pytest.raises(ValueError, match="read-only"):
        Z[0, 0, 0] = 1.0
    Z_inf = layer.forward(X, cache=False)
    np.testing.assert_array_equal(Z_inf, Z)
    assert layer.cached_arrays() == []
    Z_inf[0, 0, 0] = 1.0  # the caller's own array
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones(Z.shape))


def test_buffers_are_reused_but_results_never_overwritten(rng):
    layer = LSTM(3, 4, return_sequences=True, rng=0)
    X1, X2 = rng.normal(size=(2, 5, 3)), rng.normal(size=(3, 5, 3))
    dZ1, dZ2 = rng.normal(size=(2, 5, 4)), rng.normal(size=(3, 5, 4))
    Z1 = layer.forward(X1)
    kept = Z1.copy()
    dX1 = layer.backward(dZ1)
    grads1 = layer.flat_grads.copy()
    norms1 = layer.grad_norms_by_step, layer.cell_grad_norms_by_step
    layer.forward(X2)
    layer.backward(dZ2)
    layer.forward(X1)
    assert layer.backward(dZ1, input_grad=False) is None
    np.testing.assert_array_equal(layer.flat_grads, grads1)
    layer.forward(X1)
    np.testing.assert_array_equal(layer.backward(dZ1), dX1)
    np.testing.assert_array_equal(Z1, kept)
    np.testing.assert_array_equal(layer.grad_norms_by_step, norms1[0])
    np.testing.assert_array_equal(layer.cell_grad_norms_by_step, norms1[1])


def test_time_major_input_is_used_without_a_copy_and_empty_batches_work(rng):
    X = rng.normal(size=(3, 5, 2))
    time_major = np.ascontiguousarray(X.transpose(1, 0, 2)).transpose(1, 0, 2)
    a, b = LSTM(2, 4, rng=0), LSTM(2, 4, rng=0)
    np.testing.assert_array_equal(a.forward(X), b.forward(time_major))
    assert np.shares_memory(b.cached_arrays()[0], time_major)
    empty = LSTM(2, 3, rng=0)
    empty.flat_grads[:] = 7.0
    assert empty.forward(np.zeros((0, 4, 2))).shape == (0, 3)
    assert empty.backward(np.zeros((0, 3))).shape == (0, 4, 2)
    assert not empty.flat_grads.any()


def test_deepcopy_and_astype_are_independent(rng):
    layer = LSTM(2, 3, rng=0)
    X = rng.normal(size=(2, 4, 2))
    layer.forward(X)
    layer.backward(np.ones((2, 3)))
    twin, low = copy.deepcopy(layer), layer.astype(np.float32)
    before = layer.flat_params.copy(), layer.flat_grads.copy()
    np.testing.assert_array_equal(twin.flat_params, before[0])
    np.testing.assert_allclose(low.W_h, layer.W_h, rtol=1e-7)
    assert low.dtype == np.float32 and low.flat_params.dtype == np.float32
    twin.W_x = np.zeros((2, 12))
    twin.forward(-X)
    twin.backward(np.full((2, 3), 2.0))
    low.forward(X)
    low.backward(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(layer.flat_params, before[0])
    np.testing.assert_array_equal(layer.flat_grads, before[1])
    np.testing.assert_allclose(low.flat_grads, before[1], rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(layer.backward(np.ones((2, 3))), layer.backward(np.ones((2, 3))))


# -- FLOPs ------------------------------------------------------------------------------------


def test_flops_by_hand_on_one_unit_and_two_steps():
    # n = 1, T = 2, n_in = 1, h = 1: four gate columns.
    # forward: x_t W_x 2 * 4 per step (16), bias 4 per step (8), h_1 W_h 8 and its add 4,
    # gates 3 sigmoids * 4 + tanh 1 = 13 per step (26), c: i g per step (2) and f c + add
    # once (2), h: tanh and multiply per step (4).
    # backward_dW: factors K_i, K_g, K_o, P 3 each per step (24), tanh(c) 2, K_f 3 at step
    # 2; dG_2 W_h^T 8; dc: 1 per step + (f dc, add) once (4); dG 4 per step (8); dW_x 16,
    # dW_h 8, db 8. With return_sequences, dY_1 is added to dh_1 (1).
    # backward_dX: dG W_x^T, 2 * 4 per step (16).
    layer = LSTM(1, 1)
    f = layer.flops(1, (2, 1))
    assert f == {
        "forward": 16 + 8 + 8 + 4 + 26 + 2 + 2 + 4,
        "backward_dW": 24 + 2 + 3 + 8 + 4 + 8 + 16 + 8 + 8,
        "backward_dX": 16,
    }
    seq = LSTM(1, 1, return_sequences=True).flops(1, (2, 1))
    assert seq["backward_dW"] == f["backward_dW"] + 1


def test_flops_follow_the_docstring_and_the_last_forward():
    n, T, n_in, h = 32, 20, 8, 16
    layer = LSTM(n_in, h, rng=0)
    E, E1 = n * T * h, n * (T - 1) * h
    products, recurrent = 8 * n * T * n_in * h, 8 * n * (T - 1) * h * h
    want = {
        "forward": products + recurrent + 20 * E + 6 * E1,
        "backward_dW": products + 2 * recurrent + 22 * E + 5 * E1,
        "backward_dX": products,
    }
    assert layer.flops(n, (T, n_in)) == want
    layer.forward(np.zeros((2, T, n_in)))
    assert layer.flops(n) == want
    with pytest.raises(ValueError, match=r"LSTM\(8 -> 16, .*\)\.flops expected input_shape"):
        layer.flops(n, (T, 3))


# -- bad input --------------------------------------------------------------------------------

LAYER = r"LSTM\(2 -> 3, return_sequences=False, init='xavier'\)"


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_in": 0}, ValueError, r"LSTM: n_in must be a positive int, got 0\."),
        ({"n_hidden": 1.5}, TypeError, r"LSTM: n_hidden must be a positive int, got 1\.5\."),
        ({"return_sequences": "yes"}, TypeError, r"LSTM: return_sequences must be True or False"),
        ({"return_sequences": 1}, TypeError, r"return_sequences must be True or False, got 1\."),
        ({"dtype": np.int32}, TypeError, r"LSTM: dtype must be float32 or float64"),
        ({"rng": 0.5}, TypeError, r"rng must be None, an int seed or a np\.random\.Generator"),
        (
            {"init": "glorot"},
            ValueError,
            r"LSTM\(2 -> 3, .*\): unknown init 'glorot'; expected one",
        ),
        ({"init": 3}, TypeError, r"init must be a name or a callable, got int"),
        (
            {"init": lambda n_in, n_out, rng: np.zeros((n_in, 3))},
            ValueError,
            r"init returned shape \(2, 3\), expected \(2, 12\)\.",
        ),
        (
            {"init": lambda n_in, n_out, rng: np.full((n_in, n_out), np.nan)},
            ValueError,
            r"init returned nan or inf weights for W_x",
        ),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        LSTM(**{"n_in": 2, "n_hidden": 3, **kwargs})


def trained_layer():
    layer = LSTM(2, 3, rng=0)
    layer.forward(np.random.default_rng(1).normal(size=(2, 4, 2)))
    layer.backward(np.ones((2, 3)))
    return layer


BAD_X = [
    (np.ones((2, 4)), ValueError, rf"{LAYER} expected X of shape \(n_samples, n_steps, 2\), got "
     r"a 2-D array of shape \(2, 4\)\. For a single sample use X\[np\.newaxis\]\."),
    (np.ones((2, 4, 3)), ValueError, rf"{LAYER} expected X of shape \(n_samples, n_steps, 2\), got "
     r"\(2, 4, 3\)\."),
    (np.ones((2, 0, 2)), ValueError, rf"{LAYER} expected X with at least one time step, got X of "
     r"shape \(2, 0, 2\)\."),
    (np.ones((2, 4, 2)) * 1j, TypeError, rf"{LAYER} expected X to be a numeric array, got dtype "
     r"complex128"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "exc", "match"), BAD_X)
def test_bad_input_raises_and_changes_nothing(bad, exc, match):
    layer = trained_layer()
    norms = layer.grad_norms_by_step, layer.cell_grad_norms_by_step
    dW_h = layer.dW_h.copy()
    with raises_and_changes_nothing(layer, exc, match):
        layer.forward(bad)
    with raises_and_changes_nothing(layer, exc, match):
        nl.jvp(layer, bad)
    np.testing.assert_array_equal(layer.grad_norms_by_step, norms[0])
    np.testing.assert_array_equal(layer.cell_grad_norms_by_step, norms[1])
    layer.backward(np.ones((2, 3)))  # the cache still serves the last good forward
    np.testing.assert_array_equal(layer.dW_h, dW_h)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (np.ones((2, 4, 3)), rf"{LAYER} expected dZ of shape \(2, 3\) \(the shape of its last"),
        (np.ones((2, 2)), r"expected dZ of shape \(2, 3\) .*got \(2, 2\)\."),
    ],
)
def test_bad_dZ_and_bad_assignment_change_nothing(bad, match):
    layer = trained_layer()
    with raises_and_changes_nothing(layer, ValueError, match):
        layer.backward(bad)
    with raises_and_changes_nothing(layer, ValueError, r"W_h must have shape \(3, 12\), got"):
        layer.W_h = np.ones((3, 3))
    with raises_and_changes_nothing(layer, ValueError, r"b must be finite in float64, got 1 nan"):
        layer.b = np.r_[np.nan, np.zeros(11)]


def test_module_examples_run_and_the_docstring_has_its_sections():
    assert doctest.testmod(lstm_module).failed == 0
    for section in ("Parameters", "Raises", "Shapes", "Notes", "Examples"):
        assert f"{section}\n    {'-' * len(section)}" in LSTM.__doc__
