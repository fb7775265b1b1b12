"""check_adam_step: the reference is nnlab.Adam's update, and every known mistake is named."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import Adam
from nnlab.exercises.adam import _cases, adam_step_solution, check_adam_step

from .checkers import assert_names_the_mistake, assert_not_attempted


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.8, 0.99), (0.0, 0.5)])
def test_solution_follows_nnlab_adam_over_several_steps(betas):
    rng = np.random.default_rng(3)
    theta, grad = rng.normal(size=(3, 2)), np.zeros((3, 2))
    opt = Adam([("theta", theta, grad)], lr=0.05, betas=betas, eps=1e-8)
    mine, m, v = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
    for t in range(1, 9):
        grad[...] = rng.normal(size=grad.shape)
        opt.step()
        mine, m, v = adam_step_solution(mine, grad, m, v, t, 0.05, *betas, 1e-8)
        np.testing.assert_allclose(mine, theta, rtol=1e-12, atol=1e-14)


def test_solution_passes_and_keeps_the_defaults():
    fb = check_adam_step(adam_step_solution)
    assert fb.passed, fb.hint
    assert "nnlab.Adam's update on 5 cases" in fb.hint
    g = np.array([0.5, -2.0])
    theta, m, v = adam_step_solution(np.zeros(2), g, np.zeros(2), np.zeros(2), 1, 0.1)
    np.testing.assert_allclose(theta, -0.1 * np.sign(g), rtol=1e-6)  # the first step is ~lr
    np.testing.assert_allclose((m, v), (0.1 * g, 0.001 * g * g))


def test_the_cases_and_their_answers_are_finite():
    for case in _cases():
        out = adam_step_solution(*case.copies())
        assert all(np.isfinite(a).all() for a in out), case.label
        assert all(np.isfinite(a).all() for a in case.args.values()), case.label


def adam(m_rule=None, v_rule=None, correct=(0, 0), step=None, returns=None):
    """A learner's adam_step with one knob turned; None keeps the right rule."""

    def fn(theta, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        m_new = m_rule(m, grad, beta1) if m_rule else beta1 * m + (1 - beta1) * grad
        v_new = v_rule(v, grad, beta2) if v_rule else beta2 * v + (1 - beta2) * grad**2
        m_hat = m_new if correct[0] is None else m_new / (1 - beta1 ** (t + correct[0]))
        v_hat = v_new if correct[1] is None else v_new / (1 - beta2 ** (t + correct[1]))
        if step:
            theta_new = step(theta, m_hat, v_hat, lr, eps)
        else:
            theta_new = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        if returns:
            return returns(theta_new, m_new, v_new, m, v, m_hat, v_hat)
        return theta_new, m_new, v_new

    return fn


def scalar_t_minus_1(theta, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    # Python floats: 1 - beta**0 = 0 raises ZeroDivisionError instead of giving nan.
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad**2
    c1, c2 = 1 - beta1 ** (t - 1), 1 - beta2 ** (t - 1)
    return theta - (lr / c1) * m_new / (np.sqrt(v_new / c2) + eps), m_new, v_new


VARIANTS = {
    "v from grad": (adam(v_rule=lambda v, g, b: b * v + (1 - b) * g), "v_new averages grad"),
    "betas swapped in m": (
        adam(m_rule=lambda m, g, b: (1 - b) * m + b * g),
        "m_new swaps beta1 and 1 - beta1",
    ),
    "betas swapped in v": (
        adam(v_rule=lambda v, g, b: (1 - b) * v + b * g**2),
        "v_new swaps beta2 and 1 - beta2",
    ),
    "no bias correction": (adam(correct=(None, None)), "has no bias correction"),
    "m corrected only": (adam(correct=(0, None)), "bias-corrects m but not v"),
    "v corrected only": (adam(correct=(None, 0)), "bias-corrects v but not m"),
    "t - 1": (adam(correct=(-1, -1)), "uses t - 1 instead of t"),
    "t - 1 with floats": (scalar_t_minus_1, "uses t - 1 instead of t"),
    "t + 1": (adam(correct=(1, 1)), "uses t + 1 instead of t"),
    "no square root": (
        adam(step=lambda th, mh, vh, lr, eps: th - lr * mh / (vh + eps)),
        "the square root is missing",
    ),
    "eps inside the root": (
        adam(step=lambda th, mh, vh, lr, eps: th - lr * mh / np.sqrt(vh + eps)),
        "puts eps inside the square root",
    ),
    "m and v swapped in the step": (
        adam(step=lambda th, mh, vh, lr, eps: th - lr * vh / (np.sqrt(mh) + eps)),
        "swaps m and v in the step",
    ),
    "sign flipped": (
        adam(step=lambda th, mh, vh, lr, eps: th + lr * mh / (np.sqrt(vh) + eps)),
        "moves uphill",
    ),
    "lr missing": (
        adam(step=lambda th, mh, vh, lr, eps: th - mh / (np.sqrt(vh) + eps)),
        "leaves out lr",
    ),
    "old m": (adam(returns=lambda th, mn, vn, m, v, mh, vh: (th, m, vn)), "m_new is the old m"),
    "old v": (adam(returns=lambda th, mn, vn, m, v, mh, vh: (th, mn, v)), "v_new is the old v"),
    "corrected moments returned": (
        adam(returns=lambda th, mn, vn, m, v, mh, vh: (th, mh, vh)),
        "m_new and v_new have the bias correction applied",
    ),
}
PHRASES = {phrase for _, phrase in VARIANTS.values()}


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_mistake_is_named_and_no_other(variant):
    fn, phrase = VARIANTS[variant]
    fb = assert_names_the_mistake(check_adam_step(fn), phrase)
    assert [p for p in PHRASES if p in fb.hint] == [phrase], fb.hint


def test_t_minus_1_also_reports_the_nan_or_needs_no_generic_message():
    fb = check_adam_step(VARIANTS["t - 1"][0])
    assert "also contains nan on the case 'a first step (t=1), from zero moments'" in fb.hint
    fb = check_adam_step(scalar_t_minus_1)
    assert "raised" not in fb.hint
    assert "1 - beta**0 = 0" in fb.hint


def test_right_components_are_said_to_be_right():
    fb = check_adam_step(VARIANTS["old v"][0])
    assert "(theta_new and m_new are right.)" in fb.hint


def test_stub_is_not_attempted_yet():
    def stub(theta, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        raise NotImplementedError

    fb = assert_not_attempted(check_adam_step(stub))
    assert fb.hint.startswith("not attempted yet: implement fn(theta, grad, m, v, t, lr, ")
    assert "one step of Adam's update (the book's eq. (" in (fb.hint)


def test_updates_in_place_are_reported():
    def in_place(theta, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad**2
        theta -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        return theta, m, v

    fb = check_adam_step(in_place)
    assert not fb.passed
    assert "changed the caller's theta, m and v in place" in fb.hint
    assert "nnlab.Adam does update its arrays in place, but this exercise returns new" in fb.hint


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda *a: None, "returned None; it must return (theta_new, m_new, v_new)"),
        (lambda *a: adam_step_solution(*a)[:2], "returned 2 values; it must return (theta_new"),
        (lambda *a: adam_step_solution(*a)[0], "returned a ndarray; it must return a tuple"),
        (
            lambda *a: (adam_step_solution(*a)[0].reshape(-1, 1), *adam_step_solution(*a)[1:]),
            "your theta_new has shape (4, 1) on the case 'a first step (t=1)",
        ),
        (lambda *a: (*adam_step_solution(*a)[:2], "v"), "your v_new is a str"),
        (lambda *a: 1 / 0, "raised ZeroDivisionError: division by zero on the case"),
    ],
)
def test_odd_returns_are_reported(fn, phrase):
    fb = check_adam_step(fn)
    assert not fb.passed
    assert phrase in fb.hint, fb.hint


def test_nan_is_reported():
    fb = check_adam_step(lambda *a: tuple(np.full_like(x, np.nan) for x in adam_step_solution(*a)))
    assert not fb.passed
    assert "contains nan" in fb.hint


def test_checker_never_raises():
    for fn in (None, "f", lambda: 0, lambda *a: [None, None, None], lambda *a: [[object()]] * 3):
        fb = check_adam_step(fn)
        assert not fb.passed and fb.hint
