"""check_numerical_gradient and check_best_eps."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nnlab import exercises as ex
from nnlab.exercises.numgrad import EPS_CHOICES, eps_errors, numerical_gradient_solution

from .checkers import assert_names_the_mistake


def test_solution_restores_x_exactly():
    x = np.array([0.1, 0.7, -1.3, 2.9])
    before = x.copy()
    numerical_gradient_solution(lambda v: float(np.sum(v**3)), x, 1e-3)
    np.testing.assert_array_equal(x, before)


def central(f, x, eps, *, restore=True, denominator=None, order=None):
    """A learner's loop; the keyword arguments switch on one mistake each."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        if restore:
            x[i] = old
        if order == "precedence":
            grad[i] = (f_plus - f_minus) / 2 * eps
        else:
            grad[i] = (f_plus - f_minus) / (denominator or 2 * eps)
    return grad


def forward(f, x, eps):
    grad, f0 = np.zeros_like(x), f(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        grad[i] = (f(x) - f0) / eps
        x[i] -= eps
    return grad


def backward(f, x, eps):
    grad, f0 = np.zeros_like(x), f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old - eps
        grad[i] = (f0 - f(x)) / eps
        x[i] = old
    return grad


def restored_by_arithmetic(f, x, eps):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        f_plus = f(x)
        x[i] -= 2 * eps
        f_minus = f(x)
        x[i] += eps  # rounds: not always the original value
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def by_rows(f, x, eps):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        grad[i] = (f(xp) - f(xm)) / (2 * eps)
    return grad


def aliased(f, x, eps):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x_plus = x  # not a copy
        x_plus[i] += eps
        x_minus = x
        x_minus[i] -= eps
        grad[i] = (f(x_plus) - f(x_minus)) / (2 * eps)
    return grad


VARIANTS = {
    "forward differences": (forward, "forward difference"),
    "backward differences": (backward, "backward difference"),
    "divided by eps": (
        lambda f, x, eps: central(f, x, eps, denominator=eps),
        "divide by 2 eps, not eps",
    ),
    "/ 2 * eps": (lambda f, x, eps: central(f, x, eps, order="precedence"), "(a / 2) * eps"),
    "all entries at once": (
        lambda f, x, eps: (f(x + eps) - f(x - eps)) / (2 * eps),
        "you perturbed every entry of x at once",
    ),
    "rows of a matrix": (by_rows, "x[i] is a whole row"),
    "x_plus = x": (aliased, "x_plus = x does not copy"),
    "x not restored": (
        lambda f, x, eps: central(f, x, eps, restore=False),
        "your function left the caller's x changed",
    ),
    "x restored only up to rounding": (
        restored_by_arithmetic,
        "x + eps - eps need not equal x",
    ),
}


@pytest.mark.parametrize(("fn", "phrase"), VARIANTS.values(), ids=list(VARIANTS))
def test_each_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_numerical_gradient(fn), phrase)


def test_a_learner_loop_without_mistakes_passes():
    assert ex.check_numerical_gradient(central).passed


def test_a_copying_learner_passes():
    def with_copies(f, x, eps):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[i] += eps
            xm[i] -= eps
            grad[i] = (f(xp) - f(xm)) / (2 * eps)
        return grad

    assert ex.check_numerical_gradient(with_copies).passed


def test_eps_errors_fall_then_rise():
    errors = [eps_errors()[e] for e in EPS_CHOICES]
    best = int(np.argmin(errors))
    assert 0 < best < len(errors) - 1
    assert all(a > b for a, b in itertools.pairwise(errors[: best + 1]))
    assert all(a < b for a, b in itertools.pairwise(errors[best:]))


def test_best_eps_question():
    assert ex.check_best_eps(1e-5).passed
    assert "truncation dominates" in ex.check_best_eps(1e-1).hint
    assert "truncation dominates" in ex.check_best_eps(1e-3).hint
    assert "rounding dominates" in ex.check_best_eps(1e-9).hint
    assert "rounding dominates" in ex.check_best_eps(1e-11).hint
    assert "is not one of the choices" in ex.check_best_eps(0.5).hint
    assert "answer with one of the numbers" in ex.check_best_eps("1e-5").hint
    assert not ex.check_best_eps(None).passed
