"""Exercise: one step of Adam, as :class:`nnlab.Adam` takes it (the book's Adam equations).

Adam keeps running averages of the gradient and of its square, ``m`` and ``v`` (Kingma and
Ba's and PyTorch's names; the book calls them v and s), divides each by ``1 - beta**t`` to
undo the pull of their zero start (the bias correction; ``t`` is 1 on the first step), and
steps by ``lr * m_hat / (sqrt(v_hat) + eps)``. The learner writes ``adam_step(theta, grad, m,
v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8) -> (theta_new, m_new, v_new)`` and returns new
arrays: the caller's must not change. nnlab.Adam folds the corrections into the step size and
eps; the update is the same, to rounding.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._feedback import Case, Feedback, equation, join, unpack_tuple
from ._runner import Exercise, Variant, run

TODO = (
    "implement fn(theta, grad, m, v, t, lr, beta1, beta2, eps) returning (theta_new, m_new, "
    f"v_new), one step of Adam's update (the book's {equation('opt-adam')}), with the bias "
    "correction 1 - beta**t and t = 1 on the first step."
)
NAMES = ("theta_new", "m_new", "v_new")


def adam_step_solution(
    theta: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference solution, nnlab.Adam's update without weight decay.

    ``m_new = beta1 m + (1 - beta1) grad``, ``v_new = beta2 v + (1 - beta2) grad**2``,
    ``theta_new = theta - lr m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m_new / (1 -
    beta1**t)`` and ``v_hat = v_new / (1 - beta2**t)``. New arrays are returned; the inputs
    are left as they were.

    Shapes
    ------
    theta, grad, m, v: one shape -> theta_new, m_new, v_new of that shape.
    """
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m_new / (1 - beta1**t)
    v_hat = v_new / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def _cases() -> list[Case]:
    """Five cases; the moments of a later step come from earlier steps of the solution."""
    rng = np.random.default_rng(20240701)
    cases = []
    for label, shape, t, lr, betas, eps, scale, positive in [
        ("a first step (t=1), from zero moments", (4,), 1, 0.01, (0.9, 0.999), 1e-8, 1.0, False),
        ("step 5, after 4 earlier steps", (5,), 5, 0.02, (0.9, 0.999), 1e-8, 1.0, False),
        ("a 2-D parameter", (3, 2), 3, 0.05, (0.9, 0.999), 1e-8, 1.0, False),
        ("betas 0.8 and 0.99, positive gradients", (4,), 2, 0.1, (0.8, 0.99), 1e-8, 1.0, True),
        ("small gradients, where eps matters", (3,), 10, 0.01, (0.9, 0.999), 1e-6, 1e-3, False),
    ]:

        def gradient(shape=shape, scale=scale, positive=positive) -> np.ndarray:
            g = scale * rng.normal(size=shape)
            return np.abs(g) if positive else g

        theta, m, v = rng.normal(size=shape), np.zeros(shape), np.zeros(shape)
        for step in range(1, t):
            theta, m, v = adam_step_solution(theta, gradient(), m, v, step, lr, *betas, eps)
        args = {"theta": theta, "grad": gradient(), "m": m, "v": v, "t": t, "lr": lr}
        args.update(beta1=betas[0], beta2=betas[1], eps=eps)
        cases.append(Case(label, args))
    return cases


def _reference(theta, grad, m, v, t, lr, beta1, beta2, eps) -> dict:
    out = adam_step_solution(theta, grad, m, v, t, lr, beta1, beta2, eps)
    return dict(zip(NAMES, out, strict=True))


def _unpack(out) -> dict:
    return unpack_tuple(out, NAMES)


def _adam(th, mh, vh, lr, eps):
    return th - lr * mh / (np.sqrt(vh) + eps)


def _variant(
    *,
    m_rule: Callable = lambda m, g, b: b * m + (1 - b) * g,
    v_rule: Callable = lambda v, g, b: b * v + (1 - b) * g * g,
    m_t: int | None = 0,
    v_t: int | None = 0,
    step: Callable = _adam,
) -> Callable:
    """A wrong step: moment rules, the offsets to t in the corrections (None: none), a step.

    A correction by 1 - beta**0 = 0 raises ZeroDivisionError (a learner's array would give
    nan instead: both are recognised).
    """

    def variant(theta, grad, m, v, t, lr, beta1, beta2, eps) -> dict:
        m_new, v_new = m_rule(m, grad, beta1), v_rule(v, grad, beta2)
        mh = m_new if m_t is None else m_new * (1.0 / (1.0 - beta1 ** (t + m_t)))
        vh = v_new if v_t is None else v_new * (1.0 / (1.0 - beta2 ** (t + v_t)))
        return dict(zip(NAMES, (step(theta, mh, vh, lr, eps), m_new, v_new), strict=True))

    return variant


def _corrected(theta, grad, m, v, t, lr, beta1, beta2, eps) -> dict:
    _, m_new, v_new = adam_step_solution(theta, grad, m, v, t, lr, beta1, beta2, eps)
    return {"m_new": m_new / (1 - beta1**t), "v_new": v_new / (1 - beta2**t)}


THETA, M, V = ("theta_new",), ("theta_new", "m_new"), ("theta_new", "v_new")
VARIANTS = (
    Variant(
        V,
        _variant(v_rule=lambda v, g, b: b * v + (1 - b) * g),
        "your v_new averages grad, not grad**2: the second moment is a running average of "
        "the squared gradient, v_new = beta2 v + (1 - beta2) grad**2, entry by entry.",
    ),
    Variant(
        M,
        _variant(m_rule=lambda m, g, b: (1 - b) * m + b * g),
        "your m_new swaps beta1 and 1 - beta1: the old m keeps the weight beta1 (close to 1) "
        "and the new gradient gets 1 - beta1, m_new = beta1 m + (1 - beta1) grad.",
    ),
    Variant(
        V,
        _variant(v_rule=lambda v, g, b: (1 - b) * v + b * g * g),
        "your v_new swaps beta2 and 1 - beta2: the old v keeps the weight beta2 (close to 1) "
        "and the new squared gradient gets 1 - beta2, v_new = beta2 v + (1 - beta2) grad**2.",
    ),
    Variant(
        THETA,
        _variant(m_t=None, v_t=None),
        "your theta_new has no bias correction: divide m_new by 1 - beta1**t and v_new by "
        "1 - beta2**t before the step; without it the first steps are off by a large factor.",
    ),
    Variant(
        THETA,
        _variant(v_t=None),
        "your theta_new bias-corrects m but not v: v_hat = v_new / (1 - beta2**t) is needed "
        "too, or the first steps are far too large.",
    ),
    Variant(
        THETA,
        _variant(m_t=None),
        "your theta_new bias-corrects v but not m: m_hat = m_new / (1 - beta1**t) is needed "
        "too, or the first steps are too small.",
    ),
    Variant(
        THETA,
        _variant(m_t=-1, v_t=-1),
        "your bias correction uses t - 1 instead of t: t is already the number of this step, "
        "so the first step (t=1) divides by 1 - beta, not by 1 - beta**0 = 0.",
    ),
    Variant(
        THETA,
        _variant(m_t=1, v_t=1),
        "your bias correction uses t + 1 instead of t: t is already the number of this step "
        "(1 on the first), so use 1 - beta**t as it is.",
    ),
    Variant(
        THETA,
        _variant(step=lambda th, mh, vh, lr, eps: th - lr * mh / (vh + eps)),
        "your theta_new divides by v_hat + eps: the square root is missing; Adam divides by "
        "sqrt(v_hat) + eps, which has the scale of the gradient.",
    ),
    Variant(
        THETA,
        _variant(step=lambda th, mh, vh, lr, eps: th - lr * mh / np.sqrt(vh + eps)),
        "your theta_new puts eps inside the square root, sqrt(v_hat + eps); nnlab.Adam, "
        "PyTorch and the book add it outside: sqrt(v_hat) + eps.",
    ),
    Variant(
        THETA,
        _variant(step=lambda th, mh, vh, lr, eps: th - lr * vh / (np.sqrt(mh) + eps)),
        "your theta_new swaps m and v in the step (v_hat / sqrt(m_hat), nan wherever m_hat "
        "< 0): the step is lr m_hat / (sqrt(v_hat) + eps).",
    ),
    Variant(
        THETA,
        _variant(step=lambda th, mh, vh, lr, eps: 2 * th - _adam(th, mh, vh, lr, eps)),
        "your theta_new moves uphill (the sign is flipped): a descent step subtracts, "
        "theta - lr m_hat / (sqrt(v_hat) + eps).",
    ),
    Variant(
        THETA,
        _variant(step=lambda th, mh, vh, lr, eps: _adam(th, mh, vh, 1.0, eps)),
        "your theta_new leaves out lr: the step is lr m_hat / (sqrt(v_hat) + eps).",
    ),
    Variant(
        ("m_new",),
        lambda theta, grad, m, *rest: {"m_new": m.copy()},
        "your m_new is the old m, unchanged: return the updated first moment, beta1 m + "
        "(1 - beta1) grad; the next step starts from it.",
    ),
    Variant(
        ("v_new",),
        lambda theta, grad, m, v, *rest: {"v_new": v.copy()},
        "your v_new is the old v, unchanged: return the updated second moment, beta2 v + "
        "(1 - beta2) grad**2; the next step starts from it.",
    ),
    Variant(
        ("m_new", "v_new"),
        _corrected,
        "your {what} {has} the bias correction applied: return the running averages "
        "themselves; 1 - beta**t is divided out only inside the step (stored, it would be "
        "divided out again on the next step).",
    ),
)


def _on_mutation(changed: list, case: Case) -> str:
    names = [name for name, _, _ in changed]
    first = names[0]
    return (
        f"your function changed the caller's {join(names)} in place (on the case "
        f"{case.describe()}), as `{first} *= ...` or `{first} -= ...` do. nnlab.Adam does "
        "update its arrays in place, but this exercise returns new arrays: build theta_new, "
        "m_new and v_new, and leave the inputs as they were."
    )


def check_adam_step(fn) -> Feedback:
    """Check ``fn(theta, grad, m, v, t, lr, beta1, beta2, eps) -> (theta_new, m_new, v_new)``.

    The expected update is nnlab.Adam's (book's Adam equations), see
    :func:`adam_step_solution`. Five cases: a first step (t=1) from zero moments, where the
    bias correction matters most; step 5 and a 2-D parameter, with moments from earlier
    steps; betas 0.8 and 0.99 with positive gradients; small gradients with eps=1e-6.

    Diagnoses: no bias correction, or of m only or v only; t - 1 or t + 1 in it; v
    averaging grad instead of grad**2; beta and 1 - beta swapped in m or in v; the square
    root missing; eps inside it; m and v swapped in the step; a flipped sign; lr missing;
    m or v returned unchanged; bias-corrected moments returned; inputs changed in place;
    exceptions, ``None``, wrong shapes and NaN.

    Examples
    --------
    >>> check_adam_step(adam_step_solution).passed
    True
    """
    spec = Exercise(
        title="One step of Adam",
        todo=TODO,
        cases=_cases(),
        components={name: f"have the shape of {name[:-4]}, {{want}}" for name in NAMES},
        unpack=_unpack,
        reference=_reference,
        passed=(
            "theta_new, m_new and v_new match nnlab.Adam's update on 5 cases, including a "
            "first step (t=1) from zero moments, other betas and small gradients where eps "
            "matters; your function left its inputs unchanged."
        ),
        variants=VARIANTS,
        on_mutation=_on_mutation,
        atol=1e-12,  # v is ~1e-8 on the small-gradient case: compare it relatively
    )
    return run(fn, spec)
