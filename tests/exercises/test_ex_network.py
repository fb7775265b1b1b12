"""check_two_layer_backward: the reference passes, and each BP1-BP4 mistake is named."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import exercises as ex
from nnlab.exercises.network import two_layer_backward_solution
from nnlab.gradcheck import numerical_gradient

from .checkers import assert_names_the_mistake


def test_solution_agrees_with_finite_differences():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    params = {
        "W1": rng.normal(size=(3, 4)),
        "b1": rng.normal(size=4),
        "W2": rng.normal(size=(4, 2)),
        "b2": rng.normal(size=2),
    }

    def loss(_):
        Z2 = np.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
        Z2 = Z2 - Z2.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(Z2).sum(axis=1)) - Z2[np.arange(5), y]))

    grads = two_layer_backward_solution(X, y, *params.values())
    for name, p in params.items():
        np.testing.assert_allclose(grads[name], numerical_gradient(loss, p), atol=1e-8)


def learner(
    *,
    slope="1 - A1^2",
    dW2_input="A1",
    transpose_dA1=True,
    mean=True,
    sign=1.0,
    transposed=False,
    bias_axis=0,
):
    """A learner's backward pass with the given mistake (the defaults are right)."""

    def fn(X, y, W1, b1, W2, b2):
        n = len(X)
        Z1 = X @ W1 + b1
        A1 = np.tanh(Z1)
        Z2 = A1 @ W2 + b2
        P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
        P = P / P.sum(axis=1, keepdims=True)
        dZ2 = P.copy()
        dZ2[np.arange(n), y] -= 1
        dZ2 = sign * dZ2 / (n if mean else 1)
        dA1 = dZ2 @ W2.T if transpose_dA1 else dZ2 @ W2
        f_prime = {
            "1 - A1^2": 1 - A1**2,
            "none": 1.0,
            "1 - Z1^2": 1 - Z1**2,
            "1 - tanh(A1)^2": 1 - np.tanh(A1) ** 2,
        }[slope]
        dZ1 = dA1 * f_prime
        H = {"A1": A1, "X": X, "Z1": Z1}[dW2_input]
        dW1, dW2 = (dZ1.T @ X, dZ2.T @ H) if transposed else (X.T @ dZ1, H.T @ dZ2)
        return {"W1": dW1, "b1": dZ1.sum(axis=bias_axis), "W2": dW2, "b2": dZ2.sum(axis=bias_axis)}

    return fn


def test_the_learner_template_is_right_by_default():
    assert ex.check_two_layer_backward(learner()).passed


VARIANTS = {
    "BP2 without tanh'": (learner(slope="none"), "miss tanh's derivative (BP2)"),
    "tanh' from Z1": (learner(slope="1 - Z1^2"), "use 1 - Z1^2 for tanh'"),
    "tanh applied twice": (learner(slope="1 - tanh(A1)^2"), "applies tanh twice"),
    "X in dW2": (learner(dW2_input="X"), "did you use X where the second layer's input, A1"),
    "Z1 in dW2": (learner(dW2_input="Z1"), "your dW2 uses Z1"),
    "dZ2 @ W2": (learner(transpose_dA1=False), "dZ2 @ W2, without the transpose"),
    "missing 1/N": (learner(mean=False), "N times too large: the 1/N of the mean loss"),
    "flipped sign": (learner(sign=-1.0), "have the opposite sign"),
    "transposed dW": (learner(transposed=True), "dZ.T @ A_prev instead of A_prev.T @ dZ"),
    "bias over axis 1": (learner(bias_axis=1), "one entry per sample"),
}


@pytest.mark.parametrize(("fn", "phrase"), VARIANTS.values(), ids=list(VARIANTS))
def test_each_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_two_layer_backward(fn), phrase)


def test_a_mistake_in_layer_one_says_layer_two_is_right():
    fb = ex.check_two_layer_backward(learner(slope="none"))
    assert "your dW1 and db1 miss tanh's derivative" in fb.hint
    assert "(dW2 and db2 are right.)" in fb.hint


def test_keys_with_a_d_are_accepted():
    def with_d(*args):
        return {"d" + k: v for k, v in two_layer_backward_solution(*args).items()}

    assert ex.check_two_layer_backward(with_d).passed


def test_a_tuple_and_missing_keys_are_named():
    fb = ex.check_two_layer_backward(lambda *a: tuple(two_layer_backward_solution(*a).values()))
    assert "returned a tuple; it must return a dict with the keys" in fb.hint
    fb = ex.check_two_layer_backward(lambda *a: {"W1": 0, "b1": 0})
    assert "your dict has the keys 'W1', 'b1'; it needs 'W1', 'b1', 'W2' and 'b2'" in fb.hint


def test_labels_as_column_indices_get_advice():
    def bad_index(X, y, W1, b1, W2, b2):
        P = np.tanh(X @ W1 + b1) @ W2 + b2
        return {"W1": P[y, y.max() + 10]}

    fb = ex.check_two_layer_backward(bad_index)
    assert "IndexError" in fb.hint and "(np.arange(N), y)" in fb.hint
