"""Exercises on the scalar autodiff engine :class:`nnlab.graph.Value`.

Two exercises that a learner solves in a notebook cell, on plain numbers or on nnlab's own
``Value`` nodes, without subclassing anything:

- :func:`check_value_op`: the *local* backward rule of one operation. For ``"mul"`` and
  ``"add"`` the learner writes ``fn(a, b, out_grad) -> (a_grad, b_grad)``, the amounts the
  operation adds to its operands' gradients when the gradient ``out_grad`` reaches its output;
  for ``"tanh"``, ``fn(z, out_grad) -> z_grad`` (``out = tanh(z)``; ``z`` is the input, as a
  pre-activation is in the book's notation). ``a``, ``b``, ``z`` and ``out_grad`` are floats.
- :func:`check_grad_accumulation`: the backward step of one node. The learner writes
  ``fn(node)``, which updates ``parent.grad`` for each ``parent`` in ``node.parents`` from
  ``node.grad`` and ``node.local_grads`` (d node / d parent, one per parent, same order).
  The checker runs it over whole graphs, visiting nodes in reverse topological order after
  setting every ``grad`` to 0 and the output's to 1, as :meth:`Value.backward` does. Graphs
  where a value is used twice (``x * x``, ``x + x``) catch ``=`` where ``+=`` belongs.
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import Value
from ._feedback import Case, Feedback, Raised, Wrong, as_array, safe_call, unpack_tuple
from ._runner import Exercise, Variant, run

OPS = ("add", "mul", "tanh")


def mul_backward_solution(a: float, b: float, out_grad: float) -> tuple[float, float]:
    """Reference solution for ``out = a * b``: ``d out/d a = b`` and ``d out/d b = a``."""
    return b * out_grad, a * out_grad


def add_backward_solution(a: float, b: float, out_grad: float) -> tuple[float, float]:
    """Reference solution for ``out = a + b``: both local derivatives are 1."""
    return out_grad, out_grad


def tanh_backward_solution(z: float, out_grad: float) -> float:
    """Reference solution for ``out = tanh(z)``: ``d out/d z = 1 - tanh(z)^2``."""
    t = math.tanh(z)
    return (1.0 - t * t) * out_grad


def backward_step_solution(node: Value) -> None:
    """Reference solution: each use of a parent adds its contribution (``+=``, not ``=``)."""
    for parent, local in zip(node.parents, node.local_grads, strict=True):
        parent.grad += local * node.grad


SOLUTIONS = {
    "add": add_backward_solution,
    "mul": mul_backward_solution,
    "tanh": tanh_backward_solution,
}


# -- the local rule of one operation ----------------------------------------------------------


def _op_cases(op: str) -> list[Case]:
    if op == "tanh":
        values = [(0.5, 1.0), (-1.2, 0.3), (0.0, 2.0), (2.5, -1.5)]
        return [Case(f"tanh at z = {z:g}", {"z": z, "out_grad": g}) for z, g in values]
    values = [(2.0, -3.0, 1.0), (1.5, 4.0, 0.5), (-0.7, 0.2, -2.0), (0.0, 5.0, 1.5)]
    sym = "*" if op == "mul" else "+"
    return [Case(f"a {sym} b", {"a": a, "b": b, "out_grad": g}) for a, b, g in values]


def _op_reference(op: str):
    def reference(*args) -> dict:
        *operands, g = args
        a = Value(operands[0])
        out = (
            a.tanh()
            if op == "tanh"
            else (a * Value(operands[1]) if op == "mul" else a + Value(operands[1]))
        )
        grads = [np.asarray(local * g) for local in out.local_grads]
        names = ("z_grad",) if op == "tanh" else ("a_grad", "b_grad")
        return dict(zip(names, grads, strict=True))

    return reference


def _op_unpack(op: str):
    def unpack(out) -> dict:
        if isinstance(out, Value):
            raise Wrong("your function returned a Value: return plain numbers (Value.data)")
        if op == "tanh":
            return {"z_grad": as_array(out, "z_grad", scalar=True)}
        grads = unpack_tuple(out, ("a_grad", "b_grad"), scalars=("a_grad", "b_grad"))
        for name, v in grads.items():
            if v.ndim:
                raise Wrong(f"your {name} has shape {v.shape}; it must be a single number")
        return grads

    return unpack


def _op_variants(op: str) -> tuple[Variant, ...]:
    both = ("a_grad", "b_grad")
    chain = "the chain rule multiplies each local derivative by out_grad"
    if op == "tanh":
        return (
            Variant(
                ("z_grad",),
                lambda z, g: {"z_grad": 1 - math.tanh(z) ** 2},
                f"your z_grad misses the factor out_grad: {chain}.",
            ),
            Variant(
                ("z_grad",),
                lambda z, g: {"z_grad": (1 - z * z) * g},
                "your z_grad uses 1 - z^2: the formula 1 - t^2 is in terms of the output "
                "t = tanh(z), not of the input z.",
            ),
            Variant(
                ("z_grad",),
                lambda z, g: {"z_grad": math.tanh(z) * g},
                "your z_grad uses tanh(z), the forward value: use its derivative.",
            ),
        )
    if op == "mul":
        return (
            Variant(
                both,
                lambda a, b, g: {"a_grad": a * g, "b_grad": b * g},
                "your a_grad and b_grad are swapped: in a * b, the derivative with respect "
                "to a is the *other* operand.",
            ),
            Variant(
                both,
                lambda a, b, g: {"a_grad": b, "b_grad": a},
                f"your {{what}} miss{{es}} the factor out_grad: {chain}.",
            ),
            Variant(
                both,
                lambda a, b, g: {"a_grad": g, "b_grad": g},
                "your a_grad and b_grad follow the rule of addition (out_grad passed "
                "through): a product scales it.",
            ),
        )
    return (
        Variant(
            both,
            lambda a, b, g: {"a_grad": 1.0, "b_grad": 1.0},
            f"your {{what}} miss{{es}} the factor out_grad: {chain}.",
        ),
        Variant(
            both,
            lambda a, b, g: {"a_grad": b * g, "b_grad": a * g},
            "your a_grad and b_grad follow the rule of multiplication: in a + b, both "
            "local derivatives are 1.",
        ),
        Variant(
            ("b_grad",),
            lambda a, b, g: {"b_grad": -g},
            "your b_grad has the sign of subtraction's rule: in a + b, d out/d b is +1.",
        ),
    )


def check_value_op(fn, op: str = "mul") -> Feedback:
    """Check the local backward rule of one operation of a ``Value`` graph.

    ``op`` is ``"mul"`` (default) or ``"add"``, with ``fn(a, b, out_grad) -> (a_grad,
    b_grad)``, or ``"tanh"``, with ``fn(z, out_grad) -> z_grad``. The numbers are plain
    floats; the results are what the operation adds to its operands' ``grad``. The reference
    is the local derivatives nnlab's :class:`~nnlab.graph.Value` records, times ``out_grad``.
    Four cases, with ``out_grad`` other than 1 in three of them.

    Diagnoses: ``out_grad`` not multiplied in; for mul, swapped operands and addition's rule;
    for add, multiplication's rule and subtraction's sign; for tanh, ``1 - z^2`` and
    ``tanh(z)``; a ``Value`` returned instead of numbers; exceptions and ``None``.

    Examples
    --------
    >>> check_value_op(mul_backward_solution, "mul").passed
    True
    """
    if op not in OPS:
        valid = ", ".join(repr(o) for o in OPS)
        return Feedback(False, f"op must be one of {valid}, got {op!r}.", "Value op backward")
    args = "z, out_grad" if op == "tanh" else "a, b, out_grad"
    out = "z_grad" if op == "tanh" else "(a_grad, b_grad)"
    comps = (
        {"z_grad": "be a single number"}
        if op == "tanh"
        else {"a_grad": "be a single number", "b_grad": "be a single number"}
    )
    spec = Exercise(
        title=f"Value {op} backward",
        todo=f"implement fn({args}) returning {out}, what {op} adds to its operands' grad "
        "when out_grad reaches its output.",
        cases=_op_cases(op),
        components=comps,
        unpack=_op_unpack(op),
        reference=_op_reference(op),
        passed=f"{out} {'matches' if op == 'tanh' else 'match'} the local derivatives of "
        f"nnlab's Value for {op}, times out_grad, on 4 cases (out_grad other than 1 in 3 of "
        "them).",
        variants=_op_variants(op),
    )
    return run(fn, spec)


# -- the backward step of one node, run over whole graphs -------------------------------------

_GRAPHS = {
    "x * x at x = 3": (lambda x, y: x * x, 3.0, 0.5),
    "x + x at x = -1.5": (lambda x, y: x + x, -1.5, 0.5),
    "x * y + x at x = 2, y = -4": (lambda x, y: x * y + x, 2.0, -4.0),
    "tanh(x * y + x) * y at x = 0.5, y = -1.2": (lambda x, y: (x * y + x).tanh() * y, 0.5, -1.2),
    "x * y + 3 (no value used twice) at x = 1.5, y = 2": (lambda x, y: x * y + 3, 1.5, 2.0),
}


def backward_with(step, build, x: float, y: float) -> tuple[Value, Value]:
    """Build ``build(x, y)`` from leaves ``x``, ``y`` and backpropagate with ``step(node)``.

    Every ``grad`` in the graph is set to 0 and the output's to 1, then ``step`` visits the
    nodes from the output back to the leaves (reverse topological order). Returns the leaves.
    """
    vx, vy = Value(x, label="x"), Value(y, label="y")
    root = build(vx, vy)
    order = root.topological_order()
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        step(node)
    return vx, vy


def _grads(step, label: str) -> dict:
    build, x, y = _GRAPHS[label]
    vx, vy = backward_with(step, build, x, y)
    if (vx.data, vy.data) != (x, y):
        raise Wrong(f"your step changed the data of a leaf (x.data is now {vx.data!r})")
    return {
        "x.grad": as_array(vx.grad, "x.grad", scalar=True),
        "y.grad": as_array(vy.grad, "y.grad", scalar=True),
    }


def _call_step(fn, case: Case):
    label = case.args["graph"]
    out = safe_call(lambda: _grads(fn, label), ())
    if isinstance(out, Raised) and isinstance(out.exc, Wrong):
        raise out.exc
    return out


def _accumulation_reference(label: str) -> dict:
    build, x, y = _GRAPHS[label]
    vx, vy = Value(x), Value(y)
    build(vx, vy).backward()
    return {"x.grad": np.asarray(vx.grad), "y.grad": np.asarray(vy.grad)}


def _step_variant(update):
    def step(node):
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            parent.grad = update(parent.grad, local, node)

    return lambda label: _grads(step, label)


_XY = ("x.grad", "y.grad")
ACCUMULATION_VARIANTS = (
    Variant(
        _XY,
        _step_variant(lambda old, local, node: old),
        "your step leaves every parent's grad at 0: it must update parent.grad itself "
        "(whatever the step returns is ignored).",
    ),
    Variant(
        _XY,
        _step_variant(lambda old, local, node: local * node.grad),
        "your step assigns (=) each parent's gradient instead of adding to it (+=): a value "
        "used twice, as x in x * x, must collect one contribution per use (the "
        "multivariable chain rule).",
    ),
    Variant(
        _XY,
        _step_variant(lambda old, local, node: old + node.grad),
        "your step passes node.grad to the parents without the local derivative "
        "(node.local_grads): the chain rule multiplies the two.",
    ),
    Variant(
        _XY,
        _step_variant(lambda old, local, node: old + local),
        "your step adds the local derivative alone: the chain rule multiplies it by "
        "node.grad, the gradient that reached the node.",
    ),
    Variant(
        _XY,
        _step_variant(lambda old, local, node: old + local * node.data),
        "your step multiplies by node.data, the node's value: the chain rule needs "
        "node.grad, the gradient that reached it.",
    ),
)


def _accumulation_advice(exc: Exception, case: Case) -> str:
    if isinstance(exc, AttributeError):
        return (
            "nnlab's Value keeps its operands in node.parents and d node / d parent in "
            "node.local_grads (one per parent, in the same order); its gradient is node.grad."
        )
    return ""


def check_grad_accumulation(fn) -> Feedback:
    """Check ``fn(node)``, one node's backward step in a graph of :class:`~nnlab.graph.Value`.

    ``fn`` must update ``parent.grad`` for every ``parent`` of ``node`` (in
    ``node.parents``), using ``node.grad`` and ``node.local_grads``; its return value is
    ignored. The checker runs it over five graphs with :func:`backward_with` and compares the
    leaves' gradients with :meth:`Value.backward`: ``x * x``, ``x + x``, ``x * y + x``,
    ``tanh(x * y + x) * y`` and ``x * y + 3`` (no reuse).

    Diagnoses: ``=`` instead of ``+=`` (wrong exactly where a value is used twice); the
    local derivative left out; ``node.grad`` left out; ``node.data`` used for ``node.grad``;
    a leaf's data changed; an ``AttributeError`` (micrograd's ``_prev`` and ``_backward`` are
    called ``parents`` and ``local_grads`` here), other exceptions.

    Examples
    --------
    >>> check_grad_accumulation(backward_step_solution).passed
    True
    """
    spec = Exercise(
        title="Gradient accumulation",
        todo="implement fn(node) that adds to parent.grad, for each parent in node.parents, "
        "its share of node.grad (using node.local_grads).",
        cases=[Case(label, {"graph": label}) for label in _GRAPHS],
        components={"x.grad": "be a single number", "y.grad": "be a single number"},
        unpack=lambda out: out,
        reference=_accumulation_reference,
        passed="x.grad and y.grad match Value.backward on 5 graphs, including x * x and "
        "x + x, where a value is used twice.",
        variants=ACCUMULATION_VARIANTS,
        advice=_accumulation_advice,
        call=_call_step,
    )
    return run(fn, spec)
