"""Feedback and the shared runner: display, escaping, colours, and that no checker raises."""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import re

import numpy as np
import pytest

from nnlab import exercises as ex
from nnlab.exercises import _feedback
from nnlab.exercises._feedback import COLOURS, Case, Feedback, Wrong, as_array, unpack_tuple
from nnlab.exercises._runner import Exercise, run

from .checkers import (
    ARRAYS,
    CHECKERS,
    RETURNING,
    assert_names_the_mistake,
    assert_not_attempted,
    spoiled,
)


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# -- Feedback ---------------------------------------------------------------------------------


def test_feedback_is_a_frozen_dataclass():
    fb = Feedback(True, "all good", "Dense backward")
    assert dataclasses.is_dataclass(fb)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fb.passed = False


@pytest.mark.parametrize("passed", [True, False])
def test_feedback_text(passed):
    fb = Feedback(passed, "the hint", "Dense backward")
    mark = "\N{CHECK MARK}" if passed else "\N{BALLOT X}"
    assert str(fb) == repr(fb) == f"{mark} Dense backward \N{EM DASH} the hint"
    assert bool(fb) is passed
    assert str(Feedback(passed, "no title")) == f"{mark} no title"


def test_feedback_html_escapes_and_is_self_contained():
    fb = Feedback(False, "a <b> & 'c'\nsecond line", "x < y")
    html = fb._repr_html_()
    assert "&lt;b&gt; &amp;" in html and "x &lt; y" in html
    assert "<b>" not in html
    assert "second line" in html and "<br>" in html
    for forbidden in ("http", "url(", "<script", "<img", "<link", "@import"):
        assert forbidden not in html
    assert 'role="status"' in html
    assert "not yet" in html and "passed" in Feedback(True, "ok")._repr_html_()


@pytest.mark.parametrize("passed", [True, False])
def test_colours_meet_wcag_aa(passed):
    c = COLOURS[passed]
    assert contrast(c["text"], c["background"]) >= 7.0  # AAA, so AA with room to spare
    assert contrast(c["border"], c["background"]) >= 3.0  # non-text contrast
    html = Feedback(passed, "hint")._repr_html_()
    assert c["text"] in html and c["background"] in html


def test_a_checker_hint_with_a_less_than_sign_is_escaped():
    fb = ex.check_activation_backward(lambda Z, dA: dA * (Z > -1e-9), "relu")
    assert "z < 0" in fb.hint
    assert "z &lt; 0" in fb._repr_html_()


# -- helpers ------------------------------------------------------------------------------------


def test_as_array_and_unpack_tuple_speak_the_learners_terms():
    with pytest.raises(Wrong, match="your db is a str, not an array of real numbers"):
        as_array("abc", "db")
    with pytest.raises(Wrong, match="your loss is None"):
        as_array(None, "loss")
    assert as_array([[1.5]], "loss", scalar=True).shape == ()
    with pytest.raises(Wrong, match=r"returned None; it must return \(dW, db\)"):
        unpack_tuple(None, ("dW", "db"))
    with pytest.raises(Wrong, match="returned 3 values"):
        unpack_tuple((1, 2, 3), ("dW", "db"))
    with pytest.raises(Wrong, match="returned an int"):
        unpack_tuple(3, ("dW", "db"))
    case = Case("a batch of 2", {"X": np.zeros((2, 3)), "lr": 0.1, "f": len})
    assert case.describe() == "'a batch of 2' (X (2, 3), lr=0.1)"


def test_a_bug_in_a_checker_is_reported_not_raised():
    def broken_reference(x):
        raise RuntimeError("boom")

    spec = Exercise(
        title="Broken",
        todo="implement it.",
        cases=[Case("one", {"x": np.ones(2)})],
        components={"y": "have the shape of x, {want}"},
        unpack=lambda out: {"y": as_array(out, "y")},
        reference=broken_reference,
        passed="fine",
    )
    fb = run(lambda x: x, spec)
    assert not fb.passed
    assert "checker itself failed (RuntimeError: boom)" in fb.hint
    assert "not in your code" in fb.hint


# -- every checker ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHECKERS)
def test_reference_solution_passes(name):
    check, solution = CHECKERS[name]
    fb = check(solution)
    assert fb.passed, fb.hint
    assert re.search(r"on \d (cases|graphs|curved functions)", fb.hint)  # says what was checked
    assert fb._repr_html_().count("\N{CHECK MARK}") == 1


@pytest.mark.parametrize("name", CHECKERS)
def test_stub_is_not_attempted_yet(name):
    def stub(*args):
        raise NotImplementedError

    check, _ = CHECKERS[name]
    fb = assert_not_attempted(check(stub))
    # A stub is an open exercise, not a failure: a neutral "your turn" box, no red cross.
    html = fb._repr_html_()
    assert "your turn" in html and "\N{BALLOT X}" not in html and "#c0392b" not in html
    assert str(fb).startswith("\N{LOWER RIGHT PENCIL}")


def test_a_wrong_attempt_is_still_marked_wrong():
    def wrong(X, W, b, dZ):
        return dZ.T @ X, dZ.sum(axis=0), dZ @ W.T

    fb = CHECKERS["dense"][0](wrong)
    assert fb.attempted and not fb.passed
    assert "\N{BALLOT X}" in fb._repr_html_() and "not yet" in fb._repr_html_()


@pytest.mark.parametrize("name", CHECKERS)
def test_not_a_function(name):
    check, _ = CHECKERS[name]
    fb = check(42)
    assert not fb.passed
    assert "got an int: pass the function itself" in fb.hint


def _zero_division(*args):
    return 1 / 0


BAD = {
    "raises ZeroDivisionError": (_zero_division, ["ZeroDivisionError: division by zero", "case"]),
    "wrong number of arguments": (lambda a, b, c, d, e, f, g: None, ["TypeError", "case"]),
}


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("name", CHECKERS)
def test_exceptions_are_reported_with_the_case(name, bad):
    check, _ = CHECKERS[name]
    fn, phrases = BAD[bad]
    fb = check(fn)
    assert not fb.passed
    for phrase in phrases:
        assert phrase in fb.hint
    assert re.search(r"'[^']+'", fb.hint)  # the case's label, quoted


RETURNS = {
    "None": (lambda *args: None, "None"),
    "a string": (lambda *args: "abc", "str"),
    "an object": (lambda *args: object(), "object"),
}


@pytest.mark.parametrize("bad", RETURNS)
@pytest.mark.parametrize("name", RETURNING)
def test_wrong_return_types_are_named(name, bad):
    check, _ = CHECKERS[name]
    fn, phrase = RETURNS[bad]
    fb = assert_names_the_mistake(check(fn), phrase)
    assert "on the case" in fb.hint


@pytest.mark.parametrize("name", ARRAYS)
def test_nan_outputs_are_named(name):
    check, solution = CHECKERS[name]
    fb = check(spoiled(solution, lambda a: np.full(a.shape, np.nan)))
    assert not fb.passed
    assert "contains nan" in fb.hint


@pytest.mark.parametrize("name", ARRAYS)
def test_wrong_shapes_are_named(name):
    check, solution = CHECKERS[name]
    fb = check(spoiled(solution, lambda a: np.stack([a, a])))
    assert not fb.passed
    # a list of indices (the Pareto front) is spoiled entry by entry: (n, 2) instead of (n,)
    assert re.search(r"shape \((2|\d+, 2)", fb.hint), fb.hint


def _first_array(args):
    return next(a for a in args if isinstance(a, np.ndarray))


@pytest.mark.parametrize(
    "name", ["dense", "softmax", "tanh", "network", "sgd", "numgrad", "conv2d_dW"]
)
def test_inputs_changed_in_place_are_reported(name):
    check, solution = CHECKERS[name]

    def mutating(*args):
        out = solution(*args)
        _first_array(args)[...] = 7.0
        return out

    fb = check(mutating)
    assert not fb.passed
    assert "changed" in fb.hint


@pytest.mark.parametrize("name", CHECKERS)
def test_checkers_never_raise_on_odd_learners(name):
    check, _ = CHECKERS[name]
    odd = [
        lambda *a: (_ for _ in ()).throw(KeyError("k")),
        lambda *a: [np.nan] * 3,
        lambda *a: np.inf,
        lambda *a: {"W1": "x"},
        lambda *a: (1j, 2j, 3j),
        lambda *a: [[1, 2], [3]],
    ]
    for fn in odd:
        fb = check(fn)
        assert isinstance(fb, Feedback) and not fb.passed
        assert fb.hint


@pytest.mark.parametrize(
    "module",
    [
        "",
        "._feedback",
        ".dense",
        ".softmax",
        ".activations",
        ".network",
        ".optim",
        ".numgrad",
        ".value",
        ".conv",
    ],
)
def test_docstring_examples_run(module):
    mod = importlib.import_module("nnlab.exercises" + module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_api():
    assert set(ex.__all__) == {n for n in dir(ex) if n.startswith("check_")} | {
        "Feedback",
        "EPS_CHOICES",
    }
    assert ex.Feedback is _feedback.Feedback
    assert not any(n.endswith("_solution") for n in dir(ex))
