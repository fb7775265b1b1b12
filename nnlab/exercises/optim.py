"""Exercise: one step of SGD with momentum, in nnlab's convention (the book's momentum update).

nnlab's :class:`nnlab.SGD` follows PyTorch: the velocity accumulates raw gradients and the
learning rate scales the step, ``v <- momentum v + grad``, ``theta <- theta - lr v``. Another
common convention (CS231n, Sutskever et al. 2013) puts ``lr`` inside the velocity
(``v <- momentum v - lr grad``, ``theta <- theta + v``); with a constant ``lr`` the two give the
same trajectory, but their velocities differ by the factor ``-lr``, so the checker says which
one it found. The learner writes ``sgd_momentum_step(theta, grad, velocity, lr, momentum) ->
(theta_new, velocity_new)`` and returns new arrays: the caller's must not change.
"""

from __future__ import annotations

import numpy as np

from ._feedback import Case, Feedback, equation, join, unpack_tuple
from ._runner import Exercise, Variant, run

TODO = (
    "implement fn(theta, grad, velocity, lr, momentum) returning (theta_new, velocity_new), "
    f"one step of SGD with momentum as nnlab.SGD takes it (the book's {equation('opt-momentum')})."
)


def sgd_momentum_step_solution(theta, grad, velocity, lr, momentum):
    """Reference solution, nnlab.SGD's update: ``v = momentum v + grad``, ``theta -= lr v``.

    New arrays are returned; ``theta`` and ``velocity`` are left as they were.

    Shapes
    ------
    theta, grad, velocity: one shape -> theta_new, velocity_new of that shape.
    """
    velocity_new = momentum * velocity + grad
    return theta - lr * velocity_new, velocity_new


def _cases() -> list[Case]:
    rng = np.random.default_rng(20240615)
    cases = []
    for label, shape, lr, momentum, first in [
        ("a first step, from zero velocity", (3, 2), 0.1, 0.9, True),
        ("a step with a velocity", (4,), 0.05, 0.9, False),
        ("momentum 0 (plain SGD)", (2, 3), 0.1, 0.0, False),
        ("momentum 0.5", (5,), 0.01, 0.5, False),
    ]:
        args = {
            "theta": rng.normal(size=shape),
            "grad": rng.normal(size=shape),
            "velocity": np.zeros(shape) if first else rng.normal(size=shape),
            "lr": lr,
            "momentum": momentum,
        }
        cases.append(Case(label, args))
    return cases


def _reference(theta, grad, velocity, lr, momentum) -> dict:
    theta_new, velocity_new = sgd_momentum_step_solution(theta, grad, velocity, lr, momentum)
    return {"theta_new": theta_new, "velocity_new": velocity_new}


def _unpack(out) -> dict:
    return unpack_tuple(out, ("theta_new", "velocity_new"))


def _step(v_new, theta_step):
    """A variant from its velocity rule and its theta rule."""

    def variant(theta, grad, velocity, lr, momentum) -> dict:
        v = v_new(grad, velocity, lr, momentum)
        return {"theta_new": theta_step(theta, grad, velocity, v, lr, momentum), "velocity_new": v}

    return variant


def _nnlab_velocity(g, v, lr, mu):
    return mu * v + g


BOTH = ("theta_new", "velocity_new")
VARIANTS = (
    Variant(
        BOTH,
        _step(lambda g, v, lr, mu: mu * v - lr * g, lambda th, g, v, vn, lr, mu: th + vn),
        "your update uses the convention with lr inside the velocity (velocity = momentum "
        "velocity - lr grad, theta + velocity; CS231n's). The book and nnlab.SGD use "
        "PyTorch's: the velocity accumulates the raw gradients and lr scales the step.",
    ),
    Variant(
        BOTH,
        _step(lambda g, v, lr, mu: mu * v + lr * g, lambda th, g, v, vn, lr, mu: th - vn),
        "your velocity includes lr (velocity = momentum velocity + lr grad): the book and "
        "nnlab.SGD use PyTorch's convention, where the velocity accumulates the raw gradients "
        "and lr scales only the step.",
    ),
    Variant(
        BOTH,
        _step(lambda g, v, lr, mu: mu * v + lr * g, lambda th, g, v, vn, lr, mu: th - lr * vn),
        "your update applies lr twice: once inside the velocity and again in the step.",
    ),
    Variant(
        BOTH,
        _step(
            lambda g, v, lr, mu: mu * v + (1 - mu) * g, lambda th, g, v, vn, lr, mu: th - lr * vn
        ),
        "your velocity averages in (1 - momentum) grad (an exponential moving average, as in "
        "Adam's first moment): nnlab.SGD adds the whole gradient.",
    ),
    Variant(
        ("theta_new",),
        _step(_nnlab_velocity, lambda th, g, v, vn, lr, mu: th - lr * g),
        "your theta_new ignores the velocity: that is plain gradient descent; with momentum, "
        "theta steps along the velocity.",
    ),
    Variant(
        ("theta_new",),
        _step(_nnlab_velocity, lambda th, g, v, vn, lr, mu: th - lr * v),
        "your theta_new steps with the old velocity: update the velocity first, then step "
        "with the new one.",
    ),
    Variant(
        ("theta_new",),
        _step(_nnlab_velocity, lambda th, g, v, vn, lr, mu: th + lr * vn),
        "your theta_new moves uphill (the sign is flipped): a descent step subtracts.",
    ),
    Variant(
        ("theta_new",),
        _step(_nnlab_velocity, lambda th, g, v, vn, lr, mu: th - lr * (g + mu * vn)),
        "your theta_new is Nesterov's update; this exercise is plain momentum, as nnlab.SGD "
        "with nesterov=False.",
    ),
    Variant(
        ("velocity_new",),
        lambda theta, grad, velocity, lr, momentum: {"velocity_new": velocity.copy()},
        "your velocity_new is the old velocity, unchanged: it must be updated on every step, "
        "from the old velocity and the gradient.",
    ),
    Variant(
        ("velocity_new",),
        lambda theta, grad, velocity, lr, momentum: {"velocity_new": grad.copy()},
        "your velocity_new is the gradient alone: the old velocity, scaled by momentum, must "
        "carry over (otherwise momentum does nothing).",
    ),
)


def _on_mutation(changed: list, case: Case) -> str:
    names = [name for name, _, _ in changed]
    first = names[0]
    return (
        f"your function changed the caller's {join(names)} in place (on the case "
        f"{case.describe()}), as `{first} -= ...` or `{first} *= ...` do. nnlab's optimizers "
        "do update in place, but this exercise returns new arrays: build theta_new and "
        "velocity_new, and leave the inputs as they were."
    )


def check_sgd_momentum_step(fn) -> Feedback:
    """Check ``fn(theta, grad, velocity, lr, momentum) -> (theta_new, velocity_new)``.

    The expected update is nnlab.SGD's (PyTorch's convention, the book's momentum update):
    ``velocity_new = momentum * velocity + grad``, ``theta_new = theta - lr * velocity_new``.
    Four cases: a first step from zero velocity, a step with a velocity, momentum 0 and
    momentum 0.5.

    Diagnoses: lr inside the velocity (the CS231n convention, with ``theta + v``, or with
    ``theta - v``); lr applied twice; a dampened (moving-average) velocity; momentum ignored
    in the step; the step taken with the old velocity; a flipped sign; Nesterov's update;
    the velocity returned unchanged or replaced by the gradient; ``theta``, ``grad`` or
    ``velocity`` changed in place; exceptions, ``None``, wrong shapes and NaN.

    Examples
    --------
    >>> check_sgd_momentum_step(sgd_momentum_step_solution).passed
    True
    """
    spec = Exercise(
        title="SGD with momentum",
        todo=TODO,
        cases=_cases(),
        components={
            "theta_new": "have the shape of theta, {want}",
            "velocity_new": "have the shape of velocity, {want}",
        },
        unpack=_unpack,
        reference=_reference,
        passed=(
            "theta_new and velocity_new match nnlab.SGD's momentum update (PyTorch's "
            f"convention, the book's {equation('opt-momentum')}) on 4 cases, including a first "
            "step from zero velocity and momentum 0; your function left its inputs unchanged."
        ),
        variants=VARIANTS,
        on_mutation=_on_mutation,
    )
    return run(fn, spec)
