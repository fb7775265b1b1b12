"""Forward-mode differentiation of scalars: dual numbers.

A :class:`Dual` carries a value ``val`` and a tangent ``dot``, the derivative of the value
along one chosen input direction. Every operation computes both at once, with the chain rule
applied as it goes: ``(u * v).dot = u.dot * v.val + u.val * v.dot``. Nothing is recorded, so
nothing needs to be stored for later: the derivative is ready when the value is. This is the
forward mode of automatic differentiation; :class:`nnlab.graph.Value` is the reverse mode.

One pass gives the derivative of *every* output along *one* input direction. For the gradient
of one loss with respect to n inputs, forward mode needs n passes (one seed ``dot = 1`` per
input), reverse mode one backward pass.

Examples
--------
>>> x = Dual(2.0, 1.0)  # seed: differentiate with respect to x
>>> y = (x * x - 3 * x).tanh()
>>> round(y.val, 6), round(y.dot, 6)  # tanh(-2) and (1 - tanh(-2)^2) (2x - 3)
(-0.964028, 0.070651)
"""

from __future__ import annotations

import math
import numbers

__all__ = ["Dual"]


def _real(x, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"Dual expected a real number for {what}, got {type(x).__name__}.")
    try:
        value = float(x)
    except OverflowError:  # an int beyond the float64 range
        raise ValueError(f"Dual expected {what} within the float64 range.") from None
    if not math.isfinite(value):
        raise ValueError(f"Dual expected {what} to be finite, got {value!r}.")
    return value


def _result(val: float, dot: float, op: str) -> Dual:
    if not (math.isfinite(val) and math.isfinite(dot)):
        raise OverflowError(f"Dual.{op}: the value or its derivative is beyond float64 ({val!r}).")
    return Dual(val, dot)


class Dual:
    """A dual number ``val + dot ε`` (with ``ε² = 0``): a value and its derivative.

    Supports ``+ - * /`` with another Dual or a real number on either side, unary ``-``,
    ``** k`` for a real constant ``k``, and ``tanh``, ``exp``, ``log``, ``relu``,
    ``sigmoid``. Each returns a new Dual whose ``dot`` is the exact derivative of the
    operation times the operands' ``dot``.

    Parameters
    ----------
    val : float
        The value.
    dot : float, default 0.0
        Its derivative along the chosen direction: 1.0 for the input being differentiated
        (the *seed*), 0.0 for a constant.

    Raises
    ------
    TypeError
        If ``val``, ``dot`` or an operand is not a real number, or an exponent is a Dual.
    ValueError
        If a number is nan or inf, or an operation is undefined there: division by zero, the
        log of a non-positive number, a negative base to a fractional power, or a power whose
        derivative is infinite there (``x ** 0.5`` at 0).
    OverflowError
        If a result or its derivative is beyond the float64 range.
    """

    __slots__ = ("dot", "val")
    __array_ufunc__ = None  # NumPy defers to Dual: np.float64(2.0) * Dual(...) is a Dual

    def __init__(self, val, dot=0.0) -> None:
        self.val = _real(val, "val")
        self.dot = _real(dot, "dot")

    @staticmethod
    def _lift(other) -> Dual:
        if isinstance(other, Dual):
            return other
        return Dual(_real(other, "an operand"), 0.0)

    # -- arithmetic: the sum, product and quotient rules ----------------------------------

    def __add__(self, other) -> Dual:
        o = self._lift(other)
        return _result(self.val + o.val, self.dot + o.dot, "__add__")

    def __sub__(self, other) -> Dual:
        o = self._lift(other)
        return _result(self.val - o.val, self.dot - o.dot, "__sub__")

    def __mul__(self, other) -> Dual:
        o = self._lift(other)
        return _result(self.val * o.val, self.dot * o.val + self.val * o.dot, "__mul__")

    def __truediv__(self, other) -> Dual:
        o = self._lift(other)
        if o.val == 0:
            raise ValueError(f"Dual.__truediv__: division by zero ({self.val!r} / 0).")
        q = self.val / o.val
        return _result(q, (self.dot - q * o.dot) / o.val, "__truediv__")

    def __radd__(self, other) -> Dual:
        return self._lift(other) + self

    def __rsub__(self, other) -> Dual:
        return self._lift(other) - self

    def __rmul__(self, other) -> Dual:
        return self._lift(other) * self

    def __rtruediv__(self, other) -> Dual:
        return self._lift(other) / self

    def __neg__(self) -> Dual:
        return Dual(-self.val, -self.dot)

    def __pow__(self, k) -> Dual:
        if isinstance(k, Dual):
            raise TypeError("Dual ** Dual is not supported: the exponent must be a constant.")
        k, x = _real(k, "the exponent"), self.val
        if x < 0 and not k.is_integer():
            raise ValueError(f"Dual.__pow__: ({x!r}) ** {k!r} is not a real number.")
        if x == 0 and k < 0:
            raise ValueError(f"Dual.__pow__: division by zero (0 ** {k!r}).")
        if x == 0 and 0 < k < 1:
            raise ValueError(f"Dual.__pow__: the derivative of x ** {k!r} is infinite at 0.")
        try:
            val = x**k
            slope = k * x ** (k - 1) if k != 0 else 0.0
        except OverflowError:
            val = slope = math.inf
        return _result(val, slope * self.dot, "__pow__")

    # -- functions: the derivative of each, times the input's dot --------------------------

    def exp(self) -> Dual:
        try:
            e = math.exp(self.val)
        except OverflowError:
            e = math.inf
        return _result(e, e * self.dot, "exp")

    def log(self) -> Dual:
        if self.val <= 0:
            raise ValueError(f"Dual.log expected a positive value, got {self.val!r}.")
        return _result(math.log(self.val), self.dot / self.val, "log")

    def tanh(self) -> Dual:
        t = math.tanh(self.val)
        return Dual(t, (1.0 - t * t) * self.dot)

    def sigmoid(self) -> Dual:
        x = self.val
        s = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
        return Dual(s, s * (1.0 - s) * self.dot)

    def relu(self) -> Dual:
        """``max(x, 0)``; its derivative at 0 is taken as 0, as in nnlab's ReLU layer."""
        return Dual(self.val, self.dot) if self.val > 0 else Dual(0.0, 0.0)

    def __repr__(self) -> str:
        return f"Dual(val={self.val!r}, dot={self.dot!r})"
