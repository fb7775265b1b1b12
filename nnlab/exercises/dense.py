"""Exercise: the backward pass of a dense layer, ``Z = X W + 1_N b`` (book eq. ``bp-dense``).

The learner writes ``dense_backward(X, W, b, dZ) -> (dW, db, dX)``; :func:`check_dense_backward`
compares it with :class:`nnlab.Dense` on four cases and names the usual mistakes.
"""

from __future__ import annotations

import numpy as np

from ..layers import Dense
from ._feedback import Case, Feedback, unpack_tuple
from ._runner import Exercise, Variant, run

TODO = (
    "implement fn(X, W, b, dZ) returning (dW, db, dX), the gradients of the loss for "
    "Z = X @ W + b, given dZ = dL/dZ."
)


def dense_backward_solution(X: np.ndarray, W: np.ndarray, b: np.ndarray, dZ: np.ndarray):
    """Reference solution: ``dW = X^T dZ``, ``db = 1_N^T dZ``, ``dX = dZ W^T``.

    Shapes
    ------
    X ``(N, n_in)``, W ``(n_in, n_out)``, b ``(n_out,)``, dZ ``(N, n_out)`` -> dW like W, db
    like b, dX like X.
    """
    return X.T @ dZ, dZ.sum(axis=0), dZ @ W.T


def _cases() -> list[Case]:
    rng = np.random.default_rng(20240611)
    cases = []
    for label, n, n_in, n_out in [
        ("a batch of 4 and a non-square W", 4, 5, 3),
        ("a batch of 1", 1, 3, 2),
        ("a square W", 2, 3, 3),
        ("a batch of 6 and a wide W", 6, 2, 4),
    ]:
        args = {
            "X": rng.normal(size=(n, n_in)),
            "W": rng.normal(size=(n_in, n_out)),
            "b": rng.normal(size=n_out),
            "dZ": rng.normal(size=(n, n_out)) / n,  # the 1/N of a mean loss is already in dZ
        }
        cases.append(Case(label, args))
    return cases


def _reference(X, W, b, dZ) -> dict:
    layer = Dense(W.shape[0], W.shape[1], init="zeros")
    layer.W, layer.b = W, b
    layer.forward(X)
    dX = layer.backward(dZ)
    return {"dW": layer.dW.copy(), "db": layer.db.copy(), "dX": dX}


def _unpack(out) -> dict:
    return unpack_tuple(out, ("dW", "db", "dX"))


VARIANTS = (
    Variant(
        ("dW",),
        lambda X, W, b, dZ: {"dW": dZ.T @ X},
        "your dW has shape {got}; dW must have the shape of W, {want}: did you compute "
        "dZ.T @ X instead of X.T @ dZ?",
        same_shape_hint="your dW is the transpose of the gradient: did you compute dZ.T @ X "
        "instead of X.T @ dZ?",
    ),
    Variant(
        ("dX",),
        lambda X, W, b, dZ: {"dX": dZ @ W},
        "your dX misses a transpose: with dZ of shape (N, n_out) and W of shape (n_in, n_out), "
        "dX must come out (N, n_in) like X; your product only ran when W was square, and "
        "there it gave wrong values.",
    ),
    Variant(
        ("dX",),
        lambda X, W, b, dZ: {"dX": W @ dZ.T},
        "your dX has shape {got}, the transpose of X's {want}: keep the batch first (one row "
        "per sample).",
        same_shape_hint="your dX is the transpose of the gradient: keep the batch first (one "
        "row per sample).",
    ),
    Variant(
        ("db",),
        lambda X, W, b, dZ: {"db": dZ.sum(axis=1)},
        "your db has shape {got}, one entry per sample; db must have the shape of b, {want}: "
        "did you sum dZ over axis 1 (the units) instead of axis 0 (the batch)?",
    ),
    Variant(
        ("db",),
        lambda X, W, b, dZ: {"db": dZ.sum(axis=0, keepdims=True)},
        "your db has shape {got}; db must have the shape of b, {want}: did you sum with "
        "keepdims=True?",
    ),
    Variant(
        ("db",),
        lambda X, W, b, dZ: {"db": np.asarray(dZ.sum())},
        "your db is a single number, the sum of all of dZ; db has one entry per unit (the "
        "shape of b, {want}): sum over the batch axis only.",
    ),
    Variant(
        ("db",),
        lambda X, W, b, dZ: {"db": dZ.copy()},
        "your db has shape {got}, the shape of dZ; db must have the shape of b, {want}: b is "
        "added to every row of Z, so its gradient collects every row of dZ.",
    ),
    Variant(
        ("dW", "db"),
        lambda X, W, b, dZ: {"dW": X.T @ dZ / len(X), "db": dZ.mean(axis=0)},
        "your {what} {has} an extra 1/N (a division by the batch size, or a mean over the "
        "batch): dZ already holds the 1/N of the mean loss, so sum over the batch instead.",
    ),
    Variant(
        ("dW", "db", "dX"),
        lambda X, W, b, dZ: {"dW": -(X.T @ dZ), "db": -dZ.sum(axis=0), "dX": -(dZ @ W.T)},
        "your {what} {has} the opposite sign of the gradient: no minus sign belongs in the "
        "backward pass (the minus of gradient descent comes later, in the update).",
    ),
)


def _advice(exc: Exception, case: Case) -> str:
    if isinstance(exc, ValueError) and any(
        w in str(exc) for w in ("matmul", "aligned", "mismatch", "broadcast")
    ):
        X, W = case.args["X"], case.args["W"]
        return (
            f"Shapes that do not fit usually mean a missing or extra transpose: here X is "
            f"{X.shape}, W {W.shape} and dZ {case.args['dZ'].shape}; write the shape beside "
            f"each factor so that dW comes out {W.shape} and dX {X.shape}."
        )
    return ""


def check_dense_backward(fn) -> Feedback:
    """Check ``fn(X, W, b, dZ) -> (dW, db, dX)``, the backward pass of ``Z = X @ W + b``.

    ``fn`` receives copies of the inputs of four cases (batches of 1, 2, 4 and 6; square and
    non-square ``W``) and its output is compared with :class:`nnlab.Dense`. ``dZ`` already
    holds the 1/N of the mean loss.

    Diagnoses: ``dW`` transposed (``dZ.T @ X``); ``dX`` without the transpose (``dZ @ W``:
    a shape error, or wrong values on the square case) or transposed; ``db`` summed over
    the wrong axis, with ``keepdims=True``, over everything, or not summed; an extra 1/N in
    ``dW`` and ``db``; a flipped sign; inputs changed in place; exceptions, ``None``, wrong
    shapes and NaN, each with the case that triggered it.

    Returns
    -------
    Feedback
        ``passed`` and a ``hint``; it shows as a coloured message in Jupyter.

    Examples
    --------
    >>> check_dense_backward(dense_backward_solution).passed
    True
    """
    spec = Exercise(
        title="Dense backward",
        todo=TODO,
        cases=_cases(),
        components={
            "dW": "have the shape of W, {want}",
            "db": "have the shape of b, {want}",
            "dX": "have the shape of X, {want}",
        },
        unpack=_unpack,
        reference=_reference,
        passed=(
            "dW, db and dX match nnlab's Dense.backward on 4 cases, including a batch of 1, a "
            "square W and non-square ones; your function left its inputs unchanged."
        ),
        variants=VARIANTS,
        advice=_advice,
    )
    return run(fn, spec)
