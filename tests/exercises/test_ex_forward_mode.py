"""check_dual_op and check_dense_jvp: the solutions pass, each usual mistake is named, and the
references agree with nnlab.Dual and with finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnlab as nl
from nnlab import exercises as ex
from nnlab.exercises import forward_mode as fm

from .checkers import (
    assert_docstring_examples_run,
    assert_exports_checker_not_solution,
    assert_names_the_mistake,
    assert_not_attempted,
)


def test_docstrings_and_exports():
    assert_docstring_examples_run(fm)
    assert_exports_checker_not_solution("check_dual_op", "dual_mul_solution")
    assert_exports_checker_not_solution("check_dense_jvp", "dense_jvp_solution")


def test_dual_solutions_against_finite_differences():
    h = 1e-6
    u, du, v, dv = 1.3, 0.7, -2.1, 0.4
    w, dw = fm.dual_mul_solution(u, du, v, dv)
    fd = ((u + h * du) * (v + h * dv) - (u - h * du) * (v - h * dv)) / (2 * h)
    assert w == u * v and dw == pytest.approx(fd, rel=1e-8)
    a, da = fm.dual_tanh_solution(0.8, -1.5)
    fd = (math.tanh(0.8 + h * -1.5) - math.tanh(0.8 - h * -1.5)) / (2 * h)
    assert a == math.tanh(0.8) and da == pytest.approx(fd, rel=1e-8)


def test_dense_jvp_solution_against_finite_differences():
    gen = np.random.default_rng(0)
    X, W, b, dX, dW, db = (gen.normal(size=s) for s in ((3, 4), (4, 2), (2,), (3, 4), (4, 2), (2,)))
    Z, dZ = fm.dense_jvp_solution(X, W, b, dX, dW, db)
    h = 1e-6
    up = (X + h * dX) @ (W + h * dW) + (b + h * db)
    down = (X - h * dX) @ (W - h * dW) + (b - h * db)
    np.testing.assert_allclose(Z, X @ W + b)
    np.testing.assert_allclose(dZ, (up - down) / (2 * h), rtol=1e-7)


@pytest.mark.parametrize(
    ("op", "solution"), [("mul", fm.dual_mul_solution), ("tanh", fm.dual_tanh_solution)]
)
def test_dual_solutions_pass_and_stubs_are_not_attempted(op, solution):
    assert ex.check_dual_op(solution, op).passed

    def stub(*args):
        raise NotImplementedError

    assert_not_attempted(ex.check_dual_op(stub, op))


def test_dual_op_is_checked():
    fb = ex.check_dual_op(fm.dual_mul_solution, "exp")
    assert not fb.passed and "op must be one of 'mul', 'tanh', got 'exp'" in fb.hint


DUAL_MISTAKES = [
    ("mul", lambda u, du, v, dv: (u * v, du * dv), "multiplies the two tangents"),
    ("mul", lambda u, du, v, dv: (u * v, du * v), "has only du v"),
    ("mul", lambda u, du, v, dv: (u * v, u * dv), "has only u dv"),
    ("mul", lambda u, du, v, dv: (u * v, du * u + v * dv), "pairs each tangent with its own"),
    ("mul", lambda u, du, v, dv: (u * v, du + dv), "the rule of a sum"),
    ("tanh", lambda z, dz: (math.tanh(z), 1 - math.tanh(z) ** 2), "misses the factor dz"),
    ("tanh", lambda z, dz: (math.tanh(z), (1 - z * z) * dz), "uses 1 - z^2"),
    ("tanh", lambda z, dz: (math.tanh(z), (1 - math.tanh(z)) * dz), "uses 1 - tanh(z)"),
    ("tanh", lambda z, dz: (z, (1 - math.tanh(z) ** 2) * dz), "your a is z itself"),
]


@pytest.mark.parametrize(("op", "fn", "phrase"), DUAL_MISTAKES, ids=[p for *_, p in DUAL_MISTAKES])
def test_each_dual_mistake_is_named(op, fn, phrase):
    assert_names_the_mistake(ex.check_dual_op(fn, op), phrase)


def test_a_dual_instead_of_numbers_is_named():
    fb = ex.check_dual_op(lambda u, du, v, dv: nl.Dual(u, du) * nl.Dual(v, dv), "mul")
    assert_names_the_mistake(fb, "returned a Dual")


def test_dense_jvp_solution_passes():
    fb = ex.check_dense_jvp(fm.dense_jvp_solution)
    assert fb.passed, fb.hint


DENSE_MISTAKES = [
    (lambda X, W, b, dX, dW, db: (X @ W + b, dX @ W + db), "leaves out X dW"),
    (lambda X, W, b, dX, dW, db: (X @ W + b, X @ dW + db), "leaves out dX W"),
    (lambda X, W, b, dX, dW, db: (X @ W + b, dX @ W + X @ dW), "leaves out db"),
    (
        lambda X, W, b, dX, dW, db: (X @ W + b, dX @ W + X @ dW + db + dX @ dW),
        "second-order term",
    ),
    (lambda X, W, b, dX, dW, db: (X @ W + b, dX @ dW + db), "multiplies the two tangents"),
    (lambda X, W, b, dX, dW, db: (X @ W + b, dX @ W.T + X @ dW + db), "uses W.T"),
    (lambda X, W, b, dX, dW, db: (X @ W + b, dX @ W + X @ dW + b), "adds b, the bias itself"),
    (lambda X, W, b, dX, dW, db: (X @ W, dX @ W + X @ dW + db), "your Z has no bias"),
]


@pytest.mark.parametrize(("fn", "phrase"), DENSE_MISTAKES, ids=[p for _, p in DENSE_MISTAKES])
def test_each_dense_jvp_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_dense_jvp(fn), phrase)
