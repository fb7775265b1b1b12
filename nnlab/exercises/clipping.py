"""Exercise: gradient clipping by global norm, for the chapter on common challenges.

The learner writes ``clip_grad_norm(grads, max_norm) -> clipped``, which rescales a list of
gradient arrays by ``min(1, max_norm / ||g||)``, where ``||g||`` is the global L2 norm of all
their entries as one vector, as :func:`nnlab.clip_grad_norm` does. Unlike nnlab's function,
which clips in place and returns the norm, the exercise returns a list of arrays and leaves
the caller's list and arrays unchanged; :func:`check_clip_grad_norm` checks both.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..clipping import clip_grad_norm
from ._feedback import Case, Feedback, Raised, Wrong, as_array, join, kind, safe_call
from ._runner import Exercise, Variant, close, run

CLIP_TODO = (
    "implement fn(grads, max_norm) returning a list of new arrays: the gradients in grads "
    "scaled so that their global L2 norm is at most max_norm."
)


def clip_grad_norm_solution(grads: list[np.ndarray], max_norm: float) -> list[np.ndarray]:
    """Reference solution: scale every array by ``min(1, max_norm / ||g||)``.

    ``||g|| = sqrt(sum over all arrays of sum(g**2))``, every entry of every array as one
    vector. Below ``max_norm`` nothing is divided, so all-zero gradients (norm 0) need no
    special case. New arrays are returned; ``grads`` and its arrays are left unchanged.

    Shapes
    ------
    grads: a list of arrays of any shapes -> a list of arrays of the same shapes.
    """
    norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
    if norm <= max_norm:
        return [g.copy() for g in grads]
    return [g * (max_norm / norm) for g in grads]


def _clip_cases() -> list[Case]:
    rng = np.random.default_rng(20240624)
    specs = [
        (
            "two arrays, (3, 4) and (4,), global norm above max_norm",
            [rng.normal(size=(3, 4)), rng.normal(size=4)],
            1.0,
            {},
        ),
        (
            "three arrays, (2, 3), (3,) and (2, 2, 2), one with a tiny norm of its own",
            [2.0 * rng.normal(size=(2, 3)), 0.01 * rng.normal(size=3), rng.normal(size=(2, 2, 2))],
            2.0,
            {},
        ),
        (
            "global norm below max_norm (nothing to clip)",
            [0.1 * rng.normal(size=(2, 2)), 0.1 * rng.normal(size=3)],
            1.0,
            {},
        ),
        ("a single array of 5", [3.0 * rng.normal(size=5)], 0.5, {}),
        (
            "global norm exactly max_norm (3-4-5)",
            [np.array([[3.0, 0.0]]), np.array([4.0])],
            5.0,
            {},
        ),
        ("all-zero gradients", [np.zeros((2, 3)), np.zeros(4)], 1.0, {"zero": True}),
    ]
    return [Case(label, {"grads": g, "max_norm": c}, meta) for label, g, c, meta in specs]


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays])


def _clip_reference(grads, max_norm) -> dict:
    copies = [g.copy() for g in grads]
    clip_grad_norm(copies, max_norm)  # nnlab's own, in place on the copies
    return {"output": _flat(copies)}


def _read_clipped(out, grads: list[np.ndarray]) -> dict:
    n = len(grads)
    want = f"a list of {n} array{'s' if n > 1 else ''}, one per gradient"
    if out is None:
        raise Wrong(
            f"your function returned None; it must return {want}: is the return statement missing?"
        )
    if isinstance(out, np.ndarray):
        raise Wrong(
            f"your function returned one array of shape {out.shape}; it must return {want}, "
            "each with the shape of its gradient"
        )
    if not isinstance(out, list | tuple):
        raise Wrong(f"your function returned {kind(out)}; it must return {want}")
    if len(out) == 2 and isinstance(out[0], numbers.Real) and isinstance(out[1], list | tuple):
        raise Wrong(
            "your function returned (norm, gradients): nnlab.clip_grad_norm returns the norm, "
            f"but this exercise returns only {want}"
        )
    if len(out) != n:
        raise Wrong(f"your function returned {len(out)} values; it must return {want}")
    arrays = []
    for i, (o, g) in enumerate(zip(out, grads, strict=True)):
        a = as_array(o, f"output[{i}]")
        if a.shape != g.shape:
            raise Wrong(
                f"your output[{i}] has shape {a.shape}; it must have the shape of grads[{i}], "
                f"{g.shape}"
            )
        arrays.append(a)
    return {"output": _flat(arrays)}


def _call_clip(fn, case: Case):
    grads, max_norm = case.args["grads"], case.args["max_norm"]
    copies = [g.copy() for g in grads]
    passed = list(copies)
    out = safe_call(fn, [passed, max_norm])
    if isinstance(out, Raised):
        return out
    changed = [
        i
        for i, (c, g) in enumerate(zip(copies, grads, strict=True))
        if not np.array_equal(c, g, equal_nan=True)
    ]
    if changed:
        which = join([f"grads[{i}]" for i in changed])
        raise Wrong(
            f"your function changed the caller's {which} in place, as g *= scale or "
            "g[...] = ... do. nnlab.clip_grad_norm does clip in place, but this exercise "
            "returns new arrays (g * scale makes one) and leaves the inputs as they were"
        )
    if len(passed) != len(copies) or any(p is not c for p, c in zip(passed, copies, strict=True)):
        raise Wrong(
            "your function changed the caller's list grads (grads[i] = ..., append or pop "
            "change the list the caller holds): build a new list and return it"
        )
    return _read_clipped(out, grads)


def _scale_by(norm_fn, rule):
    """A variant that multiplies every array by ``rule(norm_fn(grads), max_norm)``."""

    def variant(grads, max_norm) -> dict:
        scale = rule(norm_fn(grads), max_norm)
        return {"output": _flat([g * scale for g in grads])}

    return variant


# The norms are NumPy floats, so a variant divided by a norm of 0 gives inf or nan (as most
# learners' NumPy code does) rather than raising ZeroDivisionError.
def _l2(grads) -> np.float64:
    return np.sqrt(np.float64(sum(np.sum(g * g) for g in grads)))


def _sumsq(grads) -> np.float64:
    return np.float64(sum(np.sum(g * g) for g in grads))


def _l1(grads) -> np.float64:
    return np.float64(sum(np.sum(np.abs(g)) for g in grads))


def _max_abs(grads) -> np.float64:
    return np.float64(max(np.max(np.abs(g)) for g in grads))


def _clip_down(n, c):
    return c / n if n > c else 1.0


def _per_tensor(grads, max_norm) -> dict:
    return {"output": _flat([g * _clip_down(_l2([g]), max_norm) for g in grads])}


OUT = ("output",)
CLIP_VARIANTS = (
    Variant(
        OUT,
        _per_tensor,
        "your function clips each array by its own norm (per-tensor) instead of the global "
        "norm of all gradients together: the arrays are scaled by different factors, which "
        "changes the direction of the whole gradient. Clipping by global norm computes one "
        "norm over every entry of every array, and one factor for all",
    ),
    Variant(
        OUT,
        lambda grads, max_norm: {"output": _flat([np.clip(g, -max_norm, max_norm) for g in grads])},
        "your function clips element-wise (each value to [-max_norm, max_norm], as np.clip "
        "does): that bounds the entries, not the norm, and changes the gradient's direction. "
        "Clipping by norm multiplies every entry by the same factor",
    ),
    Variant(
        OUT,
        _scale_by(_l2, lambda n, c: c / n),
        "your function always scales the gradients to norm max_norm, also when the norm is "
        "below max_norm (it then scales them up): a gradient already short enough must come "
        "back unchanged",
    ),
    Variant(
        OUT,
        _scale_by(_l2, lambda n, c: max(1.0, c / n)),
        "your function scales the gradients up when their norm is below max_norm and leaves "
        "them alone when it is above: is min(1, ...) written as max(1, ...)?",
    ),
    Variant(
        OUT,
        _scale_by(_sumsq, _clip_down),
        "your function uses the sum of squares where the norm belongs (the square root is "
        "missing): it compares and divides by the squared norm",
    ),
    Variant(
        OUT,
        _scale_by(_l1, _clip_down),
        "your function measures the gradients with the L1 norm (the sum of absolute values): "
        "clipping by global norm uses the L2 norm, the square root of the sum of squares",
    ),
    Variant(
        OUT,
        _scale_by(_max_abs, _clip_down),
        "your function measures the gradients by their largest absolute value (the max norm): "
        "clipping by global norm uses the L2 norm, the square root of the sum of squares",
    ),
    Variant(
        OUT,
        _scale_by(_l2, lambda n, c: n / c if n > c else 1.0),
        "your function scales by norm / max_norm, the inverted ratio: it makes a long "
        "gradient longer still, where clipping shrinks it to length max_norm",
    ),
    Variant(
        OUT,
        lambda grads, max_norm: {"output": _flat(grads)},
        "your function returns the gradients unchanged, even when their global norm is above "
        "max_norm: they must then be scaled down to norm max_norm",
    ),
)


def _nan_at_zero(learner, reference, cases):
    """Right everywhere except nan or inf on the all-zero case: a division by the norm 0."""
    zero = [i for i, c in enumerate(cases) if c.meta.get("zero")]
    if not zero:
        return None
    z = zero[0]
    if isinstance(learner[z], Raised) or np.isfinite(learner[z]["output"]).all():
        return None
    others = [i for i in range(len(cases)) if i != z]
    if all(
        not isinstance(learner[i], Raised) and close(learner[i]["output"], reference[i]["output"])
        for i in others
    ):
        return (
            f"your output contains nan or inf on the case {cases[z].describe()}: the global "
            "norm is 0 there, and dividing by it gives 0/0 or max_norm/0. With a norm of 0 "
            "(or any norm up to max_norm) nothing needs clipping: the gradients come back "
            "unchanged, without dividing by the norm",
            ("output",),
        )
    return None


def _clip_advice(exc: Exception, case: Case) -> str:
    text = str(exc)
    if case.meta.get("zero") and isinstance(exc, ZeroDivisionError | FloatingPointError):
        return (
            "The global norm is 0 here (all gradients are 0): nothing needs clipping, so the "
            "gradients must come back unchanged, without dividing by the norm."
        )
    if isinstance(exc, TypeError) and ("sequence" in text or "'list'" in text):
        return (
            "grads is a Python list of arrays: arithmetic on the list itself does not reach "
            "the arrays; work on each array (a loop or a list comprehension)."
        )
    if isinstance(exc, ValueError) and ("inhomogeneous" in text or "sequence" in text):
        return (
            "grads holds arrays of different shapes, which NumPy cannot stack into one array "
            "(as np.linalg.norm(grads) or np.array(grads) try to): add up each array's sum of "
            "squares instead."
        )
    return ""


def check_clip_grad_norm(fn) -> Feedback:
    """Check ``fn(grads, max_norm) -> clipped``, gradient clipping by global norm.

    ``grads`` is a list of float arrays of any shapes; ``fn`` returns a list of arrays of the
    same shapes, ``g * min(1, max_norm / ||g||)`` with ``||g||`` the L2 norm of all entries
    of all arrays as one vector, and leaves the caller's list and arrays unchanged (returning
    the caller's arrays themselves when nothing needs clipping is accepted). The reference is
    :func:`nnlab.clip_grad_norm`, applied to copies. Six cases: two and three arrays of
    different shapes above max_norm (one with a tiny norm of its own), a norm below max_norm,
    a single array, a norm exactly max_norm, and all-zero gradients.

    Diagnoses: each array clipped by its own norm (per-tensor instead of global); values
    clipped element-wise (``np.clip``); always scaling to max_norm (up, too, when the norm is
    below); ``max(1, ...)`` for ``min(1, ...)``; the squared norm (no square root); the L1
    norm; the largest absolute value; the inverted ratio ``norm / max_norm``; gradients
    returned unchanged; nan, inf or ``ZeroDivisionError`` for all-zero gradients (a division
    by the norm 0); the caller's arrays or list changed in place; ``(norm, grads)`` returned,
    as nnlab's function does; exceptions, wrong return types and shapes, nan.

    Examples
    --------
    >>> check_clip_grad_norm(clip_grad_norm_solution).passed
    True
    """
    spec = Exercise(
        title="Gradient clipping by global norm",
        todo=CLIP_TODO,
        cases=_clip_cases(),
        components={"output": "have the shapes of grads"},
        unpack=lambda out: out,
        reference=_clip_reference,
        passed=(
            "your clipped gradients match nnlab.clip_grad_norm on 6 cases: norms above, below "
            "and exactly at max_norm, several arrays of different shapes, a single array and "
            "all-zero gradients; your function left the caller's list and arrays unchanged."
        ),
        variants=CLIP_VARIANTS,
        specials=(_nan_at_zero,),
        advice=_clip_advice,
        call=_call_clip,
    )
    return run(fn, spec)
