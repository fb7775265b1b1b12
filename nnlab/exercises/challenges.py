"""Exercises for the chapter on common challenges: He initialization and gradient clipping.

- :func:`check_he_init`: the learner writes ``he_init(n_in, n_out, rng) -> W``, He (Kaiming)
  normal weights as :func:`nnlab.init.he` draws them: shape ``(n_in, n_out)``, mean 0,
  variance ``2 / n_in``, drawn from the generator ``rng``. The weights are random, so the
  checker compares statistics, not values: on layers of 130,000 to 260,000 weights, the
  sample mean and variance must lie within 6 standard errors of 0 and ``2 / n_in`` (a correct
  solution fails with a probability below 1e-8 per layer, and the seeds are fixed, so a
  solution that draws from ``rng`` gets the same verdict on every run). Only the shape, mean,
  variance and reproducibility are checked: any distribution with these moments passes, a
  uniform one on ``[-sqrt(6 / n_in), sqrt(6 / n_in)]`` included.
- :func:`check_clip_grad_norm`: the learner writes ``clip_grad_norm(grads, max_norm) ->
  clipped``, which rescales a list of gradient arrays by ``min(1, max_norm / ||g||)``, where
  ``||g||`` is the global L2 norm of all their entries as one vector, as
  :func:`nnlab.clip_grad_norm` does. Unlike nnlab's function, which clips in place and
  returns the norm, the exercise returns a list of arrays and leaves the caller's list and
  arrays unchanged.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..clipping import clip_grad_norm
from ._feedback import Case, Feedback, Raised, Wrong, as_array, join, kind, quiet, safe_call
from ._runner import Exercise, Variant, close, run

# -- He initialization --------------------------------------------------------------------------

HE_TITLE = "He initialization"
HE_TODO = (
    "implement fn(n_in, n_out, rng) returning W of shape (n_in, n_out), He (Kaiming) normal "
    "weights drawn from the generator rng."
)

# How many standard errors a sample mean or variance may stray from its expected value.
Z = 6.0

SYMMETRY = (
    "every unit would stay identical (units with the same incoming weights compute the same "
    "output, get the same gradient and take the same update, so the layer acts as a single "
    "unit): random weights break this symmetry"
)


def he_init_solution(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """Reference solution: ``N(0, 2 / n_in)``, so the standard deviation is ``sqrt(2 / n_in)``.

    ``rng.normal`` takes the standard deviation (``scale``), not the variance.

    Shapes
    ------
    n_in, n_out: ints -> W ``(n_in, n_out)``, one row per input and one column per unit.
    """
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


# (label, n_in, n_out, seed): non-square both ways, a square one (where fan-in = fan-out and
# Xavier = LeCun), and a narrow one; each has at least 131,072 weights, so the 6 standard
# errors of a variance are about 2.3 % of it, far less than any gap between the variants.
HE_CASES = (
    ("more inputs than outputs", 512, 256, 20240620),
    ("more outputs than inputs", 256, 1024, 20240621),
    ("a square layer", 400, 400, 20240622),
    ("a narrow layer", 2048, 64, 20240623),
)


class _HeStop(Exception):
    """Stop checking: ``hint`` says why."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


def _he_case(label: str, n_in: int, n_out: int, seed: int) -> Case:
    return Case(label, {"n_in": n_in, "n_out": n_out, "rng": np.random.default_rng(seed)})


def _he_advice(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, AttributeError) and "Generator" in text:
        return (
            "rng is a NumPy Generator (what np.random.default_rng returns): it draws with "
            "rng.normal(loc, scale, size) or rng.standard_normal(size); randn and rand belong "
            "to the legacy np.random module."
        )
    if isinstance(exc, TypeError) and "normal" in text:
        return "rng.normal(loc, scale, size) takes the whole shape as one tuple, size."
    return ""


def _draw(fn, n_in: int, n_out: int, seed: int):
    """The learner's W for a fresh generator of ``seed``, or :class:`Raised`."""
    return safe_call(fn, [n_in, n_out, np.random.default_rng(seed)])


def _read_w(out) -> np.ndarray:
    if isinstance(out, tuple | list) and len(out) and not np.isscalar(out[0]):
        if all(isinstance(o, np.ndarray) for o in out):
            raise Wrong(f"your function returned {kind(out)} of {len(out)} arrays; return W alone")
    return as_array(out, "W")


def _he_stats(W: np.ndarray) -> dict:
    """Sample mean and variance of ``W``'s entries, with the tolerances of the tests."""
    n = W.size
    mean = float(W.mean())
    var = float(W.var())
    m4 = float(np.mean((W - mean) ** 4))
    se_var = np.sqrt(max(m4 - var * var, 0.0) / n)
    return {
        "mean": mean,
        "var": var,
        "min": float(W.min()),
        "max_abs": float(np.max(np.abs(W))),
        "tol_mean": Z * np.sqrt(var / n),
        # 50 var / n covers the squared sample mean that a two-valued distribution (+-a, whose
        # fourth moment makes se_var 0) loses from its variance.
        "tol_var": Z * se_var + 50.0 * var / n,
    }


def _variance_is(stats: list[dict], expected: list[float]) -> bool:
    return all(abs(s["var"] - e) <= s["tol_var"] for s, e in zip(stats, expected, strict=True))


# A known wrong variance: (expected variance from n_in and n_out, hint, extra test on stats).
HE_VARIANTS = (
    (
        lambda n_in, n_out: 2.0 / n_out,
        "your W's variance is 2/n_out: that divides by the fan-out (the number of units in the "
        "layer). He's rule divides by the fan-in, the number of inputs each unit sums, so the "
        "variance of the units' outputs stays the same from layer to layer",
        None,
    ),
    (
        lambda n_in, n_out: 2.0 / (n_in + n_out),
        "your W's variance is 2/(n_in + n_out): that is Xavier (Glorot) initialization, a "
        "compromise between fan-in and fan-out made for tanh. He's rule, made for ReLU, uses "
        "the fan-in alone",
        None,
    ),
    (
        lambda n_in, n_out: 1.0 / n_in,
        "your W's variance is 1/n_in: that is LeCun initialization, right for units that keep "
        "the whole variance of their input. ReLU zeroes about half of its inputs, and He's "
        "rule makes up for it with an extra factor",
        None,
    ),
    (
        lambda n_in, n_out: (2.0 / n_in) ** 2,
        "your W's standard deviation is 2/n_in, so its variance is (2/n_in)^2, far too small: "
        "the second argument of rng.normal (scale) is the standard deviation, not the "
        "variance",
        None,
    ),
    (
        lambda n_in, n_out: np.sqrt(2.0 / n_in),
        "your W's variance is sqrt(2/n_in), far too large: variance and standard deviation "
        "are swapped (the standard deviation is the square root of the variance, not the "
        "other way round)",
        None,
    ),
    (
        lambda n_in, n_out: 2.0 / (3.0 * n_in),
        "your W looks uniform with the normal's std as bound: variance is a third of 2/n_in. "
        "A uniform distribution on [-a, a] has variance a^2/3, not a^2: either draw from a "
        "normal, or choose the bound a so that a^2/3 is the variance you want",
        lambda stats, cases: all(
            s["max_abs"] <= np.sqrt(2.0 / n_in) * (1 + 1e-9)
            for s, (_, n_in, _, _) in zip(stats, cases, strict=True)
        ),
    ),
    (
        lambda n_in, n_out: 1.0 / (3.0 * n_in),
        "your W looks uniform on [-1/sqrt(n_in), 1/sqrt(n_in)], PyTorch's default for its Linear "
        "layers: its variance, 1/(3 n_in), is a sixth of He's, and between ReLU layers it "
        "shrinks the signal",
        lambda stats, cases: all(
            s["max_abs"] <= (1 + 1e-9) / np.sqrt(n_in)
            for s, (_, n_in, _, _) in zip(stats, cases, strict=True)
        ),
    ),
    (
        lambda n_in, n_out: 1.0,
        "your W has variance 1 on every layer: that is a standard normal, not yet scaled to "
        "the layer's size",
        None,
    ),
)


def _variance_problem(stats: list[dict], cases) -> str:
    """What is wrong with the variance (all shapes are right), or "" if nothing."""
    targets = [2.0 / n_in for _, n_in, _, _ in cases]
    if _variance_is(stats, targets):
        return ""
    for expected, hint, extra in HE_VARIANTS:
        want = [expected(n_in, n_out) for _, n_in, n_out, _ in cases]
        if _variance_is(stats, want) and (extra is None or extra(stats, cases)):
            return hint
    ratios = [s["var"] / t for s, t in zip(stats, targets, strict=True)]
    slack = [s["tol_var"] / t for s, t in zip(stats, targets, strict=True)]
    if all(abs(r - ratios[0]) <= e + slack[0] for r, e in zip(ratios, slack, strict=True)):
        return (
            f"your W's variance is about {ratios[0]:.2g} times 2/n_in on every case: a "
            "constant factor is missing or extra (rng.normal's scale is the standard "
            "deviation, the square root of the variance)"
        )
    v0, t0 = stats[0]["var"], stats[0]["tol_var"]
    if all(abs(s["var"] - v0) <= s["tol_var"] + t0 for s in stats):
        return (
            f"your W has about the same variance, {v0:.3g}, on every layer, whatever its size: "
            "He's variance depends on the fan-in n_in (more inputs, smaller weights)"
        )
    detail = ", ".join(
        f"{r:.3g} on '{label}'" for r, (label, *_) in zip(ratios, cases, strict=True)
    )
    return (
        f"your W's variance does not follow 2/n_in: divided by 2/n_in, it is {detail}. Which "
        "of n_in and n_out does your variance depend on, and how?"
    )


def _mean_problem(stats: list[dict], cases) -> str:
    bad = [i for i, s in enumerate(stats) if abs(s["mean"]) > s["tol_mean"]]
    if not bad:
        return ""
    if all(s["min"] >= 0 for s in stats):
        return (
            "all your weights are >= 0, so their mean is above 0: rng.random and "
            "rng.uniform(0, b) draw from [0, 1) and [0, b). He's weights are centred on 0, "
            "half of them negative"
        )
    i = bad[0]
    s, case = stats[i], _he_case(*cases[i])
    return (
        f"your W's mean is {s['mean']:.3g} on the case {case.describe()}, more than 6 standard "
        f"errors ({s['tol_mean']:.2g}) away from 0: He's weights are centred on 0"
    )


def _symmetry_problem(W: np.ndarray, case: Case) -> str:
    if not np.ptp(W):
        if not W.any():
            return f"your W is all zeros (on the case {case.describe()}): {SYMMETRY}"
        return (
            f"your W holds the same value, {float(W.flat[0]):.3g}, everywhere (on the case "
            f"{case.describe()}): {SYMMETRY}"
        )
    if W.shape[1] > 1 and np.array_equal(W, np.broadcast_to(W[:, :1], W.shape)):
        return (
            f"every column of your W is the same (on the case {case.describe()}): each unit "
            f"gets the same incoming weights, so {SYMMETRY}, but only if every weight is "
            "drawn on its own"
        )
    return ""


def _check_he(fn) -> Feedback:
    if not callable(fn):
        return Feedback(
            False,
            f"expected your function, got {kind(fn)}: pass the function itself, without "
            "calling it (check(my_function), not check(my_function(...))).",
            HE_TITLE,
        )
    problems: list[str] = []
    stats: list[dict] = []
    transposed: Case | None = None
    unreproducible: Case | None = None
    ignores_rng: Case | None = None
    try:
        for label, n_in, n_out, seed in HE_CASES:
            case = _he_case(label, n_in, n_out, seed)
            out = _draw(fn, n_in, n_out, seed)
            if isinstance(out, Raised):
                advice = _he_advice(out.exc)
                msg = f"your function raised {out.message()} on the case {case.describe()}"
                raise _HeStop(f"{msg}. {advice}".strip() if advice else msg + ".")
            try:
                W = _read_w(out)
            except Wrong as wrong:
                raise _HeStop(f"{wrong} (on the case {case.describe()}).") from None
            raw = W
            if W.shape == (n_out, n_in) and n_in != n_out:
                transposed = transposed or case
                W = W.T
            elif W.shape != (n_in, n_out):
                raise _HeStop(
                    f"your W has shape {W.shape} on the case {case.describe()}; W must have "
                    f"shape (n_in, n_out) = {(n_in, n_out)}, one row per input and one "
                    "column per unit."
                )
            if not np.isfinite(W).all():
                bad = "nan" if np.isnan(W).any() else "inf"
                raise _HeStop(f"your W contains {bad} on the case {case.describe()}.")
            symmetric = _symmetry_problem(W, case)
            if symmetric:
                raise _HeStop(symmetric + ".")
            again = _draw(fn, n_in, n_out, seed)
            if isinstance(again, Raised) or not np.array_equal(_as_float(again), raw):
                unreproducible = unreproducible or case
            else:
                other = _draw(fn, n_in, n_out, seed + 1000)
                if not isinstance(other, Raised) and np.array_equal(_as_float(other), raw):
                    ignores_rng = ignores_rng or case
            stats.append(_he_stats(W))
    except NotImplementedError:
        return Feedback(False, f"not attempted yet: {HE_TODO}", HE_TITLE)
    except _HeStop as stop:
        return Feedback(False, stop.hint, HE_TITLE)
    if transposed is not None:
        n_in, n_out = transposed.args["n_in"], transposed.args["n_out"]
        problems.append(
            f"your W has shape {(n_out, n_in)} on the case {transposed.describe()}: that is "
            f"(n_out, n_in), the transpose. nnlab computes X @ W with X of shape (N, n_in), so "
            "W needs one row per input and one column per unit"
        )
    if unreproducible is not None:
        problems.append(
            "two calls with generators of the same seed gave different W (on the case "
            f"{unreproducible.describe()}): your weights do not come from rng alone "
            "(np.random.randn, or a new np.random.default_rng(), draw from elsewhere); use "
            "the rng argument so results are reproducible"
        )
    elif ignores_rng is not None:
        problems.append(
            "generators of different seeds gave the same W (on the case "
            f"{ignores_rng.describe()}): your weights do not depend on rng (a generator or "
            "seed of your own?). Use the rng argument, so the caller decides the randomness"
        )
    for found in (_mean_problem(stats, HE_CASES), _variance_problem(stats, HE_CASES)):
        if found:
            problems.append(found)
    if not problems:
        return Feedback(
            True,
            "W has shape (n_in, n_out), mean 0 and variance 2/n_in (within 6 standard errors) "
            "on 4 cases, including both kinds of non-square layer, and the same seed gave the "
            "same W.",
            HE_TITLE,
        )
    text = "\n".join(p if p.endswith((".", "?")) else p + "." for p in problems)
    return Feedback(False, text, HE_TITLE)


def _as_float(value) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return np.asarray(np.nan)


def check_he_init(fn) -> Feedback:
    """Check ``fn(n_in, n_out, rng) -> W``, He (Kaiming) normal initialization.

    ``W`` must have shape ``(n_in, n_out)``, mean 0 and variance ``2 / n_in``, and be drawn
    from ``rng`` (a :class:`numpy.random.Generator`): two calls with generators of the same
    seed must give the same ``W``, and generators of different seeds different ones. Four
    layers, (512, 256), (256, 1024), (400, 400) and (2048, 64), with fixed seeds; the sample
    mean and variance must be within 6 standard errors of 0 and ``2 / n_in`` (the standard
    error of the variance is estimated from the sample's fourth moment). Only shape, mean,
    variance and reproducibility are checked, so a uniform distribution with variance
    ``2 / n_in`` passes too.

    Diagnoses: the variance ``2 / n_out`` (fan-out), ``2 / (n_in + n_out)`` (Xavier),
    ``1 / n_in`` (LeCun), ``(2 / n_in)^2`` (the standard deviation set to ``2 / n_in``, as
    ``rng.normal(0, 2 / n_in)`` does) or ``sqrt(2 / n_in)`` (variance and standard deviation
    swapped), 1 (an unscaled standard normal), a third of ``2 / n_in`` (a uniform on
    ``+-sqrt(2 / n_in)``), ``1 / (3 n_in)`` (PyTorch's default uniform), a constant factor,
    a variance that ignores the layer's size; a mean away from 0, or only positive weights
    (``rng.random``); ``W`` transposed, ``(n_out, n_in)``; weights not drawn from ``rng``
    (``np.random.randn``, ``np.random.default_rng()`` or a fixed seed of one's own); all
    zeros, a constant or identical columns (symmetry); exceptions, wrong return types and
    shapes, nan, each with the case that triggered it.

    Examples
    --------
    >>> check_he_init(he_init_solution).passed
    True
    """
    try:
        with quiet():
            return _check_he(fn)
    except Exception as exc:  # a checker must never break a learner's notebook
        return Feedback(
            False,
            f"the checker itself failed ({type(exc).__name__}: {exc}); this is a bug in "
            "nnlab.exercises, not in your code.",
            HE_TITLE,
        )


# -- Gradient clipping by global norm -----------------------------------------------------------

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
