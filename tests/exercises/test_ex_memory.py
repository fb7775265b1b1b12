"""check_training_memory: the reference agrees with nnlab.cached_bytes, each mistake is named."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnlab as nl
from nnlab.exercises import memory
from nnlab.exercises._feedback import Feedback
from nnlab.exercises.memory import VARIANTS as CHECKER_VARIANTS
from nnlab.exercises.memory import (
    _cases,
    _reference,
    check_training_memory,
    training_memory_solution,
)

from .checkers import assert_docstring_examples_run, assert_names_the_mistake, assert_not_attempted


def test_docstring_examples_run():
    assert_docstring_examples_run(memory)


NETWORKS = [
    ([64] + [256] * 16 + [10], 1024),
    ([4, 6, 3], 10),
    ([5, 3], 7),
    ([3, 7, 2, 5, 4], 1),
    ([784, 100, 10], 32),
    ([12, 4], 16),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("widths", "N"), NETWORKS)
def test_solution_agrees_with_nnlab_on_real_networks(widths, N, dtype):
    net = nl.mlp(widths, "relu", rng=0, dtype=dtype)
    net.forward(np.ones((N, widths[0]), dtype=dtype))
    itemsize = np.dtype(dtype).itemsize
    cache, params = training_memory_solution(widths, N, itemsize)
    assert cache == nl.cached_bytes(net)
    assert params == itemsize * net.n_params
    assert isinstance(cache, int) and isinstance(params, int)


def test_the_book_example():
    cache, _ = training_memory_solution([64] + [256] * 16 + [10], 1024, 8)
    assert cache == 8 * 1024 * (64 + 16 * 256)


def test_solution_agrees_with_the_measured_reference_on_every_case():
    for case in _cases():
        ref = _reference(*case.args.values())
        assert (float(ref["cache_bytes"]), float(ref["param_bytes"])) == training_memory_solution(
            *case.args.values()
        )


def test_cases_cover_the_brief():
    cases = [tuple(c.args.values()) for c in _cases()]
    assert any(len(w) == 3 for w, _, _ in cases)  # one hidden layer
    assert any(len(set(w[1:-1])) >= 2 for w, _, _ in cases)  # hidden widths that differ
    assert any(N == 1 for _, N, _ in cases)
    assert any(s == 4 for _, _, s in cases) and any(s == 8 for _, _, s in cases)
    assert any(len(w) == 2 for w, _, _ in cases)  # no hidden layer
    assert all(N not in (4, 8) for _, N, _ in cases)  # a batch never looks like an itemsize


def test_every_variant_is_distinguishable_on_the_cases():
    cases = _cases()
    refs = [_reference(*c.copies()) for c in cases]
    preds = [[v.fn(*c.copies()) for c in cases] for v in CHECKER_VARIANTS]
    for v, pred in zip(CHECKER_VARIANTS, preds, strict=True):
        for comp in v.what:  # each variant is wrong somewhere on every component it names
            assert any(p[comp] != r[comp] for p, r in zip(pred, refs, strict=True)), v.hint
    for (a, pa), (b, pb) in itertools.combinations(zip(CHECKER_VARIANTS, preds, strict=True), 2):
        for comp in set(a.what) & set(b.what):
            assert any(x[comp] != y[comp] for x, y in zip(pa, pb, strict=True)), (a.hint, b.hint)


def test_passing_feedback_says_what_was_checked():
    fb = check_training_memory(training_memory_solution)
    assert fb.passed, fb.hint
    assert "match nnlab's cached_bytes and n_params on 5 cases" in fb.hint


def _measured(widths, N, itemsize):
    dtype = {4: np.float32, 8: np.float64}[itemsize]
    net = nl.mlp(widths, "relu", rng=1, dtype=dtype)
    net.forward(np.zeros((N, widths[0]), dtype=dtype))
    return nl.cached_bytes(net), itemsize * net.n_params


ACCEPTED = {
    "a list": lambda w, N, s: list(training_memory_solution(w, N, s)),
    "floats": lambda w, N, s: tuple(float(v) for v in training_memory_solution(w, N, s)),
    "numpy ints": lambda w, N, s: tuple(np.int64(v) for v in training_memory_solution(w, N, s)),
    "a numpy array of two": lambda w, N, s: np.array(training_memory_solution(w, N, s)),
    "measured with nnlab": _measured,
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_other_correct_solutions_pass(name):
    fb = check_training_memory(ACCEPTED[name])
    assert fb.passed, fb.hint


def test_widths_changed_in_place_does_not_leak():
    before = [list(w) for _, w, _, _ in memory.CASES]

    def popping(widths, N, itemsize):
        original = list(widths)
        widths.pop()
        widths.clear()
        return training_memory_solution(original, N, itemsize)

    assert check_training_memory(popping).passed
    assert [list(w) for _, w, _, _ in memory.CASES] == before
    assert check_training_memory(training_memory_solution).passed


def _fn(cache, params):
    """A learner from two formulas of (n0, hidden widths, n_m, N, itemsize, weights, biases)."""

    def learner(widths, N, itemsize):
        n0, h, nm = widths[0], widths[1:-1], widths[-1]
        weights = sum(a * b for a, b in itertools.pairwise(widths))
        biases = sum(widths[1:])
        return cache(n0, h, nm, N, itemsize), params(weights, biases, N, itemsize)

    return learner


def right_cache(n0, h, nm, N, s):
    return s * N * (n0 + sum(h))


def right_params(w, b, N, s):
    return s * (w + b)


VARIANTS = {
    "logits counted": (
        _fn(lambda n0, h, nm, N, s: s * N * (n0 + sum(h) + nm), right_params),
        "your cache_bytes counts the logits",
    ),
    "input forgotten": (
        _fn(lambda n0, h, nm, N, s: s * N * sum(h), right_params),
        "your cache_bytes leaves out the input X",
    ),
    "every output, no input": (
        _fn(lambda n0, h, nm, N, s: s * N * (sum(h) + nm), right_params),
        "your cache_bytes counts every layer's output, the logits included, but not the input",
    ),
    "Z and A both kept": (
        _fn(lambda n0, h, nm, N, s: s * N * (n0 + 2 * sum(h)), right_params),
        "your cache_bytes counts each hidden layer twice, its Z and its A",
    ),
    "N left out": (
        _fn(lambda n0, h, nm, N, s: s * (n0 + sum(h)), right_params),
        "your cache_bytes is the memory for one sample",
    ),
    "itemsize left out": (
        _fn(lambda n0, h, nm, N, s: N * (n0 + sum(h)), lambda w, b, N, s: w + b),
        "your cache_bytes and param_bytes count numbers, not bytes",
    ),
    "itemsize left out in the params only": (
        _fn(right_cache, lambda w, b, N, s: w + b),
        "your param_bytes counts numbers, not bytes",
    ),
    "bits": (
        _fn(lambda *a: 8 * right_cache(*a), lambda *a: 8 * right_params(*a)),
        "your cache_bytes and param_bytes are in bits, 8 times too large",
    ),
    "bits in the cache only": (
        _fn(lambda *a: 8 * right_cache(*a), right_params),
        "your cache_bytes is in bits",
    ),
    "biases forgotten": (
        _fn(right_cache, lambda w, b, N, s: s * w),
        "your param_bytes counts the weights but not the biases",
    ),
    "params times N": (
        _fn(right_cache, lambda w, b, N, s: s * N * (w + b)),
        "your param_bytes grows with the batch size N",
    ),
    "swapped": (
        lambda w, N, s: training_memory_solution(w, N, s)[::-1],
        "your cache_bytes and param_bytes are swapped",
    ),
    "a dict": (
        lambda w, N, s: dict(
            zip(("cache", "params"), training_memory_solution(w, N, s), strict=True)
        ),
        "your function returned a dict; it must return a tuple (cache_bytes, param_bytes)",
    ),
    "a single number (the total)": (
        lambda w, N, s: sum(training_memory_solution(w, N, s)),
        "your function returned one number, an int",
    ),
    "a single numpy number": (
        lambda w, N, s: np.float64(sum(training_memory_solution(w, N, s))),
        "your function returned one number",
    ),
    "three values": (
        lambda w, N, s: (*training_memory_solution(w, N, s), 0),
        "your function returned 3 values",
    ),
    "a 2x2 array": (lambda w, N, s: np.ones((2, 2)), "your cache_bytes has shape (2,)"),
    "None": (lambda w, N, s: None, "is the return statement missing?"),
    "a string": (lambda w, N, s: "1 MB", "your function returned a str"),
}


@pytest.mark.parametrize(("fn", "phrase"), VARIANTS.values(), ids=list(VARIANTS))
def test_each_mistake_is_named(fn, phrase):
    assert_names_the_mistake(check_training_memory(fn), phrase)


def test_a_single_mistake_says_the_other_value_is_right():
    fb = check_training_memory(VARIANTS["biases forgotten"][0])
    assert "(cache_bytes is right.)" in fb.hint


def test_two_mistakes_are_both_named():
    fb = check_training_memory(
        _fn(lambda n0, h, nm, N, s: s * N * sum(h), lambda w, b, N, s: s * w)
    )
    assert "your cache_bytes leaves out the input X" in fb.hint
    assert "your param_bytes counts the weights but not the biases" in fb.hint


def test_a_stub_is_not_attempted():
    def stub(widths, N, itemsize):
        raise NotImplementedError

    fb = assert_not_attempted(check_training_memory(stub))
    assert "Key differences: forward vs backpropagation" in fb.hint


def test_an_unknown_value_gets_the_case():
    fb = check_training_memory(_fn(right_cache, lambda w, b, N, s: s * (w + b) + 1))
    assert not fb.passed and "your param_bytes" in fb.hint and "case" in fb.hint


def test_no_hidden_layer_failure_gets_advice():
    fb = check_training_memory(lambda w, N, s: (right_cache(w[0], w[1:-1], 0, N, s), max(w[1:-1])))
    assert "no hidden layer" in fb.hint and "ValueError" in fb.hint, fb.hint


def test_widths_used_as_an_array_gets_advice():
    fb = check_training_memory(lambda w, N, s: (w.sum() * N * s, 0))
    assert "widths is a plain Python list of ints" in fb.hint, fb.hint


def test_checker_never_raises_on_odd_learners():
    odd = [
        lambda w, N, s: (None, None),
        lambda w, N, s: ("a", "b"),
        lambda w, N, s: np.zeros((2, 2)),
        lambda w, N, s: (np.ones(3), 1),
        lambda w, N, s: w.shape,
        lambda w, N, s: (float("inf"), 1),
        lambda w, N, s: (float("nan"), 1),
        lambda w, N, s: iter([1, 2]),
    ]
    for fn in odd:
        fb = check_training_memory(fn)
        assert isinstance(fb, Feedback) and not fb.passed and fb.hint
    assert not check_training_memory(42).passed


def test_hints_do_not_give_the_formula_away():
    for name, (fn, _) in VARIANTS.items():
        hint = check_training_memory(fn).hint
        assert "sum(widths" not in hint and "n_0 +" not in hint, name
