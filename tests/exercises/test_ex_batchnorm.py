"""check_batchnorm_backward: the reference is nnlab.BatchNorm's backward and a finite-difference
gradient, and each usual mistake is named."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import exercises as ex
from nnlab.exercises import batchnorm
from nnlab.exercises._feedback import Feedback
from nnlab.exercises.batchnorm import _cases, batchnorm_backward_solution, check_batchnorm_backward
from nnlab.normalization import BatchNorm

from .checkers import (
    assert_docstring_examples_run,
    assert_exports_checker_not_solution,
    assert_names_the_mistake,
    assert_not_attempted,
)


def test_docstring_examples_run():
    assert_docstring_examples_run(batchnorm)


@pytest.mark.skipif(
    "check_batchnorm_backward" not in ex.__all__,
    reason="export pending: nnlab/exercises/__init__.py does not import check_batchnorm_backward "
    "yet (it is edited separately)",
)
def test_solution_is_not_re_exported():
    assert_exports_checker_not_solution("check_batchnorm_backward", "batchnorm_backward_solution")


def _nnlab(X, gamma, dZ, eps):
    layer = BatchNorm(X.shape[1], eps=eps)
    layer.gamma = gamma
    layer.forward(X)
    dX = layer.backward(dZ)
    return dX, layer.dgamma.copy(), layer.dbeta.copy()


def _assert_equal_to_1e_12(got, want):
    for g, w in zip(got, want, strict=True):
        assert g.dtype == np.float64 and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(w).max()))


def test_solution_equals_nnlab_batchnorm_on_every_case():
    for case in _cases():
        args = case.copies()
        _assert_equal_to_1e_12(batchnorm_backward_solution(*args), _nnlab(*args))


@pytest.mark.parametrize(("n", "f", "offset", "eps"), [(2, 3, 0.0, 1e-5), (7, 4, 500.0, 1e-3)])
def test_solution_equals_nnlab_batchnorm_on_other_inputs(n, f, offset, eps):
    rng = np.random.default_rng(n * f)
    X = offset + rng.normal(size=(n, f))
    gamma, dZ = rng.normal(size=f), rng.normal(size=(n, f))
    _assert_equal_to_1e_12(
        batchnorm_backward_solution(X, gamma, dZ, eps), _nnlab(X, gamma, dZ, eps)
    )


def _loss(X, gamma, beta, R, eps):
    """sum(Z * R) for the training pass Z = gamma * x_hat + beta: its dZ is R."""
    x_hat = (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0) + eps)
    return float(np.sum((gamma * x_hat + beta) * R))


def _numerical(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        up = f()
        x[idx] = old - h
        down = f()
        x[idx] = old
        grad[idx] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize(("n", "f", "eps"), [(5, 3, 1e-5), (2, 4, 1e-5), (4, 2, 0.5)])
def test_solution_equals_a_finite_difference_gradient(n, f, eps):
    rng = np.random.default_rng(n + 10 * f)
    X, R = rng.normal(size=(n, f)), rng.normal(size=(n, f))
    gamma, beta = rng.normal(size=f), rng.normal(size=f)

    def loss():
        return _loss(X, gamma, beta, R, eps)

    dX, dgamma, dbeta = batchnorm_backward_solution(X, gamma, R, eps)
    for got, wrt in [(dX, X), (dgamma, gamma), (dbeta, beta)]:
        np.testing.assert_allclose(got, _numerical(loss, wrt), rtol=1e-6, atol=1e-7)


def test_solution_leaves_its_inputs_unchanged():
    for case in _cases():
        before = case.copies()
        batchnorm_backward_solution(*case.args.values())
        for b, a in zip(before, case.args.values(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_cases_cover_a_batch_of_2_a_large_mean_a_large_eps_and_a_constant_feature():
    cases = _cases()
    shapes = [c.args["X"].shape for c in cases]
    assert all(n != f for n, f in shapes)  # an axis mistake shows in the shape
    assert any(n == 2 for n, _ in shapes)
    assert any(np.abs(c.args["X"].mean(axis=0)).min() > 500 for c in cases)
    assert any(c.args["eps"] == 0.5 for c in cases)
    assert any((c.args["X"].var(axis=0) == 0).any() for c in cases)
    for c in cases:
        X, gamma, dZ = c.args["X"], c.args["gamma"], c.args["dZ"]
        assert gamma.shape == (X.shape[1],) and dZ.shape == X.shape
        assert not np.allclose(np.abs(gamma), 1.0)  # gamma left out shows
        assert all(np.isfinite(a).all() for a in batchnorm_backward_solution(*c.copies()))


def test_passing_feedback_says_what_was_checked():
    fb = check_batchnorm_backward(batchnorm_backward_solution)
    assert fb.passed, fb.hint
    assert "match nnlab's BatchNorm backward on 5 cases" in fb.hint
    assert "batch of 2" in fb.hint and "eps = 0.5" in fb.hint


def test_stub_is_not_attempted_yet():
    def stub(X, gamma, dZ, eps):
        raise NotImplementedError

    fb = assert_not_attempted(check_batchnorm_backward(stub))
    assert "fn(X, gamma, dZ, eps)" in fb.hint


def _staged(X, gamma, dZ, eps):
    """The step-by-step graph (mu, var, inv_std, x_hat), each node's gradient in turn."""
    n = X.shape[0]
    mu = X.sum(axis=0) / n
    xc = X - mu
    var = (xc**2).sum(axis=0) / n
    inv_std = (var + eps) ** -0.5
    x_hat = xc * inv_std
    dx_hat = dZ * gamma
    dvar = (dx_hat * xc).sum(axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = -(dx_hat * inv_std).sum(axis=0) + dvar * (-2 * xc).mean(axis=0)
    dX = dx_hat * inv_std + dvar * 2 * xc / n + dmu / n
    return dX, (dZ * x_hat).sum(axis=0), dZ.sum(axis=0)


def _with_n(X, gamma, dZ, eps):
    n = len(X)
    x_hat = (X - X.mean(0)) / np.sqrt(X.var(0) + eps)
    dg, db = np.sum(dZ * x_hat, 0), np.sum(dZ, 0)
    dX = gamma / (n * np.sqrt(X.var(0) + eps)) * (n * dZ - db - x_hat * dg)
    return dX, dg, db


def _second_moment(X, gamma, dZ, eps):
    """var as E[X^2] - mu^2 (loses digits at means of 1000, but not 1e-6 of them), keepdims."""
    mu = np.mean(X, axis=0, keepdims=True)
    s = 1 / np.sqrt(np.mean(X**2, axis=0, keepdims=True) - mu**2 + eps)
    x_hat = (X - mu) * s
    dX = gamma * s * (dZ - _m(dZ) - x_hat * _m(dZ * x_hat))
    return dX, (dZ * x_hat).sum(axis=0), dZ.sum(axis=0)


def _m(a):
    return a.mean(axis=0, keepdims=True)


ACCEPTED = {
    "the step-by-step graph": _staged,
    "N dZ - dbeta - x_hat dgamma": _with_n,
    "var as E[X^2] - mu^2, keepdims": _second_moment,
    "a list of lists": lambda *a: [o.tolist() for o in batchnorm_backward_solution(*a)],
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_other_correct_solutions_pass(name):
    fb = check_batchnorm_backward(ACCEPTED[name])
    assert fb.passed, fb.hint


def _parts(X, eps, ddof=0, axis=0):
    mu = X.mean(axis=axis, keepdims=True)
    s = 1 / np.sqrt(X.var(axis=axis, ddof=ddof, keepdims=True) + eps)
    return (X - mu) * s, s


def learner(dx=None, dgamma=None, dbeta=None, stats=_parts, order=None):
    """A learner's batchnorm_backward with one part replaced: dx(dZ, x_hat, s, gamma, X),
    dgamma(dZ, x_hat, X), dbeta(dZ), stats(X, eps) -> (x_hat, s) with s = 1 / sqrt(var + eps),
    or the order of the returned values."""

    def fn(X, gamma, dZ, eps):
        x_hat, s = stats(X, eps)
        if dx:
            dX = dx(dZ, x_hat, s, gamma, X)
        else:
            dX = gamma * s * (dZ - dZ.mean(0) - x_hat * (dZ * x_hat).mean(0))
        dg = dgamma(dZ, x_hat, X) if dgamma else (dZ * x_hat).sum(0)
        db = dbeta(dZ) if dbeta else dZ.sum(0)
        out = {"dX": dX, "dgamma": dg, "dbeta": db}
        return tuple(out[k] for k in (order or ("dX", "dgamma", "dbeta")))

    return fn


def _in_place_centring(X, gamma, dZ, eps):
    X -= X.mean(axis=0)  # right values, but the caller's X is centred
    return batchnorm_backward_solution(X, gamma, dZ, eps)


def _eps_outside(X, eps):
    s = 1 / (X.std(0) + eps)
    return (X - X.mean(0)) * s, s


def _not_centred(X, eps):
    s = 1 / np.sqrt(X.var(0) + eps)
    return X * s, s


def _dz_in_place(X, gamma, dZ, eps):
    dX, dg, db = batchnorm_backward_solution(X, gamma, dZ, eps)
    dZ -= dZ.mean(axis=0)
    return dX, dg, db


def _layernorm(X, gamma, dZ, eps):
    x_hat, s = _parts(X, eps, axis=1)
    dX = gamma * s * (dZ - dZ.mean(1, keepdims=True) - x_hat * (dZ * x_hat).mean(1, keepdims=True))
    return dX, (dZ * x_hat).sum(0), dZ.sum(0)


VARIANTS = {
    "mu and var as constants": (
        learner(dx=lambda dZ, xh, s, g, X: g * s * dZ),
        "your dX is only the first term, gamma / sqrt(var + eps) * dZ: it treats mu and var",
    ),
    "mean term forgotten": (
        learner(dx=lambda dZ, xh, s, g, X: g * s * (dZ - xh * (dZ * xh).mean(0))),
        "your dX leaves out the term that comes through the mean mu",
    ),
    "variance term forgotten": (
        learner(dx=lambda dZ, xh, s, g, X: g * s * (dZ - dZ.mean(0))),
        "your dX leaves out the term that comes through the variance var",
    ),
    "sums for the means": (
        learner(dx=lambda dZ, xh, s, g, X: g * s * (dZ - dZ.sum(0) - xh * (dZ * xh).sum(0))),
        "your dX uses sums over the batch where means belong",
    ),
    "gamma left out": (
        learner(dx=lambda dZ, xh, s, g, X: s * (dZ - dZ.mean(0) - xh * (dZ * xh).mean(0))),
        "your dX leaves gamma out",
    ),
    "unbiased variance": (
        learner(stats=lambda X, eps: _parts(X, eps, ddof=1)),
        "your dX and dgamma use the unbiased variance",
    ),
    "unbiased variance, also in its derivative": (
        learner(
            stats=lambda X, eps: _parts(X, eps, ddof=1),
            dx=lambda dZ, xh, s, g, X: (
                g * s * (dZ - dZ.mean(0) - xh * (dZ * xh).sum(0) / (len(X) - 1))
            ),
        ),
        "your dX and dgamma use the unbiased variance (divided by N - 1, also in its derivative)",
    ),
    "unbiased variance in dX only": (
        lambda X, gamma, dZ, eps: (
            learner(stats=lambda X, eps: _parts(X, eps, ddof=1))(X, gamma, dZ, eps)[0],
            *batchnorm_backward_solution(X, gamma, dZ, eps)[1:],
        ),
        "your dX uses the unbiased variance",
    ),
    "eps left out": (
        learner(stats=lambda X, eps: _parts(X, 0.0)),
        "your dX and dgamma leave eps out",
    ),
    "eps outside the square root": (
        learner(stats=_eps_outside),
        "your dX and dgamma add eps outside the square root",
    ),
    "x_hat without the mean subtracted": (
        learner(stats=_not_centred),
        "your dX and dgamma use X / sqrt(var + eps) for x_hat, without subtracting the mean",
    ),
    "x_hat without the mean subtracted in dgamma only": (
        lambda X, gamma, dZ, eps: (
            batchnorm_backward_solution(X, gamma, dZ, eps)[0],
            (dZ * _not_centred(X, eps)[0]).sum(0),
            dZ.sum(0),
        ),
        "your dgamma uses X / sqrt(var + eps) for x_hat",
    ),
    "statistics over axis 1 (LayerNorm's)": (_layernorm, "means over axis 1, as LayerNorm does"),
    "dgamma as sum(dZ)": (
        learner(dgamma=lambda dZ, xh, X: dZ.sum(0)),
        "your dgamma is the sum of dZ, which is dbeta",
    ),
    "dgamma with X": (
        learner(dgamma=lambda dZ, xh, X: (dZ * X).sum(0)),
        "your dgamma weights dZ by X where x_hat belongs",
    ),
    "dgamma with X - mu": (
        learner(dgamma=lambda dZ, xh, X: (dZ * (X - X.mean(0))).sum(0)),
        "your dgamma weights dZ by X - mu, not divided by sqrt(var + eps)",
    ),
    "dgamma and dbeta over axis 1": (
        learner(dgamma=lambda dZ, xh, X: (dZ * xh).sum(1), dbeta=lambda dZ: dZ.sum(1)),
        "your dgamma and dbeta have shape (8,), one entry per sample",
    ),
    "dbeta over axis 1": (
        learner(dbeta=lambda dZ: dZ.sum(1)),
        "did you sum over axis 1 (the features) instead of axis 0 (the batch)?",
    ),
    "keepdims": (
        learner(
            dgamma=lambda dZ, xh, X: (dZ * xh).sum(0, keepdims=True),
            dbeta=lambda dZ: dZ.sum(0, keepdims=True),
        ),
        "your dgamma and dbeta have shape (1, 3); dgamma and dbeta must have the shape of gamma, "
        "(3,): did you sum with keepdims=True?",
    ),
    "dbeta over everything": (
        learner(dbeta=lambda dZ: dZ.sum()),
        "your dbeta is a single number, a sum over everything",
    ),
    "dbeta not summed": (learner(dbeta=lambda dZ: dZ), "your dbeta has shape (8, 3), the shape"),
    "extra 1/N in dgamma and dbeta": (
        learner(dgamma=lambda dZ, xh, X: (dZ * xh).mean(0), dbeta=lambda dZ: dZ.mean(0)),
        "your dgamma and dbeta have an extra 1/N",
    ),
    "extra 1/N in dX": (
        learner(
            dx=lambda dZ, xh, s, g, X: g * s * (dZ - dZ.mean(0) - xh * (dZ * xh).mean(0)) / len(X)
        ),
        "your dX has an extra 1/N",
    ),
    "dX transposed": (
        lambda *a: (batchnorm_backward_solution(*a)[0].T, *batchnorm_backward_solution(*a)[1:]),
        "your dX has shape (3, 8), the transpose of X's (8, 3)",
    ),
    "dgamma and dbeta swapped": (
        learner(order=("dX", "dbeta", "dgamma")),
        "your dgamma and dbeta are swapped",
    ),
    "returned as (dgamma, dbeta, dX)": (
        learner(order=("dgamma", "dbeta", "dX")),
        "your function returns (dgamma, dbeta, dX)",
    ),
    "flipped sign": (
        lambda *a: tuple(-o for o in batchnorm_backward_solution(*a)),
        "your dX, dgamma and dbeta have the opposite sign",
    ),
    "dX with a flipped sign": (
        lambda *a: (-batchnorm_backward_solution(*a)[0], *batchnorm_backward_solution(*a)[1:]),
        "your dX has the opposite sign",
    ),
    "X centred in place": (_in_place_centring, "your function changed the caller's X in place"),
    "dZ changed in place": (_dz_in_place, "your function changed the caller's dZ in place"),
    "nan": (
        lambda *a: (
            batchnorm_backward_solution(*a)[0] * np.nan,
            *batchnorm_backward_solution(*a)[1:],
        ),
        "your dX contains nan on the case 'a batch of 8, 3 features'",
    ),
}


@pytest.mark.parametrize(("fn", "phrase"), VARIANTS.values(), ids=list(VARIANTS))
def test_each_mistake_is_named(fn, phrase):
    assert_names_the_mistake(check_batchnorm_backward(fn), phrase)


def test_eps_left_out_also_names_the_nan_of_the_constant_feature():
    fb = check_batchnorm_backward(VARIANTS["eps left out"][0])
    assert "also contains nan on the case 'a batch of 4, 7 features, one of them constant'" in (
        fb.hint
    )
    assert "(dbeta is right.)" in fb.hint


def test_two_mistakes_are_both_named():
    fb = check_batchnorm_backward(
        learner(dx=lambda dZ, xh, s, g, X: g * s * dZ, dbeta=lambda dZ: dZ.sum(1))
    )
    assert "your dX is only the first term" in fb.hint
    assert "your dbeta has shape (8,), one entry per sample" in fb.hint
    assert "(dgamma is right.)" in fb.hint


def test_a_mean_over_axis_1_without_keepdims_gets_broadcast_advice():
    fb = check_batchnorm_backward(learner(dx=lambda dZ, xh, s, g, X: g * s * (dZ - dZ.mean(1))))
    assert "ValueError" in fb.hint and "'a batch of 8, 3 features'" in fb.hint
    assert "a mean over axis 1 has one per sample" in fb.hint


def test_unknown_wrong_values_get_the_first_wrong_entry():
    fb = check_batchnorm_backward(learner(dx=lambda dZ, xh, s, g, X: g * s * (dZ - dZ.mean(0)) + 1))
    assert "your dX is wrong on 5 of 5 cases" in fb.hint and "entry (" in fb.hint


@pytest.mark.parametrize(
    ("reshape", "got"), [(lambda d: d.sum(axis=0), "(3,)"), (lambda d: d.ravel(), "(24,)")]
)
def test_a_dx_of_another_shape_is_reported_with_the_shape_of_x(reshape, got):
    fb = check_batchnorm_backward(
        lambda *a: (
            reshape(batchnorm_backward_solution(*a)[0]),
            *batchnorm_backward_solution(*a)[1:],
        )
    )
    assert f"your dX has shape {got} on the case 'a batch of 8, 3 features'" in fb.hint
    assert "dX must have the shape of X, (8, 3)" in fb.hint


def test_a_wrong_number_of_values_is_reported_with_the_case():
    fb = check_batchnorm_backward(lambda *a: batchnorm_backward_solution(*a)[:2])
    assert "returned 2 values; it must return (dX, dgamma, dbeta)" in fb.hint
    assert "'a batch of 8, 3 features'" in fb.hint


def test_checker_never_raises_on_odd_learners():
    class Weird:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("no array for you")

    odd = [
        lambda X, gamma, dZ, eps: None,
        lambda X, gamma, dZ, eps: (Weird(), dZ.sum(0), dZ.sum(0)),
        lambda X, gamma, dZ, eps: iter([1, 2, 3]),
        lambda X, gamma, dZ, eps: ("a", "b", "c"),
        lambda X, gamma, dZ, eps: tuple(o.astype(complex) * 1j for o in (X, gamma, gamma)),
        lambda X, gamma, dZ, eps: 1 / 0,
        lambda X, gamma, dZ, eps: (X, gamma, gamma) if len(X) > 2 else None,
        "not a function",
    ]
    for fn in odd:
        fb = check_batchnorm_backward(fn)
        assert isinstance(fb, Feedback) and fb.attempted and not fb.passed and fb.hint
