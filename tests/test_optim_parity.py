"""Optimizer parity with PyTorch's conventions: Adam(weight_decay), AdamW and Nesterov SGD.

Each rule is checked twice, against numbers computed another way: a step worked by hand on a
scalar, and a plain out-of-place NumPy reference (PyTorch's published algorithms, written
without blocks or scratch buffers) run for several steps on random gradients.
"""

import math

import numpy as np
import pytest

import nnlab as nl
import nnlab.optim as optim


def scalar(value=1.0):
    """One scalar parameter with its gradient: ``[("p", p, g)]``."""
    return [("p", np.array([value]), np.zeros(1))]


def run_scalar(opt, params, grads):
    """Step ``opt`` with the gradients ``grads`` in turn; return the parameter after each step."""
    _, p, g = params[0]
    out = []
    for value in grads:
        g[0] = value
        opt.step()
        out.append(float(p[0]))
    return out


# ---- hand-worked steps -------------------------------------------------------------------


def test_nesterov_by_hand():
    # lr 0.1, momentum 0.9, gradient 0.5 twice, p = 1:
    # step 1: buf = 0.5, g = 0.5 + 0.9 * 0.5 = 0.95, p = 1 - 0.095 = 0.905
    # step 2: buf = 0.9 * 0.5 + 0.5 = 0.95, g = 0.5 + 0.9 * 0.95 = 1.355,
    #         p = 0.905 - 0.1355 = 0.7695
    params = scalar()
    opt = nl.SGD(params, lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(run_scalar(opt, params, [0.5, 0.5]), [0.905, 0.7695], rtol=1e-14)


def test_nesterov_with_weight_decay_by_hand():
    # weight_decay 0.1 enters the gradient first:
    # step 1: g = 0.5 + 0.1 * 1 = 0.6, buf = 0.6, g = 0.6 + 0.9 * 0.6 = 1.14, p = 1 - 0.114 = 0.886
    # step 2: g = 0.5 + 0.0886 = 0.5886, buf = 0.54 + 0.5886 = 1.1286,
    #         g = 0.5886 + 0.9 * 1.1286 = 1.60434, p = 0.886 - 0.160434 = 0.725566
    params = scalar()
    opt = nl.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True)
    np.testing.assert_allclose(run_scalar(opt, params, [0.5, 0.5]), [0.886, 0.725566], rtol=1e-14)


def test_adam_l2_weight_decay_by_hand():
    # lr 0.1, betas (0.9, 0.999), weight_decay 0.1, gradient 0.5 twice, p = 1:
    # step 1: g = 0.6, m = 0.06, v = 0.00036; m^ = 0.6, v^ = 0.36, p = 1 - 0.1 * 0.6 / 0.6 = 0.9
    # step 2: g = 0.5 + 0.09 = 0.59, m = 0.054 + 0.059 = 0.113, v = 0.00035964 + 0.0003481
    #         = 0.00070774; m^ = 0.113 / 0.19 = 0.59473684, v^ = 0.00070774 / 0.001999
    #         = 0.35404702, sqrt = 0.59501850, p = 0.9 - 0.1 * 0.99952663 = 0.80004734
    # (eps = 1e-8 moves each step by ~2e-9, inside the tolerance.)
    params = scalar()
    opt = nl.Adam(params, lr=0.1, weight_decay=0.1)
    np.testing.assert_allclose(
        run_scalar(opt, params, [0.5, 0.5]), [0.9, 0.80004734], rtol=0, atol=1e-8
    )


def test_adamw_by_hand():
    # lr 0.1, weight_decay 0.01, gradient 0.5 twice, p = 1. The decay shrinks p by
    # 1 - 0.1 * 0.01 = 0.999 first; a constant gradient gives m^ = 0.5, v^ = 0.25, a step of lr:
    # step 1: p = 0.999 - 0.1 = 0.899;  step 2: p = 0.899 * 0.999 - 0.1 = 0.798101
    params = scalar()
    opt = nl.AdamW(params, lr=0.1)
    np.testing.assert_allclose(
        run_scalar(opt, params, [0.5, 0.5]), [0.899, 0.798101], rtol=0, atol=1e-8
    )


def test_adamw_with_zero_gradient_is_pure_exponential_decay():
    params = [("w", np.array([2.0, -3.0, 0.5]), np.zeros(3))]
    opt = nl.AdamW(params, lr=0.05, weight_decay=0.2)
    for _ in range(10):
        opt.step()
    np.testing.assert_allclose(params[0][1], np.array([2.0, -3.0, 0.5]) * 0.99**10, rtol=1e-14)


def test_adam_l2_with_zero_gradient_moves_by_about_lr():
    # Unlike AdamW, Adam's L2 term is normalised like any gradient: each step is about lr.
    params = [("w", np.array([2.0, -3.0]), np.zeros(2))]
    opt = nl.Adam(params, lr=0.05, weight_decay=0.2)
    path = [params[0][1].copy()]
    for _ in range(4):
        opt.step()
        path.append(params[0][1].copy())
    steps = np.diff(path, axis=0) * [-1, 1]  # towards zero, in both coordinates
    assert np.all((steps > 0.049) & (steps <= 0.05))


# ---- plain NumPy references, several steps -------------------------------------------------


def ref_sgd(p, grads, lr, momentum, weight_decay, nesterov):
    """PyTorch's SGD algorithm (dampening 0), out of place."""
    buf = None
    for g in grads:
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def ref_adam(p, grads, lr, betas, eps, weight_decay, decoupled):
    """PyTorch's Adam (L2 in the gradient) or AdamW (decoupled decay), out of place."""
    b1, b2 = betas
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v) / math.sqrt(1 - b2**t) + eps
        p = p - lr / (1 - b1**t) * m / denom
    return p


SGD_CASES = [
    dict(lr=0.1, momentum=0.9, weight_decay=0.0, nesterov=True),
    dict(lr=0.05, momentum=0.5, weight_decay=0.01, nesterov=True),
    dict(lr=0.05, momentum=0.5, weight_decay=0.01, nesterov=False),
    dict(lr=0.2, momentum=0.0, weight_decay=0.1, nesterov=False),
]
ADAM_CASES = [
    (nl.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.05)),
    (nl.Adam, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-3, weight_decay=0.0)),
    (nl.AdamW, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.05)),
    (nl.AdamW, dict(lr=0.3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.5)),
]


def layout(kind):
    """A small network's parameters: views of one flat buffer, or separate arrays."""
    params = nl.mlp([3, 5, 2], "tanh", rng=0).parameters()
    if kind == "separate":
        params = [(n, p.copy(), g.copy()) for n, p, g in params]
    return params


def drive(opt, params, grads):
    for step in grads:
        for (_, _, g), new in zip(params, step, strict=True):
            g[...] = new
        opt.step()


@pytest.mark.parametrize("kind", ["fused", "separate"])
@pytest.mark.parametrize("block", [optim.BLOCK, 7])
@pytest.mark.parametrize(
    "case", SGD_CASES, ids=["nesterov", "nesterov-l2", "momentum-l2", "plain-l2"]
)
def test_sgd_matches_reference(case, kind, block, monkeypatch):
    monkeypatch.setattr(optim, "BLOCK", block)  # 7: every array spans several blocks
    rng = np.random.default_rng(0)
    params = layout(kind)
    start = [p.copy() for _, p, _ in params]
    grads = [[rng.normal(size=p.shape) for p in start] for _ in range(6)]
    drive(nl.SGD(params, **case), params, grads)
    for k, (_, p, _) in enumerate(params):
        want = ref_sgd(start[k], [step[k] for step in grads], **case)
        np.testing.assert_allclose(p, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", ["fused", "separate"])
@pytest.mark.parametrize("block", [optim.BLOCK, 7])
@pytest.mark.parametrize(
    "cls, case", ADAM_CASES, ids=["adam-l2", "adam-eps", "adamw", "adamw-strong"]
)
def test_adam_and_adamw_match_reference(cls, case, kind, block, monkeypatch):
    monkeypatch.setattr(optim, "BLOCK", block)
    rng = np.random.default_rng(1)
    params = layout(kind)
    start = [p.copy() for _, p, _ in params]
    grads = [[rng.normal(size=p.shape) for p in start] for _ in range(8)]
    drive(cls(params, **case), params, grads)
    for k, (_, p, _) in enumerate(params):
        want = ref_adam(start[k], [step[k] for step in grads], decoupled=cls is nl.AdamW, **case)
        np.testing.assert_allclose(p, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: nl.SGD(p, 0.1, momentum=0.9, weight_decay=1e-3, nesterov=True),
        lambda p: nl.Adam(p, 1e-3, weight_decay=1e-2),
        lambda p: nl.AdamW(p, 1e-3),
    ],
    ids=["nesterov", "adam-l2", "adamw"],
)
def test_float32_follows_the_float64_reference(make):
    net = nl.mlp([4, 6, 3], "relu", rng=0, dtype=np.float32)
    ref = net.astype(np.float64)
    opt, ref_opt = make(net.parameters()), make(ref.parameters())
    rng = np.random.default_rng(2)
    for _ in range(5):
        ref.flat_grads[:] = rng.normal(size=net.n_params)
        net.flat_grads[:] = ref.flat_grads
        opt.step()
        ref_opt.step()
    assert net.flat_params.dtype == np.float32
    np.testing.assert_allclose(net.flat_params, ref.flat_params, rtol=1e-5, atol=1e-6)


def test_zero_weight_decay_adamw_is_adam_bit_for_bit():
    a, b = nl.mlp([3, 4, 2], rng=0), nl.mlp([3, 4, 2], rng=0)
    opt_a, opt_b = nl.Adam(a.parameters(), 0.01), nl.AdamW(b.parameters(), 0.01, weight_decay=0)
    rng = np.random.default_rng(3)
    for _ in range(3):
        a.flat_grads[:] = b.flat_grads[:] = rng.normal(size=a.n_params)
        opt_a.step()
        opt_b.step()
    assert a.flat_params.tobytes() == b.flat_params.tobytes()


@pytest.mark.parametrize(
    "make",
    [
        lambda p: nl.SGD(p, 0.1, momentum=0.9, weight_decay=1e-3, nesterov=True),
        lambda p: nl.Adam(p, weight_decay=1e-2),
        lambda p: nl.AdamW(p),
    ],
    ids=["nesterov", "adam-l2", "adamw"],
)
def test_new_rules_allocate_no_parameter_sized_array(make):
    import tracemalloc

    net = nl.mlp([500, 200, 10], "relu", rng=0, dtype=np.float32)
    assert net.n_params > 3 * optim.BLOCK
    net.flat_grads[:] = np.random.default_rng(0).normal(size=net.n_params)
    opt = make(net.parameters())
    opt.step()
    tracemalloc.start()
    opt.step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < net.flat_params.nbytes / 10


def test_reprs_and_exports():
    params = scalar()
    assert "AdamW" in nl.__all__
    assert (
        repr(nl.AdamW(params))
        == "AdamW(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01)"
    )
    assert repr(nl.Adam(params, weight_decay=0.1)) == (
        "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.1)"
    )
    assert repr(nl.SGD(params, 0.1, momentum=0.5, nesterov=True)) == (
        "SGD(lr=0.1, momentum=0.5, weight_decay=0, nesterov=True)"
    )


@pytest.mark.parametrize(
    "make, bad, message",
    [
        (lambda p, v: nl.SGD(p, 0.1, nesterov=v), True, r"SGD: nesterov=True needs momentum > 0"),
        (lambda p, v: nl.SGD(p, 0.1, momentum=0.9, nesterov=v), "yes", r"SGD: nesterov must be"),
        (
            lambda p, v: nl.Adam(p, weight_decay=v),
            -0.1,
            r"Adam: weight_decay must be in \[0, inf\)",
        ),
        (lambda p, v: nl.AdamW(p, weight_decay=v), math.nan, r"AdamW: weight_decay must be in"),
        (lambda p, v: nl.AdamW(p, weight_decay=v), "0.1", r"AdamW: weight_decay must be a real"),
        (lambda p, v: nl.AdamW(p, betas=v), (0.9, 1.0), r"AdamW: betas\[1\] must be in \[0, 1\)"),
        (lambda p, v: nl.AdamW(p, eps=v), 0.0, r"AdamW: eps must be in \(0, inf\)"),
    ],
)
def test_bad_new_hyperparameters(make, bad, message):
    params = scalar()
    error = TypeError if isinstance(bad, str) else ValueError
    with pytest.raises(error, match=message):
        make(params, bad)
    assert params[0][1][0] == 1.0


def test_against_pytorch_when_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    start = rng.normal(size=(3, 4))
    grads = [rng.normal(size=(3, 4)) for _ in range(5)]
    cases = [
        (nl.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)),
        (nl.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.05)),
        (nl.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.05)),
    ]
    for ours_cls, theirs_cls, kwargs in cases:
        ours = [("w", start.copy(), np.zeros_like(start))]
        opt = ours_cls(ours, **kwargs)
        w = torch.tensor(start.copy(), requires_grad=True)
        theirs = theirs_cls([w], **kwargs)
        for g in grads:
            ours[0][2][...] = g
            opt.step()
            w.grad = torch.tensor(g)
            theirs.step()
        np.testing.assert_allclose(ours[0][1], w.detach().numpy(), rtol=1e-10, atol=1e-12)
