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
