"""RNN against an unrolled loop written in HIPS autograd (an independent engine for values and
gradients, including dL/dh_t at every step) and against central finite differences."""

import doctest

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from helpers import TOL, layer_input_grad_fd, param_grad_fd, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlab as nl
from nnlab import recurrent
from nnlab.recurrent import RNN

REF_TOL = 1e-10


def reference_rnn(X, W_xh, W_hh, b, return_sequences, E=None):
    """The recurrence step by step. ``E[t]`` is added to each state: d(loss)/dE[t] at E = 0 is
    d(loss)/dh_t, the gradient that reaches state t."""
    h = anp.zeros((X.shape[0], W_hh.shape[0]))
    states = []
    for t in range(X.shape[1]):
        h = anp.tanh(anp.dot(X[:, t], W_xh) + anp.dot(h, W_hh) + b)
        if E is not None:
            h = h + E[t]
        states.append(h)
    return anp.stack(states, axis=1) if return_sequences else h


@st.composite
def rnn_cases(draw):
    return {
        "N": draw(st.integers(1, 4)),
        "T": draw(st.integers(1, 6)),
        "n_in": draw(st.integers(1, 4)),
        "n_hidden": draw(st.integers(1, 5)),
        "return_sequences": draw(st.booleans()),
        "scale": draw(st.sampled_from([0.5, 1.0, 2.0])),  # 2: saturated tanh units
        "seed": draw(st.integers(0, 2**16)),
    }


def rnn_case(case):
    rng = np.random.default_rng(case["seed"])
    rnn = RNN(case["n_in"], case["n_hidden"], return_sequences=case["return_sequences"], rng=rng)
    rnn.W_xh = rnn.W_xh * case["scale"]
    rnn.W_hh = rnn.W_hh * case["scale"]
    rnn.b = rng.normal(size=case["n_hidden"])
    X = rng.normal(size=(case["N"], case["T"], case["n_in"]))
    return rnn, X, rng


@settings(max_examples=30)
@given(rnn_cases())
def test_rnn_matches_autograd_reference(case):
    rnn, X, rng = rnn_case(case)
    Z = rnn.forward(X)
    W_xh, W_hh, b = rnn.W_xh.copy(), rnn.W_hh.copy(), rnn.b.copy()
    seq = rnn.return_sequences
    ref = reference_rnn(X, W_xh, W_hh, b, seq)
    assert Z.shape == ref.shape
    np.testing.assert_allclose(Z, ref, rtol=REF_TOL, atol=REF_TOL)
    dZ = rng.normal(size=Z.shape)
    dX = rnn.backward(dZ)
    E = np.zeros((X.shape[1], X.shape[0], rnn.n_hidden))

    def loss(X, W_xh, W_hh, b, E):
        return anp.sum(reference_rnn(X, W_xh, W_hh, b, seq, E) * dZ)

    for got, argnum in ((dX, 0), (rnn.dW_xh, 1), (rnn.dW_hh, 2), (rnn.db, 3)):
        want = grad(loss, argnum)(X, W_xh, W_hh, b, E)
        assert got.shape == want.shape
        assert relative_error(got, want) <= REF_TOL, argnum
    dH = grad(loss, 4)(X, W_xh, W_hh, b, E)  # (T, N, n_hidden): dL/dh_t
    want_norms = np.sqrt((dH**2).sum(axis=(1, 2)))
    np.testing.assert_allclose(rnn.grad_norms_by_step, want_norms, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("shape", "n_hidden", "return_sequences"),
    [
        ((2, 4, 3), 5, False),
        ((3, 3, 2), 4, True),
        ((1, 1, 2), 3, False),  # one sample, one step
        ((1, 5, 1), 1, True),
    ],
)
def test_rnn_gradients_match_finite_differences(rng, shape, n_hidden, return_sequences):
    rnn = RNN(shape[2], n_hidden, return_sequences=return_sequences, rng=rng)
    rnn.b = rng.normal(size=n_hidden)
    X = rng.normal(size=shape)
    Z = rnn.forward(X)
    dZ = rng.normal(size=Z.shape)
    dX = rnn.backward(dZ)
    assert relative_error(dX, layer_input_grad_fd(rnn, X, dZ)) <= TOL
    for name in ("W_xh", "W_hh", "b"):
        got = {"W_xh": rnn.dW_xh, "W_hh": rnn.dW_hh, "b": rnn.db}[name]
        want = param_grad_fd(rnn, X, dZ, name)
        assert relative_error(got, want) <= TOL, name


def test_rnn_with_one_step_is_a_dense_layer_with_tanh():
    rnn = RNN(3, 4, rng=0)
    rnn.b = [0.1, -0.2, 0.3, 0.0]
    X = np.random.default_rng(1).normal(size=(5, 1, 3))
    np.testing.assert_allclose(rnn.forward(X), np.tanh(X[:, 0] @ rnn.W_xh + rnn.b), rtol=1e-15)
    rnn.backward(np.ones((5, 4)))
    assert not rnn.dW_hh.any()  # h_0 = 0: W_hh does not act on a single step


def test_rnn_output_shapes_and_repr():
    rnn = RNN(8, 64, rng=0)
    assert repr(rnn) == "RNN(8 -> 64, return_sequences=False, init='xavier')"
    assert rnn.input_shape == ("n_steps", 8)
    assert rnn.output_shape(("n_steps", 8)) == rnn.output_shape((20, 8)) == (64,)
    assert rnn.forward(np.zeros((32, 20, 8))).shape == (32, 64)
    seq = RNN(8, 4, return_sequences=True, init="he", dtype=np.float32)
    assert repr(seq) == "RNN(8 -> 4, return_sequences=True, init='he', dtype=float32)"
    assert seq.output_shape((20, 8)) == (20, 4)
    assert seq.output_shape(None) == seq.output_shape(("n_steps", 8)) == ("n_steps", 4)
    assert seq.forward(np.zeros((2, 7, 8))).shape == (2, 7, 4)
    assert rnn.n_params == 8 * 64 + 64 * 64 + 64


def test_return_sequences_outputs_every_state_and_the_last_one_is_h_T(rng):
    last, seq = RNN(3, 4, rng=0), RNN(3, 4, return_sequences=True, rng=0)
    X = rng.normal(size=(2, 6, 3))
    H = seq.forward(X)
    np.testing.assert_array_equal(H[:, -1], last.forward(X))
    # dZ at the last step only: the same gradients as the last-state layer
    dZ = np.zeros(H.shape)
    dZ[:, -1] = rng.normal(size=(2, 4))
    np.testing.assert_allclose(seq.backward(dZ), last.backward(dZ[:, -1]), rtol=1e-14)
    for a, b in zip(seq.parameters(), last.parameters(), strict=True):
        np.testing.assert_allclose(a[2], b[2], rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("init", ["he", "xavier", "normal", "zeros"])
def test_rnn_init_applies_to_W_xh_and_W_hh_starts_orthogonal(init):
    rnn = RNN(200, 100, init=init, rng=0)
    expected = {"he": np.sqrt(2 / 200), "xavier": np.sqrt(2 / 300), "normal": 0.01, "zeros": 0.0}
    assert abs(rnn.W_xh.std() - expected[init]) <= 0.03 * expected[init] + 1e-12
    np.testing.assert_allclose(rnn.W_hh.T @ rnn.W_hh, np.eye(100), atol=1e-12)
    assert not rnn.b.any()


def test_rnn_callable_init_and_reproducible_rng():
    seen = []

    def init(n_in, n_out, rng):
        seen.append((n_in, n_out, isinstance(rng, np.random.Generator)))
        return np.full((n_in, n_out), 0.5)

    rnn = RNN(3, 2, init=init)
    assert seen == [(3, 2, True)] and np.all(rnn.W_xh == 0.5)
    assert repr(rnn) == "RNN(3 -> 2, return_sequences=False, init='init')"
    a, b = RNN(3, 5, rng=7), RNN(3, 5, rng=7)
    np.testing.assert_array_equal(a.W_xh, b.W_xh)
    np.testing.assert_array_equal(a.W_hh, b.W_hh)
    assert not np.array_equal(a.W_hh, RNN(3, 5, rng=8).W_hh)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_rnn_keeps_its_dtype(dtype, return_sequences):
    rnn = RNN(3, 4, return_sequences=return_sequences, rng=0, dtype=dtype)
    X = np.random.default_rng(0).normal(size=(2, 5, 3))  # float64 in: cast like Dense
    Z = rnn.forward(X)
    dX = rnn.backward(np.ones(Z.shape))  # float64 dZ: cast too
    assert Z.dtype == dX.dtype == dtype
    assert all(p.dtype == g.dtype == dtype for _, p, g in rnn.parameters())
    assert rnn.grad_norms_by_step.dtype == dtype


def test_float32_gradients_agree_with_float64(rng):
    X = rng.normal(size=(4, 10, 3))
    r64, r32 = RNN(3, 8, rng=0), RNN(3, 8, rng=0, dtype=np.float32)
    dZ = rng.normal(size=(4, 8))
    r64.forward(X), r32.forward(X)
    dX64, dX32 = r64.backward(dZ), r32.backward(dZ)
    assert relative_error(dX32, dX64) < 1e-5
    assert relative_error(r32.dW_hh, r64.dW_hh) < 1e-5


def test_rnn_input_grad_false_skips_dX_but_fills_the_gradients(rng):
    rnn = RNN(3, 4, return_sequences=True, rng=0)
    X = rng.normal(size=(2, 5, 3))
    dZ = rng.normal(size=(2, 5, 4))
    rnn.forward(X)
    assert rnn.backward(dZ, input_grad=False) is None
    grads = [g.copy() for _, _, g in rnn.parameters()]
    rnn.backward(dZ)
    for (_, _, g), before in zip(rnn.parameters(), grads, strict=True):
        np.testing.assert_array_equal(g, before)
    assert rnn.dW_hh.any()


def test_rnn_empty_batch_gives_zero_gradients():
    rnn = RNN(2, 3, rng=0)
    for _, _, g in rnn.parameters():
        g[...] = 7.0
    Z = rnn.forward(np.zeros((0, 4, 2)))
    dX = rnn.backward(np.zeros((0, 3)))
    assert Z.shape == (0, 3) and dX.shape == (0, 4, 2)
    assert not any(g.any() for _, _, g in rnn.parameters())
    np.testing.assert_array_equal(rnn.grad_norms_by_step, np.zeros(4))


def test_outputs_stay_valid_and_repeated_calls_agree(rng):
    """Backward reuses its work arrays; what forward returns and keeps is never overwritten."""
    rnn = RNN(3, 4, return_sequences=True, rng=0)
    X1, X2 = rng.normal(size=(2, 5, 3)), rng.normal(size=(3, 5, 3))
    dZ1, dZ2 = rng.normal(size=(2, 5, 4)), rng.normal(size=(3, 5, 4))
    Z1 = rnn.forward(X1)
    kept = Z1.copy()
    dX1 = rnn.backward(dZ1)
    grads1 = [g.copy() for _, _, g in rnn.parameters()]
    norms1 = rnn.grad_norms_by_step
    rnn.forward(X2)
    rnn.backward(dZ2)
    rnn.forward(X1)
    dX1_again = rnn.backward(dZ1)
    np.testing.assert_array_equal(Z1, kept)
    np.testing.assert_array_equal(dX1_again, dX1)
    for (_, _, g), before in zip(rnn.parameters(), grads1, strict=True):
        np.testing.assert_array_equal(g, before)
    np.testing.assert_array_equal(rnn.grad_norms_by_step, norms1)
    # an inference forward drops the training cache, as in every layer: backward then raises
    rnn.forward(X1)
    rnn.forward(X2, cache=False)
    with pytest.raises(RuntimeError, match="before forward"):
        rnn.backward(dZ1)


def test_cached_output_is_read_only_and_inference_output_is_not(rng):
    rnn = RNN(2, 3, rng=0)
    X = rng.normal(size=(2, 4, 2))
    with pytest.raises(ValueError, match="read-only"):
        rnn.forward(X)[0, 0] = 1.0
    rnn.forward(X, cache=False)[0, 0] = 1.0
    assert rnn.cached_arrays() == []


def test_rnn_accepts_any_memory_layout(rng):
    X = rng.normal(size=(3, 5, 2))
    time_major = np.ascontiguousarray(X.transpose(1, 0, 2)).transpose(1, 0, 2)  # same values
    a, b = RNN(2, 4, rng=0), RNN(2, 4, rng=0)
    np.testing.assert_array_equal(a.forward(X), b.forward(time_major))
    assert np.shares_memory(b.cached_arrays()[0], time_major)  # used as it is, no copy
    dZ = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(a.backward(dZ), b.backward(dZ))


# -- the gradient through time ----------------------------------------------------------------


def test_grad_norms_by_step_ends_with_the_norm_of_dZ(rng):
    rnn = RNN(3, 4, rng=0)
    rnn.forward(rng.normal(size=(2, 6, 3)))
    dZ = rng.normal(size=(2, 4))
    rnn.backward(dZ)
    norms = rnn.grad_norms_by_step
    assert norms.shape == (6,)
    assert norms[-1] == pytest.approx(np.linalg.norm(dZ), rel=1e-14)


def test_gradient_through_time_shrinks_by_the_norm_of_W_hh_at_least(rng):
    """||g_{t-1}|| = ||(g_t * (1 - h_t^2)) W_hh^T|| <= ||W_hh||_2 ||g_t||: with W_hh half an
    orthogonal matrix, each step back at least halves the gradient."""
    rnn = RNN(3, 16, rng=0)
    rnn.W_hh = 0.5 * rnn.W_hh
    rnn.forward(rng.normal(size=(8, 30, 3)))
    rnn.backward(rng.normal(size=(8, 16)))
    norms = rnn.grad_norms_by_step
    assert np.all(norms[:-1] <= 0.5 * norms[1:] * (1 + 1e-12))
    assert norms[0] / norms[-1] < 0.5**29
    rnn.W_hh = np.zeros((16, 16))  # no recurrence: nothing reaches the earlier states
    rnn.forward(rng.normal(size=(8, 30, 3)))
    rnn.backward(rng.normal(size=(8, 16)))
    assert not rnn.grad_norms_by_step[:-1].any()


def test_flops_of_an_rnn():
    rnn = RNN(8, 64, rng=0)
    n, T, i, h = 32, 20, 8, 64
    f = rnn.flops(n, (T, i))
    inputs, recurrent = 2 * n * T * i * h, 2 * n * (T - 1) * h * h
    assert f["forward"] == inputs + recurrent + 2 * n * T * h + n * (T - 1) * h
    assert f["backward_dW"] == 3 * n * T * h + 2 * recurrent + inputs + n * T * h
    assert f["backward_dX"] == inputs
    rnn.forward(np.zeros((2, T, i)))
    assert rnn.flops(n) == f  # the number of steps of the last forward
    seq = RNN(8, 64, return_sequences=True).flops(n, [T, i])
    assert seq["backward_dW"] == f["backward_dW"] + n * (T - 1) * h


def test_module_examples_run():
    assert doctest.testmod(recurrent).failed == 0


def test_rnn_is_exported_and_documents_its_shapes():
    assert nl.RNN is RNN and "RNN" in nl.__all__
    assert "Shapes\n    ------" in RNN.__doc__ and "Notes\n    -----" in RNN.__doc__
