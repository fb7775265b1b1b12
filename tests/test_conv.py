"""Conv2D, MaxPool2D and Flatten against a naive loop implementation in HIPS autograd (an
independent engine for values and gradients) and against central finite differences."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from autograd.tracer import getval
from helpers import TOL, layer_input_grad_fd, param_grad_fd, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlab.conv import Conv2D
from nnlab.pooling import Flatten, MaxPool2D

REF_TOL = 1e-10


def pad(X, ph, pw):
    """Zero padding built from concatenations, which autograd differentiates."""
    N, C, H, W = X.shape
    if ph:
        rows = anp.zeros((N, C, ph, W))
        X = anp.concatenate([rows, X, rows], axis=2)
    if pw:
        cols = anp.zeros((N, C, H + 2 * ph, pw))
        X = anp.concatenate([cols, X, cols], axis=3)
    return X


def grid(f, Ho, Wo):
    """``Z[..., y, x] = f(y, x)``, assembled from one small array per output position."""
    return anp.stack([anp.stack([f(y, x) for x in range(Wo)], axis=-1) for y in range(Ho)], -2)


def reference_conv(X, W, b, stride, padding):
    """Cross-correlation by the definition: a loop over output positions."""
    (sh, sw), (ph, pw), (kh, kw) = stride, padding, W.shape[2:]
    Xp = pad(X, ph, pw)
    Ho, Wo = (Xp.shape[2] - kh) // sh + 1, (Xp.shape[3] - kw) // sw + 1

    def at(y, x):
        patch = Xp[:, :, y * sh : y * sh + kh, x * sw : x * sw + kw]
        return anp.einsum("ncij,ocij->no", patch, W) + b

    return grid(at, Ho, Wo)


def reference_maxpool(X, kernel, stride):
    """Max of each window; its gradient goes to the first maximum (a constant one-hot mask)."""
    (kh, kw), (sh, sw) = kernel, stride
    N, C, H, W = X.shape
    Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1

    def at(y, x):
        window = anp.reshape(X[:, :, y * sh : y * sh + kh, x * sw : x * sw + kw], (N, C, -1))
        first = np.argmax(getval(window), axis=-1)
        onehot = np.arange(kh * kw) == first[..., None]
        return anp.sum(window * onehot, axis=-1)

    return grid(at, Ho, Wo)


def pair(draw, low, high):
    a = draw(st.integers(low, high))
    return a if draw(st.booleans()) else (a, draw(st.integers(low, high)))


@st.composite
def conv_cases(draw):
    kernel, stride, padding = pair(draw, 1, 4), pair(draw, 1, 3), pair(draw, 0, 2)
    k, p = (np.broadcast_to(v, 2) for v in (kernel, padding))
    # heights and widths from "the padded input is exactly the kernel" to a few more
    H, W = (draw(st.integers(max(1, k[i] - 2 * p[i]), k[i] + 4)) for i in range(2))
    return {
        "N": draw(st.integers(1, 3)),
        "C_in": draw(st.integers(1, 3)),
        "C_out": draw(st.integers(1, 3)),
        "H": H,
        "W": W,
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "seed": draw(st.integers(0, 2**16)),
    }


def conv_case(case):
    rng = np.random.default_rng(case["seed"])
    conv = Conv2D(
        case["C_in"],
        case["C_out"],
        case["kernel"],
        stride=case["stride"],
        padding=case["padding"],
        rng=rng,
    )
    conv.b = rng.normal(size=case["C_out"])
    X = rng.normal(size=(case["N"], case["C_in"], case["H"], case["W"]))
    return conv, X, rng


@settings(max_examples=25)
@given(conv_cases())
def test_conv_matches_autograd_reference(case):
    conv, X, rng = conv_case(case)
    Z = conv.forward(X)
    W, b = conv.W.copy(), conv.b.copy()
    ref = reference_conv(X, W, b, conv.stride, conv.padding)
    assert Z.shape == ref.shape
    np.testing.assert_allclose(Z, ref, rtol=REF_TOL, atol=REF_TOL)
    dZ = rng.normal(size=Z.shape)
    dX = conv.backward(dZ)

    def loss(X, W, b):
        return anp.sum(reference_conv(X, W, b, conv.stride, conv.padding) * dZ)

    for got, argnum in ((dX, 0), (conv.dW, 1), (conv.db, 2)):
        want = grad(loss, argnum)(X, W, b)
        assert got.shape == want.shape
        assert relative_error(got, want) <= REF_TOL, argnum


@pytest.mark.parametrize(
    ("shape", "kernel", "stride", "padding"),
    [
        ((2, 3, 5, 4), 3, 1, 1),
        ((1, 2, 6, 7), (2, 3), (2, 1), (0, 1)),
        ((3, 1, 4, 4), 1, 2, 0),
        ((1, 2, 3, 3), 5, 1, 1),  # kernel == padded input: one output position
    ],
)
def test_conv_gradients_match_finite_differences(rng, shape, kernel, stride, padding):
    conv = Conv2D(shape[1], 2, kernel, stride=stride, padding=padding, rng=rng)
    conv.b = rng.normal(size=2)
    X = rng.normal(size=shape)
    Z = conv.forward(X)
    dZ = rng.normal(size=Z.shape)
    dX = conv.backward(dZ)
    assert relative_error(dX, layer_input_grad_fd(conv, X, dZ)) <= TOL
    assert relative_error(conv.dW, param_grad_fd(conv, X, dZ, "W")) <= TOL
    assert relative_error(conv.db, param_grad_fd(conv, X, dZ, "b")) <= TOL


def test_conv_output_sizes_follow_the_formula():
    conv = Conv2D(2, 4, (3, 2), stride=(2, 3), padding=(1, 0), rng=0)
    # H_out = (7 + 2 - 3) // 2 + 1 = 4, W_out = (8 - 2) // 3 + 1 = 3
    assert conv.forward(np.zeros((5, 2, 7, 8))).shape == (5, 4, 4, 3)
    assert conv.output_shape((2, 7, 8)) == (4, 4, 3)
    assert conv.output_shape((2, "height", "width")) == (4, "height", "width")


def test_conv_is_cross_correlation_not_convolution():
    conv = Conv2D(1, 1, (1, 2), rng=0)
    conv.W = [[[[1.0, 0.0]]]]  # picks the left pixel of each window, without flipping
    Z = conv.forward(np.array([[[[1.0, 2.0, 3.0]]]]))
    np.testing.assert_array_equal(Z, [[[[1.0, 2.0]]]])


def test_conv_input_grad_false_skips_dX_but_fills_dW():
    conv = Conv2D(2, 3, 3, padding=1, rng=0)
    X = np.random.default_rng(0).normal(size=(2, 2, 4, 4))
    Z = conv.forward(X)
    assert conv.backward(np.ones_like(Z), input_grad=False) is None
    dW = conv.dW.copy()
    conv.backward(np.ones_like(Z))
    np.testing.assert_array_equal(conv.dW, dW)
    assert np.abs(dW).sum() > 0


def test_conv_empty_batch_gives_zero_gradients():
    conv = Conv2D(1, 2, 3, rng=0)
    conv.dW[...], conv.db[...] = 7.0, 7.0
    Z = conv.forward(np.zeros((0, 1, 5, 5)))
    dX = conv.backward(np.zeros((0, 2, 3, 3)))
    assert Z.shape == (0, 2, 3, 3) and dX.shape == (0, 1, 5, 5)
    assert not conv.dW.any() and not conv.db.any()


@pytest.mark.parametrize("init", ["he", "xavier", "normal", "zeros"])
def test_conv_initializers_use_the_kernel_fans(init):
    W = Conv2D(16, 32, 3, init=init, rng=0).W  # fan_in 144, fan_out 288
    expected = {"he": np.sqrt(2 / 144), "xavier": np.sqrt(2 / 432), "normal": 0.01, "zeros": 0.0}
    assert W.shape == (32, 16, 3, 3)
    assert abs(W.std() - expected[init]) <= 0.03 * expected[init] + 1e-12


def test_conv_callable_init_gets_the_fans_and_rng_is_reproducible():
    seen = []

    def init(fan_in, fan_out, rng):
        seen.append((fan_in, fan_out))
        return np.full((4, 2, 3, 5), 0.5)

    conv = Conv2D(2, 4, (3, 5), init=init)
    assert seen == [(30, 60)] and np.all(conv.W == 0.5)
    assert repr(conv) == "Conv2D(2 -> 4, kernel=3x5, stride=1, padding=0, init='init')"
    np.testing.assert_array_equal(Conv2D(1, 2, 3, rng=7).W, Conv2D(1, 2, 3, rng=7).W)


def test_conv_reprs():
    assert repr(Conv2D(1, 8, 3, padding=1)) == (
        "Conv2D(1 -> 8, kernel=3x3, stride=1, padding=1, init='he')"
    )
    assert repr(Conv2D(3, 4, (1, 2), stride=(2, 1), init="xavier", dtype=np.float32)) == (
        "Conv2D(3 -> 4, kernel=1x2, stride=(2, 1), padding=0, init='xavier', dtype=float32)"
    )
    assert repr(MaxPool2D(2)) == "MaxPool2D(kernel=2x2, stride=2)"
    assert repr(MaxPool2D((3, 2), stride=1)) == "MaxPool2D(kernel=3x2, stride=1)"
    assert repr(Flatten()) == "Flatten()"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_and_pool_keep_their_dtype(dtype):
    conv, pool = Conv2D(2, 3, 3, padding=1, rng=0, dtype=dtype), MaxPool2D(2)
    X = np.random.default_rng(0).normal(size=(2, 2, 6, 6))  # float64 in: cast like Dense
    Z = pool.forward(conv.forward(X))
    dX = conv.backward(pool.backward(np.ones(Z.shape, dtype)))
    assert Z.dtype == dX.dtype == conv.W.dtype == conv.dW.dtype == conv.db.dtype == dtype


def test_conv_and_pool_accept_any_memory_layout(rng):
    X = rng.normal(size=(3, 2, 7, 6))
    transposed = np.asfortranarray(X)  # same values, another layout
    for make in (lambda: Conv2D(2, 3, 2, stride=2, padding=1, rng=0), lambda: MaxPool2D(2, 1)):
        a, b = make(), make()
        Za, Zb = a.forward(X), b.forward(transposed)
        np.testing.assert_array_equal(Za, Zb)
        dZ = rng.normal(size=Za.shape)
        np.testing.assert_allclose(a.backward(dZ), b.backward(np.asfortranarray(dZ)), atol=1e-15)


# -- max pooling ------------------------------------------------------------------------------


@st.composite
def pool_cases(draw):
    kernel = pair(draw, 1, 3)
    stride = None if draw(st.booleans()) else pair(draw, 1, 3)
    k = np.broadcast_to(kernel, 2)
    return {
        "shape": (
            draw(st.integers(1, 3)),
            draw(st.integers(1, 3)),
            draw(st.integers(k[0], k[0] + 4)),
            draw(st.integers(k[1], k[1] + 4)),
        ),
        "kernel": kernel,
        "stride": stride,
        "seed": draw(st.integers(0, 2**16)),
        "ties": draw(st.booleans()),
    }


@settings(max_examples=40)
@given(pool_cases())
def test_maxpool_matches_reference(case):
    rng = np.random.default_rng(case["seed"])
    X = rng.normal(size=case["shape"])
    if case["ties"]:  # few distinct values: ties within windows, as after a ReLU
        X = np.round(X).clip(0, None)
    pool = MaxPool2D(case["kernel"], case["stride"])
    Z = pool.forward(X)
    ref = reference_maxpool(X, pool.kernel_size, pool.stride)
    np.testing.assert_array_equal(Z, ref)
    dZ = rng.normal(size=Z.shape)
    dX = pool.backward(dZ)
    want = grad(lambda X: anp.sum(reference_maxpool(X, pool.kernel_size, pool.stride) * dZ))(X)
    np.testing.assert_allclose(dX, want, rtol=1e-12, atol=1e-12)
    # every output's gradient lands on exactly one input: the sums agree
    assert dX.sum() == pytest.approx(dZ.sum(), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("kernel", "stride"), [(2, 2), (3, 1), ((2, 3), (1, 2))])
def test_maxpool_gradient_matches_finite_differences(rng, kernel, stride):
    pool = MaxPool2D(kernel, stride)
    X = rng.permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) / 10.0  # distinct: no ties
    dZ = rng.normal(size=pool.forward(X).shape)
    assert relative_error(pool.backward(dZ), layer_input_grad_fd(pool, X, dZ)) <= TOL


def test_maxpool_ties_go_to_the_first_maximum_only():
    X = np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 2.0], [2.0, 0.0, 2.0]]]])
    pool = MaxPool2D(2, 1)  # overlapping windows
    np.testing.assert_array_equal(pool.forward(X)[0, 0], [[1.0, 2.0], [2.0, 2.0]])
    dX = pool.backward(np.array([[[[1.0, 10.0], [100.0, 1000.0]]]]))
    # window (0,0): four 1s, the first (0,0) wins; (0,1): 2 at (1,2); (1,0): 2 at (2,0);
    # (1,1): 2 at (1,2) first in row-major order, before (2,2)
    np.testing.assert_array_equal(dX[0, 0], [[1.0, 0.0, 0.0], [0.0, 0.0, 1010.0], [100.0, 0, 0]])


def test_maxpool_overlapping_windows_accumulate():
    X = np.zeros((1, 1, 3, 3))
    X[0, 0, 1, 1] = 5.0  # the centre wins all four 2x2 windows
    pool = MaxPool2D(2, stride=1)
    pool.forward(X)
    dX = pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    assert dX[0, 0, 1, 1] == 10.0 and dX.sum() == 10.0


def test_maxpool_drops_the_rows_and_columns_that_fill_no_window():
    X = np.arange(35.0).reshape(1, 1, 5, 7)
    pool = MaxPool2D(2)
    Z = pool.forward(X)
    np.testing.assert_array_equal(Z[0, 0], [[8.0, 10.0, 12.0], [22.0, 24.0, 26.0]])
    dX = pool.backward(np.ones_like(Z))
    assert dX.shape == X.shape
    assert not dX[0, 0, 4].any() and not dX[0, 0, :, 6].any()  # the dropped remainder
    assert dX.sum() == 6


def test_maxpool_output_and_stride_defaults():
    pool = MaxPool2D((2, 3))
    assert pool.stride == (2, 3)
    assert pool.output_shape((4, 7, 9)) == (4, 3, 3)
    assert pool.output_shape((4, "height", "width")) == (4, "height", "width")


def test_maxpool_output_is_read_only_while_cached():
    pool = MaxPool2D(2)
    Z = pool.forward(np.ones((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="read-only"):
        Z[...] = 0.0
    assert pool.forward(np.ones((1, 1, 4, 4)), cache=False).flags.writeable


# -- flatten ----------------------------------------------------------------------------------


def test_flatten_is_a_c_order_reshape_both_ways(rng):
    X = rng.normal(size=(3, 2, 4, 5))[:, :, ::2]  # non-contiguous input
    flat = Flatten()
    Z = flat.forward(X)
    np.testing.assert_array_equal(Z, X.reshape(3, -1))
    assert Z[1, 5 * 2 + 3] == X[1, 1, 0, 3]
    dZ = rng.normal(size=Z.shape)
    np.testing.assert_array_equal(flat.backward(dZ), dZ.reshape(X.shape))
    assert flat.output_shape((2, 2, 5)) == (20,)
    assert flat.output_shape((2, "height", "width")) == ("n_features",)
    assert Flatten().forward(np.zeros((0, 3, 2))).shape == (0, 6)
