"""Exercise: the backward pass of an activation, ``dZ = dA * f'(Z)`` (entry by entry).

The learner writes ``activation_backward(Z, dA) -> dZ`` for sigmoid, tanh or ReLU;
:func:`check_activation_backward` compares it with nnlab's activation layers. ReLU follows
nnlab's (and PyTorch's) convention ``ReLU'(0) = 0``: its backward keeps ``dA`` where ``Z > 0``.
"""

from __future__ import annotations

import numpy as np

from ..activations import ReLU, Sigmoid, Tanh
from ._feedback import Case, Feedback, Raised, Wrong, as_array
from ._runner import Exercise, Variant, close, run

LAYERS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU}
_FORMULA = {
    "sigmoid": "sigmoid'(z) = sigmoid(z) (1 - sigmoid(z))",
    "tanh": "tanh'(z) = 1 - tanh(z)^2",
    "relu": "ReLU'(z) = 1 for z > 0, else 0",
}


def sigmoid_backward_solution(Z: np.ndarray, dA: np.ndarray) -> np.ndarray:
    """Reference solution: ``dZ = dA * A (1 - A)`` with ``A = sigmoid(Z)``, computed stably."""
    A = Sigmoid.f(Z)
    return dA * A * (1.0 - A)


def tanh_backward_solution(Z: np.ndarray, dA: np.ndarray) -> np.ndarray:
    """Reference solution: ``dZ = dA * (1 - A^2)`` with ``A = tanh(Z)``."""
    A = np.tanh(Z)
    return dA * (1.0 - A * A)


def relu_backward_solution(Z: np.ndarray, dA: np.ndarray) -> np.ndarray:
    """Reference solution: ``dZ = dA`` where ``Z > 0``, else 0 (so ``ReLU'(0) = 0``)."""
    return dA * (Z > 0)


SOLUTIONS = {
    "sigmoid": sigmoid_backward_solution,
    "tanh": tanh_backward_solution,
    "relu": relu_backward_solution,
}


def _cases() -> list[Case]:
    rng = np.random.default_rng(20240613)
    near_zero = np.array([[0.0, 1e-12, -1e-12, 2.0], [-0.0, 0.5, -3.0, 1e-12]])
    large = np.array([[800.0, -800.0, 30.0], [-30.0, 50.0, -50.0]])
    shapes = [("a batch of 4 with 3 units", (4, 3)), ("a batch of 1", (1, 5))]
    cases = [Case(label, {"Z": rng.normal(scale=2.0, size=s)}) for label, s in shapes]
    cases.append(Case("z exactly 0 and ±1e-12", {"Z": near_zero}, {"near_zero": True}))
    cases.append(Case("large |z|", {"Z": large}, {"large": True}))
    for case in cases:
        # dA is never 0 (and never 1), so a missing factor dA always shows.
        dA = rng.uniform(0.5, 2.0, size=case.args["Z"].shape)
        case.args["dA"] = dA * rng.choice([-1.0, 1.0], size=dA.shape)
    return cases


def _reference(name: str):
    def reference(Z, dA) -> dict:
        layer = LAYERS[name]()
        layer.forward(Z)
        return {"dZ": layer.backward(dA)}

    return reference


def _unpack(out) -> dict:
    if isinstance(out, tuple):
        raise Wrong(
            f"your function returned a tuple of {len(out)} values; it must return dZ alone, "
            "an array shaped like Z"
        )
    return {"dZ": as_array(out, "dZ")}


def _variants(name: str) -> tuple[Variant, ...]:
    layer = LAYERS[name]
    f, df = layer.f, layer.df
    fname = name if name != "relu" else "ReLU"
    out = [
        Variant(
            ("dZ",),
            lambda Z, dA: {"dZ": df(Z)},
            f"your dZ is {fname}'(Z) alone: the chain rule multiplies it by the incoming "
            "gradient dA, entry by entry.",
        ),
        Variant(
            ("dZ",),
            lambda Z, dA: {"dZ": dA * f(Z)},
            f"your dZ is dA times {fname}(Z), the activation itself: use its derivative.",
        ),
        Variant(
            ("dZ",),
            lambda Z, dA: {"dZ": f(Z)},
            f"your dZ is {fname}(Z), the forward output: the backward pass needs the "
            "derivative, times dA.",
        ),
    ]
    if name == "sigmoid":
        out += [
            Variant(
                ("dZ",),
                lambda Z, dA: {"dZ": dA * Z * (1 - Z)},
                "your dZ uses z (1 - z): the formula A (1 - A) is in terms of the output "
                "A = sigmoid(z), not of z.",
            ),
            Variant(
                ("dZ",),
                lambda Z, dA: {"dZ": dA * (1 - f(Z) ** 2)},
                "your dZ uses 1 - sigmoid(z)^2, which is the shape of tanh's derivative: "
                "sigmoid's is different.",
            ),
        ]
    elif name == "tanh":
        out += [
            Variant(
                ("dZ",),
                lambda Z, dA: {"dZ": dA * (1 - Z**2)},
                "your dZ uses 1 - z^2: the formula 1 - A^2 is in terms of the output "
                "A = tanh(z), not of z.",
            ),
            Variant(
                ("dZ",),
                lambda Z, dA: {"dZ": dA * (1 - np.tanh(Z))},
                "your dZ uses 1 - tanh(z): the square is missing.",
            ),
            Variant(
                ("dZ",),
                lambda Z, dA: {"dZ": dA * Sigmoid.df(Z)},
                "your dZ uses sigmoid's derivative: tanh's is different.",
            ),
        ]
    else:
        out.append(
            Variant(
                ("dZ",),
                lambda Z, dA: {"dZ": np.maximum(dA, 0.0)},
                "your dZ applies ReLU to dA: the mask comes from Z (where z > 0), not from the "
                "sign of dA.",
            )
        )
    return tuple(out)


def _relu_at_zero(learner, reference, cases):
    """ReLU right everywhere except at z = 0 or ±1e-12: say which convention broke."""
    if any(isinstance(o, Raised) for o in learner):
        return None
    if learner[0]["dZ"].shape != reference[0]["dZ"].shape:
        return None
    for i, case in enumerate(cases):
        if not case.meta.get("near_zero") and not close(learner[i]["dZ"], reference[i]["dZ"]):
            return None
    i = next(i for i, c in enumerate(cases) if c.meta.get("near_zero"))
    Z, dA, got = cases[i].args["Z"], cases[i].args["dA"], learner[i]["dZ"]
    if got.shape != Z.shape:
        return None
    far = np.abs(Z) > 1e-9
    if not close(got[far], reference[i]["dZ"][far]):
        return None
    ratio = got / dA
    notes = []
    for z, want, why in [
        (
            0.0,
            0.0,
            "nnlab uses 0 there, as PyTorch does (the mask Z > 0; any value in [0, 1] is "
            "a valid subgradient, but the checks follow nnlab)",
        ),
        (1e-12, 1.0, "z > 0 there, so the slope is 1: compare with 0 exactly, no tolerance"),
        (-1e-12, 0.0, "z < 0 there, so the slope is 0: compare with 0 exactly, no tolerance"),
    ]:
        at = Z == z
        r = ratio[at]
        if not np.allclose(r, want):
            notes.append(
                f"at z = {z:g} your dZ / dA is {float(r[~np.isclose(r, want)][0]):g}; {why}"
            )
    if not notes:
        return None
    return "your ReLU backward is right except at z = 0 or very near it: " + "; ".join(
        notes
    ) + ".", ("dZ",)


def _overflow(learner, reference, cases):
    """Right on moderate z, nan or inf for |z| of several hundred: an exp overflowed."""
    if any(isinstance(o, Raised) for o in learner):
        return None
    for i, case in enumerate(cases):
        if not case.meta.get("large") and not close(learner[i]["dZ"], reference[i]["dZ"]):
            return None
    i = next(i for i, c in enumerate(cases) if c.meta.get("large"))
    if np.isfinite(learner[i]["dZ"]).all():
        return None
    return (
        f"your dZ is right for moderate z but contains nan or inf on the case "
        f"{cases[i].describe()}: exp(800) overflows to inf, and inf / inf is nan. Write the "
        "derivative in terms of the activation's output A, which stays in range.",
        ("dZ",),
    )


def _advice(exc: Exception, case: Case) -> str:
    if isinstance(exc, ValueError) and "matmul" in str(exc):
        return "An activation acts entry by entry: its backward uses *, not @."
    return ""


def check_activation_backward(fn, activation: str) -> Feedback:
    """Check ``fn(Z, dA) -> dZ``, the backward pass of ``A = f(Z)`` for one activation.

    ``activation`` is ``"sigmoid"``, ``"tanh"`` or ``"relu"``. Four cases: batches of 4 and
    1, entries at exactly 0 (and -0.0) and at ±1e-12, and ``|z|`` up to 800. ReLU uses nnlab's
    convention ``ReLU'(0) = 0`` (as PyTorch): the gradient passes only where ``Z > 0``.

    Diagnoses: ``dA`` not multiplied in; ``f(Z)`` instead of ``f'(Z)`` (with or without
    ``dA``); the derivative written in terms of ``z`` where it is in terms of ``A``
    (``z (1 - z)`` for sigmoid, ``1 - z^2`` for tanh); tanh' without the square, or the other
    activation's derivative; ReLU's slope at 0 or within 1e-12 of it, and ReLU applied to
    ``dA``; overflow (nan) for large ``|z|``; exceptions, wrong shapes, inputs changed in place.

    Examples
    --------
    >>> check_activation_backward(tanh_backward_solution, "tanh").passed
    True
    """
    name = activation.lower() if isinstance(activation, str) else activation
    if name not in LAYERS:
        valid = ", ".join(repr(n) for n in LAYERS)
        return Feedback(
            False, f"activation must be one of {valid}, got {activation!r}.", "Activation backward"
        )
    layer = LAYERS[name]
    convention = " (ReLU'(0) = 0, nnlab's convention)" if name == "relu" else ""
    spec = Exercise(
        title=f"{layer.__name__} backward",
        todo=f"implement fn(Z, dA) returning dZ = dL/dZ for A = {name}(Z), using {_FORMULA[name]}.",
        cases=_cases(),
        components={"dZ": "have the shape of Z, {want}"},
        unpack=_unpack,
        reference=_reference(name),
        passed=(
            f"dZ matches nnlab's {layer.__name__}.backward on 4 cases, including a batch of 1, "
            f"z exactly 0 and ±1e-12{convention}, and |z| up to 800; your function left its "
            "inputs unchanged."
        ),
        variants=_variants(name),
        specials=(_relu_at_zero,) if name == "relu" else (_overflow,),
        advice=_advice,
    )
    return run(fn, spec)
