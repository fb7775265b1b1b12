"""Dual numbers (forward-mode scalars): each operation's tangent against its derivative written
out by hand, random compositions against central differences and against the reverse mode of
:class:`nnlab.graph.Value`, and the errors for bad input."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nnlab as nl
from nnlab.graph import Value

# -- 1. each operation against its derivative, written out here ----------------------------

POINTS = (-2.3, -0.7, 0.4, 1.9)
POSITIVE = (0.3, 1.0, 2.6)


def _sech2(x):
    return 1.0 / math.cosh(x) ** 2


# name -> (operation on a Dual, its value as a function of x, its derivative, points)
OPERATIONS = {
    "d + 2.5": (lambda d: d + 2.5, lambda x: x + 2.5, lambda x: 1.0, POINTS),
    "2.5 + d": (lambda d: 2.5 + d, lambda x: 2.5 + x, lambda x: 1.0, POINTS),
    "d - 2.5": (lambda d: d - 2.5, lambda x: x - 2.5, lambda x: 1.0, POINTS),
    "3 - d": (lambda d: 3 - d, lambda x: 3 - x, lambda x: -1.0, POINTS),
    "d * 1.5": (lambda d: d * 1.5, lambda x: 1.5 * x, lambda x: 1.5, POINTS),
    "-1.5 * d": (lambda d: -1.5 * d, lambda x: -1.5 * x, lambda x: -1.5, POINTS),
    "d / 4": (lambda d: d / 4, lambda x: x / 4, lambda x: 0.25, POINTS),
    "2 / d": (lambda d: 2 / d, lambda x: 2 / x, lambda x: -2 / x**2, POINTS),
    "-d": (lambda d: -d, lambda x: -x, lambda x: -1.0, POINTS),
    "d + d": (lambda d: d + d, lambda x: 2 * x, lambda x: 2.0, POINTS),
    "d - d": (lambda d: d - d, lambda x: 0.0, lambda x: 0.0, POINTS),
    "d * d": (lambda d: d * d, lambda x: x * x, lambda x: 2 * x, POINTS),
    "d / (d * d + 1)": (
        lambda d: d / (d * d + 1),
        lambda x: x / (x * x + 1),
        lambda x: (1 - x * x) / (x * x + 1) ** 2,
        POINTS,
    ),
    "d ** 2": (lambda d: d**2, lambda x: x**2, lambda x: 2 * x, POINTS),
    "d ** 3": (lambda d: d**3, lambda x: x**3, lambda x: 3 * x * x, POINTS),
    "d ** -1": (lambda d: d**-1, lambda x: 1 / x, lambda x: -1 / x**2, POINTS),
    "d ** 1": (lambda d: d**1, lambda x: x, lambda x: 1.0, POINTS),
    "d ** 0": (lambda d: d**0, lambda x: 1.0, lambda x: 0.0, (*POINTS, 0.0)),
    "d ** 0.0": (lambda d: d**0.0, lambda x: 1.0, lambda x: 0.0, POINTS),
    "d ** -1.5": (
        lambda d: d**-1.5,
        lambda x: 1 / (x * math.sqrt(x)),
        lambda x: -1.5 / (x * x * math.sqrt(x)),
        POSITIVE,
    ),
    "d ** 0.5": (lambda d: d**0.5, math.sqrt, lambda x: 0.5 / math.sqrt(x), POSITIVE),
    "d ** 2.5": (
        lambda d: d**2.5,
        lambda x: x * x * math.sqrt(x),
        lambda x: 2.5 * x * math.sqrt(x),
        (*POSITIVE, 0.0),
    ),
    "tanh": (lambda d: d.tanh(), math.tanh, _sech2, (*POINTS, 0.0)),
    "exp": (lambda d: d.exp(), math.exp, math.exp, POINTS),
    "log": (lambda d: d.log(), math.log, lambda x: 1 / x, POSITIVE),
    "relu": (lambda d: d.relu(), lambda x: max(x, 0.0), lambda x: float(x > 0), POINTS),
    "sigmoid": (
        lambda d: d.sigmoid(),
        lambda x: 1 / (1 + math.exp(-x)),
        lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2,
        (*POINTS, 0.0, -8.0),
    ),
}


@pytest.mark.parametrize("name", list(OPERATIONS))
@pytest.mark.parametrize("seed", [1.0, -0.5])
def test_each_operation_carries_its_derivative(name, seed):
    op, value, derivative, points = OPERATIONS[name]
    for x in points:
        out = op(nl.Dual(x, seed))
        assert isinstance(out, nl.Dual)
        assert out.val == pytest.approx(value(x), rel=1e-14, abs=1e-300), (name, x)
        # the chain rule: the operation's derivative times the seed
        assert out.dot == pytest.approx(seed * derivative(x), rel=1e-13, abs=1e-300), (name, x)
        constant = op(nl.Dual(x))  # dot = 0: a constant has no derivative
        assert constant.val == out.val and constant.dot == 0.0, (name, x)


@pytest.mark.parametrize(
    ("name", "op", "value", "slope"),
    [
        # u = Dual(x, a), v = Dual(y, b): d(op(u, v)) = a d/dx + b d/dy
        ("+", lambda u, v: u + v, lambda x, y: x + y, lambda x, y, a, b: a + b),
        ("-", lambda u, v: u - v, lambda x, y: x - y, lambda x, y, a, b: a - b),
        ("*", lambda u, v: u * v, lambda x, y: x * y, lambda x, y, a, b: a * y + x * b),
        ("/", lambda u, v: u / v, lambda x, y: x / y, lambda x, y, a, b: (a * y - x * b) / y**2),
    ],
)
def test_binary_operations_of_two_duals_follow_the_sum_product_and_quotient_rules(
    name, op, value, slope
):
    for x, y, a, b in [(1.5, -0.4, 1.0, 0.0), (1.5, -0.4, 0.0, 1.0), (-2.0, 3.0, 0.7, -1.3)]:
        out = op(nl.Dual(x, a), nl.Dual(y, b))
        assert out.val == pytest.approx(value(x, y), rel=1e-15)
        assert out.dot == pytest.approx(slope(x, y, a, b), rel=1e-14), (name, x, y, a, b)


def test_relu_has_derivative_zero_at_its_kink_and_the_operands_are_left_alone():
    out = nl.Dual(0.0, 1.0).relu()
    assert (out.val, out.dot) == (0.0, 0.0)  # as nnlab's ReLU layer: f'(0) = 0
    d = nl.Dual(-1.25, 2.0)
    (d * 3 + d.exp() - 1 / d).tanh()
    assert (d.val, d.dot) == (-1.25, 2.0)  # operations return new Duals


def test_numpy_scalars_are_real_operands_on_either_side():
    d = nl.Dual(1.5, 2.0)
    for out, val, dot in [
        (np.float64(2.0) * d, 3.0, 4.0),
        (d * np.float32(0.5), 0.75, 1.0),
        (np.int64(3) - d, 1.5, -2.0),
        (np.float64(3.0) / d, 2.0, -3.0 * 2.0 / 1.5**2),
        (d ** np.int64(2), 2.25, 2 * 1.5 * 2.0),
        (nl.Dual(np.float32(0.25), np.int64(1)), 0.25, 1.0),
    ]:
        assert isinstance(out, nl.Dual) and type(out.val) is float and type(out.dot) is float
        assert (out.val, out.dot) == pytest.approx((val, dot), rel=1e-15)


def test_saturating_functions_do_not_overflow_far_from_zero():
    for x in (-1000.0, 1000.0):
        s, t = nl.Dual(x, 1.0).sigmoid(), nl.Dual(x, 1.0).tanh()
        assert s.val == (1.0 if x > 0 else 0.0) and s.dot == 0.0
        assert t.val == math.copysign(1.0, x) and t.dot == 0.0
    # the stable form on the negative side: sigmoid(-700) = exp(-700) to rounding, not 0
    s = nl.Dual(-700.0, 1.0).sigmoid()
    assert s.val == pytest.approx(math.exp(-700.0), rel=1e-12)
    assert s.dot == pytest.approx(math.exp(-700.0), rel=1e-12)


def test_the_docstring_example():
    y = (nl.Dual(2.0, 1.0) * nl.Dual(2.0, 1.0) - 3 * nl.Dual(2.0, 1.0)).tanh()
    assert y.val == pytest.approx(math.tanh(-2.0), rel=1e-15)
    assert y.dot == pytest.approx(_sech2(-2.0) * (2 * 2.0 - 3), rel=1e-14)


# -- 2. random compositions ----------------------------------------------------------------


def _fsigmoid(x):  # the same stable form as Dual.sigmoid, so that the values agree exactly
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def _fpow(x, k):
    if x < 0 and not float(k).is_integer():
        raise ValueError("not real")
    return x ** float(k)


# Each operation as (on a Dual or a Value, on a float). Dual and Value share the method names.
UNARY = {
    "neg": (lambda v: -v, lambda x: -x),
    "tanh": (lambda v: v.tanh(), math.tanh),
    "exp": (lambda v: v.exp(), math.exp),
    "log": (lambda v: v.log(), math.log),
    "relu": (lambda v: v.relu(), lambda x: x if x > 0 else 0.0),
    "sigmoid": (lambda v: v.sigmoid(), _fsigmoid),
}
WITH_CONSTANT = {
    "c+": (lambda v, c: c + v, lambda x, c: c + x),
    "+c": (lambda v, c: v + c, lambda x, c: x + c),
    "c-": (lambda v, c: c - v, lambda x, c: c - x),
    "-c": (lambda v, c: v - c, lambda x, c: x - c),
    "c*": (lambda v, c: c * v, lambda x, c: c * x),
    "*c": (lambda v, c: v * c, lambda x, c: x * c),
    "c/": (lambda v, c: c / v, lambda x, c: c / x),
    "/c": (lambda v, c: v / c, lambda x, c: x / c),
    "**": (lambda v, k: v**k, _fpow),
}
BINARY = {
    "+": (lambda u, v: u + v, lambda x, y: x + y),
    "-": (lambda u, v: u - v, lambda x, y: x - y),
    "*": (lambda u, v: u * v, lambda x, y: x * y),
    "/": (lambda u, v: u / v, lambda x, y: x / y),
}
EXPONENTS = (0, 1, 2, 3, -1, -2, 0.5, 1.5, -1.5, 2.5)
# where an operation is singular or has a kink at operand 0: finite differences need distance
SINGULAR_AT_ZERO = {"log", "relu", "c/", "**"}

index = st.integers(0, 50)
constant = st.one_of(st.floats(0.1, 3), st.floats(-3, -0.1))
step = st.one_of(
    st.tuples(st.sampled_from(sorted(UNARY)), index),
    st.tuples(st.sampled_from(sorted(set(WITH_CONSTANT) - {"**"})), index, constant),
    st.tuples(st.just("**"), index, st.sampled_from(EXPONENTS)),
    st.tuples(st.sampled_from(sorted(BINARY)), index, index),
)
programs = st.lists(step, min_size=1, max_size=10)
inputs = st.floats(-2, 2)


def evaluate(program, leaves, kind, watch=None):
    """Run ``program`` on ``leaves``; ``kind`` 0 picks the Dual/Value form of each operation,
    1 the float form. ``watch(op, operand)`` sees every operand where an operation is singular
    or kinked at 0 (the denominator of ``/``)."""
    nodes = list(leaves)
    for op, i, *rest in program:
        u = nodes[i % len(nodes)]
        if op in UNARY:
            out = UNARY[op][kind](u)
        elif op in WITH_CONSTANT:
            out = WITH_CONSTANT[op][kind](u, rest[0])
        else:
            v = nodes[rest[0] % len(nodes)]
            if watch is not None and op == "/":
                watch(op, v)
            out = BINARY[op][kind](u, v)
        if watch is not None and op in SINGULAR_AT_ZERO:
            if op != "**" or rest[0] < 0 or not float(rest[0]).is_integer():
                watch(op, u)
        nodes.append(out)
    return nodes


def run_duals(program, point, seed):
    """The program on Duals seeded with ``seed``, or assume it away where it is undefined; also
    the operands where it is singular or kinked."""
    watched = []
    try:
        leaves = [nl.Dual(p, s) for p, s in zip(point, seed, strict=True)]
        nodes = evaluate(program, leaves, 0, lambda op, d: watched.append(d))
    except (ValueError, OverflowError):  # out of the domain or beyond float64
        assume(False)
    return nodes, watched


def well_conditioned(nodes, watched):
    """Moderate values and slopes, and every singularity or kink at least 1e-3 away."""
    return all(abs(d.val) < 1e4 and abs(d.dot) < 1e4 for d in nodes) and all(
        abs(d.val) > 1e-3 for d in watched
    )


def plain(program, point):
    """The same program on floats: the last node, or None where it is undefined."""
    try:
        out = evaluate(program, point, 1)[-1]
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return out if math.isfinite(out) else None


def central_difference(program, point, direction, h):
    """d/dt of the program at ``point + t direction``, by central differences (or None)."""
    ahead = plain(program, [p + h * s for p, s in zip(point, direction, strict=True)])
    behind = plain(program, [p - h * s for p, s in zip(point, direction, strict=True)])
    return None if ahead is None or behind is None else (ahead - behind) / (2 * h)


@given(
    programs,
    st.lists(inputs, min_size=1, max_size=2),
    st.lists(st.floats(-1, 1), min_size=2, max_size=2),
)
def test_random_compositions_match_central_differences(program, point, seed):
    seed = seed[: len(point)]  # one or two seeded inputs, in the direction `seed`
    assume(any(abs(s) > 0.1 for s in seed))
    nodes, watched = run_duals(program, point, seed)
    assume(well_conditioned(nodes, watched))
    out = nodes[-1]
    # the value is the float evaluation of the same expression (the same formulas: exactly)
    assert out.val == evaluate(program, point, 1)[-1]
    numeric = central_difference(program, point, seed, 1e-6)
    coarse = central_difference(program, point, seed, 1e-5)
    assume(numeric is not None and coarse is not None)
    # ill-conditioned differences (a kink or a singularity within reach, rounding swamping the
    # slope) disagree with themselves at two step sizes: not a derivative question
    assume(abs(numeric - coarse) <= 1e-8 * max(1.0, abs(numeric)))
    assert out.dot == pytest.approx(numeric, rel=1e-6, abs=1e-7)


@given(programs, inputs, inputs, st.floats(-2, 2), st.floats(-2, 2))
def test_seeding_each_input_gives_the_partials_of_reverse_mode(program, x, y, a, b):
    program = [("+", 0, 1), *program]  # both inputs take part
    along_x, watched = run_duals(program, [x, y], [1.0, 0.0])
    assume(well_conditioned(along_x, watched))
    along_y, _ = run_duals(program, [x, y], [0.0, 1.0])
    assume(well_conditioned(along_y, []))
    leaves = [Value(x), Value(y)]
    out = evaluate(program, leaves, 0)[-1]
    out.backward()
    scale = max(1.0, *(abs(d.dot) for d in along_x + along_y), *(abs(d.val) for d in along_x))
    fx, fy = along_x[-1], along_y[-1]
    assert fx.val == fy.val  # the seed changes the tangent, never the value
    assert fx.val == pytest.approx(out.data, rel=1e-12, abs=1e-12 * scale)
    assert fx.dot == pytest.approx(leaves[0].grad, rel=1e-9, abs=1e-12 * scale)
    assert fy.dot == pytest.approx(leaves[1].grad, rel=1e-9, abs=1e-12 * scale)
    # and a seed (a, b) gives the directional derivative a df/dx + b df/dy
    along_ab, _ = run_duals(program, [x, y], [a, b])
    expected = a * leaves[0].grad + b * leaves[1].grad
    bound = 1e-12 * scale * (1 + abs(a) + abs(b))
    assert along_ab[-1].dot == pytest.approx(expected, rel=1e-9, abs=bound)


# -- 3. bad input --------------------------------------------------------------------------


D = nl.Dual


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        # not a real number
        (lambda: D("1.0"), TypeError, r"Dual expected a real number for val, got str\."),
        (lambda: D(1.0, "0"), TypeError, r"Dual expected a real number for dot, got str\."),
        (lambda: D(True), TypeError, r"Dual expected a real number for val, got bool\."),
        (lambda: D(1j), TypeError, r"Dual expected a real number for val, got complex\."),
        (lambda: D(None), TypeError, r"Dual expected a real number for val, got NoneType\."),
        (lambda: D(1.0) + "2", TypeError, r"real number for an operand, got str\."),
        (lambda: "2" + D(1.0), TypeError, r"real number for an operand, got str\."),
        (lambda: D(1.0) * 2j, TypeError, r"real number for an operand, got complex\."),
        (lambda: 2j - D(1.0), TypeError, r"real number for an operand, got complex\."),
        (lambda: D(1.0) / [2.0], TypeError, r"real number for an operand, got list\."),
        (lambda: np.ones(2) * D(1.0), TypeError, r"real number for an operand, got ndarray\."),
        (lambda: D(1.0) + np.ones(2), TypeError, r"real number for an operand, got ndarray\."),
        (lambda: D(np.ones(1)), TypeError, r"real number for val, got ndarray\."),
        (lambda: D(1.0) * np.bool_(True), TypeError, r"for an operand, got bool"),
        (lambda: D(1.0) - False, TypeError, r"real number for an operand, got bool\."),
        (lambda: D(2.0) ** D(2.0), TypeError, r"Dual \*\* Dual is not supported: the exponent"),
        (lambda: D(2.0) ** "2", TypeError, r"real number for the exponent, got str\."),
        (lambda: D(2.0) ** True, TypeError, r"real number for the exponent, got bool\."),
        (lambda: 2.0 ** D(2.0), TypeError, r"unsupported operand type\(s\) for \*\* or pow\(\)"),
        # nan, inf, beyond float64, undefined
        (lambda: D(math.nan), ValueError, r"Dual expected val to be finite, got nan\."),
        (lambda: D(1.0, -math.inf), ValueError, r"Dual expected dot to be finite, got -inf\."),
        (lambda: D(10**400), ValueError, r"Dual expected val within the float64 range\."),
        (lambda: D(1.0) + math.inf, ValueError, r"Dual expected an operand to be finite, got inf"),
        (
            lambda: D(1.0) ** math.nan,
            ValueError,
            r"Dual expected the exponent to be finite, got nan",
        ),
        (lambda: D(1.0) / 0, ValueError, r"Dual\.__truediv__: division by zero \(1\.0 / 0\)\."),
        (lambda: D(1.0) / D(0.0, 1.0), ValueError, r"__truediv__: division by zero \(1\.0 / 0"),
        (lambda: 2 / D(0.0), ValueError, r"Dual\.__truediv__: division by zero \(2\.0 / 0\)\."),
        (lambda: D(0.0).log(), ValueError, r"Dual\.log expected a positive value, got 0\.0\."),
        (lambda: D(-1.5).log(), ValueError, r"Dual\.log expected a positive value, got -1\.5\."),
        (lambda: D(-2.0) ** 0.5, ValueError, r"\(-2\.0\) \*\* 0\.5 is not a real number\."),
        (lambda: D(-2.0) ** -1.5, ValueError, r"\(-2\.0\) \*\* -1\.5 is not a real number\."),
        (lambda: D(0.0) ** -1, ValueError, r"Dual\.__pow__: division by zero \(0 \*\* -1\.0\)"),
        (lambda: D(0.0) ** 0.5, ValueError, r"derivative of x \*\* 0\.5 is infinite at 0\."),
        (lambda: D(0.0) ** 0.25, ValueError, r"derivative of x \*\* 0\.25 is infinite at 0\."),
        # beyond float64: the value or its derivative
        (lambda: D(1e200) * D(1e200), OverflowError, r"Dual\.__mul__: the value or its deriv"),
        (lambda: D(1.0, 1e300) * 1e10, OverflowError, r"Dual\.__mul__: .* beyond float64"),
        (lambda: D(1e308) + 1e308, OverflowError, r"Dual\.__add__: .* beyond float64 \(inf\)"),
        (lambda: -1e308 - D(1e308), OverflowError, r"Dual\.__sub__: .* beyond float64"),
        (lambda: D(1e300) / 1e-10, OverflowError, r"Dual\.__truediv__: .* beyond float64"),
        (lambda: D(1000.0).exp(), OverflowError, r"Dual\.exp: .* beyond float64 \(inf\)"),
        (lambda: D(1.0, 1e308).exp(), OverflowError, r"Dual\.exp: .* beyond float64"),
        (lambda: D(1e-310, 1.0).log(), OverflowError, r"Dual\.log: .* beyond float64"),
        (lambda: D(10.0) ** 400, OverflowError, r"Dual\.__pow__: .* beyond float64"),
        (lambda: D(1e-200) ** -1.5, OverflowError, r"Dual\.__pow__: .* beyond float64"),
    ],
)
def test_bad_input_raises_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
