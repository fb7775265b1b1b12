"""check_he_init: the reference agrees with nnlab.init.he in distribution, mistakes are named."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import exercises as ex
from nnlab import init
from nnlab.exercises import initialization
from nnlab.exercises.initialization import HE_CASES, he_init_solution

from .checkers import (
    assert_docstring_examples_run,
    assert_exports_checker_not_solution,
    assert_names_the_mistake,
)

sqrt = np.sqrt


def test_docstring_examples_run():
    assert_docstring_examples_run(initialization)


def test_solution_is_not_re_exported():
    assert_exports_checker_not_solution("check_he_init", "he_init_solution")


def test_he_solution_agrees_in_distribution_with_nnlab_init_he():
    for _, n_in, n_out, seed in HE_CASES:
        mine = he_init_solution(n_in, n_out, np.random.default_rng(seed))
        theirs = init.he(n_in, n_out, np.random.default_rng(seed + 1))
        assert mine.shape == theirs.shape == (n_in, n_out)
        n = mine.size
        for W in (mine, theirs):  # both within 6 standard errors of N(0, 2 / n_in)
            assert abs(W.mean()) < 6 * sqrt(2 / n_in / n)
            assert abs(W.var() - 2 / n_in) < 6 * (2 / n_in) * sqrt(2 / n)
        assert abs(mine.var() - theirs.var()) < 6 * (2 / n_in) * sqrt(4 / n)
    assert ex.check_he_init(init.he).passed


def test_he_checker_is_deterministic_and_says_what_it_checked():
    first, second = ex.check_he_init(he_init_solution), ex.check_he_init(he_init_solution)
    assert first.passed and first.hint == second.hint
    assert "variance 2/n_in (within 6 standard errors) on 4 cases" in first.hint


def test_he_cases_include_both_kinds_of_non_square_layer_and_large_samples():
    shapes = [(n_in, n_out) for _, n_in, n_out, _ in HE_CASES]
    assert any(a > b for a, b in shapes) and any(a < b for a, b in shapes)
    assert any(a == b for a, b in shapes)
    assert min(a * b for a, b in shapes) >= 100_000


def _two_point(n_in, n_out, rng):
    return sqrt(2 / n_in) * rng.choice([-1.0, 1.0], size=(n_in, n_out))


ACCEPTED = {
    "rng.normal": he_init_solution,
    "standard_normal times the std": lambda a, b, r: r.standard_normal((a, b)) * sqrt(2 / a),
    "drawn transposed, returned transposed back": lambda a, b, r: (
        r.normal(0, sqrt(2 / a), (b, a)).T
    ),
    "uniform with variance 2/n_in": lambda a, b, r: r.uniform(-sqrt(6 / a), sqrt(6 / a), (a, b)),
    "+-sqrt(2/n_in) at random": _two_point,
    "float32": lambda a, b, r: r.normal(0, sqrt(2 / a), (a, b)).astype(np.float32),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_other_correct_he_initializations_pass(name):
    fb = ex.check_he_init(ACCEPTED[name])
    assert fb.passed, fb.hint


def _same_columns(n_in, n_out, rng):
    return np.tile(rng.normal(0, sqrt(2 / n_in), (n_in, 1)), (1, n_out))


HE_VARIANTS = {
    "fan-out": (lambda a, b, r: r.normal(0, sqrt(2 / b), (a, b)), "your W's variance is 2/n_out"),
    "Xavier": (init.xavier, "that is Xavier (Glorot) initialization"),
    "LeCun": (lambda a, b, r: r.normal(0, sqrt(1 / a), (a, b)), "that is LeCun initialization"),
    "std = 2/n_in": (
        lambda a, b, r: r.normal(0, 2 / a, (a, b)),
        "the second argument of rng.normal (scale) is the standard deviation, not the variance",
    ),
    "variance = sqrt(2/n_in)": (
        lambda a, b, r: r.normal(0, (2 / a) ** 0.25, (a, b)),
        "variance and standard deviation are swapped",
    ),
    "transposed": (
        lambda a, b, r: r.normal(0, sqrt(2 / a), (b, a)),
        "that is (n_out, n_in), the transpose",
    ),
    "uniform with the std as bound": (
        lambda a, b, r: r.uniform(-sqrt(2 / a), sqrt(2 / a), (a, b)),
        "uniform with the normal's std as bound: variance is a third",
    ),
    "np.random.default_rng()": (
        lambda a, b, r: np.random.default_rng().normal(0, sqrt(2 / a), (a, b)),
        "use the rng argument so results are reproducible",
    ),
    "np.random.randn": (
        lambda a, b, r: np.random.randn(a, b) * sqrt(2 / a),  # noqa: NPY002 (the mistake)
        "use the rng argument so results are reproducible",
    ),
    "a fixed seed of its own": (
        lambda a, b, r: np.random.default_rng(0).normal(0, sqrt(2 / a), (a, b)),
        "your weights do not depend on rng",
    ),
    "zeros": (init.zeros, "your W is all zeros"),
    "a constant": (lambda a, b, r: np.full((a, b), sqrt(2 / a)), "the same value"),
    "identical columns": (_same_columns, "every column of your W is the same"),
    "PyTorch's default uniform": (
        lambda a, b, r: r.uniform(-1 / sqrt(a), 1 / sqrt(a), (a, b)),
        "PyTorch's default for its Linear layers",
    ),
    "unscaled standard normal": (
        lambda a, b, r: r.standard_normal((a, b)),
        "that is a standard normal, not yet scaled",
    ),
    "a fixed small std (nnlab.init.normal)": (init.normal, "on every layer, whatever its size"),
    "only positive weights (rng.random)": (
        lambda a, b, r: r.random((a, b)) * sqrt(6 / a),
        "all your weights are >= 0",
    ),
    "a shifted mean": (
        lambda a, b, r: r.normal(0.05, sqrt(2 / a), (a, b)),
        "your W's mean is",
    ),
    "a constant factor": (
        lambda a, b, r: r.normal(0, 2 / sqrt(a), (a, b)),
        "about 2 times 2/n_in on every case",
    ),
    "a variance of another form": (
        lambda a, b, r: r.normal(0, sqrt(2 / (a * b)), (a, b)),
        "Which of n_in and n_out does your variance depend on",
    ),
    "rng.randn": (lambda a, b, r: r.randn(a, b), "randn and rand belong to the legacy"),
    "the shape as two arguments": (
        lambda a, b, r: r.normal(0, sqrt(2 / a), a, b),
        "takes the whole shape as one tuple",
    ),
}


@pytest.mark.parametrize(("fn", "phrase"), HE_VARIANTS.values(), ids=list(HE_VARIANTS))
def test_each_he_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_he_init(fn), phrase)


@pytest.mark.parametrize("variant", ["zeros", "a constant", "identical columns"])
def test_symmetric_weights_name_the_symmetry(variant):
    fb = ex.check_he_init(HE_VARIANTS[variant][0])
    assert "every unit would stay identical" in fb.hint


def test_fan_in_and_fan_out_are_told_apart_only_on_non_square_layers():
    fb = ex.check_he_init(HE_VARIANTS["fan-out"][0])
    assert "fan-in" in fb.hint and "Xavier" not in fb.hint


def test_two_he_mistakes_are_both_named():
    fb = ex.check_he_init(lambda a, b, r: np.random.randn(b, a) * sqrt(1 / a))  # noqa: NPY002
    assert "the transpose" in fb.hint
    assert "use the rng argument so results are reproducible" in fb.hint
    assert "LeCun" in fb.hint


def test_he_stub_and_odd_returns():
    def stub(n_in, n_out, rng):
        raise NotImplementedError

    assert ex.check_he_init(stub).hint.startswith("not attempted yet: implement fn(n_in, n_out")
    fb = ex.check_he_init(lambda a, b, r: (r.normal(size=(a, b)), np.zeros(b)))
    assert "return W alone" in fb.hint
    fb = ex.check_he_init(lambda a, b, r: r.normal(size=(a, b, 1)))
    assert "must have shape (n_in, n_out) = (512, 256)" in fb.hint


def test_he_checker_never_raises():
    for fn in (None, "f", lambda: 0, lambda *a: [None], lambda *a: [[object()]]):
        fb = ex.check_he_init(fn)
        assert not fb.passed and fb.hint
