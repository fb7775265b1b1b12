"""check_sgd_momentum_step: the reference is nnlab.SGD's update, mistakes are named."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import SGD
from nnlab import exercises as ex
from nnlab.exercises.optim import sgd_momentum_step_solution

from .checkers import assert_names_the_mistake


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_solution_follows_nnlab_sgd_over_several_steps(momentum):
    rng = np.random.default_rng(1)
    theta, grad = rng.normal(size=(3, 2)), np.zeros((3, 2))
    opt = SGD([("theta", theta, grad)], lr=0.1, momentum=momentum)
    mine, velocity = theta.copy(), np.zeros_like(theta)
    for _ in range(6):
        grad[...] = rng.normal(size=grad.shape)
        opt.step()
        mine, velocity = sgd_momentum_step_solution(mine, grad, velocity, 0.1, momentum)
        np.testing.assert_allclose(mine, theta, rtol=1e-12, atol=1e-14)


def test_passing_feedback_names_the_convention():
    fb = ex.check_sgd_momentum_step(sgd_momentum_step_solution)
    assert fb.passed
    assert "PyTorch's convention" in fb.hint


def both(velocity_rule, theta_rule):
    def fn(theta, grad, velocity, lr, momentum):
        v = velocity_rule(grad, velocity, lr, momentum)
        return theta_rule(theta, grad, velocity, v, lr, momentum), v

    return fn


def nnlab_v(g, v, lr, mu):
    return mu * v + g


VARIANTS = {
    "CS231n convention": (
        both(lambda g, v, lr, mu: mu * v - lr * g, lambda th, g, v, vn, lr, mu: th + vn),
        "lr inside the velocity",
    ),
    "lr in the velocity, minus in the step": (
        both(lambda g, v, lr, mu: mu * v + lr * g, lambda th, g, v, vn, lr, mu: th - vn),
        "your velocity includes lr",
    ),
    "lr twice": (
        both(lambda g, v, lr, mu: mu * v + lr * g, lambda th, g, v, vn, lr, mu: th - lr * vn),
        "applies lr twice",
    ),
    "moving average": (
        both(lambda g, v, lr, mu: mu * v + (1 - mu) * g, lambda th, g, v, vn, lr, mu: th - lr * vn),
        "(1 - momentum) grad",
    ),
    "momentum ignored in the step": (
        both(nnlab_v, lambda th, g, v, vn, lr, mu: th - lr * g),
        "your theta_new ignores the velocity",
    ),
    "old velocity": (
        both(nnlab_v, lambda th, g, v, vn, lr, mu: th - lr * v),
        "steps with the old velocity",
    ),
    "sign flip": (both(nnlab_v, lambda th, g, v, vn, lr, mu: th + lr * vn), "moves uphill"),
    "Nesterov": (
        both(nnlab_v, lambda th, g, v, vn, lr, mu: th - lr * (g + mu * vn)),
        "Nesterov's update",
    ),
    "velocity not updated": (
        lambda th, g, v, lr, mu: (th - lr * (mu * v + g), v.copy()),
        "your velocity_new is the old velocity, unchanged",
    ),
    "velocity is the gradient": (
        lambda th, g, v, lr, mu: (th - lr * g, g.copy()),
        "your velocity_new is the gradient alone",
    ),
}


@pytest.mark.parametrize(("fn", "phrase"), VARIANTS.values(), ids=list(VARIANTS))
def test_each_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_sgd_momentum_step(fn), phrase)


def test_the_cs231n_hint_says_which_convention_the_book_uses():
    fb = ex.check_sgd_momentum_step(VARIANTS["CS231n convention"][0])
    assert "The book and nnlab.SGD use PyTorch's" in fb.hint


def test_updates_in_place_are_reported():
    def in_place(theta, grad, velocity, lr, momentum):
        velocity *= momentum
        velocity += grad
        theta -= lr * velocity
        return theta, velocity

    fb = ex.check_sgd_momentum_step(in_place)
    assert not fb.passed
    assert "changed the caller's theta and velocity in place" in fb.hint
    assert "nnlab's optimizers do update in place, but this exercise returns new arrays" in (
        fb.hint
    )
