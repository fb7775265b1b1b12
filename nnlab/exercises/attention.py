"""Exercise: the backward pass of one head of scaled dot-product attention.

For ``Q``, ``K``, ``V`` of shape ``(T, d)`` (T queries, T keys, no batch axis) the forward is
``S = Q K^T / sqrt(d)``, ``P = softmax(S)`` over each row (over the keys) and ``O = P V``. The
learner writes ``attention_backward(Q, K, V, dO) -> (dQ, dK, dV)``, recomputing ``P`` from
``Q`` and ``K``; :func:`check_attention_backward` compares it with :class:`nnlab.MultiHeadAttention`
on five cases (T = 1, T above and below d, scores near ±1000) and names the usual mistakes.

Examples
--------
>>> check_attention_backward(attention_backward_solution).passed
True
>>> def attention_backward(Q, K, V, dO):
...     raise NotImplementedError
>>> check_attention_backward(attention_backward).hint.startswith("not attempted yet")
True
"""

from __future__ import annotations

import numpy as np

from ..attention import MultiHeadAttention
from ._feedback import Case, Feedback, Raised, join, unpack_tuple
from ._runner import Exercise, Variant, close, run

TODO = (
    "implement fn(Q, K, V, dO) returning (dQ, dK, dV), the gradients of the loss for one "
    "attention head O = softmax(Q @ K.T / sqrt(d)) @ V (the softmax over each row), given "
    "dO = dL/dO."
)
NAMES = ("dQ", "dK", "dV")


def attention_backward_solution(Q: np.ndarray, K: np.ndarray, V: np.ndarray, dO: np.ndarray):
    """Reference solution: ``dV = P^T dO``, ``dP = dO V^T``, then the row-wise softmax
    Jacobian ``dS = P * (dP - sum(dP * P, axis=1, keepdims=True))``, and
    ``dQ = dS K / sqrt(d)``, ``dK = dS^T Q / sqrt(d)``.

    ``P`` is recomputed from ``Q`` and ``K``, subtracting each row's maximum before ``exp``
    (softmax ignores a constant added to a row), so scores of ±1000 do not overflow.

    Shapes
    ------
    Q, K, V, dO ``(T, d)`` -> dQ, dK, dV ``(T, d)``; S, P, dP, dS are ``(T, T)``.
    """
    scale = 1.0 / np.sqrt(Q.shape[1])
    S = Q @ K.T * scale
    E = np.exp(S - S.max(axis=1, keepdims=True))
    P = E / E.sum(axis=1, keepdims=True)
    dV = P.T @ dO
    dP = dO @ V.T
    dS = P * (dP - np.sum(dP * P, axis=1, keepdims=True))
    return dS @ K * scale, dS.T @ Q * scale, dV


def _large_scores(rng: np.random.Generator) -> dict:
    """Q, K whose score rows sit near +1000 and -1000, O(1) apart inside a row: a shift the
    softmax ignores (P stays spread out), but exp(S) overflows to inf or underflows to 0."""
    T, d = 4, 3
    Q, K = rng.normal(size=(T, d)), rng.normal(size=(T, d))
    K[:, 0] = 1.0
    Q[:, 0] = np.array([1000.0, -1000.0, 900.0, -800.0]) * np.sqrt(d)
    return {"Q": Q, "K": K, "V": rng.normal(size=(T, d)), "dO": rng.normal(size=(T, d))}


def _cases() -> list[Case]:
    rng = np.random.default_rng(20240801)
    cases = []
    for label, T, d in [
        ("4 queries and keys, d = 3", 4, 3),
        ("a single query and key, T = 1", 1, 4),
        ("3 queries and keys, d = 5", 3, 5),
        ("6 queries and keys, d = 2", 6, 2),
    ]:
        args = {n: rng.normal(size=(T, d)) for n in ("Q", "K", "V", "dO")}
        cases.append(Case(label, args))
    cases.append(Case("large scores, rows of S near ±1000", _large_scores(rng), {"large": True}))
    return cases


def _reference(Q, K, V, dO) -> dict:
    """From nnlab.MultiHeadAttention with three heads of width d over ``X = [Q | K | V]``:
    ``W_q``, ``W_k``, ``W_v`` route Q, K and V into head 0 (heads 1 and 2 see zeros), ``W_o``
    is the identity, so ``dX = [dQ | dK | dV]`` for ``dZ = [dO | 0 | 0]``."""
    T, d = Q.shape
    layer = MultiHeadAttention(3 * d, 3, init="zeros")
    for block, name in enumerate(("W_q", "W_k", "W_v")):
        W = np.zeros((3 * d, 3 * d))
        W[block * d : (block + 1) * d, :d] = np.eye(d)
        setattr(layer, name, W)
    layer.W_o = np.eye(3 * d)
    layer.forward(np.concatenate([Q, K, V], axis=1)[None])
    dZ = np.zeros((1, T, 3 * d))
    dZ[0, :, :d] = dO
    dX = layer.backward(dZ)[0]
    return {"dQ": dX[:, :d], "dK": dX[:, d : 2 * d], "dV": dX[:, 2 * d :]}


def _unpack(out) -> dict:
    return unpack_tuple(out, NAMES)


# -- the known mistakes ----------------------------------------------------------------------


def _probs(Q, K, *, axis=1, scaled=True) -> np.ndarray:
    """softmax of the scores along ``axis`` (None: the whole matrix), stably."""
    S = Q @ K.T / (np.sqrt(Q.shape[1]) if scaled else 1.0)
    E = np.exp(S - S.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def _grads(Q, K, V, dO, *, P=None, dS=None, jacobian_axis=1, scale=None) -> dict:
    """The solution's steps, with ``P``, the softmax backward or the scale swapped out."""
    P = _probs(Q, K) if P is None else P
    dP = dO @ V.T
    if dS is None:
        dS = P * (dP - np.sum(dP * P, axis=jacobian_axis, keepdims=True))
    elif callable(dS):
        dS = dS(P, dP)
    r = 1.0 / np.sqrt(Q.shape[1]) if scale is None else scale
    return {"dQ": dS @ K * r, "dK": dS.T @ Q * r, "dV": P.T @ dO, "dS": dS, "P": P}


def _sign(Q, K, V, dO) -> dict:
    g = _grads(Q, K, V, dO)
    return {n: -g[n] for n in NAMES}


def _swapped(Q, K, V, dO) -> dict:
    g = _grads(Q, K, V, dO)
    r = 1.0 / np.sqrt(Q.shape[1])
    return {"dQ": g["dS"].T @ Q * r, "dK": g["dS"] @ K * r}


def _transpose_slip(Q, K, V, dO) -> dict:
    g = _grads(Q, K, V, dO)
    r = 1.0 / np.sqrt(Q.shape[1])
    return {"dQ": g["dS"].T @ K * r, "dK": g["dS"] @ Q * r}


_WRONG_AXIS = (
    "your {what} come{s} from a softmax over the wrong axis: P must hold one distribution per "
    "query, each row summing to 1 over the keys (axis=1); yours normalises {how}. Take the max "
    "and the sum with axis=1, keepdims=True when you recompute P."
)
_UNSCALED = (
    "your {what} come{s} from P = softmax(Q @ K.T), without the 1/sqrt(d): recompute the "
    "forward exactly as it ran, S = Q @ K.T / np.sqrt(d), then P = softmax(S){more}."
)

VARIANTS = (
    Variant(
        ("dV",),
        lambda Q, K, V, dO: {"dV": _probs(Q, K) @ dO},
        "your dV is P @ dO: with O = P @ V, dV = P.T @ dO. Value row s reaches output row t "
        "with the weight P[t, s], a column of P; P @ dO has the right shape only because P is "
        "square.",
    ),
    Variant(
        ("dV",),
        lambda Q, K, V, dO: {"dV": dO.T @ _probs(Q, K)},
        "your dV has shape {got}, the transpose of V's {want}: did you compute dO.T @ P? "
        "dV = P.T @ dO keeps one row per key, like V.",
    ),
    Variant(
        ("dQ", "dK", "dV"),
        _sign,
        "your {what} {has} the opposite sign of the gradient: no minus sign belongs in the "
        "backward pass (the minus of gradient descent comes later, in the update).",
    ),
    Variant(
        ("dQ", "dK"),
        lambda Q, K, V, dO: _grads(Q, K, V, dO, dS=lambda P, dP: dP),
        "your {what} skip{s} the softmax: you used dP = dO @ V.T as the gradient of the scores "
        "S. P = softmax(S) row by row, so dS = P * (dP - np.sum(dP * P, axis=1, "
        "keepdims=True)), and dS goes into dQ and dK.",
    ),
    Variant(
        ("dQ", "dK"),
        lambda Q, K, V, dO: _grads(Q, K, V, dO, dS=lambda P, dP: P * (1 - P) * dP),
        "your {what} use{s} only the diagonal of the softmax Jacobian, dS = P * (1 - P) * dP, "
        "as for a sigmoid: each p_i depends on every score of its row, dp_i/ds_j = p_i "
        "(delta_ij - p_j), so the off-diagonal terms make dS = P * (dP - np.sum(dP * P, "
        "axis=1, keepdims=True)).",
    ),
    Variant(
        ("dQ", "dK"),
        lambda Q, K, V, dO: _grads(Q, K, V, dO, jacobian_axis=0),
        "your {what} sum{s} dP * P over axis 0 (over the queries) in the softmax backward: the "
        "softmax normalises each row, so the sum runs over each row's keys, np.sum(dP * P, "
        "axis=1, keepdims=True).",
    ),
    Variant(
        ("dQ", "dK"),
        lambda Q, K, V, dO: _grads(Q, K, V, dO, dS=lambda P, dP: P * (dP - np.sum(dP * P, axis=1))),
        "your {what} come{s} from np.sum(dP * P, axis=1) without keepdims=True: the (T,) "
        "vector of row sums lines up with the columns, so entry [t, s] subtracts the sum of "
        "row s instead of row t; keep it (T, 1) with keepdims=True.",
    ),
    Variant(
        ("dQ", "dK"),
        lambda Q, K, V, dO: _grads(Q, K, V, dO, scale=1.0),
        "your {what} miss{es} the 1/sqrt(d) of S = Q @ K.T / sqrt(d): the chain rule carries "
        "it into dQ = dS @ K / sqrt(d) and dK = dS.T @ Q / sqrt(d).",
    ),
    Variant(
        ("dQ", "dK"),
        lambda Q, K, V, dO: _grads(Q, K, V, dO, scale=1.0 / Q.shape[1]),
        "your {what} {is_} divided by d instead of sqrt(d): S = Q @ K.T / sqrt(d) puts one "
        "1/sqrt(d) into dQ and dK. Did you scale twice (Q or K scaled before and dS after)?",
    ),
    Variant(
        ("dQ", "dK"),
        _swapped,
        "your {what} are swapped: queries index the rows of S = Q @ K.T / sqrt(d) and keys its "
        "columns, so dQ = dS @ K / sqrt(d) and dK = dS.T @ Q / sqrt(d).",
    ),
    Variant(
        ("dK",),
        _transpose_slip,
        "your dK is dS @ Q / sqrt(d): keys index the columns of S, so dK = dS.T @ Q / sqrt(d) "
        "(without the transpose the shape is right only because S is square).",
    ),
    Variant(
        ("dQ",),
        _transpose_slip,
        "your dQ is dS.T @ K / sqrt(d): queries index the rows of S, so dQ = dS @ K / sqrt(d), "
        "without a transpose.",
    ),
    Variant(
        ("dQ", "dK"),
        _transpose_slip,
        "your {what} {has} the transpose on the wrong side: dQ = dS @ K / sqrt(d) (queries "
        "index the rows of S) and dK = dS.T @ Q / sqrt(d) (keys index its columns).",
    ),
    Variant(
        ("dQ", "dK", "dV"),
        lambda Q, K, V, dO: _grads(Q, K, V, dO, P=_probs(Q, K, axis=0)),
        _WRONG_AXIS.replace(
            "{how}", "each column (axis=0, as a helper written for column vectors does)"
        ),
    ),
    Variant(
        ("dQ", "dK", "dV"),
        lambda Q, K, V, dO: _grads(Q, K, V, dO, P=_probs(Q, K, axis=0), jacobian_axis=0),
        _WRONG_AXIS.replace("{how}", "each column (axis=0), in the forward and in the backward"),
    ),
    Variant(
        ("dQ", "dK", "dV"),
        lambda Q, K, V, dO: _grads(Q, K, V, dO, P=_probs(Q, K, axis=None)),
        _WRONG_AXIS.replace(
            "{how}",
            "the whole matrix at once (np.sum without axis, or scipy's softmax without axis=1)",
        ),
    ),
    Variant(
        ("dQ", "dK", "dV"),
        lambda Q, K, V, dO: _grads(Q, K, V, dO, P=_probs(Q, K, scaled=False)),
        _UNSCALED.replace("{more}", ""),
    ),
    Variant(
        ("dQ", "dK", "dV"),
        lambda Q, K, V, dO: _grads(Q, K, V, dO, P=_probs(Q, K, scaled=False), scale=1.0),
        _UNSCALED.replace("{more}", "; the 1/sqrt(d) is missing from dQ and dK as well"),
    ),
)


def _no_max_subtraction(learner, reference, cases):
    """Right on ordinary scores, nan, inf or an exception on scores near ±1000."""
    small = [i for i, c in enumerate(cases) if not c.meta.get("large")]
    large = [i for i, c in enumerate(cases) if c.meta.get("large")]
    if any(isinstance(learner[i], Raised) for i in small):
        return None
    if not all(close(learner[i][n], reference[i][n]) for i in small for n in NAMES):
        return None
    bad = [
        i
        for i in large
        if isinstance(learner[i], Raised)
        or not all(np.isfinite(learner[i][n]).all() for n in NAMES)
    ]
    if not bad:
        return None
    return (
        f"your dQ, dK and dV are right on ordinary scores but not on the case "
        f"{cases[bad[0]].describe()}: exp(1000) overflows to inf and exp(-1000) underflows "
        "to 0, so a row of P becomes inf / inf or 0 / 0, which is nan. Softmax does not change "
        "when a constant is subtracted from a row: subtract each row's maximum, "
        "S - S.max(axis=1, keepdims=True), before np.exp.",
        NAMES,
    )


def _advice(exc: Exception, case: Case) -> str:
    if isinstance(exc, ValueError) and any(
        w in str(exc) for w in ("matmul", "aligned", "mismatch", "broadcast")
    ):
        T, d = case.args["Q"].shape
        return (
            f"Shapes that do not fit usually mean a missing or extra transpose: here Q, K, V and "
            f"dO are (T, d) = {(T, d)}, and S, P, dP and dS are (T, T) = {(T, T)}; write the "
            f"shape beside each factor so that dQ, dK and dV come out {(T, d)}."
        )
    return ""


def _on_mutation(changed: list, case: Case) -> str:
    names = [name for name, _, _ in changed]
    return (
        f"your function changed the caller's {join(names)} in place (on the case "
        f"{case.describe()}); they must come back unchanged (the layer still needs them). "
        "Q /= np.sqrt(d), dO *= ... or V[...] = ... write into the caller's arrays: build new "
        "ones instead (Q / np.sqrt(d) makes one)."
    )


def check_attention_backward(fn) -> Feedback:
    """Check ``fn(Q, K, V, dO) -> (dQ, dK, dV)``, the backward pass of one attention head.

    The forward is ``O = softmax(Q @ K.T / sqrt(d)) @ V``, the softmax over each row, with
    ``Q``, ``K``, ``V`` and ``dO`` of shape ``(T, d)``. ``fn`` receives copies of the inputs
    of five cases (T = 1; T above and below d; scores near ±1000, where ``exp`` without the
    max-subtraction overflows) and its output is compared with one head of
    :class:`nnlab.MultiHeadAttention`.

    Diagnoses: ``dV = P @ dO`` (P not transposed) or ``dO.T @ P``; the softmax derivative
    forgotten (``dS = dP``), only its diagonal (``P * (1 - P) * dP``), its row sum over axis
    0 or without ``keepdims``; the 1/sqrt(d) missing from dQ and dK, or applied twice, or
    missing from the recomputed scores; dQ and dK swapped; ``dK = dS @ Q`` or
    ``dQ = dS.T @ K``; the softmax over the columns or the whole matrix; no max-subtraction
    (nan on large scores); a flipped sign; inputs changed in place; exceptions, ``None``,
    wrong shapes and NaN, each with the case that triggered it.

    Returns
    -------
    Feedback
        ``passed`` and a ``hint``; it shows as a coloured message in Jupyter.

    Examples
    --------
    >>> check_attention_backward(attention_backward_solution).passed
    True
    """
    spec = Exercise(
        title="Attention backward",
        todo=TODO,
        cases=_cases(),
        components={n: f"have the shape of {n[1]}, {{want}}" for n in NAMES},
        unpack=_unpack,
        reference=_reference,
        passed=(
            "dQ, dK and dV match one head of nnlab's MultiHeadAttention on 5 cases, including "
            "T = 1, T above and below d and scores near ±1000; your function left its inputs "
            "unchanged."
        ),
        variants=VARIANTS,
        specials=(_no_max_subtraction,),
        advice=_advice,
        on_mutation=_on_mutation,
    )
    return run(fn, spec)
