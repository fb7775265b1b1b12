"""check_softmax_cross_entropy: the reference passes, and each usual mistake is named."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import SoftmaxCrossEntropy
from nnlab import exercises as ex
from nnlab.exercises.softmax import _cases, softmax_cross_entropy_solution

from .checkers import assert_names_the_mistake


def _probs(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _rows(z, y):
    return np.arange(len(z)), y


def test_solution_matches_nnlab_on_every_case():
    for case in _cases():
        logits, labels = case.args.values()
        loss = SoftmaxCrossEntropy()
        want = loss.forward(logits, labels)
        got, dlogits = softmax_cross_entropy_solution(logits, labels)
        assert np.isfinite(got) and got == pytest.approx(want)
        np.testing.assert_allclose(dlogits, loss.backward())


def test_cases_include_large_logits_and_an_underflowing_probability():
    cases = _cases()
    assert any(np.abs(c.args["logits"]).max() >= 1000 for c in cases)
    assert any(len(c.args["logits"]) == 1 for c in cases)
    underflow = [c for c in cases if c.meta.get("underflow")]
    z, y = underflow[0].args.values()
    assert _probs(z)[_rows(z, y)].min() == 0.0  # the true class's probability underflows


def naive(z, y):
    e = np.exp(z)  # no max-subtraction
    p = e / e.sum(axis=1, keepdims=True)
    d = p.copy()
    d[_rows(z, y)] -= 1
    return -np.log(p[_rows(z, y)]).mean(), d / len(z)


def log_of_p(z, y, eps=0.0):
    p = _probs(z)
    d = p.copy()
    d[_rows(z, y)] -= 1
    return -np.log(p[_rows(z, y)] + eps).mean(), d / len(z)


def with_loss(transform):
    def fn(z, y):
        loss, d = softmax_cross_entropy_solution(z, y)
        return transform(loss, z, y), d

    return fn


def with_grad(transform):
    def fn(z, y):
        loss, d = softmax_cross_entropy_solution(z, y)
        return loss, transform(d, z, y)

    return fn


def one_hot(z, y):
    Y = np.zeros_like(z)
    Y[_rows(z, y)] = 1
    return Y


def column_indexing(z, y):
    p = _probs(z)
    d = p.copy()
    d[:, y] -= 1
    return -np.log(p[:, y]).mean(), d / len(z)


VARIANTS = {
    "no max-subtraction": (naive, "subtract each row's own maximum"),
    "log of an underflowed probability": (log_of_p, "log(0) is -inf"),
    "log with an epsilon": (lambda z, y: log_of_p(z, y, 1e-12), "a small epsilon"),
    "summed loss": (with_loss(lambda L, z, y: L * len(z)), "the sum of the per-sample losses"),
    "per-sample loss": (
        with_loss(lambda L, z, y: -np.log(_probs(z)[_rows(z, y)])),
        "one loss per sample",
    ),
    "mean over all entries": (
        with_loss(lambda L, z, y: np.mean(-one_hot(z, y) * np.log(_probs(z)))),
        "a mean over all N x n_out entries",
    ),
    "negative loss": (with_loss(lambda L, z, y: -L), "your loss is negative"),
    "[:, labels] indexing": (column_indexing, "indexing with [:, labels]"),
    "missing 1/N": (with_grad(lambda d, z, y: d * len(z)), "misses the 1/N of the mean"),
    "y - p": (with_grad(lambda d, z, y: -d), "did you write y - p?"),
    "y - p without 1/N": (
        with_grad(lambda d, z, y: -d * len(z)),
        "(y - p instead of p - y) and misses the 1/N",
    ),
    "no one-hot term": (with_grad(lambda d, z, y: _probs(z) / len(z)), "the softmax alone"),
}


@pytest.mark.parametrize(("fn", "phrase"), VARIANTS.values(), ids=list(VARIANTS))
def test_each_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_softmax_cross_entropy(fn), phrase)


def test_no_max_subtraction_is_diagnosed_only_from_large_logits():
    fb = ex.check_softmax_cross_entropy(naive)
    assert "right on small logits" in fb.hint and "'large logits'" in fb.hint
    assert fb.hint.count("\n") == 0  # one diagnosis, no follow-up noise


def test_logits_changed_in_place_are_reported():
    def shifts_in_place(z, y):
        z -= z.max(axis=1, keepdims=True)
        return softmax_cross_entropy_solution(z, y)

    fb = ex.check_softmax_cross_entropy(shifts_in_place)
    assert "your function changed logits in place" in fb.hint
