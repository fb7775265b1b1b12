"""Issue 11, bad input to the scalar autodiff engine: an operation that is undefined at its
operands (or whose derivative is) raises ``ValueError``, one that overflows float64 raises
``OverflowError``; each message names the operation and the values."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnlab.graph import Value, grads, values


@pytest.mark.parametrize(
    ("compute", "msg"),
    [
        (lambda: Value(2.0) / 0, r"Value\.__truediv__: division by zero \(2\.0 / 0\.0\)\."),
        (lambda: Value(2.0) / Value(-0.0), r"division by zero \(2\.0 / -0\.0\)"),
        (lambda: 3 / Value(0.0), r"Value\.__truediv__: division by zero \(3\.0 / 0\.0\)"),
        (lambda: Value(0.0) ** -1, r"Value\.__pow__: division by zero \(0\.0 \*\* -1\.0\)"),
        (
            lambda: Value(-2.0) ** 0.5,
            r"Value\.__pow__: a negative base to a fractional power is not a real number "
            r"\(\(-2\.0\) \*\* 0\.5\)",
        ),
        (
            lambda: Value(0.0) ** 0.5,
            r"Value\.__pow__: the derivative of x \*\* 0\.5, 0\.5 \* x \*\* -0\.5, is infinite "
            r"at x = 0\.0",
        ),
        (lambda: Value(0.0).log(), r"Value\.log expected a positive number, got 0 \(log\(0\.0\)"),
        (lambda: Value(-1.5).log(), r"Value\.log expected a positive number, got -1\.5"),
        (lambda: Value(1.0) ** float("nan"), r"Value\.__pow__: the exponent must be finite"),
        (lambda: Value(float("nan")), r"Value expected a finite number, got nan"),
        (lambda: Value(np.float32("-inf")), r"Value expected a finite number, got -inf"),
        (lambda: Value(1.0) + float("inf"), r"Value expected a finite number, got inf"),
        (lambda: Value(10**400), r"Value expected a finite number, got an int too large"),
        (lambda: Value(2.0) ** 10**400, r"exponent must be finite, got an int too large"),
    ],
)
def test_undefined_operations_raise_value_error(compute, msg):
    with pytest.raises(ValueError, match=msg):
        compute()


@pytest.mark.parametrize(
    ("compute", "msg"),
    [
        (lambda: Value(1000.0).exp(), r"Value\.exp: exp\(1000\.0\) overflows float64"),
        (lambda: Value(1e200) * 1e200, r"Value\.__mul__: 1e\+200 \* 1e\+200 overflows float64"),
        (lambda: Value(1e308) + 1e308, r"Value\.__add__: 1e\+308 \+ 1e\+308 overflows"),
        (lambda: Value(-1e308) - 1e308, r"Value\.__sub__: -1e\+308 - 1e\+308 overflows"),
        (lambda: Value(1e300) ** 2, r"Value\.__pow__: 1e\+300 \*\* 2\.0 overflows float64"),
        (
            lambda: Value(1e-200) ** -1,
            r"Value\.__pow__: the derivative of x \*\* -1\.0 at x = 1e-200 overflows",
        ),
        (
            lambda: Value(1.0) / 1e-200,
            r"Value\.__truediv__: 1\.0 / 1e-200: Value\.__pow__: the derivative",
        ),
        (lambda: Value(1.0) / 1e-320, r"Value\.__truediv__: 1\.0 / 1e-320: .*overflows"),
        (lambda: Value(5e-324).log(), r"Value\.log: the derivative 1/x at x = 5e-324 overflows"),
    ],
)
def test_overflowing_operations_raise_overflow_error(compute, msg):
    with pytest.raises(OverflowError, match=msg):
        compute()


def test_a_gradient_that_overflows_in_backward_names_the_node():
    x = Value(1e-300, label="x")
    y = x * 1e200 * 1e200  # 1e100: finite, but dy/dx = 1e400 is not
    with pytest.raises(OverflowError, match=r"Value\.backward: the gradient at node 'x'"):
        y.backward()


def test_well_defined_edge_cases_still_work():
    x = Value(0.0)
    y = x**0  # 1 for every x, so the derivative is 0, also at x = 0
    y.backward()
    assert (y.data, x.grad) == (1.0, 0.0)
    x = Value(-2.0)
    y = x**3 + x**-1 + x**2.0
    y.backward()
    assert y.data == pytest.approx(-8 - 0.5 + 4)
    assert x.grad == pytest.approx(3 * 4 - 1 / 4 + 2 * -2)
    a, b = Value(3.0), Value(-4.0)
    q = a / b
    q.backward()
    assert (q.data, a.grad, b.grad) == (-0.75, -0.25, pytest.approx(-3 / 16))
    assert Value(1e-300).log().data == pytest.approx(math.log(1e-300))
    assert Value(-1000.0).sigmoid().data == 0.0 and Value(1000.0).tanh().data == 1.0


@pytest.mark.parametrize(
    ("bad", "exc", "msg"),
    [
        ([[1.0, 2.0], [3.0]], ValueError, r"values expected array to be a rectangular numeric"),
        ([1j, 2.0], TypeError, r"values expected array to be a numeric array, got dtype complex"),
        (["1", "2"], TypeError, r"values expected array to be a numeric array, got dtype <U1"),
        ([[1.0, np.nan]], ValueError, r"values expected finite numbers, got nan at index \(0, 1\)"),
    ],
)
def test_values_rejects_what_it_cannot_wrap(bad, exc, msg):
    with pytest.raises(exc, match=msg):
        values(bad)


def test_grads_rejects_what_is_not_a_value():
    with pytest.raises(TypeError, match=r"grads expected nested lists of Value, got float"):
        grads([[Value(1.0), 2.0]])
    assert grads(np.array(values([1.0, 2.0]), dtype=object)) == [0.0, 0.0]


OPS = ["+", "-", "*", "/", "**", "exp", "log", "tanh", "sigmoid", "relu"]
numbers_ = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 1e-320, 1e300, -1e300, 710.0]),
    st.floats(-1e6, 1e6, allow_nan=False),
)


@given(st.lists(st.tuples(st.sampled_from(OPS), numbers_), min_size=1, max_size=8), numbers_)
def test_random_chains_raise_only_value_or_overflow_errors_and_stay_finite(chain, start):
    x = Value(start, label="x")
    y = x
    try:
        for op, c in chain:
            if op in ("exp", "log", "tanh", "sigmoid", "relu"):
                y = getattr(y, op)()
            elif op == "**":
                y = y ** round(c % 4 - 1.5, 1)  # exponents in [-1.5, 2.5], some fractional
            else:
                y = {"+": y.__add__, "-": y.__sub__, "*": y.__mul__, "/": y.__truediv__}[op](c)
        y.backward()
    except (ValueError, OverflowError) as err:
        assert str(err).startswith("Value")
        return
    nodes = y.topological_order()
    assert all(math.isfinite(n.data) and math.isfinite(n.grad) for n in nodes)
    assert all(math.isfinite(g) for n in nodes for g in n.local_grads)
