"""A scalar automatic-differentiation engine: backpropagation on a computational graph.

Every arithmetic operation on :class:`Value` objects creates a new node that remembers its
inputs (parents) and the *local* derivative of its result with respect to each of them. The
chain rule then needs no knowledge of the operations: :meth:`Value.backward` visits the nodes
from the output back to the inputs (reverse topological order) and adds, for every edge,
``parent.grad += local_derivative * node.grad``.

This is the same algorithm as :meth:`nnlab.Sequential.backward`, one number at a time instead
of one matrix at a time: slow, but every intermediate value and gradient can be inspected,
printed and drawn (:func:`draw_graph`).

Examples
--------
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> loss = (a * b + a).tanh()
>>> loss.backward()
>>> round(a.grad, 6), round(b.grad, 6)
(-0.002682, 0.002682)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from ._validation import as_float_array


def _overflow(op: str, expression: str) -> OverflowError:
    return OverflowError(f"Value.{op}: {expression} overflows float64 (beyond 1.8e308).")


def _finite_float(number: numbers.Real, message: str) -> float:
    try:
        value = float(number)
    except OverflowError:  # an int beyond the float64 range
        raise ValueError(f"{message}, got an int too large for float64.") from None
    if not math.isfinite(value):
        raise ValueError(f"{message}, got {value!r}.")
    return value


class Value:
    """A scalar that records how it was computed, so gradients can flow back through it.

    Parameters
    ----------
    data : float
        The value.
    label : str, optional
        A name used when printing or drawing the graph.

    Attributes
    ----------
    data : float
    grad : float
        dOutput/dself after the last :meth:`backward` on a graph containing this node.
    op : str
        The operation that produced the node ("" for a leaf).
    parents : tuple of Value
        The operands of that operation.
    local_grads : tuple of float
        d(self)/d(parent) for each parent, computed in the forward pass.

    Raises
    ------
    TypeError
        If ``data`` (or an operand) is not a real number.
    ValueError
        If ``data`` is nan or inf, or an operation is undefined at its operands: division by
        zero, a negative base to a fractional power, the log of a non-positive number, or a
        derivative that is infinite there (``x ** 0.5`` at 0).
    OverflowError
        If a result, a local derivative or a gradient is beyond the float64 range.
    """

    __slots__ = ("data", "grad", "label", "local_grads", "op", "parents")

    def __init__(self, data, *, label: str = "", op: str = "", parents=(), local_grads=()):
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"Value expected a real number, got {type(data).__name__}.")
        self.data = _finite_float(data, "Value expected a finite number")
        self.grad = 0.0
        self.label = label
        self.op = op
        self.parents: tuple[Value, ...] = tuple(parents)
        self.local_grads: tuple[float, ...] = tuple(local_grads)

    # -- building the graph: each operation states its local derivatives ------------------

    @staticmethod
    def _lift(other) -> Value:
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other) -> Value:
        other = self._lift(other)
        out = self.data + other.data
        if not math.isfinite(out):
            raise _overflow("__add__", f"{self.data!r} + {other.data!r}")
        return Value(out, op="+", parents=(self, other), local_grads=(1, 1))

    def __mul__(self, other) -> Value:
        other = self._lift(other)
        out = self.data * other.data
        if not math.isfinite(out):
            raise _overflow("__mul__", f"{self.data!r} * {other.data!r}")
        return Value(out, op="*", parents=(self, other), local_grads=(other.data, self.data))

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            raise TypeError(
                f"Value ** only supports a constant real exponent, got {type(exponent).__name__}."
            )
        k, x = _finite_float(exponent, "Value.__pow__: the exponent must be finite"), self.data
        if x < 0 and not k.is_integer():
            raise ValueError(
                "Value.__pow__: a negative base to a fractional power is not a real number "
                f"(({x!r}) ** {k!r})."
            )
        if x == 0 and k < 0:
            raise ValueError(f"Value.__pow__: division by zero ({x!r} ** {k!r}).")
        if x == 0 and 0 < k < 1:
            raise ValueError(
                f"Value.__pow__: the derivative of x ** {k!r}, {k!r} * x ** {k - 1!r}, is "
                f"infinite at x = {x!r}."
            )
        base = f"({x!r})" if x < 0 else repr(x)
        try:
            out = x**k
        except OverflowError:
            out = math.inf
        if not math.isfinite(out):
            raise _overflow("__pow__", f"{base} ** {k!r}")
        try:
            local = k * x ** (k - 1) if k != 0 else 0.0  # d(x**0)/dx = 0, even at x = 0
        except OverflowError:
            local = math.inf
        if not math.isfinite(local):
            raise _overflow("__pow__", f"the derivative of x ** {k!r} at x = {x!r}")
        return Value(out, op=f"**{k:g}", parents=(self,), local_grads=(local,))

    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise _overflow("exp", f"exp({self.data!r})") from None
        return Value(e, op="exp", parents=(self,), local_grads=(e,))

    def log(self) -> Value:
        x = self.data
        if x <= 0:
            raise ValueError(
                f"Value.log expected a positive number, got {x:g} (log({x!r}) is undefined)."
            )
        if not math.isfinite(1 / x):
            raise _overflow("log", f"the derivative 1/x at x = {x!r}")
        return Value(math.log(x), op="log", parents=(self,), local_grads=(1 / x,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, op="tanh", parents=(self,), local_grads=(1 - t * t,))

    def sigmoid(self) -> Value:
        x = self.data
        # Two algebraically equal forms; each avoids overflow on its side of zero.
        s = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
        return Value(s, op="sigmoid", parents=(self,), local_grads=(s * (1 - s),))

    def relu(self) -> Value:
        positive = self.data > 0
        return Value(
            self.data if positive else 0.0,
            op="relu",
            parents=(self,),
            local_grads=(1.0 if positive else 0.0,),
        )

    def __neg__(self) -> Value:
        return Value(-self.data, op="neg", parents=(self,), local_grads=(-1,))

    def __sub__(self, other) -> Value:
        other = self._lift(other)
        out = self.data - other.data
        if not math.isfinite(out):
            raise _overflow("__sub__", f"{self.data!r} - {other.data!r}")
        return Value(out, op="-", parents=(self, other), local_grads=(1, -1))

    # Everything else is built from the operations above, so needs no derivative of its own.

    def __truediv__(self, other) -> Value:
        other = self._lift(other)
        if other.data == 0:
            raise ValueError(
                f"Value.__truediv__: division by zero ({self.data!r} / {other.data!r})."
            )
        try:
            return self * other**-1
        except OverflowError as err:  # name the division, keep the detail
            raise OverflowError(
                f"Value.__truediv__: {self.data!r} / {other.data!r}: {err}"
            ) from None

    def __radd__(self, other) -> Value:
        return self + other

    def __rmul__(self, other) -> Value:
        return self * other

    def __rsub__(self, other) -> Value:
        return self._lift(other) - self

    def __rtruediv__(self, other) -> Value:
        return self._lift(other) / self

    # -- backpropagation -------------------------------------------------------------------

    def topological_order(self) -> list[Value]:
        """Every node this one depends on, each after all of its parents (self last)."""
        order: list[Value] = []
        seen: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:  # iterative depth-first search: deep graphs do not hit the recursion limit
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if id(p) not in seen)
        return order

    def backward(self) -> None:
        """Set ``grad`` of every node in the graph to d(self)/d(node).

        Gradients are reset first, so calling ``backward`` twice gives the same result. A node
        used several times collects one contribution per use (the multivariable chain rule).
        """
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):  # each node's grad is complete when it is reached
            if not math.isfinite(node.grad):
                name = node.label or node.op or "leaf"
                raise _overflow("backward", f"the gradient at node {name!r} ({node.data:g})")
            for parent, local in zip(node.parents, node.local_grads, strict=True):
                parent.grad += local * node.grad

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.4g}, grad={self.grad:.4g})"


def values(array, label: str = "") -> list:
    """Wrap a nested list / NumPy array of numbers into ``Value`` objects, same nesting.

    Labels get the index appended: ``values([[1, 2]], "W")`` labels the entries ``W00``,
    ``W01``.
    """
    arr = as_float_array(array, "array", owner="values")
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        idx = tuple(int(i) for i in bad[0])
        raise ValueError(f"values expected finite numbers, got {arr[idx]} at index {idx}.")
    out = np.empty(arr.shape, dtype=object)
    for idx in np.ndindex(arr.shape):
        out[idx] = Value(float(arr[idx]), label=label + "".join(str(i) for i in idx))
    return out.tolist()


def grads(nodes: Iterable) -> list:
    """The ``grad`` of every ``Value`` in a nested list, same nesting."""
    out = []
    for n in nodes:
        if isinstance(n, list | tuple | np.ndarray):
            out.append(grads(n))
        elif isinstance(n, Value):
            out.append(n.grad)
        else:
            raise TypeError(f"grads expected nested lists of Value, got {type(n).__name__}.")
    return out


def draw_graph(root: Value, ax=None, *, digits: int = 4, box_width: float = 2.0):
    """Draw the computational graph of ``root``: one box per node with its value and gradient.

    Nodes are placed in columns by depth (inputs on the left, ``root`` on the right); each
    edge is labelled with the local derivative it multiplies gradients by. Only matplotlib is
    needed (no graphviz). Suited to graphs of up to a few dozen nodes.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.patches import FancyBboxPatch

    from .viz import pyplot

    plt = pyplot()
    order = root.topological_order()
    depth: dict[int, int] = {}
    for node in order:  # parents come first, so their depth is known
        depth[id(node)] = 1 + max((depth[id(p)] for p in node.parents), default=-1)
    columns: dict[int, list[Value]] = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    pos = {}
    for d, nodes in columns.items():
        for i, node in enumerate(nodes):
            pos[id(node)] = (d * (box_width + 1.3), -(i - (len(nodes) - 1) / 2) * 1.6)
    if ax is None:
        width = max(4.0, 1.9 * len(columns))
        height = max(2.2, 1.1 * max(len(c) for c in columns.values()))
        _, ax = plt.subplots(figsize=(width, height))
    half_w, half_h = box_width / 2, 0.55
    for node in order:
        x, y = pos[id(node)]
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            px, py = pos[id(parent)]
            ax.annotate(
                "",
                xy=(x - half_w, y),
                xytext=(px + half_w, py),
                arrowprops={"arrowstyle": "->", "color": "#888888", "lw": 1},
            )
            ax.text(
                (x - half_w + px + half_w) / 2,
                (y + py) / 2 + 0.08,
                f"{local:.{digits}g}",
                fontsize=7,
                color="#d62728",
                ha="center",
                va="bottom",
            )
        leaf = not node.parents
        ax.add_patch(
            FancyBboxPatch(
                (x - half_w, y - half_h),
                box_width,
                2 * half_h,
                boxstyle="round,pad=0.02",
                facecolor="#eef4fb" if leaf else "#ffffff",
                edgecolor="#1f77b4" if node is root else "#555555",
                lw=1.5 if node is root else 1,
            )
        )
        title = node.label or node.op or "const"
        if node.label and node.op:
            title = f"{node.label} = {node.op}"
        ax.text(x, y + 0.3, title, ha="center", va="center", fontsize=8, weight="bold")
        ax.text(x, y, f"value {node.data:.{digits}f}", ha="center", va="center", fontsize=7)
        ax.text(
            x,
            y - 0.3,
            f"grad {node.grad:.{digits}f}",
            ha="center",
            va="center",
            fontsize=7,
            color="#d62728",
        )
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - box_width, max(xs) + box_width)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.9)
    ax.set_axis_off()
    return ax
