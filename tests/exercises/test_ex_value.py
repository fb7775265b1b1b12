"""check_value_op and check_grad_accumulation on nnlab's Value."""

from __future__ import annotations

import math

import pytest

from nnlab import exercises as ex
from nnlab.exercises.value import SOLUTIONS, backward_step_solution, backward_with
from nnlab.graph import Value

from .checkers import assert_names_the_mistake


def test_backward_with_the_solution_step_is_value_backward():
    x, y = backward_with(backward_step_solution, lambda x, y: (x * y + x).tanh() * y, 0.5, -1.2)
    vx, vy = Value(0.5), Value(-1.2)
    ((vx * vy + vx).tanh() * vy).backward()
    assert (x.grad, y.grad) == pytest.approx((vx.grad, vy.grad))


@pytest.mark.parametrize("op", ["add", "mul", "tanh"])
def test_op_solutions_pass(op):
    fb = ex.check_value_op(SOLUTIONS[op], op)
    assert fb.passed, fb.hint


def test_op_is_checked():
    fb = ex.check_value_op(SOLUTIONS["mul"], "pow")
    assert not fb.passed and "op must be one of 'add', 'mul', 'tanh', got 'pow'" in fb.hint


OP_VARIANTS = {
    ("mul", "swapped"): (lambda a, b, g: (a * g, b * g), "are swapped"),
    ("mul", "no out_grad"): (lambda a, b, g: (b, a), "miss the factor out_grad"),
    ("mul", "addition's rule"): (lambda a, b, g: (g, g), "follow the rule of addition"),
    ("add", "no out_grad"): (lambda a, b, g: (1.0, 1.0), "miss the factor out_grad"),
    ("add", "multiplication's rule"): (
        lambda a, b, g: (b * g, a * g),
        "follow the rule of multiplication",
    ),
    ("add", "subtraction's sign"): (lambda a, b, g: (g, -g), "subtraction's rule"),
    ("tanh", "no out_grad"): (lambda z, g: 1 - math.tanh(z) ** 2, "misses the factor out_grad"),
    ("tanh", "1 - z^2"): (lambda z, g: (1 - z * z) * g, "your z_grad uses 1 - z^2"),
    ("tanh", "forward value"): (lambda z, g: math.tanh(z) * g, "the forward value"),
}


@pytest.mark.parametrize("key", OP_VARIANTS, ids=" / ".join)
def test_each_op_mistake_is_named(key):
    op, _ = key
    fn, phrase = OP_VARIANTS[key]
    assert_names_the_mistake(ex.check_value_op(fn, op), phrase)


def test_a_value_instead_of_numbers_is_named():
    fb = ex.check_value_op(lambda a, b, g: Value(b * g), "mul")
    assert "returned a Value: return plain numbers" in fb.hint
    fb = ex.check_value_op(lambda a, b, g: (Value(b * g), Value(a * g)), "mul")
    assert "your a_grad is a Value, not a real number" in fb.hint


def assign(node):
    for parent, local in zip(node.parents, node.local_grads, strict=True):
        parent.grad = local * node.grad


def no_local(node):
    for parent in node.parents:
        parent.grad += node.grad


def no_node_grad(node):
    for parent, local in zip(node.parents, node.local_grads, strict=True):
        parent.grad += local


def data_for_grad(node):
    for parent, local in zip(node.parents, node.local_grads, strict=True):
        parent.grad += local * node.data


def returns_instead(node):
    return [local * node.grad for local in node.local_grads]


def micrograd_names(node):
    for child in node._prev:
        child.grad += node.grad


def changes_data(node):
    backward_step_solution(node)
    for parent in node.parents:
        parent.data = 0.0


ACCUMULATION_VARIANTS = {
    "= instead of +=": (assign, "assigns (=) each parent's gradient instead of adding"),
    "no local derivative": (no_local, "without the local derivative"),
    "no node.grad": (no_node_grad, "adds the local derivative alone"),
    "node.data for node.grad": (data_for_grad, "multiplies by node.data"),
    "returns instead of updating": (returns_instead, "leaves every parent's grad at 0"),
    "micrograd's names": (micrograd_names, "keeps its operands in node.parents"),
    "changes a leaf's data": (changes_data, "changed the data of a leaf"),
}


@pytest.mark.parametrize(
    ("fn", "phrase"), ACCUMULATION_VARIANTS.values(), ids=list(ACCUMULATION_VARIANTS)
)
def test_each_accumulation_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_grad_accumulation(fn), phrase)


def test_assigning_is_right_where_no_value_is_used_twice():
    x, y = backward_with(assign, lambda x, y: x * y + 3, 1.5, 2.0)
    assert (x.grad, y.grad) == (2.0, 1.5)
    x, _ = backward_with(assign, lambda x, y: x * x, 3.0, 0.0)
    assert x.grad == 3.0  # one use of two: the reason the checker uses x * x
