"""Bad input to RNN: errors name the layer, what it expected and what came, and a failing call
changes nothing (parameters, gradients, cache and the measured gradient norms stay as they
were)."""

import numpy as np
import pytest
from helpers import raises_and_changes_nothing

from nnlab.recurrent import RNN

LAYER = r"RNN\(2 -> 3, return_sequences=False, init='xavier'\)"


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_in": 0}, ValueError, r"RNN: n_in must be a positive int, got 0\."),
        ({"n_hidden": 1.5}, TypeError, r"RNN: n_hidden must be a positive int, got 1\.5\."),
        ({"n_hidden": True}, TypeError, r"RNN: n_hidden must be a positive int, got True\."),
        ({"return_sequences": "yes"}, TypeError, r"return_sequences must be True or False, got"),
        ({"dtype": np.int32}, TypeError, r"RNN: dtype must be float32 or float64"),
        ({"rng": 0.5}, TypeError, r"rng must be None, an int seed or a np\.random\.Generator"),
        ({"rng": -1}, ValueError, r"an int seed rng must be non-negative, got -1\."),
        ({"init": "glorot"}, ValueError, r"unknown init 'glorot'; expected one of 'he', 'xavier'"),
        ({"init": 3}, TypeError, r"init must be a name or a callable, got int"),
        (
            {"init": lambda n_in, n_out, rng: np.zeros((n_out, n_in))},
            ValueError,
            r"init returned shape \(3, 2\), expected \(2, 3\)\.",
        ),
        (
            {"init": lambda n_in, n_out, rng: np.full((n_in, n_out), np.inf)},
            ValueError,
            r"init returned nan or inf weights",
        ),
    ],
)
def test_bad_rnn_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        RNN(**{"n_in": 2, "n_hidden": 3, **kwargs})


def trained_rnn():
    """An RNN after one forward and backward: parameters, gradients and cache to keep."""
    rnn = RNN(2, 3, rng=0)
    rnn.forward(np.random.default_rng(1).normal(size=(2, 4, 2)))
    rnn.backward(np.ones((2, 3)))
    return rnn


BAD_X = [
    (np.ones((2, 4)), ValueError, rf"{LAYER} expected X of shape \(n_samples, n_steps, 2\), got "
     r"a 2-D array of shape \(2, 4\)\. For a single sample use X\[np\.newaxis\]\."),
    (np.ones((2, 4, 2, 1)), ValueError, rf"{LAYER} expected X of shape \(n_samples, n_steps, 2\), "
     r"got a 4-D array of shape \(2, 4, 2, 1\)\.$"),
    (np.ones((2, 4, 3)), ValueError, rf"{LAYER} expected X of shape \(n_samples, n_steps, 2\), got "
     r"\(2, 4, 3\)\."),
    (np.ones((2, 0, 2)), ValueError, rf"{LAYER} expected X with at least one time step, got X of "
     r"shape \(2, 0, 2\)\."),
    (np.ones((2, 4, 2)) * 1j, TypeError, rf"{LAYER} expected X to be a numeric array, got dtype "
     r"complex128"),
    (np.full((2, 4, 2), "a"), TypeError, r"expected X to be a numeric array, got dtype <U1"),
    ([[[1.0, 2.0]], [[1.0]]], ValueError, r"expected X to be a rectangular numeric array"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "exc", "match"), BAD_X)
def test_bad_rnn_input_raises_and_changes_nothing(bad, exc, match):
    rnn = trained_rnn()
    norms = rnn.grad_norms_by_step
    dW_hh = rnn.dW_hh.copy()
    with raises_and_changes_nothing(rnn, exc, match):
        rnn.forward(bad)
    np.testing.assert_array_equal(rnn.grad_norms_by_step, norms)
    rnn.backward(np.ones((2, 3)))  # the cache still serves the last good forward
    np.testing.assert_array_equal(rnn.dW_hh, dW_hh)


@pytest.mark.parametrize(
    ("return_sequences", "bad", "exc", "match"),
    [
        (False, np.ones((2, 4, 3)), ValueError, rf"{LAYER} expected dZ of shape \(2, 3\) \(the "),
        (False, np.ones((2, 2)), ValueError, r"expected dZ of shape \(2, 3\) .*got \(2, 2\)\."),
        (False, np.ones((2, 3)) * 1j, TypeError, r"expected dZ to be a numeric array, got dtype"),
        (True, np.ones((2, 3)), ValueError, r"expected dZ of shape \(2, 4, 3\) .*got \(2, 3\)\."),
        (True, np.ones((2, 3, 3)), ValueError, r"expected dZ of shape \(2, 4, 3\) .*got \(2, 3, 3"),
    ],
)
def test_bad_rnn_gradient_raises_and_changes_nothing(return_sequences, bad, exc, match):
    rnn = RNN(2, 3, return_sequences=return_sequences, rng=0)
    Z = rnn.forward(np.random.default_rng(1).normal(size=(2, 4, 2)))
    rnn.backward(np.ones(Z.shape))
    norms = rnn.grad_norms_by_step
    with raises_and_changes_nothing(rnn, exc, match):
        rnn.backward(bad)
    np.testing.assert_array_equal(rnn.grad_norms_by_step, norms)


def test_rnn_calls_in_the_wrong_order():
    rnn = RNN(2, 3)
    with pytest.raises(RuntimeError, match=r"RNN\(2 -> 3, .*\): backward\(\) called before forw"):
        rnn.backward(np.ones((1, 3)))
    with pytest.raises(RuntimeError, match=r"grad_norms_by_step is measured by backward\(\); run"):
        rnn.grad_norms_by_step  # noqa: B018
    rnn.forward(np.ones((1, 4, 2)), cache=False)  # inference keeps nothing
    with pytest.raises(RuntimeError, match="before forward"):
        rnn.backward(np.ones((1, 3)))


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("W_hh", np.ones((3, 2)), r"W_hh must have shape \(3, 3\), got \(3, 2\)\."),
        ("W_xh", np.full((2, 3), np.nan), r"W_xh must be finite in float64, got 6 nan or inf"),
        ("b", np.ones(4), r"b must have shape \(3,\), got \(4,\)\."),
    ],
)
def test_bad_parameter_assignment_changes_nothing(name, value, match):
    rnn = trained_rnn()
    with raises_and_changes_nothing(rnn, ValueError, rf"{LAYER}: {match}"):
        setattr(rnn, name, value)


def test_rnn_flops_needs_the_number_of_steps():
    rnn = RNN(2, 3)
    owner = rf"{LAYER}\.flops"
    with pytest.raises(
        ValueError, match=rf"{owner} needs the input's size: pass input_shape=\(n_steps, 2\)"
    ):
        rnn.flops(8)
    with pytest.raises(ValueError, match=rf"{owner} expected input_shape \(T, 2\), got \(4, 3\)"):
        rnn.flops(8, (4, 3))
    with pytest.raises(
        ValueError, match=r"input_shape \(n_steps, 2\) of non-negative ints, got \(4,\)"
    ):
        rnn.flops(8, (4,))
    with pytest.raises(ValueError, match=r"expected input_shape \(T, 2\), got \(0, 2\)\."):
        rnn.flops(8, (0, 2))
    with pytest.raises(ValueError, match=rf"{owner}: batch_size must be a positive int, got 0"):
        rnn.flops(0, (4, 2))
