"""check_dense_backward: the reference passes, and each usual mistake is named."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import Dense
from nnlab import exercises as ex
from nnlab.exercises.dense import _cases, dense_backward_solution

from .checkers import assert_names_the_mistake


def test_solution_matches_nnlab_dense_on_every_case():
    for case in _cases():
        X, W, b, dZ = case.args.values()
        layer = Dense(*W.shape, init="zeros")
        layer.W, layer.b = W, b
        layer.forward(X)
        dX = layer.backward(dZ)
        got = dense_backward_solution(X, W, b, dZ)
        for g, want in zip(got, (layer.dW, layer.db, dX), strict=True):
            np.testing.assert_allclose(g, want)


def test_cases_cover_a_batch_of_one_and_square_and_non_square_w():
    shapes = [(c.args["X"].shape[0], c.args["W"].shape) for c in _cases()]
    assert any(n == 1 for n, _ in shapes)
    assert any(w[0] == w[1] for _, w in shapes)
    assert any(w[0] != w[1] for _, w in shapes)
    assert all(n != w[1] for n, w in shapes if n > 1)  # db over the wrong axis shows in shape


def test_passing_feedback_says_what_was_checked():
    fb = ex.check_dense_backward(dense_backward_solution)
    assert fb.passed
    assert "dW, db and dX match" in fb.hint and "batch of 1" in fb.hint


VARIANTS = {
    "dW transposed": (
        lambda X, W, b, dZ: (dZ.T @ X, dZ.sum(axis=0), dZ @ W.T),
        "did you compute dZ.T @ X instead of X.T @ dZ?",
    ),
    "dX without the transpose": (
        lambda X, W, b, dZ: (X.T @ dZ, dZ.sum(axis=0), dZ @ W),
        "your dX misses a transpose",
    ),
    "dX transposed": (
        lambda X, W, b, dZ: (X.T @ dZ, dZ.sum(axis=0), (dZ @ W.T).T),
        "the transpose of X's",
    ),
    "db over axis 1": (
        lambda X, W, b, dZ: (X.T @ dZ, dZ.sum(axis=1), dZ @ W.T),
        "did you sum dZ over axis 1",
    ),
    "db with keepdims": (
        lambda X, W, b, dZ: (X.T @ dZ, np.sum(dZ, axis=0, keepdims=True), dZ @ W.T),
        "keepdims=True",
    ),
    "db summed over everything": (
        lambda X, W, b, dZ: (X.T @ dZ, np.sum(dZ), dZ @ W.T),
        "the sum of all of dZ",
    ),
    "db not summed": (
        lambda X, W, b, dZ: (X.T @ dZ, dZ, dZ @ W.T),
        "the shape of dZ",
    ),
    "extra 1/N in dW and db": (
        lambda X, W, b, dZ: (X.T @ dZ / len(X), dZ.mean(axis=0), dZ @ W.T),
        "your dW and db have an extra 1/N",
    ),
    "extra 1/N in dW only": (
        lambda X, W, b, dZ: (X.T @ dZ / X.shape[0], dZ.sum(axis=0), dZ @ W.T),
        "your dW has an extra 1/N",
    ),
    "flipped sign": (
        lambda X, W, b, dZ: (-X.T @ dZ, -dZ.sum(axis=0), -dZ @ W.T),
        "your dW, db and dX have the opposite sign",
    ),
}


@pytest.mark.parametrize(("fn", "phrase"), VARIANTS.values(), ids=list(VARIANTS))
def test_each_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_dense_backward(fn), phrase)


def test_the_brief_example_hint():
    fb = ex.check_dense_backward(VARIANTS["dW transposed"][0])
    assert fb.hint.startswith(
        "your dW has shape (3, 5); dW must have the shape of W, (5, 3): did you compute "
        "dZ.T @ X instead of X.T @ dZ?"
    )
    assert "(db and dX are right.)" in fb.hint


def test_two_mistakes_are_both_named():
    fb = ex.check_dense_backward(lambda X, W, b, dZ: (dZ.T @ X, dZ.sum(axis=1), dZ @ W))
    assert "dX misses a transpose" in fb.hint
    assert "your dW is the transpose of the gradient" in fb.hint  # shapes agree where it ran
    assert "did you sum dZ over axis 1" in fb.hint


def test_a_shape_error_of_its_own_gets_shape_advice():
    fb = ex.check_dense_backward(lambda X, W, b, dZ: (X.T @ dZ, dZ.sum(axis=0), dZ.T @ W))
    assert "ValueError" in fb.hint and "'a batch of 4 and a non-square W'" in fb.hint
    assert "write the shape beside each factor" in fb.hint


def test_unknown_wrong_values_get_the_first_wrong_entry():
    fb = ex.check_dense_backward(lambda X, W, b, dZ: (X.T @ dZ, dZ.sum(axis=0), dZ @ W.T + 1))
    assert "your dX is wrong on 4 of 4 cases" in fb.hint and "entry (0, 0)" in fb.hint


def test_a_constant_factor_is_named():
    fb = ex.check_dense_backward(lambda X, W, b, dZ: (2 * X.T @ dZ, dZ.sum(axis=0), dZ @ W.T))
    assert "your dW is 2 times the expected value on every case" in fb.hint


def test_dz_changed_in_place_is_reported():
    def scaled_in_place(X, W, b, dZ):
        dZ *= 1.0
        dZ += 0.0
        dZ[0, 0] = 5.0
        return X.T @ dZ, dZ.sum(axis=0), dZ @ W.T

    fb = ex.check_dense_backward(scaled_in_place)
    assert "your function changed dZ in place" in fb.hint
