"""check_attention_backward: the reference agrees with nnlab.MultiHeadAttention, torch autograd
and finite differences, and each usual mistake is named."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest

from nnlab import MultiHeadAttention
from nnlab import exercises as ex
from nnlab.exercises import attention
from nnlab.exercises.attention import (
    _cases,
    _reference,
    attention_backward_solution,
    check_attention_backward,
)

from .checkers import (
    assert_docstring_examples_run,
    assert_exports_checker_not_solution,
    assert_names_the_mistake,
    assert_not_attempted,
)

NAMES = ("dQ", "dK", "dV")


def test_docstring_examples_run():
    assert_docstring_examples_run(attention)


@pytest.mark.skipif(
    "check_attention_backward" not in ex.__all__,
    reason="export pending: nnlab/exercises/__init__.py does not import check_attention_backward "
    "yet (its owner adds it)",
)
def test_solution_is_not_re_exported():
    assert_exports_checker_not_solution("check_attention_backward", "attention_backward_solution")


def test_module_stays_short():
    assert len(Path(attention.__file__).read_text(encoding="utf-8").splitlines()) < 400


# -- the reference ---------------------------------------------------------------------------


def forward(Q, K, V):
    S = Q @ K.T / np.sqrt(Q.shape[1])
    E = np.exp(S - S.max(axis=1, keepdims=True))
    return (E / E.sum(axis=1, keepdims=True)) @ V


def test_solution_matches_the_checkers_multihead_reference_on_every_case():
    for case in _cases():
        want = _reference(*case.copies())
        got = attention_backward_solution(*case.copies())
        for name, g in zip(NAMES, got, strict=True):
            np.testing.assert_allclose(g, want[name], rtol=1e-12, atol=1e-12 * np.abs(g).max())


@pytest.mark.parametrize(("T", "d"), [(5, 4), (1, 3), (3, 6)])
def test_solution_matches_a_one_head_multihead_attention_layer(T, d):
    # A plain one-head layer with random weights: Q = X W_q + b_q (likewise K, V), and
    # dO = dZ W_o^T; its gradients are dense-layer products of the solution's dQ, dK, dV.
    rng = np.random.default_rng(7)
    layer = MultiHeadAttention(d, 1, rng=1)
    for name in ("b_q", "b_k", "b_v", "b_o"):
        setattr(layer, name, rng.normal(size=d))
    X, dZ = rng.normal(size=(1, T, d)), rng.normal(size=(1, T, d))
    layer.forward(X)
    dX = layer.backward(dZ)[0]
    Q, K, V = (X[0] @ getattr(layer, f"W_{c}") + getattr(layer, f"b_{c}") for c in "qkv")
    dQ, dK, dV = attention_backward_solution(Q, K, V, dZ[0] @ layer.W_o.T)
    np.testing.assert_allclose(layer.dW_q, X[0].T @ dQ, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(layer.dW_k, X[0].T @ dK, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(layer.dW_v, X[0].T @ dV, rtol=1e-10, atol=1e-13)
    want = dQ @ layer.W_q.T + dK @ layer.W_k.T + dV @ layer.W_v.T
    np.testing.assert_allclose(dX, want, rtol=1e-10, atol=1e-13)


def test_solution_matches_torch_autograd_on_every_case():
    torch = pytest.importorskip("torch")
    for case in _cases():
        Q, K, V, dO = (
            torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in case.args.values()
        )
        d = Q.shape[1]
        out = torch.softmax(Q @ K.T / d**0.5, -1) @ V
        out.backward(dO.detach())
        got = attention_backward_solution(*case.copies())
        # to 1e-12 of each gradient's largest entry: scores near ±1000 carry an absolute
        # rounding of about 1e-13, so an entry-wise relative error means little there
        for g, t in zip(got, (Q.grad, K.grad, V.grad), strict=True):
            want = t.numpy()
            assert np.abs(g - want).max() <= 1e-12 * np.abs(want).max(), case.label


def test_solution_matches_finite_differences_of_a_weighted_sum_of_the_output():
    # L = sum(O * R) has dL/dO = R: central differences of L against the solution.
    eps = 1e-6
    for case in _cases():
        if case.meta.get("large"):
            continue
        args = case.copies()
        R = args[3]
        got = attention_backward_solution(*args)
        for k, name in enumerate(NAMES):
            A = args[k]
            num = np.zeros_like(A)
            for idx in np.ndindex(A.shape):
                old = A[idx]
                A[idx] = old + eps
                up = np.sum(forward(*args[:3]) * R)
                A[idx] = old - eps
                down = np.sum(forward(*args[:3]) * R)
                A[idx] = old
                num[idx] = (up - down) / (2 * eps)
            np.testing.assert_allclose(got[k], num, rtol=1e-6, atol=1e-8, err_msg=name)


def test_solution_leaves_its_inputs_unchanged():
    for case in _cases():
        before = case.copies()
        attention_backward_solution(*case.args.values())
        for b, a in zip(before, case.args.values(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_cases_cover_one_step_t_above_and_below_d_and_overflowing_scores():
    cases = _cases()
    shapes = [c.args["Q"].shape for c in cases]
    assert all(c.args[n].shape == c.args["Q"].shape for c in cases for n in ("K", "V", "dO"))
    assert any(T == 1 for T, _ in shapes)
    assert any(T > d for T, d in shapes) and any(1 < T < d for T, d in shapes)
    assert all(T != d for T, d in shapes)  # a transposed (T, d) array always shows in shape
    large = [c for c in cases if c.meta.get("large")]
    assert len(large) == 1
    Q, K = large[0].args["Q"], large[0].args["K"]
    S = Q @ K.T / np.sqrt(Q.shape[1])
    assert S.max() > 710 and S.min() < -750  # exp overflows to inf and underflows to 0
    with np.errstate(all="ignore"):
        E = np.exp(S)
        assert np.isnan(E / E.sum(axis=1, keepdims=True)).any()
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    assert P.max() < 0.99  # rows stay spread out: the case still tells mistakes apart


# -- the checker -----------------------------------------------------------------------------


def test_passing_feedback_says_what_was_checked():
    fb = check_attention_backward(attention_backward_solution)
    assert fb.passed and fb.attempted
    assert "dQ, dK and dV match one head of nnlab's MultiHeadAttention on 5 cases" in fb.hint
    assert "T = 1" in fb.hint and "±1000" in fb.hint


def test_stub_is_not_attempted_yet():
    def stub(Q, K, V, dO):
        raise NotImplementedError

    fb = assert_not_attempted(check_attention_backward(stub))
    assert fb.hint.startswith("not attempted yet: implement fn(Q, K, V, dO) returning (dQ, dK, dV)")


def learner(
    Q,
    K,
    V,
    dO,
    *,
    axis=1,
    shift=True,
    scale_scores=True,
    dV_rule="P.T @ dO",
    dS_rule="jacobian",
    grad_scale="sqrt",
    dQ_rule="dS @ K",
    dK_rule="dS.T @ Q",
):
    """A learner's attention backward, with one switch per usual mistake."""
    d = Q.shape[1]
    S = Q @ K.T / np.sqrt(d) if scale_scores else Q @ K.T
    if shift:
        S = S - np.max(S, axis=axis, keepdims=True)
    E = np.exp(S)
    P = E / np.sum(E, axis=axis, keepdims=True)
    dV = {"P.T @ dO": P.T @ dO, "P @ dO": P @ dO, "dO.T @ P": dO.T @ P}[dV_rule]
    dP = dO @ V.T
    if dS_rule == "jacobian":
        dS = P * (dP - np.sum(dP * P, axis=1, keepdims=True))
    elif dS_rule == "diagonal":
        dS = P * (1 - P) * dP
    elif dS_rule == "forgotten":
        dS = dP
    elif dS_rule == "axis 0":
        dS = P * (dP - np.sum(dP * P, axis=0, keepdims=True))
    elif dS_rule == "no keepdims":
        dS = P * (dP - np.sum(dP * P, axis=1))
    r = {"sqrt": 1 / np.sqrt(d), "none": 1.0, "twice": 1 / d}[grad_scale]
    products = {"dS @ K": dS @ K, "dS.T @ K": dS.T @ K, "dS.T @ Q": dS.T @ Q, "dS @ Q": dS @ Q}
    return products[dQ_rule] * r, products[dK_rule] * r, dV


def flipped(Q, K, V, dO):
    dQ, dK, dV = learner(Q, K, V, dO)
    return -dQ, -dK, -dV


MISTAKES = {
    "dV = P @ dO": (partial(learner, dV_rule="P @ dO"), "your dV is P @ dO"),
    "dV = dO.T @ P": (
        partial(learner, dV_rule="dO.T @ P"),
        "your dV has shape (3, 4), the transpose of V's (4, 3): did you compute dO.T @ P?",
    ),
    "softmax derivative forgotten": (
        partial(learner, dS_rule="forgotten"),
        "your dQ and dK skip the softmax",
    ),
    "diagonal of the Jacobian only": (
        partial(learner, dS_rule="diagonal"),
        "use only the diagonal of the softmax Jacobian, dS = P * (1 - P) * dP",
    ),
    "Jacobian row sum over axis 0": (
        partial(learner, dS_rule="axis 0"),
        "sum dP * P over axis 0",
    ),
    "Jacobian row sum without keepdims": (
        partial(learner, dS_rule="no keepdims"),
        "without keepdims=True",
    ),
    "1/sqrt(d) forgotten in dQ and dK": (
        partial(learner, grad_scale="none"),
        "your dQ and dK miss the 1/sqrt(d)",
    ),
    "1/sqrt(d) applied twice": (
        partial(learner, grad_scale="twice"),
        "your dQ and dK are divided by d instead of sqrt(d)",
    ),
    "1/sqrt(d) forgotten in the recomputed scores": (
        partial(learner, scale_scores=False),
        "your dQ, dK and dV come from P = softmax(Q @ K.T), without the 1/sqrt(d)",
    ),
    "1/sqrt(d) forgotten everywhere": (
        partial(learner, scale_scores=False, grad_scale="none"),
        "the 1/sqrt(d) is missing from dQ and dK as well",
    ),
    "dQ and dK swapped": (
        partial(learner, dQ_rule="dS.T @ Q", dK_rule="dS @ K"),
        "your dQ and dK are swapped",
    ),
    "dK = dS @ Q": (partial(learner, dK_rule="dS @ Q"), "your dK is dS @ Q / sqrt(d)"),
    "dQ = dS.T @ K": (partial(learner, dQ_rule="dS.T @ K"), "your dQ is dS.T @ K / sqrt(d)"),
    "both transposes on the wrong side": (
        partial(learner, dQ_rule="dS.T @ K", dK_rule="dS @ Q"),
        "your dQ and dK have the transpose on the wrong side",
    ),
    "softmax over the columns": (
        partial(learner, axis=0),
        "your dQ, dK and dV come from a softmax over the wrong axis",
    ),
    "softmax over the whole matrix": (
        partial(learner, axis=None),
        "normalises the whole matrix at once",
    ),
    "no max-subtraction": (
        partial(learner, shift=False),
        "exp(1000) overflows to inf and exp(-1000) underflows to 0",
    ),
    "flipped sign": (flipped, "your dQ, dK and dV have the opposite sign of the gradient"),
}


@pytest.mark.parametrize(("fn", "phrase"), MISTAKES.values(), ids=list(MISTAKES))
def test_each_mistake_is_named(fn, phrase):
    fb = assert_names_the_mistake(check_attention_backward(fn), phrase)
    assert "not yet" not in fb.hint and "checker itself failed" not in fb.hint


def test_every_variant_hint_formats_with_the_runners_fields():
    fields = dict(what="dQ", is_="is", s="s", es="es", has="has", got=(1,), want=(2,), case="c")
    for variant in attention.VARIANTS:
        for hint in (variant.hint, variant.same_shape_hint):
            assert "{" not in hint.format(**fields)


def test_the_learner_template_without_mistakes_passes():
    assert check_attention_backward(learner).passed


def test_a_column_softmax_in_forward_and_backward_is_named_too():
    def columns(Q, K, V, dO):
        S = Q @ K.T / np.sqrt(Q.shape[1])
        E = np.exp(S - S.max(axis=0))
        P = E / E.sum(axis=0)
        dP = dO @ V.T
        dS = P * (dP - (dP * P).sum(axis=0))
        return dS @ K / np.sqrt(Q.shape[1]), dS.T @ Q / np.sqrt(Q.shape[1]), P.T @ dO

    fb = assert_names_the_mistake(check_attention_backward(columns), "over the wrong axis")
    assert "in the forward and in the backward" in fb.hint


def test_a_mistake_without_max_subtraction_also_reports_the_nan():
    fb = check_attention_backward(partial(learner, shift=False, dV_rule="P @ dO"))
    assert "your dV is P @ dO" in fb.hint
    assert "also contains nan on the case 'large scores" in fb.hint


def test_right_components_are_said_to_be_right():
    fb = check_attention_backward(MISTAKES["dV = P @ dO"][0])
    assert "(dQ and dK are right.)" in fb.hint
    fb = check_attention_backward(MISTAKES["dK = dS @ Q"][0])
    assert "(dQ and dV are right.)" in fb.hint


def test_inputs_changed_in_place_are_reported():
    def scales_q_in_place(Q, K, V, dO):
        out = learner(Q.copy(), K, V, dO)
        Q /= np.sqrt(Q.shape[1])
        return out

    fb = check_attention_backward(scales_q_in_place)
    assert not fb.passed and "changed the caller's Q in place" in fb.hint
    assert "'4 queries and keys, d = 3'" in fb.hint and "Q / np.sqrt(d) makes one" in fb.hint


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda Q, K, V, dO: None, "your function returned None"),
        (lambda Q, K, V, dO: learner(Q, K, V, dO)[:2], "returned 2 values"),
        (lambda Q, K, V, dO: ("dQ", "dK", "dV"), "your dQ is a str"),
        (lambda Q, K, V, dO: np.zeros((3, 3)), "it must return a tuple (dQ, dK, dV)"),
        (
            lambda Q, K, V, dO: (*learner(Q, K, V, dO)[:2], np.zeros((1, 1))),
            "your dV has shape (1, 1) on the case '4 queries and keys, d = 3'",
        ),
        (
            lambda Q, K, V, dO: (*learner(Q, K, V, dO)[:2], learner(Q, K, V, dO)[2] * np.nan),
            "your dV contains nan on the case '4 queries and keys, d = 3'",
        ),
        (
            lambda Q, K, V, dO: (learner(Q, K, V, dO)[0] + 1, *learner(Q, K, V, dO)[1:]),
            "your dQ is wrong on 5 of 5 cases",
        ),
    ],
    ids=["None", "two values", "strings", "one array", "wrong shape", "nan", "unknown values"],
)
def test_wrong_types_shapes_and_nan_are_reported_with_the_case(fn, phrase):
    assert_names_the_mistake(check_attention_backward(fn), phrase)


def test_an_exception_is_reported_with_the_case_and_shape_advice():
    def no_transpose_on_v(Q, K, V, dO):
        dQ, dK, _ = learner(Q, K, V, dO)
        return dQ, dK, dO @ V  # (T, d) @ (T, d)

    fb = assert_names_the_mistake(check_attention_backward(no_transpose_on_v), "ValueError")
    assert "on the case '4 queries and keys, d = 3'" in fb.hint
    assert "S, P, dP and dS are (T, T) = (4, 4)" in fb.hint


def test_other_exceptions_are_reported_without_raising():
    def broken(Q, K, V, dO):
        raise KeyError("oops")

    assert_names_the_mistake(check_attention_backward(broken), "KeyError")
    assert check_attention_backward("not a function").hint.startswith("expected your function")
