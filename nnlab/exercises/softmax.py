"""Exercise: softmax cross-entropy on logits, its loss and gradient (book eq. ``bp-softmax-ce``).

The learner writes ``softmax_cross_entropy(logits, labels) -> (loss, dlogits)``;
:func:`check_softmax_cross_entropy` compares it with :class:`nnlab.SoftmaxCrossEntropy`,
including logits of size 1000 where a softmax without the max-subtraction overflows.
"""

from __future__ import annotations

import numpy as np

from ..losses import SoftmaxCrossEntropy
from ._feedback import Case, Feedback, Raised, unpack_tuple
from ._runner import Exercise, Variant, close, run

TODO = (
    "implement fn(logits, labels) returning (loss, dlogits): the mean over the batch of the "
    "cross-entropy of softmax(logits), and its gradient with respect to the logits."
)


def softmax_cross_entropy_solution(logits: np.ndarray, labels: np.ndarray):
    """Reference solution: ``L = mean_i(-log P[i, y_i])`` and ``dL/dZ = (P - Y) / N``.

    Shapes
    ------
    logits ``(N, n_out)``, labels ``(N,)`` of integers in ``[0, n_out)`` -> loss a float,
    dlogits ``(N, n_out)``.
    """
    n = len(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)  # exp cannot overflow any more
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), labels].mean()
    dlogits = np.exp(log_p)
    dlogits[np.arange(n), labels] -= 1.0
    return loss, dlogits / n


def _cases() -> list[Case]:
    rng = np.random.default_rng(20240612)
    cases = []
    for label, n, k in [
        ("a batch of 4 with 3 classes", 4, 3),
        ("a batch of 1 with 5 classes", 1, 5),
        ("a batch of 6 with 2 classes", 6, 2),
    ]:
        args = {"logits": rng.normal(scale=2.0, size=(n, k)), "labels": rng.integers(0, k, n)}
        cases.append(Case(label, args))
    large = np.array([[1000.0, 999.0, 0.0], [-1000.0, -1001.0, -999.0], [400.0, -400.0, 0.0]])
    cases.append(
        Case("large logits", {"logits": large, "labels": np.array([0, 2, 0])}, {"large": True})
    )
    confident = np.array([[1000.0, 0.0, -3.0, 1.0], [2.0, 1.0, 0.0, -1.0]])
    cases.append(
        Case(
            "a confidently wrong prediction",
            {"logits": confident, "labels": np.array([1, 0])},
            {"large": True, "underflow": True},
        )
    )
    return cases


def _reference(logits, labels) -> dict:
    loss = SoftmaxCrossEntropy()
    value = loss.forward(logits, labels)
    return {"loss": np.asarray(value), "dlogits": loss.backward()}


def _unpack(out) -> dict:
    return unpack_tuple(out, ("loss", "dlogits"), scalars=("loss",))


def _parts(logits, labels):
    """Per-sample losses, probabilities P and one-hot Y, computed stably."""
    n = len(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    Y = np.zeros_like(logits)
    Y[np.arange(n), labels] = 1.0
    return -log_p[np.arange(n), labels], np.exp(log_p), Y


def _column_indexing(logits, labels) -> dict:
    P = _parts(logits, labels)[1]
    dlogits = P.copy()
    dlogits[:, labels] -= 1.0
    return {"loss": -np.log(P[:, labels]).mean(), "dlogits": dlogits / len(logits)}


VARIANTS = (
    Variant(
        ("loss",),
        lambda logits, labels: {"loss": _parts(logits, labels)[0]},
        "your loss has shape {got}, one loss per sample: the loss is their mean over the batch, "
        "a single number.",
    ),
    Variant(
        ("loss",),
        lambda logits, labels: {"loss": _parts(logits, labels)[0].sum()},
        "your loss is the sum of the per-sample losses: the loss is their mean (it must not "
        "grow with the batch size).",
    ),
    Variant(
        ("loss",),
        lambda logits, labels: {"loss": _parts(logits, labels)[0].mean() / logits.shape[1]},
        "your loss is a mean over all N x n_out entries (np.mean of a whole matrix): average "
        "over the N samples only.",
    ),
    Variant(
        ("loss",),
        lambda logits, labels: {"loss": -_parts(logits, labels)[0].mean()},
        "your loss is negative: cross-entropy is minus the log-probability of the true class, "
        "so it is never below 0.",
    ),
    Variant(
        ("loss", "dlogits"),
        _column_indexing,
        "your {what} pick{s} every row at every label: indexing with [:, labels] gives an N x N "
        "block; take one entry per row, at that row's label.",
    ),
    Variant(
        ("dlogits",),
        lambda logits, labels: {"dlogits": _parts(logits, labels)[1] - _parts(logits, labels)[2]},
        "your dlogits misses the 1/N of the mean: it is N times too large.",
    ),
    Variant(
        ("dlogits",),
        lambda logits, labels: {
            "dlogits": (_parts(logits, labels)[2] - _parts(logits, labels)[1]) / len(logits)
        },
        "your dlogits has the opposite sign: the loss grows with the wrong classes' "
        "probabilities, so their gradient must be positive (did you write y - p?).",
    ),
    Variant(
        ("dlogits",),
        lambda logits, labels: {"dlogits": _parts(logits, labels)[2] - _parts(logits, labels)[1]},
        "your dlogits has the opposite sign (y - p instead of p - y) and misses the 1/N of the "
        "mean.",
    ),
    Variant(
        ("dlogits",),
        lambda logits, labels: {"dlogits": _parts(logits, labels)[1] / len(logits)},
        "your dlogits is the softmax alone: the true class's -log p term also contributes, at "
        "the label of each row.",
    ),
)


def _no_max_subtraction(learner, reference, cases):
    """Right on small logits, nan or inf in dlogits on large ones: exp overflowed."""
    small = [i for i, c in enumerate(cases) if not c.meta.get("large")]
    large = [i for i, c in enumerate(cases) if c.meta.get("large")]
    if any(isinstance(learner[i], Raised) for i in small):
        return None
    if not all(close(learner[i][k], reference[i][k]) for i in small for k in learner[i]):
        return None
    bad = [
        i
        for i in large
        if isinstance(learner[i], Raised) or not np.isfinite(learner[i]["dlogits"]).all()
    ]
    if not bad:
        return None
    return (
        f"your loss and dlogits are right on small logits but not on the case "
        f"{cases[bad[0]].describe()}, with logits like ±1000: exp(1000) overflows to inf and "
        "exp(-1000) underflows to 0, so a row becomes inf / inf or 0 / 0, which is nan. "
        "Softmax does not change when a constant is subtracted from a row: subtract each "
        "row's own maximum before exponentiating.",
        ("loss", "dlogits"),
    )


def _log_of_underflow(learner, reference, cases):
    """Right everywhere except the loss where the true class's probability underflows."""
    if any(isinstance(o, Raised) for o in learner):
        return None
    under = [i for i, c in enumerate(cases) if c.meta.get("underflow")]
    others = [i for i in range(len(cases)) if i not in under]
    if not all(close(learner[i]["dlogits"], reference[i]["dlogits"]) for i in range(len(cases))):
        return None
    if not all(close(learner[i]["loss"], reference[i]["loss"]) for i in others):
        return None
    if learner[under[0]]["loss"].size != 1:
        return None
    i = under[0]
    got = learner[i]["loss"]
    return (
        f"your loss is {float(got):.6g} on the case "
        f"{cases[i].describe()}, where the true class has a probability of about e^-1000: "
        "it underflows to 0 and log(0) is -inf (a small epsilon inside the log only hides it). "
        "Compute the log-probabilities directly from the shifted logits, without taking the "
        "log of a probability.",
        ("loss",),
    )


def check_softmax_cross_entropy(fn) -> Feedback:
    """Check ``fn(logits, labels) -> (loss, dlogits)``, softmax cross-entropy on logits.

    ``loss`` is the batch mean of ``-log softmax(logits)[i, labels[i]]`` and ``dlogits`` its
    gradient, ``(softmax(logits) - Y) / N``. Five cases: batches of 1, 4 and 6 with small
    logits, logits of about ±1000, and a true class whose probability underflows to 0.

    Diagnoses: no max-subtraction (right on small logits, nan or inf on large ones); the log
    of a probability that underflowed; a per-sample loss vector, a summed loss, a mean over
    all entries, a negative loss; ``[:, labels]`` indexing; ``dlogits`` without the 1/N,
    with the sign flipped (``y - p``), both, or without the one-hot term; inputs changed in
    place (``logits -= ...``); exceptions, ``None``, wrong shapes and NaN.

    Examples
    --------
    >>> check_softmax_cross_entropy(softmax_cross_entropy_solution).passed
    True
    """
    spec = Exercise(
        title="Softmax cross-entropy",
        todo=TODO,
        cases=_cases(),
        components={"loss": "be a single number", "dlogits": "have the shape of logits, {want}"},
        unpack=_unpack,
        reference=_reference,
        passed=(
            "loss and dlogits match nnlab's SoftmaxCrossEntropy on 5 cases, including a batch "
            "of 1, logits of ±1000 and a true class with probability below 1e-300; your "
            "function left its inputs unchanged."
        ),
        variants=VARIANTS,
        specials=(_no_max_subtraction, _log_of_underflow),
    )
    return run(fn, spec)
