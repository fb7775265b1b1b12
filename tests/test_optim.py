"""Optimizers against reference updates written out independently, one parameter at a time."""

import numpy as np
import pytest

import nnlab as nl


def make_net():
    return nl.mlp([3, 5, 2], "tanh", rng=0)


def run(opt_factory, steps, rng, fused=True):
    net = make_net()
    params = net.parameters()
    if not fused:  # copies that do not share one buffer: exercises the per-array path
        params = [(n, p.copy(), g.copy()) for n, p, g in params]
    opt = opt_factory(params)
    assert len(opt._pairs) == (1 if fused else 4)
    grads = [[rng.normal(size=p.shape) for _, p, _ in params] for _ in range(steps)]
    for step in grads:
        for (_, _, g), new in zip(params, step, strict=False):
            g[...] = new
        opt.step()
    return [p for _, p, _ in params], grads, [p.copy() for _, p, _ in make_net().parameters()]


@pytest.mark.parametrize("fused", [True, False])
def test_sgd_momentum_weight_decay_matches_reference(fused):
    lr, mu, wd = 0.1, 0.9, 0.01
    final, grads, start = run(
        lambda p: nl.SGD(p, lr, momentum=mu, weight_decay=wd), 5, np.random.default_rng(0), fused
    )
    for k, p in enumerate(start):
        v = 0.0
        for step in grads:
            g = step[k] + wd * p
            v = mu * v + g
            p = p - lr * v
        np.testing.assert_allclose(final[k], p, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("fused", [True, False])
def test_adam_matches_reference(fused):
    lr, b1, b2, eps = 0.01, 0.8, 0.99, 1e-8
    final, grads, start = run(
        lambda p: nl.Adam(p, lr, betas=(b1, b2), eps=eps), 6, np.random.default_rng(1), fused
    )
    for k, p in enumerate(start):
        m = v = 0.0
        for t, step in enumerate(grads, start=1):
            g = step[k]
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(final[k], p, rtol=1e-10, atol=1e-13)


def test_plain_sgd_is_param_minus_lr_grad():
    net = make_net()
    before = net.flat_params.copy()
    net.flat_grads[:] = np.arange(net.n_params)
    nl.SGD(net.parameters(), lr=0.5).step()
    np.testing.assert_allclose(net.flat_params, before - 0.5 * np.arange(net.n_params))


def test_optimizers_keep_float32():
    net = nl.mlp([3, 5, 2], "relu", rng=0, dtype=np.float32)
    net.flat_grads[:] = 1.0
    for opt in (nl.SGD(net.parameters(), 0.1, momentum=0.5), nl.Adam(net.parameters())):
        opt.step()
        assert net.flat_params.dtype == np.float32


def test_optimizer_reprs():
    params = make_net().parameters()
    assert repr(nl.SGD(params, 0.1)) == "SGD(lr=0.1, momentum=0, weight_decay=0)"
    assert repr(nl.Adam(params)) == "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08)"


@pytest.mark.parametrize(
    "make", [lambda p: nl.SGD(p, 0.1, momentum=0.9, weight_decay=1e-3), lambda p: nl.Adam(p)]
)
def test_step_spanning_many_blocks_allocates_no_parameter_sized_array(make):
    import tracemalloc

    from nnlab.optim import BLOCK

    net = nl.mlp([500, 200, 10], "relu", rng=0, dtype=np.float32)
    assert net.n_params > 3 * BLOCK
    net.flat_grads[:] = np.random.default_rng(0).normal(size=net.n_params)
    reference = net.astype(np.float64)  # the same update computed in float64
    opt, ref_opt = make(net.parameters()), make(reference.parameters())
    opt.step()
    ref_opt.step()
    tracemalloc.start()
    opt.step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    ref_opt.step()
    assert peak < net.flat_params.nbytes / 10
    np.testing.assert_allclose(net.flat_params, reference.flat_params, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fused", [True, False])
def test_updates_tells_whose_memory_a_step_writes(fused):
    net, other = make_net(), make_net()
    params = net.parameters()
    if not fused:  # copies: the optimizer updates them, not net
        params = [(n, p.copy(), g.copy()) for n, p, g in params]
    opt = nl.SGD(params, 0.1)
    own = [p for _, p, _ in params]
    assert all(opt.updates(p) for p in own)
    assert opt.updates(own[1][2:])  # part of a parameter
    assert opt.updates(net.flat_params) == fused
    assert opt.updates(net.layers[0].W) == fused
    assert not opt.updates(other.flat_params)
    assert not opt.updates(net.flat_grads)  # gradients are read, never written
    assert not opt.updates(np.zeros(3))
    # It says what step() does: the arrays it reports are exactly those that change.
    for _, _, g in params:
        g[...] = 1.0
    before = [a.copy() for a in (*own, net.flat_params, other.flat_params)]
    opt.step()
    after = (*own, net.flat_params, other.flat_params)
    for old, new in zip(before, after, strict=True):
        assert (not np.array_equal(old, new)) == opt.updates(new)


def test_updates_is_false_for_an_optimizer_built_before_its_sequential():
    """Sequential moves the layers' weights into one buffer: fit uses this to catch it."""
    layer = nl.Dense(2, 3, rng=0)
    opt = nl.Adam(layer.parameters())
    net = nl.Sequential([layer])
    assert not opt.updates(net.flat_params)
    assert nl.Adam(net.parameters()).updates(net.flat_params)


def test_updates_rejects_a_non_array():
    opt = nl.SGD(make_net().parameters(), 0.1)
    with pytest.raises(TypeError, match=r"SGD\.updates expected a NumPy array, got list"):
        opt.updates([1.0, 2.0])


def test_docstring_examples():
    import doctest

    from nnlab import optim

    result = doctest.testmod(optim)
    assert result.failed == 0 and result.attempted >= 5


def test_contiguous_base_is_one_view_over_arrays_that_tile_a_buffer():
    from nnlab._validation import contiguous_base

    buf = np.arange(10.0)
    parts = [buf[0:6].reshape(2, 3), buf[6:7], buf[7:9].reshape(2, 1)]
    flat = contiguous_base(parts)
    np.testing.assert_array_equal(flat, buf[:9])
    assert np.shares_memory(flat, buf)
    flat[...] = -1  # one write reaches every part
    assert all((p == -1).all() for p in parts) and buf[9] == 9
    # A network's parameters and gradients tile its two buffers.
    net = make_net()
    ps = contiguous_base([p for _, p, _ in net.parameters()])
    assert ps is not None and np.shares_memory(ps, net.flat_params) and ps.size == net.n_params
    # Anything else: None.
    assert contiguous_base([]) is None
    assert contiguous_base([np.zeros(3)]) is None  # owns its data
    assert contiguous_base([buf[0:3], buf[4:6]]) is None  # a gap
    assert contiguous_base([buf[3:6], buf[0:3]]) is None  # out of order
    assert contiguous_base([buf[0:3], np.arange(3.0)]) is None  # another buffer
    assert contiguous_base([buf[0:4:2]]) is None  # not contiguous
    raw = np.zeros(16, dtype=np.uint8)
    assert contiguous_base([raw[:8].view(np.float64), raw[8:].view(np.float32)]) is None
