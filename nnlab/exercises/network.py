"""Exercise: backpropagation through a two-layer network (book eqs. BP1-BP4).

The network is ``Z1 = X W1 + 1_N b1``, ``A1 = tanh(Z1)``, ``Z2 = A1 W2 + 1_N b2``, with the
mean softmax cross-entropy of the logits ``Z2`` as the loss. The learner writes
``two_layer_backward(X, y, W1, b1, W2, b2) -> {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}``;
:func:`check_two_layer_backward` compares it with an nnlab ``Sequential`` of the same layers.
"""

from __future__ import annotations

import numpy as np

from ..activations import Tanh
from ..layers import Dense
from ..losses import SoftmaxCrossEntropy
from ..network import Sequential
from ._feedback import Case, Feedback, Wrong, as_array, kind
from ._runner import Exercise, Variant, run

TODO = (
    "implement fn(X, y, W1, b1, W2, b2) returning a dict {'W1': dW1, 'b1': db1, 'W2': dW2, "
    "'b2': db2} for Z1 = X W1 + b1, A1 = tanh(Z1), Z2 = A1 W2 + b2 and the mean softmax "
    "cross-entropy of Z2."
)
NAMES = ("W1", "b1", "W2", "b2")


def two_layer_backward_solution(X, y, W1, b1, W2, b2) -> dict:
    """Reference solution: forward, then BP1 (output delta), BP2 (hidden delta), BP3-BP4.

    Shapes
    ------
    X ``(N, n_0)``, y ``(N,)`` integer classes, W1 ``(n_0, n_1)``, b1 ``(n_1,)``,
    W2 ``(n_1, n_2)``, b2 ``(n_2,)`` -> a dict of gradients shaped like W1, b1, W2, b2.
    """
    n = len(X)
    A1 = np.tanh(X @ W1 + b1)
    Z2 = A1 @ W2 + b2
    P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    dZ2 = P.copy()
    dZ2[np.arange(n), y] -= 1.0
    dZ2 /= n  # BP1: the 1/N of the mean loss
    dZ1 = (dZ2 @ W2.T) * (1.0 - A1**2)  # BP2
    return {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": A1.T @ dZ2, "b2": dZ2.sum(axis=0)}


def _cases() -> list[Case]:
    rng = np.random.default_rng(20240614)
    cases = []
    for label, n, n0, n1, n2 in [
        ("a batch of 5 (3 inputs, 4 hidden units, 2 classes)", 5, 3, 4, 2),
        ("a batch of 1", 1, 2, 3, 4),
        ("a square W2", 4, 3, 3, 3),
        ("a batch of 6 (4 inputs, 2 hidden units, 3 classes)", 6, 4, 2, 3),
    ]:
        args = {
            "X": rng.normal(size=(n, n0)),
            "y": rng.integers(0, n2, n),
            "W1": rng.normal(scale=0.8, size=(n0, n1)),
            "b1": rng.normal(scale=0.3, size=n1),
            "W2": rng.normal(scale=0.8, size=(n1, n2)),
            "b2": rng.normal(scale=0.3, size=n2),
        }
        cases.append(Case(label, args))
    return cases


def _reference(X, y, W1, b1, W2, b2) -> dict:
    first, second = Dense(*W1.shape, init="zeros"), Dense(*W2.shape, init="zeros")
    first.W, first.b, second.W, second.b = W1, b1, W2, b2
    net, loss = Sequential([first, Tanh(), second]), SoftmaxCrossEntropy()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    return {
        "dW1": first.dW.copy(),
        "db1": first.db.copy(),
        "dW2": second.dW.copy(),
        "db2": second.db.copy(),
    }


def _unpack(out) -> dict:
    if not isinstance(out, dict):
        raise Wrong(
            f"your function returned {kind(out)}; it must return a dict with the keys 'W1', "
            "'b1', 'W2' and 'b2' (one gradient per parameter)"
        )
    grads = {}
    for name in NAMES:
        key = name if name in out else "d" + name
        if key not in out:
            keys = ", ".join(repr(k) for k in out)
            raise Wrong(
                f"your dict has the keys {keys or 'none'}; it needs 'W1', 'b1', 'W2' and 'b2'"
            )
        grads["d" + name] = as_array(out[key], "d" + name)
    return grads


def _backprop(
    X,
    y,
    W1,
    b1,
    W2,
    b2,
    *,
    deriv="1 - A1^2",
    hidden="A1",
    mean=True,
    sign=1.0,
    transpose_dA1=True,
    transposed=False,
    db_axis=0,
) -> dict:
    """The gradients with one deliberate mistake switched on (the defaults are right)."""
    n = len(X)
    Z1 = X @ W1 + b1
    A1 = np.tanh(Z1)
    Z2 = A1 @ W2 + b2
    P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    Y = np.zeros_like(P)
    Y[np.arange(n), y] = 1.0
    dZ2 = sign * (P - Y) / (n if mean else 1)
    H = {"A1": A1, "X": X, "Z1": Z1}[hidden]
    dA1 = dZ2 @ W2.T if transpose_dA1 else dZ2 @ W2
    slope = {
        "1 - A1^2": 1 - A1**2,
        "none": 1.0,
        "1 - Z1^2": 1 - Z1**2,
        "tanh twice": 1 - np.tanh(A1) ** 2,
    }[deriv]
    dZ1 = dA1 * slope
    dW1, dW2 = (dZ1.T @ X, dZ2.T @ H) if transposed else (X.T @ dZ1, H.T @ dZ2)
    return {"dW1": dW1, "db1": dZ1.sum(axis=db_axis), "dW2": dW2, "db2": dZ2.sum(axis=db_axis)}


def _variant(what, hint, same_shape_hint="", **mistake) -> Variant:
    return Variant(what, lambda *args: _backprop(*args, **mistake), hint, same_shape_hint)


VARIANTS = (
    _variant(
        ("dW1", "db1"),
        "your {what} miss{es} tanh's derivative (BP2): the hidden layer's delta is dA1 times "
        "f'(Z1), entry by entry.",
        deriv="none",
    ),
    _variant(
        ("dW1", "db1"),
        "your {what} use{s} 1 - Z1^2 for tanh': the formula 1 - A^2 is in terms of the output "
        "A1 = tanh(Z1), not of Z1.",
        deriv="1 - Z1^2",
    ),
    _variant(
        ("dW1", "db1"),
        "your {what} use{s} 1 - tanh(A1)^2: that applies tanh twice; 1 - A^2 takes the output "
        "A1 as it is.",
        deriv="tanh twice",
    ),
    _variant(
        ("dW2",),
        "your dW2 has shape {got}, W2 is {want}: did you use X where the second layer's input, "
        "A1, belongs (BP4)?",
        "your dW2 uses X where the second layer's input, A1, belongs (BP4).",
        hidden="X",
    ),
    _variant(
        ("dW2",),
        "your dW2 uses Z1, the hidden pre-activations: the second layer's input is A1 = "
        "tanh(Z1) (BP4).",
        hidden="Z1",
    ),
    _variant(
        ("dW1", "db1"),
        "your {what} come{s} from dZ2 @ W2, without the transpose: it only ran when W2 was "
        "square, and there gave wrong values; dA1 must come out (N, n_1), like A1.",
        transpose_dA1=False,
    ),
    _variant(
        ("dW1", "db1", "dW2", "db2"),
        "your {what} {is_} N times too large: the 1/N of the mean loss is missing from the "
        "output delta (BP1).",
        mean=False,
    ),
    _variant(
        ("dW1", "db1", "dW2", "db2"),
        "your {what} {has} the opposite sign: the output delta is P - Y (probabilities minus "
        "one-hot), not Y - P.",
        sign=-1.0,
    ),
    _variant(
        ("dW1", "dW2"),
        "your {what} {has} shape {got} where {want} is needed: a transpose, dZ.T @ A_prev "
        "instead of A_prev.T @ dZ?",
        "your {what} {is_} transposed: dZ.T @ A_prev instead of A_prev.T @ dZ?",
        transposed=True,
    ),
    _variant(
        ("db1", "db2"),
        "your {what} {has} shape {got}, one entry per sample; a bias gradient has one entry per "
        "unit, {want}: sum over axis 0, the batch.",
        db_axis=1,
    ),
)


def _advice(exc: Exception, case: Case) -> str:
    if isinstance(exc, ValueError) and any(w in str(exc) for w in ("matmul", "broadcast")):
        shapes = ", ".join(f"{k} {v.shape}" for k, v in case.args.items() if k != "y")
        return (
            f"A product with shapes that do not fit means a missing or extra transpose: write "
            f"the shape beside each factor ({shapes}); each gradient has the shape of its "
            "parameter, each delta the shape of its Z."
        )
    if isinstance(exc, IndexError):
        return "y holds class indices (N,): index the probabilities with (np.arange(N), y)."
    return ""


def check_two_layer_backward(fn) -> Feedback:
    """Check ``fn(X, y, W1, b1, W2, b2) -> dict`` of gradients of a two-layer tanh network.

    Network: ``Z1 = X W1 + b1``, ``A1 = tanh(Z1)``, ``Z2 = A1 W2 + b2``; loss: the batch mean
    of the softmax cross-entropy of ``Z2`` against integer labels ``y``. ``fn`` returns
    ``{"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}`` (keys ``"dW1"``, ... are accepted too).
    Four cases, including a batch of 1 and a square ``W2``.

    Diagnoses: tanh's derivative missing (BP2), written as ``1 - Z1^2`` or applied twice;
    ``X`` or ``Z1`` instead of ``A1`` in ``dW2`` (BP4); ``dZ2 @ W2`` without the transpose;
    the 1/N of the mean missing (BP1); a flipped sign; transposed weight gradients; bias
    gradients summed over the wrong axis; a tuple instead of a dict, missing keys; exceptions,
    wrong shapes, NaN, inputs changed in place.

    Examples
    --------
    >>> check_two_layer_backward(two_layer_backward_solution).passed
    True
    """
    spec = Exercise(
        title="Two-layer backward",
        todo=TODO,
        cases=_cases(),
        components={f"d{n}": f"have the shape of {n}, {{want}}" for n in NAMES},
        unpack=_unpack,
        reference=_reference,
        passed=(
            "dW1, db1, dW2 and db2 match nnlab's Sequential([Dense, Tanh, Dense]) with "
            "SoftmaxCrossEntropy on 4 cases, including a batch of 1 and a square W2; your "
            "function left its inputs unchanged."
        ),
        variants=VARIANTS,
        advice=_advice,
    )
    return run(fn, spec)
