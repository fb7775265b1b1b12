"""Exercises on forward-mode differentiation (chapter forward-reverse-modes).

- :func:`check_dual_op`: one rule of dual-number arithmetic. For ``"mul"`` the learner writes
  ``fn(u, du, v, dv) -> (w, dw)``, the value and the tangent of ``w = u * v``; for
  ``"tanh"``, ``fn(z, dz) -> (a, da)`` for ``a = tanh(z)``. The numbers are floats; the
  reference is :class:`nnlab.Dual`.
- :func:`check_dense_jvp`: a dense layer's forward-mode rule, ``fn(X, W, b, dX, dW, db) ->
  (Z, dZ)`` with ``Z = X W + b`` and ``dZ`` its derivative along ``(dX, dW, db)``; the
  reference is :meth:`nnlab.Dense.jvp`.
"""

from __future__ import annotations

import math

import numpy as np

from ..dual import Dual
from ..layers import Dense
from ._feedback import Case, Feedback, Wrong, unpack_tuple
from ._runner import Exercise, Variant, run

DUAL_OPS = ("mul", "tanh")


def dual_mul_solution(u: float, du: float, v: float, dv: float) -> tuple[float, float]:
    """Reference solution: ``w = u v`` and, by the product rule, ``dw = du v + u dv``."""
    return u * v, du * v + u * dv


def dual_tanh_solution(z: float, dz: float) -> tuple[float, float]:
    """Reference solution: ``a = tanh(z)`` and ``da = (1 - a^2) dz``."""
    a = math.tanh(z)
    return a, (1.0 - a * a) * dz


def dense_jvp_solution(X, W, b, dX, dW, db) -> tuple[np.ndarray, np.ndarray]:
    """Reference solution: ``Z = X W + b`` and ``dZ = dX W + X dW + db``.

    Shapes
    ------
    X, dX ``(N, n_in)``; W, dW ``(n_in, n_out)``; b, db ``(n_out,)`` -> Z, dZ ``(N, n_out)``.
    """
    return X @ W + b, dX @ W + X @ dW + db


def _dual_cases(op: str) -> list[Case]:
    if op == "tanh":
        values = [(0.5, 1.0), (-1.2, 0.3), (0.0, 2.0), (2.5, -1.5)]
        return [Case(f"tanh at z = {z:g}, dz = {d:g}", {"z": z, "dz": d}) for z, d in values]
    values = [(2.0, 1.0, -3.0, 0.0), (1.5, 0.5, 4.0, -2.0), (-0.7, 2.0, 0.2, 1.0)]
    values.append((3.0, -1.0, 3.0, 0.25))
    names = ("u", "du", "v", "dv")
    return [
        Case(
            ", ".join(f"{n} = {x:g}" for n, x in zip(names, row, strict=True)),
            dict(zip(names, row, strict=True)),
        )
        for row in values
    ]


def _dual_reference(op: str):
    def reference(*args) -> dict:
        if op == "tanh":
            out = Dual(args[0], args[1]).tanh()
            return {"a": np.asarray(out.val), "da": np.asarray(out.dot)}
        out = Dual(args[0], args[1]) * Dual(args[2], args[3])
        return {"w": np.asarray(out.val), "dw": np.asarray(out.dot)}

    return reference


def _dual_unpack(op: str):
    names = ("a", "da") if op == "tanh" else ("w", "dw")

    def unpack(out) -> dict:
        if isinstance(out, Dual):
            raise Wrong("your function returned a Dual: return the two numbers (val, dot)")
        values = unpack_tuple(out, names, scalars=names)
        for name, v in values.items():
            if v.ndim:
                raise Wrong(f"your {name} has shape {v.shape}; it must be a single number")
        return values

    return unpack


def _dual_variants(op: str) -> tuple[Variant, ...]:
    if op == "tanh":
        return (
            Variant(
                ("da",),
                lambda z, dz: {"da": 1 - math.tanh(z) ** 2},
                "your da misses the factor dz: the tangent of the output is the derivative "
                "times the tangent of the input (the chain rule, going forward).",
            ),
            Variant(
                ("da",),
                lambda z, dz: {"da": (1 - z * z) * dz},
                "your da uses 1 - z^2: tanh' is 1 - a^2 with a = tanh(z), the output.",
            ),
            Variant(
                ("da",),
                lambda z, dz: {"da": (1 - math.tanh(z)) * dz},
                "your da uses 1 - tanh(z): the derivative of tanh is 1 - tanh(z)^2.",
            ),
            Variant(
                ("a",),
                lambda z, dz: {"a": z},
                "your a is z itself: the value of the result is tanh(z).",
            ),
        )
    return (
        Variant(
            ("dw",),
            lambda u, du, v, dv: {"dw": du * dv},
            "your dw multiplies the two tangents: the product rule is du v + u dv (du dv is "
            "the epsilon^2 term, which dual numbers drop).",
        ),
        Variant(
            ("dw",),
            lambda u, du, v, dv: {"dw": du * v},
            "your dw has only du v: add u dv, the change that comes from v.",
        ),
        Variant(
            ("dw",),
            lambda u, du, v, dv: {"dw": u * dv},
            "your dw has only u dv: add du v, the change that comes from u.",
        ),
        Variant(
            ("dw",),
            lambda u, du, v, dv: {"dw": du * u + v * dv},
            "your dw pairs each tangent with its own value (du u + v dv): each tangent "
            "multiplies the *other* value, du v + u dv.",
        ),
        Variant(
            ("dw",),
            lambda u, du, v, dv: {"dw": du + dv},
            "your dw adds the tangents, the rule of a sum: a product's is du v + u dv.",
        ),
    )


def check_dual_op(fn, op: str = "mul") -> Feedback:
    """Check one rule of dual-number arithmetic.

    ``op`` is ``"mul"`` (default), with ``fn(u, du, v, dv) -> (w, dw)``, or ``"tanh"``, with
    ``fn(z, dz) -> (a, da)``. Floats in, two floats out: the value and the tangent of the
    result, as :class:`nnlab.Dual` computes them. Four cases each.

    Diagnoses, for mul: du dv, one of the two terms, each tangent times its own value, the
    sum rule; for tanh: dz left out, ``1 - z^2``, ``1 - tanh(z)``, the value left as z; a
    ``Dual`` returned instead of numbers; exceptions and ``None``.

    Examples
    --------
    >>> check_dual_op(dual_mul_solution, "mul").passed
    True
    """
    if op not in DUAL_OPS:
        valid = ", ".join(repr(o) for o in DUAL_OPS)
        return Feedback(False, f"op must be one of {valid}, got {op!r}.", "Dual op")
    args, out = ("z, dz", "(a, da)") if op == "tanh" else ("u, du, v, dv", "(w, dw)")
    names = ("a", "da") if op == "tanh" else ("w", "dw")
    spec = Exercise(
        title=f"Dual {op}",
        todo=f"implement fn({args}) returning {out}, the value and the tangent of "
        + ("tanh(z)." if op == "tanh" else "u * v."),
        cases=_dual_cases(op),
        components={n: "be a single number" for n in names},
        unpack=_dual_unpack(op),
        reference=_dual_reference(op),
        passed=f"{out} match nnlab.Dual's {op} on 4 cases.",
        variants=_dual_variants(op),
    )
    return run(fn, spec)


# -- a dense layer's JVP ----------------------------------------------------------------------


def _dense_cases() -> list[Case]:
    rng = np.random.default_rng(20261207)
    cases = []
    for label, (N, n_in, n_out) in [
        ("a batch of 4, 3 inputs, 2 outputs", (4, 3, 2)),
        ("one sample, 5 inputs, 3 outputs", (1, 5, 3)),
        ("a square W (3 x 3), batch 2", (2, 3, 3)),
    ]:
        args = {
            "X": rng.normal(size=(N, n_in)),
            "W": rng.normal(size=(n_in, n_out)),
            "b": rng.normal(size=n_out),
            "dX": rng.normal(size=(N, n_in)),
            "dW": rng.normal(size=(n_in, n_out)),
            "db": rng.normal(size=n_out),
        }
        cases.append(Case(label, args))
    return cases


def _dense_reference(X, W, b, dX, dW, db) -> dict:
    layer = Dense(*W.shape, init="zeros")
    layer.W, layer.b = W, b
    Z, dZ = layer.jvp(X, dX, np.concatenate([dW.ravel(), db]))
    return {"Z": Z, "dZ": dZ}


DENSE_VARIANTS = (
    Variant(
        ("dZ",),
        lambda X, W, b, dX, dW, db: {"dZ": dX @ W + db},
        "your dZ leaves out X dW: when W moves along dW, Z moves by X dW (the product rule "
        "on X W).",
    ),
    Variant(
        ("dZ",),
        lambda X, W, b, dX, dW, db: {"dZ": X @ dW + db},
        "your dZ leaves out dX W, the change that comes from the input.",
    ),
    Variant(
        ("dZ",),
        lambda X, W, b, dX, dW, db: {"dZ": dX @ W + X @ dW},
        "your dZ leaves out db: the bias moves every row of Z by db.",
    ),
    Variant(
        ("dZ",),
        lambda X, W, b, dX, dW, db: {"dZ": dX @ W + X @ dW + db + dX @ dW},
        "your dZ includes dX dW: that is a second-order term, which a derivative drops.",
    ),
    Variant(
        ("dZ",),
        lambda X, W, b, dX, dW, db: {"dZ": dX @ dW + db},
        "your dZ multiplies the two tangents (dX dW): each tangent multiplies the *other* "
        "factor's value, dX W + X dW.",
    ),
    Variant(
        ("dZ",),
        lambda X, W, b, dX, dW, db: {"dZ": dX @ W.T + X @ dW + db},
        "your dZ uses W.T: a tangent travels the forward way, dX W; the transpose belongs to "
        "the backward pass (dL/dX = dL/dZ W.T).",
    ),
    Variant(
        ("dZ",),
        lambda X, W, b, dX, dW, db: {"dZ": dX @ W + X @ dW + b},
        "your dZ adds b, the bias itself: its tangent is db.",
    ),
    Variant(
        ("Z",),
        lambda X, W, b, dX, dW, db: {"Z": X @ W},
        "your Z has no bias: Z = X W + b.",
    ),
)


def check_dense_jvp(fn) -> Feedback:
    """Check a dense layer's forward-mode rule: ``fn(X, W, b, dX, dW, db) -> (Z, dZ)``.

    ``Z = X W + b`` and ``dZ = dX W + X dW + db``, compared with :meth:`nnlab.Dense.jvp` on
    three cases (a batch of 4, one sample, a square W).

    Diagnoses: a term of the product rule left out (X dW, dX W or db); the second-order term
    dX dW added, or dX dW in place of both terms; b instead of db; Z without the bias;
    wrong shapes, exceptions and ``None``.

    Examples
    --------
    >>> check_dense_jvp(dense_jvp_solution).passed
    True
    """
    spec = Exercise(
        title="Dense JVP",
        todo="implement fn(X, W, b, dX, dW, db) returning (Z, dZ): Z = X W + b and its "
        "derivative along the tangents dX, dW, db.",
        cases=_dense_cases(),
        components={"Z": "have shape (N, n_out), {want}", "dZ": "have shape (N, n_out), {want}"},
        unpack=lambda out: unpack_tuple(out, ("Z", "dZ")),
        reference=_dense_reference,
        passed="Z and dZ match nnlab.Dense.jvp on 3 cases (a batch, one sample, a square W).",
        variants=DENSE_VARIANTS,
    )
    return run(fn, spec)


__all__ = [
    "DUAL_OPS",
    "check_dense_jvp",
    "check_dual_op",
    "dense_jvp_solution",
    "dual_mul_solution",
    "dual_tanh_solution",
]
