"""Activation checkpointing gives backprop's gradients exactly, keeping fewer arrays."""

from __future__ import annotations

import doctest
import math
from collections import Counter

import numpy as np
import pytest

import nnlab as nl
from nnlab import checkpoint
from nnlab.checkpoint import checkpointed_backward, optimal_segments


def batch(net: nl.Sequential, loss, n: int = 12, seed: int = 0):
    gen = np.random.default_rng(seed)
    X = gen.normal(size=(n, net.n_in)).astype(net.dtype)
    n_out = net.forward(X[:1], cache=False).shape[1]
    if isinstance(loss, nl.SoftmaxCrossEntropy):
        return X, gen.integers(0, n_out, size=n)
    return X, gen.normal(size=(n, n_out)).astype(net.dtype)


def plain_step(net, loss, X, Y) -> tuple[float, np.ndarray]:
    value = loss.forward(net.forward(X), Y)
    net.backward(loss.backward())
    return value, net.flat_grads.copy()


def test_docstring_examples_run():
    assert doctest.testmod(checkpoint).failed == 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", [nl.MSELoss(), nl.SoftmaxCrossEntropy()], ids=repr)
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("depth", [1, 4, 10])
def test_gradients_and_loss_equal_plain_backprop_for_every_segment_count(
    depth, activation, loss, dtype
):
    net = nl.mlp([5] + [7] * (depth - 1) + [3], activation, rng=depth, dtype=dtype)
    X, Y = batch(net, loss, seed=depth)
    expected_loss, expected = plain_step(net, loss, X, Y)
    weights = net.flat_params.tobytes()
    for segments in range(1, len(net.layers) + 1):
        net.flat_grads[:] = np.nan  # every gradient must be overwritten
        out = checkpointed_backward(net, loss, X, Y, segments)
        # Recomputing from the same input repeats the same operations: equal, not close.
        np.testing.assert_array_equal(net.flat_grads, expected)
        assert out["loss"] == expected_loss
        assert net.flat_params.tobytes() == weights
        assert net.flat_grads.dtype == dtype


def test_every_activation_type_and_a_final_activation():
    net = nl.Sequential(
        [
            nl.Dense(4, 6, rng=0),
            nl.LeakyReLU(0.1),
            nl.Dense(6, 6, rng=1),
            nl.Identity(),
            nl.Dense(6, 5, rng=2),
            nl.Tanh(),
            nl.Dense(5, 3, rng=3),
            nl.Softmax(),
        ]
    )
    loss = nl.MSELoss()
    X, Y = batch(net, loss, n=9)
    expected_loss, expected = plain_step(net, loss, X, Y)
    for segments in range(1, len(net.layers) + 1):
        net.flat_grads[:] = np.nan
        assert checkpointed_backward(net, loss, X, Y, segments)["loss"] == expected_loss
        np.testing.assert_array_equal(net.flat_grads, expected)


def test_lists_and_other_dtypes_of_X_are_converted_as_forward_converts_them():
    net = nl.mlp([2, 4, 1], "tanh", rng=0, dtype=np.float32)
    X, Y = [[0, 1], [1, 0], [2, 2]], [[0.5], [1.0], [0.0]]
    expected_loss, expected = plain_step(net, nl.MSELoss(), X, Y)
    out = checkpointed_backward(net, nl.MSELoss(), X, Y, 2)
    assert out["loss"] == expected_loss
    np.testing.assert_array_equal(net.flat_grads, expected)


@pytest.mark.parametrize("segments", [1, 2, 3, 5, 9])
def test_each_layer_runs_forward_twice_except_the_last_segment(segments):
    net = nl.mlp([3, 4, 4, 4, 4, 2], rng=0)  # 9 layers
    loss = nl.MSELoss()
    X, Y = batch(net, loss)
    with nl.trace(net) as events:
        out = checkpointed_backward(net, loss, X, Y, segments)
    n = len(net.layers)
    starts = [i * n // segments for i in range(segments)]
    assert out["boundaries"] == starts
    last = n - starts[-1]
    assert out["recomputed_layers"] == n - last
    forwards = Counter(e.index for e in events if e.direction == "forward")
    assert forwards == {i: 1 if i >= starts[-1] else 2 for i in range(n)}
    backward = [e.index for e in events if e.direction == "backward"]
    assert backward == list(range(n - 1, -1, -1))
    assert events[-1].shape_out is None  # the first layer skips the unneeded input gradient


def test_segments_have_near_equal_lengths():
    for n in range(1, 40):
        for k in range(1, n + 1):
            starts = [i * n // k for i in range(k)]
            lengths = np.diff([*starts, n])
            assert lengths.min() >= 1 and lengths.max() - lengths.min() <= 1


def test_caches_are_released_afterwards():
    net = nl.mlp([3, 8, 8, 2], rng=0)
    loss = nl.MSELoss()
    X, Y = batch(net, loss)
    net.forward(X)
    assert nl.cached_bytes(net) > 0
    checkpointed_backward(net, loss, X, Y, 2)
    assert nl.cached_bytes(net) == 0
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        net.backward(np.ones((12, 2)))


# One activation of the deep net below: 256 x 256 float64 values.
ARRAY = 256 * 256 * 8
# Measured: distinct (256, 256) arrays kept at the peak, by segment count, for 16 Dense
# layers of width 256 with ReLU (31 layers). 1 segment is plain backprop (X and 15 ReLU
# outputs); sqrt(16) = 4 segments reach the minimum 2 sqrt(16) = 8 arrays (so do 3 and 5:
# the curve k + 16 / k is flat there). More segments cost more again, and 16 or 31 (a
# segment starting at a ReLU stores the pre-activation Z too) are worse than none.
PEAK_ARRAYS = {1: 16, 2: 10, 3: 8, 4: 8, 5: 8, 6: 9, 8: 10, 16: 17, 31: 31}


@pytest.fixture(scope="module")
def deep():
    net = nl.mlp([256] * 17, "relu", rng=0)
    gen = np.random.default_rng(0)
    X, Y = gen.normal(size=(256, 256)), gen.normal(size=(256, 256))
    loss = nl.MSELoss()
    net.forward(X)
    plain = nl.cached_bytes(net)
    peaks = {k: checkpointed_backward(net, loss, X, Y, k)["peak_kept_bytes"] for k in PEAK_ARRAYS}
    return plain, peaks


def test_peak_memory_of_a_deep_wide_net(deep):
    plain, peaks = deep
    assert plain == 16 * ARRAY
    assert peaks == {k: v * ARRAY for k, v in PEAK_ARRAYS.items()}
    assert peaks[1] == plain  # one segment is ordinary backprop
    best = optimal_segments(16)
    assert best == 4
    assert peaks[best] == 2 * math.isqrt(16) * ARRAY < plain
    assert peaks[best] == min(peaks.values())
    assert peaks[16] > plain and peaks[31] > plain


def test_float32_bytes_and_a_boundary_at_an_activation():
    net = nl.mlp([64] * 5, "tanh", rng=0, dtype=np.float32)  # D T D T D T D: 7 layers
    loss = nl.MSELoss()
    X, Y = batch(net, loss, n=32)
    array = 32 * 64 * 4
    net.forward(X)
    assert nl.cached_bytes(net) == 4 * array  # X and three tanh outputs
    peak = {k: checkpointed_backward(net, loss, X, Y, k)["peak_kept_bytes"] for k in (1, 2, 3)}
    # 2 segments start at layers 0 and 3 (a Tanh): X and the pre-activation Z kept, plus the
    # last segment's two tanh outputs: no saving. 3 segments start at layers 0, 2 and 4 (all
    # Dense): X and two tanh outputs kept, plus one more in the last segment.
    assert peak == {1: 4 * array, 2: 4 * array, 3: 4 * array}


@pytest.mark.parametrize(
    "depth, expected",
    [(1, 1), (2, 1), (3, 2), (4, 2), (6, 2), (7, 3), (16, 4), (31, 6), (100, 10), (1000, 32)],
)
def test_optimal_segments(depth, expected):
    assert optimal_segments(depth) == expected
    assert 1 <= optimal_segments(depth) <= depth


@pytest.mark.parametrize(
    "depth, error, message",
    [
        (0, ValueError, r"^optimal_segments: depth must be a positive int, got 0\.$"),
        (-3, ValueError, r"got -3\.$"),
        (2.0, TypeError, r"^optimal_segments: depth must be a positive int, got 2\.0\.$"),
        (True, TypeError, r"got True\.$"),
        ("4", TypeError, r"got '4'\.$"),
    ],
)
def test_optimal_segments_bad_depth(depth, error, message):
    with pytest.raises(error, match=message):
        optimal_segments(depth)


def small():
    net = nl.mlp([3, 4, 2], rng=0)  # 3 layers
    loss = nl.MSELoss()
    X, Y = batch(net, loss)
    net.flat_grads[:] = 1.5
    return net, loss, X, Y


@pytest.mark.parametrize(
    "change, error, message",
    [
        (
            {"net": "layers"},
            TypeError,
            r"^checkpointed_backward expected net to be a network of layers \(a Sequential\), "
            r"got list\.$",
        ),
        ({"net": "dense"}, TypeError, r"network of layers \(a Sequential\), got Dense\.$"),
        (
            {"loss": "mse"},
            TypeError,
            r"^checkpointed_backward expected loss to be an nnlab loss \(with forward and "
            r"backward\), got str\.$",
        ),
        (
            {"segments": 0},
            ValueError,
            r"^checkpointed_backward expected segments in \[1, 3\] \(the number of layers\), "
            r"got 0\.$",
        ),
        ({"segments": 4}, ValueError, r"expected segments in \[1, 3\] .*got 4\.$"),
        ({"segments": -1}, ValueError, r"got -1\.$"),
        (
            {"segments": 2.0},
            TypeError,
            r"^checkpointed_backward expected segments to be an int in \[1, 3\] \(the number of "
            r"layers\), got 2\.0 \(float\)\.$",
        ),
        ({"segments": True}, TypeError, r"got True \(bool\)\.$"),
        ({"segments": "2"}, TypeError, r"got '2' \(str\)\.$"),
        ({"segments": None}, TypeError, r"got None \(NoneType\)\.$"),
        (
            {"X": "wide"},
            ValueError,
            r"^checkpointed_backward expected X of shape \(n_samples, 3\), got \(12, 4\)\.$",
        ),
        (
            {"X": "1-D"},
            ValueError,
            r"^checkpointed_backward expected X of shape \(n_samples, 3\), got a 1-D array",
        ),
        ({"X": "text"}, TypeError, r"^checkpointed_backward expected X to be a numeric array"),
        ({"Y": "short"}, ValueError, r"^MSELoss\(\) expected target of shape \(12, 2\)"),
    ],
)
def test_bad_inputs_name_the_function_and_change_nothing(change, error, message):
    net, loss, X, Y = small()
    weights, grads = net.flat_params.tobytes(), net.flat_grads.tobytes()
    args = {"net": net, "loss": loss, "X": X, "Y": Y, "segments": 2}
    args.update(change)
    args["net"] = {"layers": net.layers, "dense": net.layers[0]}.get(args["net"], args["net"])
    args["X"] = {
        "wide": np.ones((12, 4)),
        "1-D": np.ones(3),
        "text": np.array([["a", "b", "c"]]),
    }.get(args["X"] if isinstance(args["X"], str) else "", args["X"])
    if isinstance(args["Y"], str):
        args["Y"] = np.ones((5, 2))
    with pytest.raises(error, match=message):
        checkpointed_backward(**args)
    assert net.flat_params.tobytes() == weights
    assert net.flat_grads.tobytes() == grads


def test_numpy_integer_segments_are_accepted():
    net, loss, X, Y = small()
    assert checkpointed_backward(net, loss, X, Y, np.int64(3))["boundaries"] == [0, 1, 2]
