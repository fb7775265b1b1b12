"""Bad input to Conv2D, MaxPool2D and Flatten: errors name the layer, what it expected and what
came, and a failing call changes nothing (parameters, gradients and cache stay as they were)."""

import numpy as np
import pytest
from helpers import raises_and_changes_nothing

from nnlab.conv import Conv2D
from nnlab.pooling import Flatten, MaxPool2D

CONV = r"Conv2D\(2 -> 3, kernel=3x3, stride=1, padding=1, init='he'\)"


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"kernel_size": 0}, ValueError, r"Conv2D: kernel_size must be a positive int or a pair"),
        ({"kernel_size": (3, 0)}, ValueError, r"kernel_size .* got \(3, 0\)\."),
        ({"kernel_size": (3, 3, 3)}, TypeError, r"kernel_size .* a pair of them, got \(3, 3, 3\)"),
        ({"kernel_size": 2.5}, TypeError, r"kernel_size must be a positive int .* got 2\.5\."),
        ({"kernel_size": True}, TypeError, r"kernel_size .* got True\."),
        ({"stride": 0}, ValueError, r"Conv2D: stride must be a positive int .* got 0\."),
        (
            {"padding": -1},
            ValueError,
            r"Conv2D: padding must be a non-negative int or a pair of them, got -1\.",
        ),
        ({"padding": (1, "1")}, TypeError, r"padding must be .* got \(1, '1'\)\."),
        ({"in_channels": 0}, ValueError, r"Conv2D: in_channels must be a positive int, got 0"),
        ({"out_channels": 1.0}, TypeError, r"Conv2D: out_channels must be a positive int"),
        ({"dtype": np.int32}, TypeError, r"Conv2D: dtype must be float32 or float64"),
        ({"rng": 0.5}, TypeError, r"rng must be None, an int seed or a np\.random\.Generator"),
        ({"init": "glorot"}, ValueError, r"unknown init 'glorot'; expected one of 'he', 'xavier'"),
        ({"init": 3}, TypeError, r"init must be a name or a callable, got int"),
        (
            {"init": lambda fi, fo, rng: np.zeros((fi, fo))},
            ValueError,
            r"init returned shape \(18, 27\), expected \(3, 2, 3, 3\)",
        ),
        (
            {"init": lambda fi, fo, rng: np.full((3, 2, 3, 3), np.nan)},
            ValueError,
            r"init returned nan or inf weights",
        ),
    ],
)
def test_bad_conv_arguments(kwargs, exc, match):
    args = {"in_channels": 2, "out_channels": 3, "kernel_size": 3, **kwargs}
    with pytest.raises(exc, match=match):
        Conv2D(**args)


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        ((0,), ValueError, r"MaxPool2D: kernel_size must be a positive int .* got 0\."),
        ((2, 0), ValueError, r"MaxPool2D: stride must be a positive int .* got 0\."),
        ((2, (1, -1)), ValueError, r"MaxPool2D: stride .* got \(1, -1\)\."),
        (("2",), TypeError, r"MaxPool2D: kernel_size must be a positive int .* got '2'\."),
    ],
)
def test_bad_pool_arguments(args, exc, match):
    with pytest.raises(exc, match=match):
        MaxPool2D(*args)


def trained_conv():
    """A conv layer after one forward and backward: parameters, gradients and cache to keep."""
    conv = Conv2D(2, 3, 3, padding=1, rng=0)
    X = np.random.default_rng(1).normal(size=(2, 2, 5, 5))
    conv.forward(X)
    conv.backward(np.ones((2, 3, 5, 5)))
    return conv


BAD_X = [
    (np.ones((2, 50)), ValueError, rf"{CONV} expected X of shape \(n_samples, 2, height, width\), "
     r"got a 2-D array of shape \(2, 50\)\."),
    (np.ones((2, 5, 5)), ValueError, r"got a 3-D array of shape \(2, 5, 5\)\. For a single sample "
     r"use X\[np\.newaxis\]\."),
    (np.ones((2, 3, 5, 5)), ValueError, rf"{CONV} expected X of shape \(n_samples, 2, height, "
     r"width\), got \(2, 3, 5, 5\)\."),
    (np.ones((2, 2, 0, 5)), ValueError, rf"{CONV} expected X whose padded height and width \(H \+ "
     r"2 ph, W \+ 2 pw\) are at least the kernel's 3x3, got X of shape \(2, 2, 0, 5\), padded to "
     r"2x7\."),
    (np.ones((2, 2, 5, 5)) * 1j, TypeError, rf"{CONV} expected X to be a numeric array, got dtype "
     r"complex128"),
    ([[[[1.0]]], [[[1.0, 2.0]]]], ValueError, r"expected X to be a rectangular numeric array"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "exc", "match"), BAD_X)
def test_bad_conv_input_raises_and_changes_nothing(bad, exc, match):
    conv = trained_conv()
    dW = conv.dW.copy()
    with raises_and_changes_nothing(conv, exc, match):
        conv.forward(bad)
    conv.backward(np.ones((2, 3, 5, 5)))  # the cache still serves the last good forward
    np.testing.assert_array_equal(conv.dW, dW)


def test_conv_padded_input_smaller_than_the_kernel():
    conv = Conv2D(1, 1, (5, 2), rng=0)
    with pytest.raises(ValueError, match=r"at least the kernel's 5x2, got X of shape \(1, 1, 4, "):
        conv.forward(np.ones((1, 1, 4, 9)))
    assert conv.forward(np.ones((1, 1, 5, 2))).shape == (1, 1, 1, 1)  # exactly the kernel


@pytest.mark.parametrize(
    ("bad", "exc", "match"),
    [
        (np.ones((2, 3, 5, 4)), ValueError, rf"{CONV} expected dZ of shape \(2, 3, 5, 5\) \(the "),
        (np.ones((2, 3, 5, 5)) * 1j, TypeError, r"expected dZ to be a numeric array, got dtype"),
        (np.ones(75), ValueError, r"expected dZ of shape \(2, 3, 5, 5\) .*got \(75,\)"),
    ],
)
def test_bad_conv_gradient_raises_and_changes_nothing(bad, exc, match):
    conv = trained_conv()
    with raises_and_changes_nothing(conv, exc, match):
        conv.backward(bad)


def test_backward_before_forward():
    for layer in (Conv2D(1, 1, 1), MaxPool2D(2), Flatten()):
        with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
            layer.backward(np.ones((1, 1, 1, 1)))
    conv = Conv2D(1, 1, 1)
    conv.forward(np.ones((1, 1, 2, 2)), cache=False)  # inference keeps nothing
    with pytest.raises(RuntimeError, match="before forward"):
        conv.backward(np.ones((1, 1, 2, 2)))


def test_bad_pool_input_raises_and_changes_nothing():
    pool = MaxPool2D(3)
    X = np.random.default_rng(0).normal(size=(1, 2, 6, 6))
    pool.forward(X)
    dX = pool.backward(np.ones((1, 2, 2, 2)))
    with raises_and_changes_nothing(
        pool,
        ValueError,
        r"MaxPool2D\(kernel=3x3, stride=3\) expected X with height and width at least the "
        r"kernel's 3x3, got X of shape \(1, 2, 2, 6\)\.",
    ):
        pool.forward(np.ones((1, 2, 2, 6)))
    with raises_and_changes_nothing(
        pool,
        ValueError,
        r"MaxPool2D\(kernel=3x3, stride=3\) expected X of shape \(n_samples, channels, "
        r"height, width\), got a 2-D array of shape \(1, 36\)\.",
    ):
        pool.forward(np.ones((1, 36)))
    with raises_and_changes_nothing(
        pool, ValueError, r"expected dZ of shape \(1, 2, 2, 2\) .*got \(1, 2, 2\)"
    ):
        pool.backward(np.ones((1, 2, 2)))
    np.testing.assert_array_equal(pool.backward(np.ones((1, 2, 2, 2))), dX)


def test_bad_flatten_input():
    flat = Flatten()
    flat.forward(np.ones((2, 3, 4)))
    with pytest.raises(
        ValueError, match=r"Flatten\(\) expected X of shape \(n_samples, \.\.\.\), got a 1-D array"
    ):
        flat.forward(np.ones(5))
    with pytest.raises(TypeError, match=r"Flatten\(\) expected X to be a numeric array, got dtype"):
        flat.forward(np.array([["a"]]))
    with pytest.raises(ValueError, match=r"Flatten\(\) expected dZ of shape \(2, 12\) \(the shape"):
        flat.backward(np.ones((2, 11)))
    assert flat.backward(np.ones((2, 12))).shape == (2, 3, 4)  # the good forward's shape


def test_flops_needs_a_known_image_size():
    conv = Conv2D(2, 3, 3)
    with pytest.raises(
        ValueError,
        match=r"Conv2D\(2 -> 3, .*\)\.flops needs the input's size: pass input_shape=\(2, height",
    ):
        conv.flops(8)
    with pytest.raises(ValueError, match=r"\.flops expected input_shape \(2, H, W\), got \(3, 5"):
        conv.flops(8, (3, 5, 5))
    with pytest.raises(
        ValueError, match=r"input_shape \(2, height, width\) of non-negative ints, got \(5, 5\)"
    ):
        conv.flops(8, (5, 5))
    with pytest.raises(ValueError, match=r"input_shape \(2, 2, 2\) is smaller than the kernel"):
        conv.flops(8, (2, 2, 2))
    with pytest.raises(ValueError, match=r"batch_size must be a positive int, got 0"):
        conv.flops(0, (2, 5, 5))
    with pytest.raises(ValueError, match=r"MaxPool2D\(.*\)\.flops needs the input's size"):
        MaxPool2D(2).flops(8)
