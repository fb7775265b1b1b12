"""Exercise: the Pareto front of networks by cost and accuracy, for comparing performance.

The learner writes ``pareto_front(costs, accuracies) -> indices``: the networks that no other
dominates, by increasing cost (ties in any order); j dominates i when ``cost_j <= cost_i`` and
``accuracy_j >= accuracy_i``, one of the two strictly. Identical networks do not dominate each
other: both are on the front (:func:`nnlab.explore.training_speed.pareto_front` keeps only the
first). :func:`check_pareto_front` also checks that the inputs come back unchanged.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from operator import ge, gt, le, lt

import numpy as np

from ._feedback import Case, Feedback, Raised, Wrong, as_array, kind, safe_call
from ._runner import Exercise, Variant, close, run

TODO = (
    "implement fn(costs, accuracies) returning the indices of the networks on the Pareto front "
    "of the chapter Comparing performance, those that no other network dominates (costs no "
    "more and is at least as accurate, one of the two strictly), sorted by increasing cost."
)


def pareto_front_solution(costs: Sequence[float], accuracies: Sequence[float]) -> list[int]:
    """Reference solution: the indices of the non-dominated networks, by increasing cost.

    Network j dominates i when it costs no more and is at least as accurate, and is better in
    one of the two. A network never dominates itself, nor an identical one: both stay.

    Shapes
    ------
    costs, accuracies: sequences of n numbers -> a list of at most n indices.
    """
    n = len(costs)
    front = []
    for i in range(n):
        dominated = any(
            costs[j] <= costs[i]
            and accuracies[j] >= accuracies[i]
            and (costs[j] < costs[i] or accuracies[j] > accuracies[i])
            for j in range(n)
        )
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: costs[i])


def _cases() -> list[Case]:
    rng = np.random.default_rng(20240715)
    n_params = rng.choice([610, 1210, 2410, 4810, 9610, 19210, 38410], size=40)
    acc = np.round(0.5 + 0.06 * np.log2(n_params / 610) + rng.uniform(0, 0.12, 40), 2)
    specs = [
        ("six networks", (100, 250, 400, 800, 1600, 3200), (0.62, 0.8, 0.78, 0.88, 0.91, 0.9)),
        ("a tie in accuracy", (500, 1500, 3000, 6000), (0.7, 0.85, 0.85, 0.92)),
        ("a tie in cost", (800, 2000, 2000, 5000), (0.6, 0.79, 0.83, 0.9)),
        ("two identical networks", (1000, 4000, 4000, 9000), (0.75, 0.88, 0.88, 0.87)),
        ("a single network", (3000,), (0.8,)),
        ("unsorted", (12000, 900, 5000, 2500, 40000, 7000), (0.9, 0.55, 0.86, 0.79, 0.93, 0.84)),
        ("40 random networks (NumPy arrays)", n_params, acc),
    ]
    return [Case(label, {"costs": c, "accuracies": a}) for label, c, a in specs]


def _canonical(front: np.ndarray, costs) -> np.ndarray:
    """Runs of entries of equal cost in index order: any order of them is sorted by cost."""
    n, out = len(costs), front.copy()
    if front.ndim != 1 or not np.all((front == np.round(front)) & (front >= 0) & (front < n)):
        return out
    c = np.asarray(costs, dtype=np.float64)[front.astype(int)]
    run_ = np.cumsum(np.diff(c, prepend=c[:1]) != 0)  # runs of equal cost, numbered
    return front[np.lexsort((front, run_))]


def _read(out, costs) -> dict:
    want = "a list of indices, the networks on the front sorted by increasing cost"
    if out is None:
        raise Wrong(f"your function returned None; it must return {want}: is `return` missing?")
    if isinstance(out, numbers.Number) or (isinstance(out, np.ndarray) and out.ndim == 0):
        raise Wrong(f"your function returned one number, {kind(out)}; it must return {want}")
    if not isinstance(out, list | tuple | np.ndarray | range):
        raise Wrong(f"your function returned {kind(out)}; it must return {want}")
    if len(out) and all(isinstance(x, bool | np.bool_) for x in out):
        raise Wrong(f"your function returned True/False per network; it must return {want}")
    return {"front": _canonical(as_array(out, "front"), costs)}


def _call(fn: Callable, case: Case):
    originals = list(case.args.values())
    args = [a.copy() if isinstance(a, np.ndarray) else list(a) for a in originals]
    out = safe_call(fn, args)
    if isinstance(out, Raised):
        return out
    for name, before, after in zip(case.args, originals, args, strict=True):
        if len(after) != len(before) or not np.array_equal(np.asarray(after), np.asarray(before)):
            raise Wrong(
                f"your function changed {name} in place (as {name}.sort() or {name}[i] = ... "
                "do): sort a copy, with sorted(...) or np.argsort(...), and leave it unchanged"
            )
    return _read(out, originals[0])


def _front(cost_ok: Callable, acc_ok: Callable, strict: bool = True, first: bool = False):
    """A front where j != i beats i by ``cost_ok(c_j, c_i) and acc_ok(a_j, a_i)``."""

    def front(c, a) -> list[int]:
        def beaten(i: int) -> bool:
            same = [(c[j], a[j]) == (c[i], a[i]) for j in range(len(c))]
            return any(
                j != i and cost_ok(c[j], c[i]) and acc_ok(a[j], a[i]) and not (strict and same[j])
                for j in range(len(c))
            ) or (first and any(same[:i]))

        return sorted((i for i in range(len(c)) if not beaten(i)), key=lambda i: c[i])

    return front


REF = pareto_front_solution
PICKS = {  # name -> the wrong front, from (costs, accuracies)
    "both strict": _front(lt, gt),
    "accuracy strict": _front(le, gt),
    "cost strict": _front(lt, ge),
    "identical dropped": _front(le, ge, strict=False),
    "one identical kept": _front(le, ge, first=True),
    "cost maximised": _front(ge, ge),
    "accuracy minimised": _front(le, le),
    "both reversed": _front(ge, le),
    "decreasing cost": lambda c, a: REF(c, a)[::-1],
    "input order": lambda c, a: sorted(REF(c, a)),
    "dominated": lambda c, a: sorted(set(range(len(c))) - set(REF(c, a)), key=lambda i: c[i]),
    "dominated, input order": lambda c, a: sorted(set(range(len(c))) - set(REF(c, a))),
    "costs": lambda c, a: [c[i] for i in REF(c, a)],
    "accuracies": lambda c, a: [a[i] for i in REF(c, a)],
    "pairs": lambda c, a: [(c[i], a[i]) for i in REF(c, a)],
    "1-based": lambda c, a: [i + 1 for i in REF(c, a)],
    "most accurate": lambda c, a: [int(np.argmax(a))],
    "cheapest": lambda c, a: [int(np.argmin(c))],
}
OFF = "your front holds the dominated networks, the ones off the front: return the others"
VALUES = "your function returns the {} of the networks on the front: return their indices"
ONE = "only one of the two comparisons must be strict"
HINTS = {
    "both strict": "your front keeps networks that another ties in one and beats in the other "
    f"(first on the case {{case}}): that one dominates them; {ONE}, not both",
    "accuracy strict": "your front keeps a network when a cheaper one is exactly as accurate "
    f"(on the case {{case}}): that one dominates it; {ONE}",
    "cost strict": "your front keeps a network when another of the same cost is more accurate "
    f"(on the case {{case}}): that one dominates it; {ONE}",
    "identical dropped": "your front drops identical networks, same cost and accuracy (on the "
    "case {case}): neither is better in either, so neither dominates the other; both stay",
    "one identical kept": "your front keeps only one of two identical networks (on the case "
    "{case}): neither dominates the other, so both belong on it",
    "cost maximised": "your front prefers dearer networks, as if cost were maximised: a lower "
    "cost is better, j dominates i when cost_j <= cost_i",
    "accuracy minimised": "your front prefers less accurate networks, as if accuracy were "
    "minimised: a higher accuracy is better, j dominates i when accuracy_j >= accuracy_i",
    "both reversed": "your front has both comparisons reversed: dearer and less accurate wins",
    "decreasing cost": "your front goes from the most accurate network down to the cheapest: "
    "return it by increasing cost, the cheapest first",
    "input order": "your front holds the right networks in input order (increasing index), "
    "not by increasing cost: some inputs are not sorted by cost",
    "dominated": OFF,
    "dominated, input order": OFF,
    "costs": VALUES.format("costs"),
    "accuracies": VALUES.format("accuracies"),
    "pairs": VALUES.format("(cost, accuracy) pairs"),
    "1-based": "your indices are 1 too large: Python counts from 0, the first network is 0",
    "most accurate": "your front is only the most accurate network; cheaper ones can be on it",
    "cheapest": "your front is only the cheapest network; dearer ones can be on it too",
}


def _variant(pick: Callable) -> Callable:
    def variant(costs, accuracies) -> dict:
        front = np.asarray(pick(costs, accuracies), dtype=np.float64)
        return {"front": _canonical(front, costs)}

    return variant


FRONT = ("front",)
VARIANTS = tuple(Variant(FRONT, _variant(pick), HINTS[name]) for name, pick in PICKS.items())


def _wrong_order(learner, reference, cases):
    """The right networks on every case, in an order that no order variant explains."""
    ok = [i for i, o in enumerate(learner) if not isinstance(o, Raised)]
    got, want = ({i: out[i]["front"] for i in ok} for out in (learner, reference))
    bad = [i for i in ok if not np.array_equal(got[i], want[i])]
    if not bad or any(got[i].shape != want[i].shape or set(got[i]) != set(want[i]) for i in ok):
        return None
    for name in ("decreasing cost", "input order"):  # orders with a variant of their own
        if all(close(got[i], _variant(PICKS[name])(*cases[i].copies())["front"]) for i in ok):
            return None
    i = bad[0]
    return (
        f"your front holds the right networks but not by increasing cost: on the case "
        f"{cases[i].describe()} you returned {got[i].astype(int).tolist()} where "
        f"{want[i].astype(int).tolist()} was expected; sort the indices by their cost",
        FRONT,
    )


def _advice(exc: Exception, case: Case) -> str:
    if isinstance(exc, TypeError) and "list" in str(exc):
        return "costs and accuracies may be Python lists: np.asarray(costs) makes an array."
    if isinstance(exc, ValueError) and "truth value" in str(exc):
        return "a comparison of two arrays is an array: reduce it with .any() or .all()."
    return ""


def check_pareto_front(fn) -> Feedback:
    """Check ``fn(costs, accuracies) -> indices``, the Pareto front by cost and accuracy.

    Seven cases, Python lists but the last: six networks, ties in accuracy and in cost, two
    identical networks, one network, an unsorted input, 40 random networks as NumPy arrays.

    Diagnoses: both comparisons strict, or only one of them; identical networks dropped, or
    one kept; cost maximised, accuracy minimised or both; decreasing cost, input or another
    order; the dominated networks; costs, accuracies or pairs instead of indices; 1-based
    indices; only the most accurate or the cheapest; a True/False mask, a set, one number,
    ``None``; inputs changed in place; exceptions, with the case that triggered them.

    Examples
    --------
    >>> check_pareto_front(pareto_front_solution).passed
    True
    """
    spec = Exercise(
        title="Pareto front",
        todo=TODO,
        cases=_cases(),
        components={"front": "have shape {want} here, one index per network on the front"},
        unpack=lambda out: out,
        reference=_variant(REF),
        passed=(
            "your front is right on 7 cases, with ties in accuracy and in cost, identical networks,"
            " one network, an unsorted input and 40 random ones; your inputs came back unchanged."
        ),
        variants=VARIANTS,
        specials=(_wrong_order,),
        advice=_advice,
        call=_call,
    )
    return run(fn, spec)
