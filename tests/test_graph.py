"""The scalar autodiff engine: finite differences, reuse, repeated backward, and agreement
with nnlab's matrix backpropagation on the same weights."""

import math

import matplotlib
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nnlab as nl
from nnlab.graph import Value, draw_graph, grads, values

matplotlib.use("Agg")

UNARY = {
    "exp": (lambda v: v.exp(), math.exp),
    "tanh": (lambda v: v.tanh(), math.tanh),
    "sigmoid": (lambda v: v.sigmoid(), lambda x: 1 / (1 + math.exp(-x))),
    "relu": (lambda v: v.relu(), lambda x: max(x, 0.0)),
    "log1p": (lambda v: (v * v + 1).log(), lambda x: math.log(x * x + 1)),
    "square": (lambda v: v**2, lambda x: x**2),
}
BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: a + b),
    "-": (lambda a, b: a - b, lambda a, b: a - b),
    "*": (lambda a, b: a * b, lambda a, b: a * b),
    "/": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
}


@st.composite
def expressions(draw):
    """A random expression over three inputs, as a list of (op, operand indices)."""
    steps = draw(
        st.lists(
            st.one_of(
                st.tuples(st.sampled_from(sorted(UNARY)), st.integers(0, 50)),
                st.tuples(st.sampled_from(sorted(BINARY)), st.integers(0, 50), st.integers(0, 50)),
            ),
            min_size=1,
            max_size=12,
        )
    )
    inputs = draw(st.lists(st.floats(-2, 2), min_size=3, max_size=3))
    return steps, inputs


def evaluate(steps, inputs, lift, unary, binary):
    nodes = [lift(x) for x in inputs]
    for op, *args in steps:
        operands = [nodes[i % len(nodes)] for i in args]
        f = unary[op] if op in unary else binary[op]
        nodes.append(f(*operands))
    return nodes[:3], nodes[-1]


@given(expressions())
def test_random_expressions_match_finite_differences(case):
    steps, inputs = case
    relu_inputs = []

    def relu(v):
        relu_inputs.append(v.data)
        return v.relu()

    unary = {k: v[0] for k, v in UNARY.items()} | {"relu": relu}
    binary = {k: v[0] for k, v in BINARY.items()}
    plain_u = {k: v[1] for k, v in UNARY.items()}
    plain_b = {k: v[1] for k, v in BINARY.items()}
    try:
        leaves, out = evaluate(steps, inputs, Value, unary, binary)
        numeric = nl.numerical_gradient(
            lambda x: evaluate(steps, list(x), float, plain_u, plain_b)[1],
            np.array(inputs, dtype=float),
            1e-4,
            order=4,
        )
    except OverflowError:  # exp(exp(exp(2))) and the like: not a gradient question
        assume(False)
    # finite differences need the function smooth within 2 eps of the point: no ReLU kink
    assume(all(abs(v) > 1e-3 for v in relu_inputs))
    assume(abs(out.data) < 1e6)
    out.backward()
    analytic = np.array([leaf.grad for leaf in leaves])
    # relative agreement, with an absolute floor for gradients that are (nearly) zero: the
    # five-point stencil's rounding error is about 1e-12 |f|
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9 * max(1, abs(out.data)))


def test_node_used_several_times_accumulates():
    x = Value(3.0)
    y = x * x + x  # dy/dx = 2x + 1 = 7: three uses of x
    y.backward()
    assert x.grad == 7.0
    a = Value(2.0)
    b = a + a  # the same node twice in one operation
    b.backward()
    assert a.grad == 2.0


def test_backward_twice_gives_the_same_gradients():
    a, b = Value(0.5), Value(-1.5)
    out = (a * b).tanh() + a.exp()
    out.backward()
    first = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == first


def test_operations_and_their_derivatives():
    x = Value(0.3)
    for build, expected_value, expected_grad in [
        (lambda v: v.sigmoid(), 1 / (1 + math.exp(-0.3)), None),
        (lambda v: 2 / v, 2 / 0.3, -2 / 0.09),
        (lambda v: 1 - v, 0.7, -1.0),
        (lambda v: v**3, 0.027, 3 * 0.09),
        (lambda v: (-v).relu(), 0.0, 0.0),
    ]:
        out = build(x)
        out.backward()
        assert out.data == pytest.approx(expected_value)
        if expected_grad is not None:
            assert x.grad == pytest.approx(expected_grad)
    assert Value(-800.0).sigmoid().data == pytest.approx(0.0)


def test_errors():
    with pytest.raises(TypeError, match="Value expected a real number, got str"):
        Value("1")
    with pytest.raises(ValueError, match=r"Value\.log expected a positive number, got -1"):
        Value(-1.0).log()
    with pytest.raises(TypeError, match="constant real exponent, got Value"):
        Value(2.0) ** Value(2.0)


def test_deep_graph_needs_no_recursion():
    x = Value(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_tiny_mlp_of_values_matches_sequential():
    net = nl.Sequential(
        [nl.Dense(3, 4, rng=0), nl.Tanh(), nl.Dense(4, 2, rng=1), nl.Sigmoid(), nl.Dense(2, 1)]
    )
    for layer in net.layers[::2]:
        layer.b = np.random.default_rng(2).normal(size=layer.b.shape)
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    loss = nl.MSELoss()
    expected_loss = loss(net.forward(X), y)
    net.backward(loss.backward())

    dense = net.layers[::2]
    Ws = [values(d.W, f"W{i}") for i, d in enumerate(dense)]
    bs = [values(d.b, f"b{i}") for i, d in enumerate(dense)]
    acts = [lambda v: v.tanh(), lambda v: v.sigmoid(), lambda v: v]
    total = Value(0.0)
    for x_row, y_row in zip(X, y, strict=True):
        a = [Value(float(v)) for v in x_row]
        for W, b, act in zip(Ws, bs, acts, strict=True):
            a = [act(sum((a[i] * W[i][j] for i in range(len(a))), b[j])) for j in range(len(b))]
        total = total + (a[0] - float(y_row[0])) ** 2
    mse = total / len(X)
    mse.backward()
    assert mse.data == pytest.approx(expected_loss, rel=1e-12)
    for d, W, b in zip(dense, Ws, bs, strict=True):
        np.testing.assert_allclose(grads(W), d.dW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(grads(b), d.db, rtol=1e-10, atol=1e-14)


def test_draw_graph_draws_every_node_and_edge():
    import matplotlib.pyplot as plt

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    out = (c + a).tanh()
    out.backward()
    ax = draw_graph(out)
    texts = [t.get_text() for t in ax.texts]
    assert len(ax.patches) == len(out.topological_order()) == 5
    assert "grad -0.0027" in texts  # a's gradient, printed on its box
    assert sum(t.startswith("value") for t in texts) == 5
    plt.close(ax.figure)
