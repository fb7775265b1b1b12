"""Gradient clipping by global norm: the norm, the in-place rescaling, and the bad inputs."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import nnlab as nl
from nnlab import clipping
from nnlab.clipping import clip_grad_norm, grad_norm


def net_with_grads(seed: int = 0, dtype=np.float64, scale: float = 1.0) -> nl.Sequential:
    net = nl.mlp([3, 5, 4, 2], rng=seed, dtype=dtype)
    net.flat_grads[:] = np.random.default_rng(seed).normal(scale=scale, size=net.n_params)
    return net


def arrays(seed: int = 0, dtype=np.float64, scale: float = 1.0) -> list[np.ndarray]:
    gen = np.random.default_rng(seed)
    return [gen.normal(scale=scale, size=s).astype(dtype) for s in [(3, 4), (4,), (2, 2, 2)]]


def reference_norm(grads) -> float:
    """The norm computed another way: exact Python sums of float64 squares."""
    return math.sqrt(math.fsum(float(v) ** 2 for g in grads for v in np.ravel(g)))


def test_docstring_examples_run():
    assert doctest.testmod(clipping).failed == 0


@pytest.mark.parametrize("seed", range(5))
def test_norm_of_every_kind_of_params(seed):
    net = net_with_grads(seed)
    grads = [g for _, _, g in net.parameters()]
    expected = reference_norm(grads)
    for params in (net, net.parameters(), grads, tuple(grads)):
        assert grad_norm(params) == pytest.approx(expected, rel=1e-14)
    separate = arrays(seed)
    assert grad_norm(separate) == pytest.approx(reference_norm(separate), rel=1e-14)


def test_norm_of_nothing_and_of_zeros():
    assert grad_norm([]) == 0.0
    assert grad_norm([np.zeros((3, 2)), np.zeros(0)]) == 0.0


def test_float32_norm_accumulates_in_float64():
    g = np.full(1_000_003, 0.1, dtype=np.float32)  # more than one block of the float64 sum
    expected = math.sqrt(g.size) * float(np.float32(0.1))
    assert grad_norm([g]) == pytest.approx(expected, rel=1e-12)
    # A float32 dot product loses ~1e-4 here; the float64 sum does not.
    assert abs(float(np.sqrt(np.dot(g, g))) / expected - 1) > 1e-7


@pytest.mark.parametrize(
    "value, dtype",
    [(1e20, np.float32), (3e38, np.float32), (1e200, np.float64), (1e-200, np.float64)],
)
def test_huge_and_tiny_gradients_do_not_overflow_or_underflow(value, dtype):
    grads = [np.full(7, value, dtype=dtype), np.full((2, 3), -value, dtype=dtype)]
    norm = grad_norm(grads)
    assert math.isfinite(norm)
    assert norm == pytest.approx(math.sqrt(13) * float(dtype(value)), rel=1e-12)


def test_nan_and_inf_give_a_nan_or_inf_norm():
    assert math.isnan(grad_norm([np.ones(3), np.array([np.nan, 1.0])]))
    assert grad_norm([np.array([np.inf, 1.0])]) == math.inf


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["sequential", "triples", "arrays"])
def test_clipping_above_the_threshold(kind, dtype):
    net = net_with_grads(1, dtype=dtype, scale=3.0)
    grads = [g for _, _, g in net.parameters()]
    params = {"sequential": net, "triples": net.parameters(), "arrays": arrays(1, dtype, 3.0)}
    params = params[kind]
    if kind == "arrays":
        grads = params
    before = [g.astype(np.float64) for g in grads]
    norm_before = reference_norm(before)
    max_norm = 0.25 * norm_before
    assert clip_grad_norm(params, max_norm) == pytest.approx(norm_before, rel=1e-12)
    assert all(g.dtype == dtype for g in grads)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    assert reference_norm(grads) == pytest.approx(max_norm, rel=rtol)
    old, new = (
        np.concatenate([g.ravel() for g in before]),
        np.concatenate([g.ravel() for g in grads]),
    )
    cosine = np.dot(old, new) / (np.linalg.norm(old) * np.linalg.norm(new))
    assert cosine == pytest.approx(1.0, abs=rtol)
    np.testing.assert_allclose(new, old * (max_norm / norm_before), rtol=rtol)


def test_clipping_a_sequential_changes_its_flat_buffer_and_layer_views():
    net = net_with_grads(2, scale=10.0)
    flat = net.flat_grads
    before = flat.copy()
    norm = clip_grad_norm(net, 1.0)
    assert net.flat_grads is flat  # scaled in place, not replaced
    np.testing.assert_allclose(flat, before / norm, rtol=1e-15)
    offset = 0
    for layer in net.layers:
        if isinstance(layer, nl.Dense):
            for g in (layer.dW, layer.db):
                np.testing.assert_array_equal(g.ravel(), flat[offset : offset + g.size])
                assert np.shares_memory(g, flat)
                offset += g.size
    assert offset == flat.size
    assert grad_norm(net) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("kind", ["sequential", "arrays"])
def test_no_op_below_the_threshold(kind):
    net = net_with_grads(3)
    params = net if kind == "sequential" else arrays(3)
    grads = [net.flat_grads] if kind == "sequential" else params
    before = [g.tobytes() for g in grads]
    norm = grad_norm(params)
    assert clip_grad_norm(params, norm * 1.5) == norm
    assert clip_grad_norm(params, norm) == norm  # equal to max_norm: not clipped either
    assert [g.tobytes() for g in grads] == before


def test_huge_float32_gradients_are_clipped_to_the_threshold():
    g = np.full((10, 10), 1e20, dtype=np.float32)
    assert clip_grad_norm([g], 5.0) == pytest.approx(10 * float(np.float32(1e20)), rel=1e-12)
    assert g.dtype == np.float32
    assert grad_norm([g]) == pytest.approx(5.0, rel=1e-6)
    np.testing.assert_allclose(g, 0.5, rtol=1e-6)


def test_non_finite_gradients_raise_and_change_nothing():
    net = net_with_grads(4)
    net.layers[0].dW[1, 2] = np.nan
    net.layers[2].db[0] = np.inf
    net.layers[2].db[1] = -np.inf
    before = net.flat_grads.tobytes()
    with pytest.raises(
        FloatingPointError,
        match=r"^clip_grad_norm: the gradient norm is nan: nan or inf in '0\.W' \(1 value\), "
        r"'2\.b' \(2 values\)\. No gradient was clipped\.$",
    ):
        clip_grad_norm(net, 1.0)
    assert net.flat_grads.tobytes() == before
    grads = arrays(4)
    grads[1][0] = np.inf
    copies = [g.copy() for g in grads]
    with pytest.raises(FloatingPointError, match=r"norm is inf: nan or inf in 'params\[1\]'"):
        clip_grad_norm(grads, 1.0)
    for g, c in zip(grads, copies, strict=True):
        np.testing.assert_array_equal(g, c)


@pytest.mark.parametrize(
    "max_norm, error, message",
    [
        (0, ValueError, r"^clip_grad_norm expected max_norm > 0, got 0\.0\.$"),
        (-1, ValueError, r"^clip_grad_norm expected max_norm > 0, got -1\.0\.$"),
        (-0.0, ValueError, r"^clip_grad_norm expected max_norm > 0, got -0\.0\.$"),
        (np.nan, ValueError, r"^clip_grad_norm expected a finite max_norm > 0, got nan\.$"),
        (np.inf, ValueError, r"^clip_grad_norm expected a finite max_norm > 0, got inf\.$"),
        (-np.inf, ValueError, r"^clip_grad_norm expected a finite max_norm > 0, got -inf\.$"),
        (
            "1",
            TypeError,
            r"^clip_grad_norm expected max_norm to be a positive real number, got '1' \(str\)\.$",
        ),
        (True, TypeError, r"expected max_norm to be a positive real number, got True \(bool\)"),
        (np.bool_(True), TypeError, r"got np\.True_ \(bool\)"),
        (None, TypeError, r"got None \(NoneType\)"),
        (1 + 0j, TypeError, r"got \(1\+0j\) \(complex\)"),
        (np.array([1.0]), TypeError, r"got array\(\[1\.\]\) \(ndarray\)"),
    ],
)
def test_bad_max_norm(max_norm, error, message):
    net = net_with_grads(5, scale=10.0)
    before = net.flat_grads.tobytes()
    with pytest.raises(error, match=message):
        clip_grad_norm(net, max_norm)
    assert net.flat_grads.tobytes() == before


def test_numpy_scalars_are_accepted_as_max_norm():
    for max_norm in (np.float32(0.5), np.int64(1), np.float64(0.1)):
        net = net_with_grads(6, scale=10.0)
        clip_grad_norm(net, max_norm)
        assert grad_norm(net) == pytest.approx(float(max_norm), rel=1e-12)


@pytest.mark.parametrize(
    "params, message",
    [
        (
            None,
            r"^grad_norm expected params to be a Sequential, the list net\.parameters\(\) "
            r"returns or a list of gradient arrays, got NoneType\.$",
        ),
        (np.ones(3), r"got ndarray\.$"),
        ({"w": np.ones(2)}, r"got dict\.$"),
        (nl.Dense(2, 3), r"got Dense\.$"),
        (
            [np.ones(2), [1.0, 2.0]],
            r"^grad_norm expected params\[1\] to be a NumPy array "
            r"\(or params\[1\] a \(name, param, grad\) tuple\), got list\.$",
        ),
        ([np.ones(2), np.ones(2), "g"], r"expected params\[2\] to be a NumPy array"),
        (
            [("w", np.ones(2), None)],
            r"^grad_norm expected the gradient of params\[0\] \('w'\) "
            r"to be a NumPy array",
        ),
        (
            [np.ones(2, dtype=int)],
            r"^grad_norm expected params\[0\] to be a float32 or float64 "
            r"array, got dtype int64\.$",
        ),
        ([np.ones(2, dtype=np.complex128)], r"got dtype complex128\.$"),
        ([np.ones(2, dtype=np.float16)], r"got dtype float16\.$"),
    ],
)
def test_bad_params(params, message):
    with pytest.raises(TypeError, match=message):
        grad_norm(params)
    with pytest.raises(TypeError, match=message.replace("grad_norm", "clip_grad_norm")):
        clip_grad_norm(params, 1.0)


def test_one_gradient_listed_twice_is_rejected_before_any_scaling():
    g = np.full(4, 10.0)
    with pytest.raises(
        ValueError,
        match=r"^clip_grad_norm: gradients 'params\[0\]' and 'params\[2\]' share memory \(is "
        r"one array listed twice\?\); list each gradient once\.$",
    ):
        clip_grad_norm([g, np.ones(2), g], 1.0)
    np.testing.assert_array_equal(g, 10.0)
    buf = np.full(10, 10.0)
    with pytest.raises(ValueError, match=r"'params\[0\]' and 'params\[2\]' share memory"):
        clip_grad_norm([buf[::2], buf[1::2], buf[2:3]], 1.0)  # interleaved views are fine
    clip_grad_norm([buf[::2], buf[1::2]], 1.0)
    assert grad_norm([buf]) == pytest.approx(1.0, rel=1e-12)


def train(max_norm: float | None, steps: int = 100) -> list[float]:
    X, Y = nl.make_sine(64, rng=0)
    net = nl.mlp([1, 32, 32, 1], "relu", init="he", rng=0)
    loss = nl.MSELoss()
    opt = nl.SGD(net.parameters(), lr=0.5)  # far too large without clipping
    losses = []
    for _ in range(steps):
        losses.append(loss.forward(net.forward(X), Y))
        if not math.isfinite(losses[-1]):
            break
        net.backward(loss.backward(), input_grad=False)
        if max_norm is not None:
            clip_grad_norm(net, max_norm)
        opt.step()
    return losses


def test_clipping_keeps_sgd_with_a_huge_learning_rate_from_diverging():
    with np.errstate(over="ignore", invalid="ignore"):
        unclipped = train(None)
    assert not math.isfinite(unclipped[-1])
    assert len(unclipped) < 10
    clipped = train(1.0)
    assert len(clipped) == 100
    assert all(math.isfinite(v) for v in clipped)
    assert clipped[-1] < 0.1 * clipped[0]
