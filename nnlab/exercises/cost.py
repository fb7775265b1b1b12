"""Exercise: counting the FLOPs of a dense layer, forward and backward, as the book does.

A multiply-add counts as 2 FLOPs. On a batch of ``N``, ``Z = X W + b`` costs ``2 N n_in n_out``
for the matrix product and ``N n_out`` for the bias; backward computes ``dW = X^T dZ`` (a
product of the same size), ``db`` (a sum over the batch, ``N n_out``) and ``dX = dZ W^T``
(another product of that size). The learner writes ``dense_flops(N, n_in, n_out) ->
(forward, backward)``; :func:`check_dense_flops` compares it with
:meth:`nnlab.Dense.flops` (``backward`` is its ``backward_dW + backward_dX``).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..layers import Dense
from ._feedback import Case, Feedback, Wrong, as_array, kind
from ._runner import Exercise, Variant, run

TODO = (
    "implement fn(N, n_in, n_out) returning (forward, backward), the FLOPs of a dense layer "
    "Z = X @ W + b on a batch of N, a multiply-add counting as 2 (book, Dense.flops)."
)


def dense_flops_solution(N: int, n_in: int, n_out: int) -> tuple[int, int]:
    """Reference solution: forward ``2 N n_in n_out + N n_out``, backward ``4 N n_in n_out +
    N n_out``.

    Forward: the product ``X @ W`` (``N n_out`` dot products of length ``n_in``, a multiply
    and an add per term) and the bias (one add per output entry). Backward: ``dW = X.T @ dZ``
    and ``dX = dZ @ W.T`` cost a product of the same size each, ``db`` one add per entry of
    ``dZ``.
    """
    matmul = 2 * N * n_in * n_out
    return matmul + N * n_out, 2 * matmul + N * n_out


# (label, N, n_in, n_out): the three sizes differ within every case but the batch of 1.
CASES = (
    ("an MNIST-sized layer, a batch of 32", 32, 784, 100),
    ("a batch of 1", 1, 5, 3),
    ("a small layer, a batch of 8", 8, 3, 7),
    ("a narrow output, a batch of 64", 64, 10, 2),
)


def _cases() -> list[Case]:
    return [Case(label, {"N": n, "n_in": i, "n_out": o}) for label, n, i, o in CASES]


def _reference(N, n_in, n_out) -> dict:
    f = Dense(n_in, n_out, init="zeros").flops(N)
    return {
        "forward": np.asarray(float(f["forward"])),
        "backward": np.asarray(float(f["backward_dW"] + f["backward_dX"])),
    }


def _unpack(out) -> dict:
    expected = "a tuple (forward, backward) of two numbers"
    if out is None:
        raise Wrong(
            f"your function returned None; it must return {expected}: is the return statement "
            "missing?"
        )
    if isinstance(out, dict):
        raise Wrong(
            f"your function returned a dict; it must return {expected} (nnlab's Dense.flops "
            "returns a dict with backward split in two; here backward is the whole backward pass)"
        )
    if isinstance(out, np.ndarray) and out.shape == (2,):
        out = tuple(out)
    if isinstance(out, numbers.Number) or (isinstance(out, np.ndarray) and out.size == 1):
        raise Wrong(f"your function returned one number, {kind(out)}; it must return {expected}")
    if isinstance(out, np.ndarray):
        raise Wrong(
            f"your function returned an array of shape {out.shape}; it must return {expected}"
        )
    if not isinstance(out, tuple | list):
        raise Wrong(f"your function returned {kind(out)}; it must return {expected}")
    if len(out) != 2:
        raise Wrong(f"your function returned {len(out)} values; it must return {expected}")
    return {
        n: as_array(v, n, scalar=True) for n, v in zip(("forward", "backward"), out, strict=True)
    }


def _counts(forward, backward):
    """A variant from its forward and backward formulas, of (N, n_in, n_out)."""

    def variant(N, n_in, n_out) -> dict:
        return {
            "forward": np.asarray(float(forward(N, n_in, n_out))),
            "backward": np.asarray(float(backward(N, n_in, n_out))),
        }

    return variant


def _fwd(N, i, o):
    return 2 * N * i * o + N * o


def _bwd(N, i, o):
    return 4 * N * i * o + N * o


BOTH = ("forward", "backward")
# The single-component variants come first: a backward of 2 N n_in n_out + N n_out with a right
# forward is dX forgotten (backward = forward) rather than a multiply-add counted as 1.
VARIANTS = (
    Variant(
        ("forward",),
        _counts(lambda N, i, o: 2 * N * i * o, _bwd),
        "your forward counts the matrix product only: adding the bias b to every row of "
        "X @ W costs FLOPs too",
    ),
    Variant(
        ("backward",),
        _counts(_fwd, lambda N, i, o: 4 * N * i * o),
        "your backward counts the two matrix products but not db: summing dZ over the batch "
        "costs FLOPs too",
    ),
    Variant(
        ("backward",),
        _counts(_fwd, _fwd),
        "your backward counts as much as the forward: it has dW and db but not dX, the "
        "gradient passed on to the layer below, which costs a matrix product of its own",
    ),
    Variant(
        ("backward",),
        _counts(_fwd, lambda N, i, o: 2 * _fwd(N, i, o)),
        "your backward is exactly twice the forward, bias term included: 'backward = 2 x "
        "forward' holds for the matrix products (dW and dX), but db is a single sum, and dX "
        "has no bias term",
    ),
    Variant(
        BOTH,
        _counts(lambda N, i, o: N * i * o + N * o, lambda N, i, o: 2 * N * i * o + N * o),
        "your {what} count{s} each multiply-add of the matrix products as 1 FLOP: the book "
        "counts the multiply and the add, 2 FLOPs",
    ),
    Variant(
        BOTH,
        _counts(lambda N, i, o: _fwd(1, i, o), lambda N, i, o: _bwd(1, i, o)),
        "your {what} {is_} the count for one sample: the layer processes a batch of N, and "
        "every sample costs as much",
    ),
    Variant(
        BOTH,
        _counts(_bwd, _fwd),
        "your forward and backward are swapped: the backward pass computes more than the "
        "forward (return (forward, backward) in that order)",
    ),
)


def _advice(exc: Exception, case: Case) -> str:
    if isinstance(exc, AttributeError | TypeError) and "shape" in str(exc):
        return "N, n_in and n_out are ints, the sizes themselves: there are no arrays here."
    return ""


def check_dense_flops(fn) -> Feedback:
    """Check ``fn(N, n_in, n_out) -> (forward, backward)``, a dense layer's FLOPs for a batch.

    The counts are the book's and :meth:`nnlab.Dense.flops`'s, a multiply-add counting as 2:
    forward ``2 N n_in n_out + N n_out``, backward ``dW``, ``db`` and ``dX`` together. Four
    cases with ``N``, ``n_in`` and ``n_out`` different (and a batch of 1). Ints or floats
    are accepted, as a tuple or a list.

    Diagnoses: a multiply-add counted as 1 FLOP; the per-sample counts (``N`` left out);
    forward and backward swapped; the bias forgotten in the forward; ``db`` or ``dX``
    forgotten in the backward; the backward reported as exactly twice the forward (the bias
    term doubled); a dict or a single number returned; exceptions, ``None``, wrong shapes
    and NaN, each with the case that triggered it.

    Returns
    -------
    Feedback
        ``passed`` and a ``hint``; it shows as a coloured message in Jupyter.

    Examples
    --------
    >>> check_dense_flops(dense_flops_solution).passed
    True
    """
    spec = Exercise(
        title="Dense layer FLOPs",
        todo=TODO,
        cases=_cases(),
        components={"forward": "be a single number", "backward": "be a single number"},
        unpack=_unpack,
        reference=_reference,
        passed=(
            "forward and backward match nnlab's Dense.flops on 4 cases, from a batch of 1 to an "
            "MNIST-sized layer: a multiply-add is 2 FLOPs, and backward is dW, db and dX together."
        ),
        variants=VARIANTS,
        advice=_advice,
        rtol=1e-12,
        atol=1e-12,
    )
    return run(fn, spec)
