"""check_dropout_backward: the reference agrees with nnlab.Dropout, and each mistake is named."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import Dropout
from nnlab import exercises as ex
from nnlab.exercises import dropout
from nnlab.exercises._feedback import Feedback
from nnlab.exercises.dropout import _cases, dropout_backward_solution

from .checkers import (
    assert_docstring_examples_run,
    assert_exports_checker_not_solution,
    assert_names_the_mistake,
)


def test_docstring_examples_run():
    assert_docstring_examples_run(dropout)


def test_solution_is_not_re_exported():
    assert_exports_checker_not_solution("check_dropout_backward", "dropout_backward_solution")


SHAPES = [(4, 6), (1, 10), (2, 3, 4, 4)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_solution_agrees_with_nnlab_dropout_for_a_mask_reproduced_from_its_rng(p, shape):
    rng = np.random.default_rng(3)
    X, dA = rng.normal(size=shape), rng.normal(size=shape)
    layer = Dropout(p, rng=11)
    A = layer.forward(X)
    # nnlab draws rng.random(X.shape, dtype=X.dtype) >= p, nothing at all when p = 0
    if p == 0:
        mask = np.ones(shape)
        assert layer.mask is None
    else:
        mask = (np.random.default_rng(11).random(shape, dtype=X.dtype) >= p).astype(float)
        # nnlab keeps the mask already scaled by 1 / (1 - p); the exercise passes it as 0/1
        np.testing.assert_allclose(layer.mask, mask / (1 - p), rtol=1e-15, atol=0)
    np.testing.assert_allclose(A, X * mask / (1 - p), rtol=1e-15, atol=0)
    dX = layer.backward(dA)
    np.testing.assert_allclose(dropout_backward_solution(dA, mask, p), dX, rtol=1e-15, atol=0)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_solution_agrees_with_nnlab_dropout_for_a_mask_read_from_layer_mask(p):
    rng = np.random.default_rng(5)
    X, dA = rng.normal(size=(3, 2, 5, 5)), rng.normal(size=(3, 2, 5, 5))
    layer = Dropout(p, rng=2)
    layer.forward(X)
    mask = (layer.mask != 0).astype(float)  # entries 0 or 1 / (1 - p)
    assert set(np.unique(layer.mask)) <= {0.0, 1 / (1 - p)}
    got = dropout_backward_solution(dA, mask, p)
    np.testing.assert_allclose(got, layer.backward(dA), rtol=1e-15, atol=0)


def test_solution_leaves_its_inputs_unchanged():
    for case in _cases():
        before = case.copies()
        dropout_backward_solution(*case.args.values())
        for b, a in zip(before, case.args.values(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_cases_cover_2d_4d_every_p_and_a_batch_of_one():
    cases = _cases()
    ndims = {c.args["dA"].ndim for c in cases}
    assert {2, 4} <= ndims
    assert {c.args["p"] for c in cases} == {0.0, 0.2, 0.5, 0.9}
    assert any(c.args["dA"].shape[0] == 1 for c in cases)
    for c in cases:
        mask, dA = c.args["mask"], c.args["dA"]
        assert mask.shape == dA.shape and set(np.unique(mask)) <= {0.0, 1.0}
        assert dA.all()  # no zero in dA, so a zero in dX comes from the mask
        if c.args["p"] == 0:
            assert mask.all()
        else:
            assert mask.any() and not mask.all()


def test_passing_feedback_says_what_was_checked():
    fb = ex.check_dropout_backward(dropout_backward_solution)
    assert fb.passed
    assert "on 5 cases" in fb.hint and "4-D" in fb.hint and "batch of 1" in fb.hint


ACCEPTED = {
    "np.where": lambda dA, mask, p: np.where(mask == 1, dA / (1 - p), 0.0),
    "the scaled mask first": lambda dA, mask, p: dA * (mask / (1 - p)),
    "a boolean mask": lambda dA, mask, p: dA * mask.astype(bool) / (1 - p),
    "a list of rows (as an array-like)": lambda dA, mask, p: (dA * mask / (1 - p)).tolist(),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_other_correct_solutions_pass(name):
    fb = ex.check_dropout_backward(ACCEPTED[name])
    assert fb.passed, fb.hint


def _fresh_mask(dA, mask, p):
    return dA * (np.random.default_rng().random(dA.shape) >= p) / (1 - p)


def _seeded_own_mask(dA, mask, p):
    return dA * (np.random.default_rng(0).random(dA.shape) >= p) / (1 - p)


def _scaled_in_place(dA, mask, p):
    dA *= mask
    dA /= 1 - p
    return dA


def _zeroed_in_place(dA, mask, p):
    dA[mask == 0] = 0.0
    return dA / (1 - p)


def _mask_scaled_in_place(dA, mask, p):
    mask /= 1 - p
    return dA * mask


VARIANTS = {
    "scaling forgotten": (
        lambda dA, mask, p: dA * mask,
        "your dX is dA * mask, without the scaling",
    ),
    "scaled by 1/p": (lambda dA, mask, p: dA * mask / p, "scales the kept entries by 1/p"),
    "scaled by (1 - p)": (
        lambda dA, mask, p: dA * mask * (1 - p),
        "multiplies the kept entries by (1 - p), where the forward divided by it",
    ),
    "mask ignored": (lambda dA, mask, p: dA / (1 - p), "your dX leaves the mask out"),
    "inverted mask": (
        lambda dA, mask, p: dA * (1 - mask) / (1 - p),
        "the mask is inverted (1 - mask, or mask == 0)",
    ),
    "inverted mask as mask == 0": (
        lambda dA, mask, p: dA * (mask == 0) / (1 - p),
        "the mask is inverted",
    ),
    "inverted mask and 1/p": (
        lambda dA, mask, p: dA * (1 - mask) / p,
        "the mask is inverted (mask is 1 for a kept entry), and p is the probability of dropping",
    ),
    "a new random mask each call": (
        _fresh_mask,
        "your dX changes from one call to the next with the same dA, mask and p",
    ),
    "a new random mask, unscaled": (
        lambda dA, mask, p: dA * (np.random.default_rng().random(dA.shape) >= p),
        "does your backward draw a new random mask?",
    ),
    "a mask of its own, drawn from a fixed seed": (
        _seeded_own_mask,
        "it follows a mask of its own",
    ),
    "dA scaled in place": (_scaled_in_place, "your function changed the caller's dA in place"),
    "dA zeroed in place": (_zeroed_in_place, "your function changed the caller's dA in place"),
    "mask scaled in place": (
        _mask_scaled_in_place,
        "your function changed the caller's mask in place",
    ),
}


@pytest.mark.parametrize(("fn", "phrase"), VARIANTS.values(), ids=list(VARIANTS))
def test_each_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_dropout_backward(fn), phrase)


def test_one_over_p_names_the_case_p_0_as_well():
    fb = ex.check_dropout_backward(VARIANTS["scaled by 1/p"][0])
    assert "also contains inf on the case 'p = 0 (nothing dropped)'" in fb.hint


def test_a_python_division_by_p_at_p_0_gets_advice():
    fb = ex.check_dropout_backward(lambda dA, mask, p: dA * mask * (1 / p))
    assert "ZeroDivisionError" in fb.hint and "'p = 0 (nothing dropped)'" in fb.hint
    assert "is something divided by p?" in fb.hint
    assert "scales the kept entries by 1/p" in fb.hint  # the other cases name the mistake


def test_a_matrix_product_is_reported_with_the_case():
    fb = ex.check_dropout_backward(lambda dA, mask, p: dA @ mask.T / (1 - p))
    assert not fb.passed
    assert "your dX has shape (4, 4)" in fb.hint


def test_a_tuple_is_named():
    fb = ex.check_dropout_backward(lambda dA, mask, p: (dA * mask / (1 - p),))
    assert "returned a tuple of 1 value; it must return dX alone" in fb.hint


def test_hints_do_not_give_the_formula_away():
    for name, (fn, _) in VARIANTS.items():
        hint = ex.check_dropout_backward(fn).hint
        assert "dA * mask / (1 - p)" not in hint, name


def test_checker_never_raises_on_odd_learners():
    class Weird:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("no array for you")

    odd = [
        lambda dA, mask, p: Weird(),
        lambda dA, mask, p: iter([1, 2]),
        lambda dA, mask, p: np.array(["a"] * dA.size).reshape(dA.shape),
        lambda dA, mask, p: dA * mask / (1 - p) if p < 0.5 else None,
        lambda dA, mask, p: dA.astype(complex) * 1j,
    ]
    for fn in odd:
        fb = ex.check_dropout_backward(fn)
        assert isinstance(fb, Feedback) and not fb.passed and fb.hint
