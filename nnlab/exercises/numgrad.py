"""Exercise: the central-difference gradient of a scalar function (book eq. ``central-diff``).

The learner writes ``numerical_gradient(f, x, eps) -> grad`` with
``grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every entry ``i`` of ``x`` (any
shape); :func:`check_numerical_gradient` compares it with :func:`nnlab.numerical_gradient` on
curved functions, where a forward difference is visibly less accurate. ``x`` may be perturbed
in place, but must come back exactly as it was.

:func:`check_best_eps` is a question: which step gives the smallest error, and why.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..gradcheck import numerical_gradient
from ._feedback import Case, Feedback, as_array
from ._runner import Exercise, Variant, run

TODO = (
    "implement fn(f, x, eps) returning the central-difference gradient of the scalar "
    "function f at x, an array shaped like x."
)


def numerical_gradient_solution(f, x: np.ndarray, eps: float) -> np.ndarray:
    """Reference solution: perturb one entry at a time, in place, and restore it exactly.

    Shapes
    ------
    x: any shape -> grad of the same shape.
    """
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old  # the saved value, not old + eps - eps, which may round differently
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _cubic(x):
    return float(np.sum(x**3 - 2.0 * x))


def _wave(x):
    return float(np.sum(np.sin(3.0 * x) * x))


def _logsumexp(x):
    return float(np.log(np.sum(np.exp(x))))


def _cases() -> list[Case]:
    rng = np.random.default_rng(20240616)
    specs = [
        ("f(x) = sum(x^3 - 2x) on a vector", _cubic, rng.uniform(-2, 2, 5), 1e-3),
        ("f(x) = sum(sin(3x) x) on a 3 x 4 matrix", _wave, rng.uniform(-1, 1, (3, 4)), 1e-3),
        ("f(x) = log(sum(exp(x))) on a vector", _logsumexp, rng.normal(size=4), 1e-4),
        ("f(x) = sum(x^3 - 2x) on a single entry", _cubic, np.array([0.7]), 1e-2),
    ]
    return [Case(label, {"f": f, "x": x, "eps": eps}) for label, f, x, eps in specs]


def _reference(f, x, eps) -> dict:
    return {"grad": numerical_gradient(f, x, eps)}


def _unpack(out) -> dict:
    return {"grad": as_array(out, "grad")}


def _one_sided(sign: float):
    def variant(f, x, eps) -> dict:
        grad = np.zeros(x.shape)
        f0 = f(x)
        for i in np.ndindex(x.shape):
            xp = x.copy()
            xp[i] += sign * eps
            grad[i] = sign * (f(xp) - f0) / eps
        return {"grad": grad}

    return variant


def _by_rows(f, x, eps) -> dict:
    grad = np.zeros(x.shape)
    for i in range(len(x)):  # x[i] is a whole row when x is a matrix
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        grad[i] = (f(xp) - f(xm)) / (2 * eps)
    return {"grad": grad}


def _scaled(factor):
    return lambda f, x, eps: {"grad": factor(eps) * numerical_gradient(f, x.copy(), eps)}


VARIANTS = (
    Variant(
        ("grad",),
        _one_sided(1.0),
        "your grad is a forward difference, (f(x + eps) - f(x)) / eps: its error shrinks only "
        "like eps, where the central difference's shrinks like eps^2.",
    ),
    Variant(
        ("grad",),
        _one_sided(-1.0),
        "your grad is a backward difference, (f(x) - f(x - eps)) / eps: its error shrinks only "
        "like eps; the central difference steps both ways.",
    ),
    Variant(
        ("grad",),
        _scaled(lambda eps: 2.0),
        "your grad is twice too large: the two evaluation points are 2 eps apart, so divide "
        "by 2 eps, not eps.",
    ),
    Variant(
        ("grad",),
        _scaled(lambda eps: eps * eps),
        "your grad is eps^2 times too small: a / 2 * eps means (a / 2) * eps in Python; put "
        "the denominator in parentheses.",
    ),
    Variant(
        ("grad",),
        lambda f, x, eps: {"grad": (f(x + eps) - f(x - eps)) / (2 * eps)},
        "your grad is a single number: you perturbed every entry of x at once (a derivative "
        "along all axes together); perturb one entry at a time, so grad has the shape of x, "
        "{want}.",
    ),
    Variant(
        ("grad",),
        _by_rows,
        "your grad is wrong on the matrix x: x[i] is a whole row there, so each step moved a "
        "row at once; visit every entry (np.ndindex(x.shape) gives every index).",
    ),
    Variant(
        ("grad",),
        lambda f, x, eps: {"grad": np.zeros(x.shape)},
        "your grad is all zeros: did both evaluations of f see the same x? (x_plus = x does "
        "not copy: both names then refer to one array.)",
    ),
)


def _on_mutation(changed: list, case: Case) -> str:
    name, before, after = changed[0]
    if name != "x" or after.shape != before.shape:
        return f"your function changed its argument {name} (on the case {case.describe()})."
    diff = np.abs(after - before)
    i = np.unravel_index(int(np.argmax(diff)), diff.shape)
    at = f"entry {tuple(int(k) for k in i)} went from {float(before[i])!r} to {float(after[i])!r}"
    if np.all(diff <= 4 * np.spacing(np.abs(before))):
        return (
            f"your grad may be right, but x is not restored exactly (on the case "
            f"{case.describe()}): {at}. In floating point, x + eps - eps need not equal x: save "
            "each entry before perturbing it and put the saved value back."
        )
    return (
        f"your function left the caller's x changed (on the case {case.describe()}): {at}. "
        "Put each entry back after perturbing it (or perturb a copy); every later evaluation "
        "of f, and the caller, needs the original x."
    )


def check_numerical_gradient(fn) -> Feedback:
    """Check ``fn(f, x, eps) -> grad``, central differences of a scalar function ``f``.

    Four cases: curved functions (a cubic, ``sin(3x) x``, log-sum-exp) on a vector, a 3 x 4
    matrix and a single entry, with eps from 1e-4 to 1e-2. The result is compared with
    :func:`nnlab.numerical_gradient` (relative tolerance 1e-6), tight enough to tell a
    forward difference (error about eps) from a central one (about eps^2).

    Diagnoses: forward or backward differences; dividing by eps instead of 2 eps; the
    precedence slip ``/ 2 * eps``; every entry perturbed at once (a single number); a matrix
    ``x`` walked by rows; all-zero gradients (``x_plus = x`` is no copy); ``x`` not restored,
    or restored only up to rounding (``x + eps - eps``); exceptions, wrong shapes and NaN.
    The choice of eps is the caller's; :func:`check_best_eps` asks about it.

    Examples
    --------
    >>> check_numerical_gradient(numerical_gradient_solution).passed
    True
    """
    spec = Exercise(
        title="Numerical gradient",
        todo=TODO,
        cases=_cases(),
        components={"grad": "have the shape of x, {want}"},
        unpack=_unpack,
        reference=_reference,
        passed=(
            "grad matches nnlab.numerical_gradient (central differences) on 4 curved "
            "functions, including a matrix x and a single entry, and x came back exactly as "
            "it was."
        ),
        variants=VARIANTS,
        on_mutation=_on_mutation,
        atol=1e-8,
    )
    return run(fn, spec)


EPS_CHOICES = (1e-1, 1e-3, 1e-5, 1e-7, 1e-9, 1e-11)


def _sweep_function(x):
    return float(np.sum(np.exp(x) * np.sin(x)))


def eps_errors() -> dict[float, float]:
    """Largest error of central differences on ``sum(exp(x) sin(x))`` for each eps.

    The exact gradient is ``exp(x) (sin(x) + cos(x))``; ``x`` is fixed, so the numbers are
    the same on every run. Large eps: truncation error, about eps^2; small eps: rounding
    error, about 1e-16 |f| / eps.
    """
    x = np.linspace(-1.0, 1.5, 6)
    exact = np.exp(x) * (np.sin(x) + np.cos(x))
    return {
        eps: float(np.max(np.abs(numerical_gradient(_sweep_function, x.copy(), eps) - exact)))
        for eps in EPS_CHOICES
    }


def check_best_eps(answer) -> Feedback:
    """Question: which eps in ``EPS_CHOICES`` gives central differences the smallest error?

    The function is ``f(x) = sum(exp(x) sin(x))`` in float64 (see :func:`eps_errors`). An
    answer within a factor 3 of the smallest measured error counts as right. The hint for a
    wrong answer says which error dominates there: truncation (too large) or rounding (too
    small).

    Examples
    --------
    >>> check_best_eps(1e-5).passed
    True
    """
    title = "Best eps"
    errors = eps_errors()
    choices = ", ".join(f"{e:g}" for e in EPS_CHOICES)
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return Feedback(False, f"answer with one of the numbers {choices}.", title)
    answer = float(answer)
    match = [e for e in EPS_CHOICES if np.isclose(answer, e, rtol=1e-9, atol=0.0)]
    if not match:
        return Feedback(False, f"{answer:g} is not one of the choices: {choices}.", title)
    eps = match[0]
    best = min(errors, key=errors.get)
    if errors[eps] <= 3 * errors[best]:
        return Feedback(
            True,
            f"eps = {eps:g} gives an error of {errors[eps]:.1e}. Larger steps suffer truncation "
            "(the error of the central difference shrinks like eps^2); smaller ones suffer "
            "rounding (f is known to about 1e-16 relative, and dividing by 2 eps magnifies "
            "that like 1/eps).",
            title,
        )
    if eps > best:
        why = (
            "this step is too large: truncation dominates (the central difference's error "
            "shrinks like eps^2, so a smaller step still helps)"
        )
    else:
        why = (
            "this step is too small: rounding dominates (f is known to about 1e-16 relative, "
            "and dividing by 2 eps magnifies that error like 1/eps)"
        )
    return Feedback(False, f"with eps = {eps:g} the error is {errors[eps]:.1e}; {why}.", title)
