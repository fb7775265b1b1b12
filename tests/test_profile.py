"""nnlab.profile: tracing layer visits, cached bytes, timing the phases of a training step.

Timings vary from run to run, so no test asserts a duration: only structure, positivity,
the number of samples, and that the network is left as it was.
"""

import re
from pathlib import Path

import numpy as np
import pytest

import nnlab as nl


@pytest.fixture
def setup():
    rng = np.random.default_rng(0)
    net = nl.mlp([4, 6, 5, 3], "tanh", rng=0)
    X = rng.normal(size=(10, 4))
    y = rng.integers(0, 3, size=10)
    return net, nl.SoftmaxCrossEntropy(), X, y


def test_trace_records_forward_in_order_and_backward_reversed(setup):
    net, loss, X, y = setup
    with nl.trace(net) as events:
        loss.forward(net.forward(X), y)
        net.backward(loss.backward())
    forward = [e.index for e in events if e.direction == "forward"]
    backward = [e.index for e in events if e.direction == "backward"]
    assert forward == list(range(len(net)))
    assert backward == forward[::-1]
    assert events[:5] == [e for e in events if e.direction == "forward"]
    assert all(isinstance(e, nl.PassEvent) for e in events)
    assert events[0].layer == repr(net[0])


def test_trace_shapes_mirror_between_passes(setup):
    net, loss, X, y = setup
    with nl.trace(net) as events:
        loss.forward(net.forward(X), y)
        net.backward(loss.backward(), input_grad=False)
    fwd = {e.index: e for e in events if e.direction == "forward"}
    bwd = {e.index: e for e in events if e.direction == "backward"}
    for i in fwd:
        assert bwd[i].shape_in == fwd[i].shape_out
        if i > 0:
            assert bwd[i].shape_out == fwd[i].shape_in
    assert bwd[0].shape_out is None  # input_grad=False skips dX of the first layer
    assert fwd[0].shape_in == X.shape


def test_trace_changes_no_result_and_restores_the_methods(setup):
    net, _, X, _ = setup
    plain = net.forward(X)
    with nl.trace(net):
        traced = net.forward(X)
    np.testing.assert_array_equal(plain, traced)
    for layer in net.layers:
        assert "forward" not in vars(layer) and "backward" not in vars(layer)


def test_trace_restores_the_methods_after_an_error(setup):
    net, *_ = setup
    with pytest.raises(ValueError, match="expected X"), nl.trace(net):
        net.forward(np.ones((2, 7)))
    assert all("forward" not in vars(layer) for layer in net.layers)


def test_nested_traces_both_record(setup):
    net, _, X, _ = setup
    with nl.trace(net) as outer:
        with nl.trace(net) as inner:
            net.forward(X)
        net.forward(X)
    assert len(inner) == len(net)
    assert len(outer) == 2 * len(net)


def test_trace_rejects_what_is_not_a_network():
    with pytest.raises(TypeError, match="trace expected a Sequential network, got int"):
        with nl.trace(3):
            pass


def test_cached_bytes_training_vs_inference(setup):
    net, _, X, _ = setup
    net.forward(X)
    # X (10x4) and the tanh outputs (10x6, 10x5), each also the next Dense layer's input:
    # distinct arrays count once, float64
    assert nl.cached_bytes(net) == 8 * 10 * (4 + 6 + 5)
    held = [a for layer in net.layers for a in layer.cached_arrays()]
    assert sum(a.nbytes for a in held) == 8 * 10 * (4 + 6 + 5 + 6 + 5)  # naive sum
    nl.predict(net, X)
    assert nl.cached_bytes(net) == 0


def test_time_passes_structure(setup):
    net, loss, X, y = setup
    result = nl.time_passes(net, loss, X, y, repeats=4, warmup=1)
    assert list(result) == ["forward", "loss", "backward", "step"]
    for stats in result.values():
        assert set(stats) == {"median", "min", "max", "samples"}
        assert stats["samples"].shape == (4,)
        assert np.all(stats["samples"] > 0)
        assert stats["min"] <= stats["median"] <= stats["max"]
        assert stats["min"] == stats["samples"].min()


@pytest.mark.parametrize("repeats", [1, 7])
def test_time_passes_respects_repeats(setup, repeats):
    net, loss, X, y = setup
    result = nl.time_passes(net, loss, X, y, repeats=repeats, warmup=0)
    assert all(len(s["samples"]) == repeats for s in result.values())


def test_time_passes_runs_each_phase_once_per_repeat(setup):
    net, loss, X, y = setup
    calls = []

    class CountingSGD(nl.SGD):
        def step(self):
            calls.append(1)
            super().step()

    opt = CountingSGD(net.parameters(), lr=0.1)
    with nl.trace(net) as events:
        nl.time_passes(net, loss, X, y, opt, repeats=3, warmup=2)
    assert len(calls) == 5
    assert sum(e.direction == "forward" and e.index == 0 for e in events) == 5


def test_time_passes_leaves_the_network_as_it_was(setup):
    net, loss, X, y = setup
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    weights, grads = net.flat_params.copy(), net.flat_grads.copy()
    nl.time_passes(net, loss, X, y, nl.SGD(net.parameters(), lr=1.0), repeats=3)
    np.testing.assert_array_equal(net.flat_params, weights)
    np.testing.assert_array_equal(net.flat_grads, grads)


def test_time_passes_backward_follows_input_grad(setup):
    net, loss, X, y = setup
    for input_grad, shape in [(False, None), (True, X.shape)]:
        with nl.trace(net) as events:
            nl.time_passes(net, loss, X, y, repeats=1, warmup=0, input_grad=input_grad)
        first = [e for e in events if e.direction == "backward" and e.index == 0]
        assert first[0].shape_out == shape


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"repeats": 0}, ValueError, "repeats must be a positive int, got 0"),
        ({"repeats": 2.5}, TypeError, "repeats must be a positive int, got 2.5"),
        ({"warmup": -1}, ValueError, "warmup must be a non-negative int, got -1"),
        ({"optimizer": "sgd"}, TypeError, "optimizer must have a step"),
    ],
)
def test_time_passes_errors(setup, kwargs, error, match):
    net, loss, X, y = setup
    with pytest.raises(error, match=match):
        nl.time_passes(net, loss, X, y, **kwargs)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.00123, "1.23 ms"),
        (0.0123, "12.3 ms"),
        (0.123, "123 ms"),
        (1.5, "1.50 s"),
        (42.0, "42.0 s"),
        (2.5e-5, "25.0 µs"),
        (8.5e-7, "850 ns"),
        (3e-9, "3.00 ns"),
        (0.0009996, "1.00 ms"),  # rounds up into the next unit, not "1000 µs"
        (0.9999, "1.00 s"),
        (0, "0 s"),
        (np.float64(0.002), "2.00 ms"),
    ],
)
def test_format_time(seconds, text):
    assert nl.format_time(seconds) == text


def test_format_time_matches_the_nbval_sanitizer():
    cfg = (Path(__file__).resolve().parents[1] / "nbval_sanitize.cfg").read_text("utf-8")
    section = cfg.split("[timings]")[1]
    pattern = re.search(r"^regex: (.*)$", section, re.M).group(1)
    replace = re.search(r"^replace: (.*)$", section, re.M).group(1)
    for seconds in (3e-9, 2.5e-5, 0.00123, 1.5, 1234.0):
        line = f"forward time: {nl.format_time(seconds)}"
        assert re.sub(pattern, replace, line) == "forward time: TIME"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (-1.0, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        ("1 ms", TypeError),
        (True, TypeError),
    ],
)
def test_format_time_errors(value, error):
    with pytest.raises(error, match="format_time: seconds must be"):
        nl.format_time(value)
