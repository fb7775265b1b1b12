"""Exercise: the backward pass of inverted dropout (book eq. ``dropout``).

The forward pass drew a 0/1 ``mask`` of the shape of ``X`` (1 where an entry is kept, with
probability ``1 - p``) and returned ``A = X * mask / (1 - p)``. The learner writes
``dropout_backward(dA, mask, p) -> dX``; :func:`check_dropout_backward` compares it with the
reference on five cases and names the usual mistakes. nnlab's own :class:`nnlab.Dropout`
keeps the mask already scaled, ``mask / (1 - p)`` (its ``mask`` attribute); the exercise
passes the 0/1 mask and ``p`` separately, so the scaling is the learner's to write.
"""

from __future__ import annotations

import numpy as np

from ._feedback import Case, Feedback, Raised, Wrong, as_array, join, safe_call
from ._runner import Exercise, Variant, run

TODO = (
    "implement fn(dA, mask, p) returning dX, the gradient of the loss with respect to X for "
    "the inverted dropout A = X * mask / (1 - p), given dA = dL/dA and the forward's 0/1 mask."
)


def dropout_backward_solution(dA: np.ndarray, mask: np.ndarray, p: float) -> np.ndarray:
    """Reference solution: ``dX = dA * mask / (1 - p)``, the forward's factor on each entry.

    ``A`` depends on ``X`` entry by entry, with the factor ``mask / (1 - p)``; the same factor
    carries the gradient back: the dropped entries get none, the kept ones are scaled as in
    the forward. The mask is the forward's: backward draws nothing. A new array is returned.

    Shapes
    ------
    dA, mask: one shape, ``(N, ...)`` -> dX of that shape.
    """
    return dA * mask / (1.0 - p)


def _mask(rng: np.random.Generator, shape: tuple, p: float) -> np.ndarray:
    """A 0/1 mask, kept with probability 1 - p; for p > 0 it holds both a 0 and a 1."""
    mask = (rng.random(shape) >= p).astype(np.float64)
    if p > 0:
        flat = mask.reshape(-1)
        flat[0], flat[1] = 1.0, 0.0
    return mask


def _cases() -> list[Case]:
    rng = np.random.default_rng(20240701)
    cases = []
    for label, shape, p in [
        ("a batch of 4 after a Dense layer, p = 0.5", (4, 6), 0.5),
        ("4-D feature maps (N, C, H, W), p = 0.2", (2, 3, 4, 4), 0.2),
        ("a batch of 1, p = 0.9", (1, 10), 0.9),
        ("p = 0 (nothing dropped)", (3, 4), 0.0),
        ("4-D feature maps, p = 0.5", (3, 2, 3, 3), 0.5),
    ]:
        args = {"dA": rng.normal(size=shape), "mask": _mask(rng, shape, p), "p": p}
        cases.append(Case(label, args))
    return cases


def _reference(dA, mask, p) -> dict:
    return {"dX": dropout_backward_solution(dA, mask, p)}


def _read(out) -> np.ndarray:
    if isinstance(out, tuple):
        raise Wrong(
            f"your function returned a tuple of {len(out)} value{'' if len(out) == 1 else 's'}; "
            "it must return dX alone, "
            "an array shaped like dA"
        )
    return as_array(out, "dX")


def _call_twice(fn, case: Case):
    """Call ``fn`` twice on copies of the case, to see whether it draws a mask of its own."""
    outs = []
    for _ in range(2):
        args = case.copies()
        out = safe_call(fn, args)
        if isinstance(out, Raised):
            if not outs:
                return out
            break
        changed = [
            name
            for (name, before), after in zip(case.args.items(), args, strict=True)
            if isinstance(before, np.ndarray)
            and not (
                isinstance(after, np.ndarray)
                and after.shape == before.shape
                and np.array_equal(after, before, equal_nan=True)
            )
        ]
        if changed:
            raise Wrong(_mutation_hint(changed))
        if outs:
            try:
                outs.append(_read(out))
            except Wrong:
                pass
        else:
            outs.append(_read(out))
    return {"dX": outs[0], "again": outs[1] if len(outs) > 1 else None}


def _mutation_hint(names: list[str]) -> str:
    if names == ["mask"]:
        return (
            "your function changed the caller's mask in place (mask /= ..., mask *= ... or "
            "mask[...] = ... write into it): the mask belongs to the forward pass and must come "
            "back as it was; build a new array for dX instead"
        )
    return (
        f"your function changed the caller's {join(names)} in place (as dA *= ..., dA /= ... "
        "or dA[...] = ... do): dA belongs to the layer above, which may still need it; "
        "build a new array for dX instead (dA * ... makes one)"
    )


def _new_mask(learner, reference, cases):
    """dX that follows no fixed mask: a new random mask drawn in backward."""
    for i, out in enumerate(learner):
        if isinstance(out, Raised) or out["again"] is None:
            continue
        first, again = out["dX"], out["again"]
        if first.shape == again.shape and not np.array_equal(first, again, equal_nan=True):
            return (
                f"your dX changes from one call to the next with the same dA, mask and p (on "
                f"the case {cases[i].describe()}): does your backward draw a new random mask? "
                "The forward already drew it and passed it in as mask; a new one sends the "
                "gradient through entries that the forward dropped",
                ("dX",),
            )
    for out, case in zip(learner, cases, strict=True):
        if isinstance(out, Raised):
            continue
        dX, mask = out["dX"], case.args["mask"]
        if dX.shape != mask.shape or not np.isfinite(dX).all() or mask.all():
            continue
        nonzero, kept = dX != 0, mask != 0
        if nonzero[~kept].any() and (nonzero != ~kept).any() and not nonzero.all():
            idx = tuple(int(k) for k in np.argwhere(nonzero & ~kept)[0])
            return (
                f"your dX is not 0 at entry {idx}, where mask is 0 (on the case "
                f"{case.describe()}), and is 0 at entries the mask kept: it follows a mask of "
                "its own. Did you draw a new mask? The forward's mask is passed in as mask; "
                "the entries it dropped did not reach the output and get no gradient",
                ("dX",),
            )
    return None


DX = ("dX",)
VARIANTS = (
    Variant(
        DX,
        lambda dA, mask, p: {"dX": dA * mask},
        "your dX is dA * mask, without the scaling: the forward scaled the kept entries (that "
        "is what makes it inverted dropout), and the gradient through them carries the same "
        "factor",
    ),
    Variant(
        DX,
        lambda dA, mask, p: {"dX": dA * mask / p},
        "your dX scales the kept entries by 1/p: p is the probability of dropping an entry, "
        "and the forward divided by the probability of keeping one (the two agree only at "
        "p = 0.5)",
    ),
    Variant(
        DX,
        lambda dA, mask, p: {"dX": dA * mask * (1 - p)},
        "your dX multiplies the kept entries by (1 - p), where the forward divided by it: "
        "the gradient carries the forward's own factor",
    ),
    Variant(
        DX,
        lambda dA, mask, p: {"dX": dA / (1 - p)},
        "your dX leaves the mask out: it is not 0 where mask is 0, but the entries the forward "
        "dropped did not reach the output, so they get no gradient",
    ),
    Variant(
        DX,
        lambda dA, mask, p: {"dX": dA * (1 - mask) / (1 - p)},
        "your dX is not 0 exactly where the forward dropped entries and 0 where it kept them: "
        "the mask is inverted (1 - mask, or mask == 0). mask is 1 for a kept entry",
    ),
    Variant(
        DX,
        lambda dA, mask, p: {"dX": dA * (1 - mask) / p},
        "your dX is not 0 exactly where the forward dropped entries and 0 where it kept them, "
        "scaled by 1/p: the mask is inverted (mask is 1 for a kept entry), and p is the "
        "probability of dropping an entry, not of keeping one",
    ),
)


def _advice(exc: Exception, case: Case) -> str:
    if isinstance(exc, ZeroDivisionError) and case.args["p"] == 0:
        return (
            "p = 0 here (nothing is dropped, every entry of mask is 1): is something divided "
            "by p? p is the probability of dropping an entry."
        )
    if isinstance(exc, ValueError) and "broadcast" in str(exc):
        return (
            "dA and mask have the same shape; combine them entry by entry (*), not with a "
            "matrix product, and do not reshape or transpose either."
        )
    return ""


def check_dropout_backward(fn) -> Feedback:
    """Check ``fn(dA, mask, p) -> dX``, the backward pass of inverted dropout.

    The forward was ``A = X * mask / (1 - p)`` with ``mask`` a 0/1 array of the shape of
    ``X``; the expected answer is ``dA * mask / (1 - p)``. Five cases: 2-D and 4-D inputs,
    p of 0, 0.2, 0.5 and 0.9, a batch of 1. ``fn`` is called twice on every case, with
    copies of the inputs, to catch a mask drawn in backward.

    Diagnoses: the scaling forgotten (``dA * mask``); scaled by ``1/p`` or multiplied by
    ``1 - p``; the mask left out (``dA / (1 - p)``); the mask inverted (``1 - mask``); a new
    random mask drawn (results that change between two calls, or a gradient at entries the
    mask dropped); ``dA`` or ``mask`` changed in place; exceptions (a division by p at
    p = 0), ``None``, wrong shapes and NaN, each with the case that triggered it.

    Returns
    -------
    Feedback
        ``passed`` and a ``hint``; it shows as a coloured message in Jupyter.

    Examples
    --------
    >>> check_dropout_backward(dropout_backward_solution).passed
    True
    """
    spec = Exercise(
        title="Dropout backward",
        todo=TODO,
        cases=_cases(),
        components={"dX": "have the shape of dA, {want}"},
        unpack=lambda out: out,
        reference=_reference,
        passed=(
            "dX matches the backward of inverted dropout (nnlab.Dropout's) on 5 cases: 2-D and "
            "4-D inputs, p = 0, 0.2, 0.5 and 0.9 and a batch of 1; your function gave the same "
            "dX on every call and left its inputs unchanged."
        ),
        variants=VARIANTS,
        specials=(_new_mask,),
        advice=_advice,
        call=_call_twice,
    )
    return run(fn, spec)
