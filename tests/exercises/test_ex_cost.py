"""check_dense_flops: the reference agrees with nnlab.Dense.flops, and each mistake is named."""

from __future__ import annotations

import numpy as np
import pytest

import nnlab
from nnlab import Dense
from nnlab import exercises as ex
from nnlab.exercises import cost
from nnlab.exercises._feedback import Feedback
from nnlab.exercises.cost import _cases, dense_flops_solution

from .checkers import (
    assert_docstring_examples_run,
    assert_exports_checker_not_solution,
    assert_names_the_mistake,
)


def test_docstring_examples_run():
    assert_docstring_examples_run(cost)


def test_solution_is_not_re_exported():
    assert_exports_checker_not_solution("check_dense_flops", "dense_flops_solution")


def _sizes():
    rng = np.random.default_rng(9)
    sizes = [tuple(c.args.values()) for c in _cases()]
    sizes += [tuple(int(k) for k in rng.integers(1, 300, size=3)) for _ in range(20)]
    return sizes


def test_solution_agrees_with_nnlab_dense_flops():
    for N, n_in, n_out in _sizes():
        f = Dense(n_in, n_out).flops(N)
        forward, backward = dense_flops_solution(N, n_in, n_out)
        assert forward == f["forward"]
        assert backward == f["backward_dW"] + f["backward_dX"]
        assert isinstance(forward, int) and isinstance(backward, int)


def test_solution_agrees_with_nnlab_flops_of_a_network():
    net = nnlab.Sequential([Dense(7, 5)])
    (row,) = nnlab.flops(net, 12, input_grad=True)
    assert (row["forward"], row["backward"]) == dense_flops_solution(12, 7, 5)


def test_cases_have_distinct_sizes_and_a_batch_of_one():
    sizes = [tuple(c.args.values()) for c in _cases()]
    assert any(N == 1 for N, _, _ in sizes)
    for N, n_in, n_out in sizes:
        assert n_in != n_out
        assert N == 1 or len({N, n_in, n_out}) == 3
    for name in ("N", "n_in", "n_out"):  # each size varies from case to case
        assert len({c.args[name] for c in _cases()}) == len(sizes)


def test_passing_feedback_says_what_was_checked():
    fb = ex.check_dense_flops(dense_flops_solution)
    assert fb.passed
    assert "match nnlab's Dense.flops on 4 cases" in fb.hint


ACCEPTED = {
    "a list": lambda N, i, o: list(dense_flops_solution(N, i, o)),
    "floats": lambda N, i, o: (2.0 * N * i * o + N * o, 4.0 * N * i * o + N * o),
    "numpy ints": lambda N, i, o: tuple(np.int64(v) for v in dense_flops_solution(N, i, o)),
    "a numpy array of two": lambda N, i, o: np.array(dense_flops_solution(N, i, o)),
    "nnlab's own Dense.flops": lambda N, i, o: (
        Dense(i, o).flops(N)["forward"],
        Dense(i, o).flops(N)["backward_dW"] + Dense(i, o).flops(N)["backward_dX"],
    ),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_other_correct_solutions_pass(name):
    fb = ex.check_dense_flops(ACCEPTED[name])
    assert fb.passed, fb.hint


VARIANTS = {
    "multiply-add as 1 FLOP": (
        lambda N, i, o: (N * i * o + N * o, 2 * N * i * o + N * o),
        "your forward and backward count each multiply-add of the matrix products as 1 FLOP",
    ),
    "multiply-add as 1 FLOP in the forward only": (
        lambda N, i, o: (N * i * o + N * o, 4 * N * i * o + N * o),
        "your forward counts each multiply-add of the matrix products as 1 FLOP",
    ),
    "bias forgotten": (
        lambda N, i, o: (2 * N * i * o, 4 * N * i * o + N * o),
        "your forward counts the matrix product only",
    ),
    "db forgotten": (
        lambda N, i, o: (2 * N * i * o + N * o, 4 * N * i * o),
        "your backward counts the two matrix products but not db",
    ),
    "dX forgotten (backward = forward)": (
        lambda N, i, o: (2 * N * i * o + N * o, 2 * N * i * o + N * o),
        "your backward counts as much as the forward: it has dW and db but not dX",
    ),
    "backward exactly 2x forward": (
        lambda N, i, o: (2 * N * i * o + N * o, 2 * (2 * N * i * o + N * o)),
        "your backward is exactly twice the forward, bias term included",
    ),
    "N left out (per-sample counts)": (
        lambda N, i, o: (2 * i * o + o, 4 * i * o + o),
        "your forward and backward are the count for one sample",
    ),
    "forward and backward swapped": (
        lambda N, i, o: (4 * N * i * o + N * o, 2 * N * i * o + N * o),
        "your forward and backward are swapped",
    ),
    "a dict": (
        lambda N, i, o: {"forward": 2 * N * i * o + N * o, "backward": 4 * N * i * o + N * o},
        "your function returned a dict; it must return a tuple (forward, backward)",
    ),
    "nnlab's dict": (
        lambda N, i, o: Dense(i, o).flops(N),
        "nnlab's Dense.flops returns a dict with backward split in two",
    ),
    "a single number": (
        lambda N, i, o: 6 * N * i * o + 2 * N * o,
        "your function returned one number, an int",
    ),
    "a single numpy number": (
        lambda N, i, o: np.float64(6 * N * i * o),
        "your function returned one number",
    ),
    "a 2x2 array": (
        lambda N, i, o: np.zeros((2, 2)),
        "your function returned an array of shape (2, 2)",
    ),
    "three values (dW, db and dX apart)": (
        lambda N, i, o: (2 * N * i * o + N * o, 2 * N * i * o + N * o, 2 * N * i * o),
        "your function returned 3 values",
    ),
}


@pytest.mark.parametrize(("fn", "phrase"), VARIANTS.values(), ids=list(VARIANTS))
def test_each_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_dense_flops(fn), phrase)


def test_a_single_mistake_says_the_other_count_is_right():
    fb = ex.check_dense_flops(VARIANTS["db forgotten"][0])
    assert "(forward is right.)" in fb.hint


def test_two_mistakes_are_both_named():
    fb = ex.check_dense_flops(lambda N, i, o: (2 * N * i * o, 4 * N * i * o))
    assert "your forward counts the matrix product only" in fb.hint
    assert "your backward counts the two matrix products but not db" in fb.hint


def test_an_unknown_count_gets_the_case():
    fb = ex.check_dense_flops(lambda N, i, o: (2 * N * i * o + N * o, 3 * N * i * o))
    assert not fb.passed and "your backward" in fb.hint and "case" in fb.hint


def test_hints_do_not_give_the_formula_away():
    for name, (fn, _) in VARIANTS.items():
        hint = ex.check_dense_flops(fn).hint
        assert "4 N n_in n_out" not in hint and "2 N n_in n_out" not in hint, name


def test_checker_never_raises_on_odd_learners():
    odd = [
        lambda N, i, o: (None, None),
        lambda N, i, o: ("a", "b"),
        lambda N, i, o: np.zeros((2, 2)),
        lambda N, i, o: (np.ones(3), 1),
        lambda N, i, o: N.shape,
        lambda N, i, o: (float("inf"), 1),
        lambda N, i, o: iter([1, 2]),
    ]
    for fn in odd:
        fb = ex.check_dense_flops(fn)
        assert isinstance(fb, Feedback) and not fb.passed and fb.hint


def test_sizes_used_as_arrays_get_advice():
    fb = ex.check_dense_flops(lambda N, i, o: (N.shape[0], 0))
    assert "N, n_in and n_out are ints" in fb.hint
