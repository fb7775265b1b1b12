"""The runner every checker shares: call, compare, and name the mistake.

A checker describes its exercise as an :class:`Exercise`: the cases to try, how to read the
learner's return value into named *components* (``dW``, ``db``, ...), the reference, and the
known wrong variants. :func:`run` calls the learner's function on every case and turns
whatever happens (a stub, an exception, a wrong return type, a NaN, an input changed in
place, a wrong value) into a :class:`Feedback` that names the mistake. It never raises.

A component is *explained* by a variant when the learner's value matches the variant's on
every case where the learner's function returned; an exception is explained by a variant
that raises on exactly the same cases. Components no variant explains get a generic
message: wrong shape, nan or inf, a constant factor, or the first wrong entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._feedback import Case, Feedback, Raised, Wrong, join, kind, quiet, safe_call


class _Stop(Exception):
    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


@dataclass(frozen=True)
class Variant:
    """A known mistake: ``fn`` takes the learner's arguments and returns the wrong components.

    ``hint`` may use ``{what}`` (the components it explains), ``{is_}``, ``{has}``, ``{s}``
    and ``{es}`` (for verbs agreeing with it), ``{got}`` and ``{want}`` (the learner's and
    the expected shape of the first one, on the first case where they differ) and
    ``{case}``.
    """

    what: tuple[str, ...]
    fn: Callable
    hint: str
    same_shape_hint: str = ""  # used instead when the learner's shapes are all right


@dataclass
class Exercise:
    """Everything :func:`run` needs to check one exercise."""

    title: str
    todo: str
    cases: Sequence[Case]
    components: dict[str, str]  # name -> what it must look like ("have the shape of W, {want}")
    unpack: Callable[[object], dict[str, np.ndarray]]
    reference: Callable[..., dict[str, np.ndarray]]
    passed: str
    variants: Sequence[Variant] = ()
    # special(learner, reference, cases) -> (hint, components explained) or None
    specials: Sequence[Callable] = ()
    advice: Callable[[Exception, Case], str] | None = None
    call: Callable[[Callable, Case], object] | None = None
    # on_mutation([(name, before, after), ...], case) -> hint, for inputs changed in place
    on_mutation: Callable[[list, Case], str] | None = None
    rtol: float = 1e-6
    atol: float = 1e-9


def close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Same shape and equal up to rtol and atol, atol scaled by the largest finite |b|."""
    if a.shape != b.shape:
        return False
    scale = float(np.max(np.abs(b[np.isfinite(b)]), initial=1.0))
    return bool(np.allclose(a, b, rtol=rtol, atol=atol * max(1.0, scale), equal_nan=True))


def _like(value, learner: np.ndarray) -> np.ndarray:
    """A variant's value as an array; size 1 becomes 0-d where the learner's scalar is."""
    arr = np.asarray(value, dtype=np.float64)
    return arr.reshape(()) if learner.ndim == 0 and arr.size == 1 else arr


def _call_learner(fn: Callable, case: Case, spec: Exercise) -> object:
    args = case.copies()
    out = safe_call(fn, args)
    if isinstance(out, Raised):
        return out
    changed = [
        (name, before, after)
        for (name, before), after in zip(case.args.items(), args, strict=True)
        if isinstance(before, np.ndarray)
        and not (
            isinstance(after, np.ndarray)
            and after.shape == before.shape
            and np.array_equal(after, before, equal_nan=True)
        )
    ]
    if changed:
        if spec.on_mutation is not None:
            raise _Stop(spec.on_mutation(changed, case))
        names = [name for name, _, _ in changed]
        x = names[0]
        raise _Stop(
            f"your function changed {join(names)} in place (on the case {case.describe()}); "
            f"the caller's arrays must come back unchanged. Build new arrays instead ({x} - ... "
            f"makes one; {x} -= ... and {x}[...] = ... write into the caller's)."
        )
    return out


def _shapes_for(comp, learner, expected, ok) -> tuple[tuple, tuple, int]:
    for i in ok:
        if learner[i][comp].shape != expected[i][comp].shape:
            return learner[i][comp].shape, expected[i][comp].shape, i
    return learner[ok[0]][comp].shape, expected[ok[0]][comp].shape, ok[0]


def _generic(comp: str, like: str, learner, reference, cases, ok, spec: Exercise) -> str:
    """What is wrong with ``comp`` when no known variant explains it."""
    for i in ok:
        got, want = learner[i][comp].shape, reference[i][comp].shape
        if got != want:
            return (
                f"your {comp} has shape {got} on the case {cases[i].describe()}; {comp} must "
                f"{like.format(want=want)}"
            )
    for i in ok:
        v = learner[i][comp]
        if not np.isfinite(v).all():
            bad = "nan" if np.isnan(v).any() else "inf"
            return f"your {comp} contains {bad} on the case {cases[i].describe()}"
    wrong = [i for i in ok if not close(learner[i][comp], reference[i][comp], spec.rtol, spec.atol)]
    if all(not learner[i][comp].any() for i in ok):
        return f"your {comp} is 0 on every case: is it computed at all?"
    factors = []
    for i in ok:
        v, r = learner[i][comp], reference[i][comp]
        rr = float(np.vdot(r, r))
        c = float(np.vdot(v, r)) / rr if rr else np.nan
        factors.append(c if rr and close(v, c * r, spec.rtol, spec.atol) else np.nan)
    if all(np.isfinite(factors)):
        if np.allclose(factors, factors[0], rtol=1e-6):
            return (
                f"your {comp} is {factors[0]:.4g} times the expected value on every case: a "
                "factor is missing or extra"
            )
        detail = ", ".join(f"{c:.4g} on {cases[i].label}" for c, i in zip(factors, ok, strict=True))
        return (
            f"your {comp} is a multiple of the expected value, but the factor changes with the "
            f"case ({detail}): which factor depends on the inputs?"
        )
    i = wrong[0]
    v, r = learner[i][comp], reference[i][comp]
    diff = np.abs(v - r)
    idx = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
    where = f"entry {tuple(int(k) for k in idx)} is" if diff.ndim else "it is"
    return (
        f"your {comp} is wrong on {len(wrong)} of {len(ok)} cases; on the case "
        f"{cases[i].describe()}, {where} {float(v[idx]):.6g} where {float(r[idx]):.6g} was "
        "expected"
    )


def _diagnose(spec: Exercise, learner: list, reference: list, cases) -> list[str]:
    ok = [i for i, o in enumerate(learner) if not isinstance(o, Raised)]
    raised = [i for i, o in enumerate(learner) if isinstance(o, Raised)]
    comps = list(spec.components)
    wrong = [
        c
        for c in comps
        if any(not close(learner[i][c], reference[i][c], spec.rtol, spec.atol) for i in ok)
    ]
    if not wrong and not raised:
        return []
    problems: list[str] = []
    explained: set[str] = set()
    by_special: set[str] = set()
    for special in spec.specials:
        found = special(learner, reference, cases)
        if found:
            problems.append(found[0])
            by_special |= set(found[1])
    explained |= by_special

    predictions = [[safe_call(v.fn, case.copies()) for case in cases] for v in spec.variants]

    def agrees(comp: str, pred: list) -> bool:
        # A case where the learner's value is nan or inf is left out (and reported on its
        # own below): a summed loss that also overflows on large logits is still a sum.
        finite = [i for i in ok if np.isfinite(learner[i][comp]).all()]
        return bool(finite) and all(
            not isinstance(pred[i], Raised)
            and comp in pred[i]
            and close(
                learner[i][comp], _like(pred[i][comp], learner[i][comp]), spec.rtol, spec.atol
            )
            for i in finite
        )

    matched: dict[int, list[str]] = {}
    if raised:  # a variant that raises on exactly the same cases explains the exception
        for k, (variant, pred) in enumerate(zip(spec.variants, predictions, strict=True)):
            if [i for i, p in enumerate(pred) if isinstance(p, Raised)] == raised and all(
                agrees(c, pred) for c in variant.what
            ):
                matched[k] = list(variant.what)
                explained |= set(variant.what)
                break
        else:
            i = raised[0]
            msg = f"your function raised {learner[i].message()} on the case {cases[i].describe()}"
            extra = spec.advice(learner[i].exc, cases[i]) if spec.advice else ""
            problems.append(f"{msg}. {extra}".strip() if extra else msg)
    # First a variant that explains all of its components at once, then component by component.
    for k, (variant, pred) in enumerate(zip(spec.variants, predictions, strict=True)):
        todo = [c for c in variant.what if c in wrong and c not in explained]
        if len(todo) > 1 and todo == list(variant.what) and all(agrees(c, pred) for c in todo):
            matched[k] = todo
            explained |= set(todo)
    for comp in wrong:
        if comp in explained:
            continue
        for k, (variant, pred) in enumerate(zip(spec.variants, predictions, strict=True)):
            if comp in variant.what and agrees(comp, pred):
                matched.setdefault(k, []).append(comp)
                explained.add(comp)
                break
    for k, names in matched.items():
        variant = spec.variants[k]
        got, want, i = _shapes_for(names[0], learner, reference, ok) if ok else ((), (), 0)
        hint = variant.same_shape_hint if got == want and variant.same_shape_hint else variant.hint
        plural = len(names) > 1
        problems.append(
            hint.format(
                what=join(names),
                is_="are" if plural else "is",
                s="" if plural else "s",
                es="" if plural else "es",
                has="have" if plural else "has",
                got=got,
                want=want,
                case=cases[i].describe(),
            )
        )
    for comp in wrong:
        if comp not in explained:
            problems.append(
                _generic(comp, spec.components[comp], learner, reference, cases, ok, spec)
            )
        elif comp not in by_special:
            bad = [i for i in ok if not np.isfinite(learner[i][comp]).all()]
            if bad:
                kind_ = "nan" if np.isnan(learner[bad[0]][comp]).any() else "inf"
                problems.append(
                    f"your {comp} also contains {kind_} on the case {cases[bad[0]].describe()}"
                )
    right = [c for c in comps if c not in wrong and c not in explained] if ok else []
    if right and len(right) < len(comps):
        problems.append(f"({join(right)} {'is' if len(right) == 1 else 'are'} right.)")
    return problems


def run(fn, spec: Exercise) -> Feedback:
    """Check ``fn`` against ``spec``; never raises (a bug in a checker is reported too)."""
    try:
        with quiet():  # a nan in the learner's output must not warn while it is compared
            return _run(fn, spec)
    except Exception as exc:  # a checker must never break a learner's notebook
        return Feedback(
            False,
            f"the checker itself failed ({type(exc).__name__}: {exc}); this is a bug in "
            "nnlab.exercises, not in your code.",
            spec.title,
        )


def _run(fn, spec: Exercise) -> Feedback:
    if not callable(fn):
        return Feedback(
            False,
            f"expected your function, got {kind(fn)}: pass the function itself, without "
            "calling it (check(my_function), not check(my_function(...))).",
            spec.title,
        )
    cases = list(spec.cases)
    learner: list = []
    try:
        for case in cases:
            try:
                out = spec.call(fn, case) if spec.call else _call_learner(fn, case, spec)
                if not isinstance(out, Raised):
                    out = spec.unpack(out)
            except NotImplementedError:
                return Feedback.not_attempted(spec.todo, spec.title)
            except Wrong as wrong:
                raise _Stop(f"{wrong} (on the case {case.describe()}).") from None
            learner.append(out)
    except _Stop as stop:
        return Feedback(False, stop.hint, spec.title)
    reference = [spec.reference(*case.copies()) for case in cases]
    problems = _diagnose(spec, learner, reference, cases)
    if not problems:
        return Feedback(True, spec.passed, spec.title)
    text = "\n".join(p if p.endswith((".", "?", ".)")) else p + "." for p in problems)
    return Feedback(False, text, spec.title)
