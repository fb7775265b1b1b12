"""check_pareto_front: the reference agrees with the book's pareto_front, mistakes are named."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nnlab.exercises import pareto
from nnlab.exercises._feedback import Feedback
from nnlab.exercises._runner import close
from nnlab.exercises.pareto import _cases, check_pareto_front, pareto_front_solution
from nnlab.explore import training_speed

from .checkers import (
    assert_docstring_examples_run,
    assert_exports_checker_not_solution,
    assert_names_the_mistake,
    assert_not_attempted,
)


def test_docstring_examples_run():
    assert_docstring_examples_run(pareto)


def test_solution_is_not_re_exported():
    assert_exports_checker_not_solution("check_pareto_front", "pareto_front_solution")


def _brute_force(costs, accs):
    """The definition, written out: j dominates i when no worse in both, better in one."""
    n = len(costs)
    keep = [
        i
        for i in range(n)
        if not any(
            (costs[j], accs[j]) != (costs[i], accs[i])
            and costs[j] <= costs[i]
            and accs[j] >= accs[i]
            for j in range(n)
        )
    ]
    return sorted(keep, key=lambda i: (costs[i], i))


def _book(costs, accs):
    """training_speed.pareto_front on rows built from the two sequences, as indices."""
    rows = [
        {"i": i, "n_params": c, "accuracy": a}
        for i, (c, a) in enumerate(zip(costs, accs, strict=True))
    ]
    return [r["i"] for r in training_speed.pareto_front(rows)]


def _random_sets(n_sets=60, seed=3):
    gen = np.random.default_rng(seed)
    for _ in range(n_sets):
        n = int(gen.integers(1, 15))
        costs = [int(c) for c in gen.integers(1, 7, n) * 100]
        accs = [float(a) for a in gen.integers(0, 6, n) / 5]
        yield costs, accs


def _all_sets():
    yield from ((tuple(c.args["costs"]), tuple(c.args["accuracies"])) for c in _cases())
    yield from _random_sets()


def test_solution_matches_the_definition_and_returns_python_ints():
    for costs, accs in _all_sets():
        front = pareto_front_solution(costs, accs)
        assert front == _brute_force(costs, accs)
        assert all(type(i) is int for i in front)


def test_solution_agrees_with_the_books_pareto_front():
    for costs, accs in _all_sets():
        # identical networks included: both keep all of them, cheapest first, ties by index
        assert pareto_front_solution(costs, accs) == _book(costs, accs)


def test_solution_leaves_lists_and_arrays_unchanged():
    for case in _cases():
        args = [np.array(a) for a in case.args.values()]
        before = [a.copy() for a in args]
        pareto_front_solution(*args)
        assert all(np.array_equal(a, b) for a, b in zip(args, before, strict=True))


def test_cases_cover_ties_duplicates_one_network_unsorted_and_random():
    cases = {c.label: (c.args["costs"], c.args["accuracies"]) for c in _cases()}
    costs, accs = cases["a tie in accuracy"]
    front = pareto_front_solution(costs, accs)
    assert any(
        a == b and c < d
        for (c, a), (d, b) in itertools.permutations(zip(costs, accs, strict=True), 2)
    )
    assert len(front) < len(costs)
    costs, accs = cases["a tie in cost"]
    assert len(set(costs)) < len(costs) and len(pareto_front_solution(costs, accs)) < len(costs)
    costs, accs = cases["two identical networks"]
    front = pareto_front_solution(costs, accs)
    assert len({(costs[i], accs[i]) for i in front}) < len(front)  # both identical ones are kept
    assert len(cases["a single network"][0]) == 1
    costs, accs = cases["unsorted"]
    assert list(costs) != sorted(costs) and pareto_front_solution(costs, accs) != sorted(
        pareto_front_solution(costs, accs)
    )
    costs, accs = cases["40 random networks (NumPy arrays)"]
    assert isinstance(costs, np.ndarray) and len(costs) == 40
    assert len(set(costs.tolist())) < 40 and len(set(accs.tolist())) < 40


def test_passing_feedback_says_what_was_checked():
    fb = check_pareto_front(pareto_front_solution)
    assert fb.passed and fb.attempted
    assert "your front is right on 7 cases" in fb.hint


def _vectorised(costs, accs):
    c, a = np.asarray(costs), np.asarray(accs)
    no_worse = (c[None, :] <= c[:, None]) & (a[None, :] >= a[:, None])
    better = (c[None, :] < c[:, None]) | (a[None, :] > a[:, None])
    front = np.flatnonzero(~(no_worse & better).any(axis=1))
    return front[np.argsort(c[front], kind="stable")]


def _by_cost_then_accuracy(costs, accs):
    """The book's sweep, keeping every network as accurate as the best so far at its cost."""
    order = sorted(range(len(costs)), key=lambda i: (costs[i], -accs[i], -i))
    front, best = [], None
    for i in order:
        if best is None or accs[i] > accs[best] or (costs[i], accs[i]) == (costs[best], accs[best]):
            front.append(i)
            best = i
    return front  # identical networks in decreasing index order: still sorted by cost


ACCEPTED = {
    "a tuple": lambda c, a: tuple(pareto_front_solution(c, a)),
    "a numpy array": lambda c, a: np.array(pareto_front_solution(c, a)),
    "numpy ints": lambda c, a: [np.int64(i) for i in pareto_front_solution(c, a)],
    "vectorised with numpy": _vectorised,
    "a sweep by cost, identical networks in reverse order": _by_cost_then_accuracy,
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_other_correct_solutions_pass(name):
    fb = check_pareto_front(ACCEPTED[name])
    assert fb.passed, fb.hint


def _front_by(beats, first_only=False):
    """A learner's loop with the dominance test ``beats(cj, aj, ci, ai)``."""

    def fn(costs, accs):
        front = []
        for i in range(len(costs)):
            if any(
                j != i and beats(costs[j], accs[j], costs[i], accs[i]) for j in range(len(costs))
            ):
                continue
            if first_only and any((costs[j], accs[j]) == (costs[i], accs[i]) for j in front):
                continue
            front.append(i)
        return sorted(front, key=lambda i: costs[i])

    return fn


def _correct(cj, aj, ci, ai):
    return cj <= ci and aj >= ai and (cj < ci or aj > ai)


REF = pareto_front_solution
VARIANTS = {
    "strict dominance only": (
        _front_by(lambda cj, aj, ci, ai: cj < ci and aj > ai),
        "your front keeps networks that another ties in one and beats in the other",
    ),
    "accuracy compared strictly": (
        _front_by(lambda cj, aj, ci, ai: cj <= ci and aj > ai),
        "your front keeps a network when a cheaper one is exactly as accurate",
    ),
    "cost compared strictly": (
        _front_by(lambda cj, aj, ci, ai: cj < ci and aj >= ai),
        "your front keeps a network when another of the same cost is more accurate",
    ),
    "identical networks both dropped": (
        _front_by(lambda cj, aj, ci, ai: cj <= ci and aj >= ai),
        "your front drops identical networks",
    ),
    "one of two identical networks kept": (
        _front_by(_correct, first_only=True),
        "your front keeps only one of two identical networks",
    ),
    "cost maximised": (
        _front_by(lambda cj, aj, ci, ai: _correct(-cj, aj, -ci, ai)),
        "your front prefers dearer networks, as if cost were maximised",
    ),
    "accuracy minimised": (
        _front_by(lambda cj, aj, ci, ai: _correct(cj, -aj, ci, -ai)),
        "your front prefers less accurate networks, as if accuracy were minimised",
    ),
    "both reversed": (
        _front_by(lambda cj, aj, ci, ai: _correct(-cj, -aj, -ci, -ai)),
        "your front has both comparisons reversed",
    ),
    "sorted by decreasing accuracy": (
        lambda c, a: sorted(REF(c, a), key=lambda i: -a[i]),
        "your front goes from the most accurate network down to the cheapest",
    ),
    "input order": (
        lambda c, a: [i for i in range(len(c)) if i in REF(c, a)],
        "your front holds the right networks in input order",
    ),
    "the dominated ones": (
        lambda c, a: [i for i in range(len(c)) if i not in REF(c, a)],
        "your front holds the dominated networks",
    ),
    "the dominated ones, by cost": (
        lambda c, a: sorted((i for i in range(len(c)) if i not in REF(c, a)), key=lambda i: c[i]),
        "your front holds the dominated networks",
    ),
    "costs instead of indices": (
        lambda c, a: [c[i] for i in REF(c, a)],
        "your function returns the costs of the networks on the front: return their indices",
    ),
    "accuracies instead of indices": (
        lambda c, a: [a[i] for i in REF(c, a)],
        "your function returns the accuracies of the networks on the front",
    ),
    "(cost, accuracy) pairs": (
        lambda c, a: [(c[i], a[i]) for i in REF(c, a)],
        "your function returns the (cost, accuracy) pairs",
    ),
    "1-based indices": (
        lambda c, a: [i + 1 for i in REF(c, a)],
        "your indices are 1 too large",
    ),
    "the most accurate only": (
        lambda c, a: [max(range(len(a)), key=lambda i: a[i])],
        "your front is only the most accurate network",
    ),
    "the cheapest only": (
        lambda c, a: [min(range(len(c)), key=lambda i: c[i])],
        "your front is only the cheapest network",
    ),
    "another order": (
        lambda c, a: REF(c, a)[1:] + REF(c, a)[:1],
        "your front holds the right networks but not by increasing cost",
    ),
    "None": (lambda c, a: None, "your function returned None"),
    "a float": (lambda c, a: 0.5, "your function returned one number, a float"),
    "an int": (lambda c, a: REF(c, a)[0], "your function returned one number, an int"),
    "a set": (lambda c, a: set(REF(c, a)), "your function returned a set"),
    "a True/False mask": (
        lambda c, a: [i in REF(c, a) for i in range(len(c))],
        "your function returned True/False per network",
    ),
    "a str": (lambda c, a: "front", "your function returned a str"),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_mistake_is_named(variant):
    fn, phrase = VARIANTS[variant]
    fb = assert_names_the_mistake(check_pareto_front(fn), phrase)
    assert "{" not in fb.hint.replace("{'", "")  # every placeholder was filled in


def test_tie_hints_name_the_case_with_the_tie():
    hint = check_pareto_front(VARIANTS["accuracy compared strictly"][0]).hint
    assert "on the case 'a tie in accuracy'" in hint
    hint = check_pareto_front(VARIANTS["cost compared strictly"][0]).hint
    assert "on the case 'a tie in cost'" in hint
    hint = check_pareto_front(VARIANTS["identical networks both dropped"][0]).hint
    assert "on the case 'two identical networks'" in hint


def test_the_wrong_variants_are_told_apart_on_the_cases():
    cases = _cases()
    preds = [[v.fn(*c.copies())["front"] for c in cases] for v in pareto.VARIANTS]
    ref = [np.asarray(pareto_front_solution(*c.copies()), dtype=float) for c in cases]
    for pred in preds:
        assert not all(close(p, r) for p, r in zip(pred, ref, strict=True))
    for (va, pa), (vb, pb) in itertools.combinations(zip(pareto.VARIANTS, preds, strict=True), 2):
        if va.hint != vb.hint:
            assert not all(close(x, y) for x, y in zip(pa, pb, strict=True)), (va.hint, vb.hint)


def test_a_stub_is_not_attempted_yet():
    def pareto_front(costs, accuracies):
        raise NotImplementedError

    fb = assert_not_attempted(check_pareto_front(pareto_front))
    assert "Pareto front of the chapter Comparing performance" in fb.hint


def test_inputs_changed_in_place_are_reported():
    def sorts_the_list(costs, accs):
        front = pareto_front_solution(costs, accs)
        costs.sort()
        return front

    def writes_into_the_array(costs, accs):
        front = pareto_front_solution(costs, accs)
        if isinstance(accs, np.ndarray):
            accs[0] = -1.0
        return front

    fb = check_pareto_front(sorts_the_list)
    assert not fb.passed and "your function changed costs in place" in fb.hint
    fb = check_pareto_front(writes_into_the_array)
    assert "your function changed accuracies in place" in fb.hint
    assert "40 random networks" in fb.hint


def test_exceptions_get_advice():
    def list_comparison(costs, accs):
        return [i for i in range(len(costs)) if not (costs < costs[i]).any()]

    def array_truth(costs, accs):
        c, a = np.asarray(costs), np.asarray(accs)
        return [i for i in range(len(c)) if not (c <= c[i] and a >= a[i])]

    fb = check_pareto_front(list_comparison)
    assert "your function raised TypeError" in fb.hint and "np.asarray(costs)" in fb.hint
    fb = check_pareto_front(array_truth)
    assert "your function raised ValueError" in fb.hint and ".any() or .all()" in fb.hint


def test_a_wrong_length_gets_the_case():
    fb = check_pareto_front(lambda c, a: REF(c, a) * 2)
    assert not fb.passed and "your front has shape (8,)" in fb.hint and "case" in fb.hint


def test_checker_never_raises_on_odd_learners():
    odd = [
        lambda c, a: [[1, 2], [3]],
        lambda c, a: [None],
        lambda c, a: [float("nan")],
        lambda c, a: [],
        lambda c, a: iter(REF(c, a)),
        lambda c, a: {"front": REF(c, a)},
        lambda c, a: np.zeros((2, 2)),
        lambda c, a: 1 / 0,
        lambda c, a: [*REF(c, a), -1],
    ]
    for fn in odd:
        fb = check_pareto_front(fn)
        assert isinstance(fb, Feedback) and not fb.passed and fb.hint
        assert "the checker itself failed" not in fb.hint, fb.hint
    assert "expected your function" in check_pareto_front([0, 1]).hint
