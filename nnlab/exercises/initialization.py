"""Exercise: He (Kaiming) initialization, for the chapter on common challenges.

The learner writes ``he_init(n_in, n_out, rng) -> W``, He normal weights as
:func:`nnlab.init.he` draws them: shape ``(n_in, n_out)``, mean 0, variance ``2 / n_in``,
drawn from the generator ``rng``. The weights are random, so :func:`check_he_init` compares
statistics, not values: on layers of 130,000 to 260,000 weights, the sample mean and variance
must lie within 6 standard errors of 0 and ``2 / n_in`` (a correct solution fails with a
probability below 1e-8 per layer, and the seeds are fixed, so a solution that draws from
``rng`` gets the same verdict on every run). Only the shape, mean, variance and
reproducibility are checked: any distribution with these moments passes, a uniform one on
``[-sqrt(6 / n_in), sqrt(6 / n_in)]`` included.
"""

from __future__ import annotations

import numpy as np

from ._feedback import Case, Feedback, Raised, Wrong, as_array, kind, quiet, safe_call

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
        return Feedback.not_attempted(HE_TODO, HE_TITLE)
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
