"""check_clip_grad_norm: the reference agrees with nnlab.clip_grad_norm, mistakes are named."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnlab
from nnlab import exercises as ex
from nnlab.exercises import clipping
from nnlab.exercises.clipping import _clip_cases, clip_grad_norm_solution

from .checkers import (
    assert_docstring_examples_run,
    assert_exports_checker_not_solution,
    assert_names_the_mistake,
)


def test_docstring_examples_run():
    assert_docstring_examples_run(clipping)


def test_solution_is_not_re_exported():
    assert_exports_checker_not_solution("check_clip_grad_norm", "clip_grad_norm_solution")


def _nnlab_clipped(grads, max_norm):
    copies = [g.copy() for g in grads]
    nnlab.clip_grad_norm(copies, max_norm)
    return copies


def _assert_same(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=0)


def test_clip_solution_agrees_with_nnlab_clip_grad_norm_and_leaves_inputs_alone():
    rng = np.random.default_rng(7)
    cases = [(c.args["grads"], c.args["max_norm"]) for c in _clip_cases()]
    for _ in range(20):
        shapes = [tuple(rng.integers(1, 5, size=rng.integers(0, 4))) for _ in range(3)]
        scale = 10 ** rng.uniform(-3, 3)
        cases.append(([np.asarray(scale * rng.normal(size=s)) for s in shapes], 1.0))
    for grads, max_norm in cases:
        before = [g.copy() for g in grads]
        _assert_same(clip_grad_norm_solution(grads, max_norm), _nnlab_clipped(grads, max_norm))
        _assert_same(grads, before)


def test_clip_reference_scales_to_max_norm_exactly_when_above():
    for case in _clip_cases():
        grads, max_norm = case.args["grads"], case.args["max_norm"]
        before = nnlab.grad_norm(grads)
        after = nnlab.grad_norm(clip_grad_norm_solution(grads, max_norm))
        assert after == pytest.approx(min(before, max_norm), rel=1e-12)


def test_clip_cases_cover_above_below_equal_single_several_and_zero():
    norms = [(nnlab.grad_norm(c.args["grads"]), c.args["max_norm"]) for c in _clip_cases()]
    assert any(n > c for n, c in norms) and any(0 < n < c for n, c in norms)
    assert any(n == c for n, c in norms) and any(n == 0 for n, _ in norms)
    counts = [len(c.args["grads"]) for c in _clip_cases()]
    assert 1 in counts and max(counts) >= 3
    shapes = {g.shape for c in _clip_cases() for g in c.args["grads"]}
    assert len({len(s) for s in shapes}) >= 3  # 1-d, 2-d and 3-d arrays


def test_clip_passing_feedback_says_what_was_checked():
    fb = ex.check_clip_grad_norm(clip_grad_norm_solution)
    assert fb.passed
    assert "match nnlab.clip_grad_norm on 6 cases" in fb.hint


def _norm(grads):
    return np.sqrt(sum(np.sum(g * g) for g in grads))


def _math_norm(grads):
    return math.sqrt(sum(float(np.sum(g * g)) for g in grads))


def _returns_inputs_when_short(grads, max_norm):
    norm = _norm(grads)
    return grads if norm <= max_norm else [g * (max_norm / norm) for g in grads]


CLIP_ACCEPTED = {
    "the caller's arrays back when nothing is clipped": _returns_inputs_when_short,
    "nnlab.clip_grad_norm on copies": _nnlab_clipped,
    "np.minimum(1, max_norm / norm) with a numpy norm": lambda gs, c: [
        g * np.minimum(1.0, c / _norm(gs)) for g in gs
    ],
    "a tuple of arrays": lambda gs, c: tuple(clip_grad_norm_solution(gs, c)),
}


@pytest.mark.parametrize("name", CLIP_ACCEPTED)
def test_other_correct_clippings_pass(name):
    fb = ex.check_clip_grad_norm(CLIP_ACCEPTED[name])
    assert fb.passed, fb.hint


def _in_place(grads, max_norm):
    norm = _norm(grads)
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return grads


def _replaces_list_entries(grads, max_norm):
    scale = min(1.0, max_norm / max(_norm(grads), 1e-300))
    for i, g in enumerate(grads):
        grads[i] = g * scale
    return grads


def _by_sum_of_squares(gs, c):
    total = sum(np.sum(g * g) for g in gs)
    return [g * (c / total) if total > c else g.copy() for g in gs]


CLIP_VARIANTS = {
    "per-tensor": (
        lambda gs, c: [g * min(1.0, c / max(np.linalg.norm(g), 1e-300)) for g in gs],
        "clips each array by its own norm (per-tensor) instead of the global norm",
    ),
    "per-tensor, nan at zero": (
        lambda gs, c: [g * min(1.0, c / np.linalg.norm(g)) for g in gs],
        "clips each array by its own norm",
    ),
    "element-wise np.clip": (
        lambda gs, c: [np.clip(g, -c, c) for g in gs],
        "clips element-wise (each value to [-max_norm, max_norm], as np.clip does)",
    ),
    "always scaling": (
        lambda gs, c: [g * (c / _norm(gs)) for g in gs],
        "also when the norm is below max_norm (it then scales them up)",
    ),
    "max(1, ...)": (
        lambda gs, c: [g * max(1.0, c / _norm(gs)) for g in gs],
        "is min(1, ...) written as max(1, ...)?",
    ),
    "squared norm": (_by_sum_of_squares, "the square root is missing"),
    "L1 norm": (
        lambda gs, c: [g * min(1.0, c / sum(np.abs(h).sum() for h in gs)) for g in gs],
        "with the L1 norm",
    ),
    "max-abs": (
        lambda gs, c: [g * min(1.0, c / max(np.abs(h).max() for h in gs)) for g in gs],
        "by their largest absolute value",
    ),
    "inverted ratio": (
        lambda gs, c: [g * max(1.0, _norm(gs) / c) for g in gs],
        "scales by norm / max_norm, the inverted ratio",
    ),
    "never clipped": (lambda gs, c: [g.copy() for g in gs], "returns the gradients unchanged"),
    "nan for all-zero gradients": (
        lambda gs, c: [g / _norm(gs) * min(_norm(gs), c) for g in gs],
        "the global norm is 0 there",
    ),
    "ZeroDivisionError for all-zero gradients": (
        lambda gs, c: [g * min(1.0, c / _math_norm(gs)) for g in gs],
        "The global norm is 0 here (all gradients are 0)",
    ),
    "in place": (_in_place, "changed the caller's grads[0] and grads[1] in place"),
    "the caller's list changed": (_replaces_list_entries, "changed the caller's list grads"),
    "(norm, grads) as nnlab returns": (
        lambda gs, c: (_norm(gs), clip_grad_norm_solution(gs, c)),
        "nnlab.clip_grad_norm returns the norm",
    ),
    "one concatenated array": (
        lambda gs, c: np.concatenate([g.ravel() for g in clip_grad_norm_solution(gs, c)]),
        "returned one array of shape (16,)",
    ),
    "a generator": (lambda gs, c: (g for g in gs), "returned a generator"),
    "arithmetic on the list": (lambda gs, c: gs * 0.5, "grads is a Python list of arrays"),
    "stacking arrays of different shapes": (
        lambda gs, c: [g * min(1.0, c / np.linalg.norm(np.array(gs))) for g in gs],
        "cannot stack into one array",
    ),
}


@pytest.mark.parametrize(("fn", "phrase"), CLIP_VARIANTS.values(), ids=list(CLIP_VARIANTS))
def test_each_clip_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_clip_grad_norm(fn), phrase)


def test_a_correct_clipping_with_nan_at_zero_is_told_it_is_right_elsewhere():
    fb = ex.check_clip_grad_norm(CLIP_VARIANTS["nan for all-zero gradients"][0])
    assert fb.hint.count("\n") == 0  # the one problem, not also a generic nan message
    assert "'all-zero gradients'" in fb.hint


def test_always_scaling_also_reports_the_nan_at_zero():
    fb = ex.check_clip_grad_norm(CLIP_VARIANTS["always scaling"][0])
    assert "also contains nan on the case 'all-zero gradients'" in fb.hint


def test_a_wrong_shape_names_the_gradient():
    fb = ex.check_clip_grad_norm(lambda gs, c: [g.ravel() for g in gs])
    assert "your output[0] has shape (12,); it must have the shape of grads[0], (3, 4)" in fb.hint


def test_clip_stub_and_checkers_never_raise():
    def stub(grads, max_norm):
        raise NotImplementedError

    assert ex.check_clip_grad_norm(stub).hint.startswith("not attempted yet: implement fn(grads")
    for fn in (None, "f", lambda: 0, lambda *a: [None], lambda *a: [[object()]]):
        fb = ex.check_clip_grad_norm(fn)
        assert not fb.passed and fb.hint
