"""Bad input to Dropout: errors name the layer, what it expected and what came, and a failing
call changes nothing (the mask, and the random state: no numbers are drawn)."""

import numpy as np
import pytest
from helpers import raises_and_changes_nothing

from nnlab.dropout import Dropout


@pytest.mark.parametrize(
    ("p", "exc", "match"),
    [
        (1, ValueError, r"Dropout: p must be in \[0, 1\), got 1: dropping every entry leaves "),
        (1.0, ValueError, r"got 1: dropping every entry leaves nothing to scale by 1/\(1 - p\)"),
        (1.5, ValueError, r"Dropout: p must be in \[0, 1\), got 1\.5\."),
        (-0.1, ValueError, r"Dropout: p must be in \[0, 1\), got -0\.1\."),
        (float("nan"), ValueError, r"Dropout: p must be in \[0, 1\), got nan\."),
        ("0.5", TypeError, r"Dropout: p must be a real number, got '0\.5'\."),
        (True, TypeError, r"Dropout: p must be a real number, got True\."),
        (None, TypeError, r"Dropout: p must be a real number, got None\."),
    ],
)
def test_bad_dropout_probability(p, exc, match):
    with pytest.raises(exc, match=match):
        Dropout(p)


def test_bad_dropout_rng():
    with pytest.raises(TypeError, match=r"Dropout\(p=0\.5\): rng must be None, an int seed or"):
        Dropout(0.5, rng="0")


def trained_dropout():
    drop = Dropout(0.5, rng=0)
    drop.forward(np.random.default_rng(1).normal(size=(2, 3)))
    return drop


@pytest.mark.parametrize(
    ("bad", "exc", "match"),
    [
        (np.ones(3), ValueError, r"Dropout\(p=0\.5\) expected X of shape \(n_samples, \.\.\.\), "
         r"got a 1-D array of shape \(3,\)\."),
        (np.float64(2.0), ValueError, r"got a 0-D array"),
        (np.array([["a"]]), TypeError, r"Dropout\(p=0\.5\) expected X to be a numeric array, got "
         r"dtype <U1"),
        (np.ones((2, 2)) * 1j, TypeError, r"expected X to be a numeric array, got dtype complex"),
        ([[1.0], [1.0, 2.0]], ValueError, r"expected X to be a rectangular numeric array"),
    ],
)  # fmt: skip
def test_bad_dropout_input_raises_and_changes_nothing(bad, exc, match):
    drop = trained_dropout()
    mask = drop.mask.copy()
    with raises_and_changes_nothing(drop, exc, match):  # the mask, and no random numbers drawn
        drop.forward(bad)
    dZ = np.ones((2, 3))
    np.testing.assert_array_equal(drop.backward(dZ), mask)  # still the last good mask


@pytest.mark.parametrize(
    ("bad", "exc", "match"),
    [
        (np.ones((3, 2)), ValueError, r"Dropout\(p=0\.5\) expected dZ of shape \(2, 3\) \(the "
         r"shape of its last output\), got \(3, 2\)\."),
        (np.ones((2, 3)) * 1j, TypeError, r"expected dZ to be a numeric array, got dtype complex"),
        ([[1.0], [1.0, 2.0]], ValueError, r"expected dZ to be a rectangular numeric array"),
    ],
)  # fmt: skip
def test_bad_dropout_gradient_raises_and_changes_nothing(bad, exc, match):
    drop = trained_dropout()
    with raises_and_changes_nothing(drop, exc, match):  # the mask, and no random numbers drawn
        drop.backward(bad)


def test_dropout_backward_needs_a_training_forward():
    drop = Dropout(0.5)
    with pytest.raises(RuntimeError, match=r"Dropout\(p=0\.5\): backward\(\) called before forw"):
        drop.backward(np.ones((1, 2)))
    drop.forward(np.ones((1, 2)), cache=False)
    with pytest.raises(RuntimeError, match="before forward"):
        drop.backward(np.ones((1, 2)))


def test_dropout_flops_needs_a_sample_shape():
    drop = Dropout(0.5)
    with pytest.raises(
        ValueError,
        match=r"Dropout\(p=0\.5\)\.flops needs the input's size: pass input_shape=one sample's",
    ):
        drop.flops(8)
    with pytest.raises(ValueError, match=r"input_shape a tuple of non-negative ints, got 3\."):
        drop.flops(8, 3)
    with pytest.raises(ValueError, match=r"batch_size must be a positive int, got 0\."):
        drop.flops(0, (3,))
