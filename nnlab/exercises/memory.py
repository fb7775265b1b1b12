"""Exercise: the memory of a training step of a ReLU MLP, kept activations and parameters.

A training forward (``cache=True``) of ``mlp(widths, "relu")``, ``widths = [n_0, ..., n_m]``,
keeps each dense layer's input (``X``, then every hidden activation, which is also the ReLU's
output: stored once) and not the logits: ``itemsize N (n_0 + n_1 + ... + n_{m-1})`` bytes on
a batch of ``N``; the weights and biases take ``itemsize`` times the parameter count. The
learner writes ``training_memory(widths, N, itemsize) -> (cache_bytes, param_bytes)``;
:func:`check_training_memory` compares it with :func:`nnlab.cached_bytes` and ``n_params``
measured on a real network of each case.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from ..network import mlp
from ..profile import cached_bytes
from ._feedback import Case, Feedback, Wrong, as_array, kind, safe_call
from ._runner import Exercise, Variant, run

TODO = (
    "implement fn(widths, N, itemsize) returning (cache_bytes, param_bytes): the bytes a "
    "training forward pass of nl.mlp(widths, 'relu') keeps for backward on a batch of N, and "
    "the bytes of its weights and biases (the memory of a training pass, derived in Key "
    "differences: forward vs backpropagation)."
)
NAMES = ("cache_bytes", "param_bytes")


def training_memory_solution(widths: list[int], N: int, itemsize: int) -> tuple[int, int]:
    """Reference solution: the input and every hidden activation, once; weights and biases.

    A dense layer keeps its input (for ``dW = X^T dZ``), a ReLU its output ``A`` (its sign
    gives ReLU'), which is the next dense layer's input: one array. No layer keeps the logits.
    A dense layer ``n_in -> n_out`` has ``n_in n_out`` weights and ``n_out`` biases.

    Parameters
    ----------
    widths : list of int
        ``[n_0, n_1, ..., n_m]``, the input width first, the output width last.
    N : int
        The batch size.
    itemsize : int
        Bytes per number: 8 for float64, 4 for float32.

    Returns
    -------
    tuple of int
        ``(cache_bytes, param_bytes)``.
    """
    kept = widths[0] + sum(widths[1:-1])
    params = sum(a * b + b for a, b in itertools.pairwise(widths))
    return itemsize * N * kept, itemsize * params


# (label, widths, N, itemsize): N is never 4 or 8, so a batch is never mistaken for itemsize.
CASES = (
    ("one hidden layer, widths [784, 100, 10]", [784, 100, 10], 32, 8),
    ("hidden layers of different widths, widths [20, 64, 32, 16, 5]", [20, 64, 32, 16, 5], 50, 8),
    ("a batch of 1, widths [10, 30, 12, 3]", [10, 30, 12, 3], 1, 8),
    ("float32, widths [64, 128, 96, 10]", [64, 128, 96, 10], 256, 4),
    ("no hidden layer, widths [12, 4]", [12, 4], 16, 8),
)


def _cases() -> list[Case]:
    return [Case(label, {"widths": w, "N": n, "itemsize": s}) for label, w, n, s in CASES]


def _call(fn, case: Case) -> object:
    """The learner gets a copy of ``widths``: a list changed in place must not leak."""
    widths, N, itemsize = case.args.values()
    return safe_call(fn, [list(widths), N, itemsize])


def _values(*values) -> dict:
    return {n: np.asarray(float(v)) for n, v in zip(NAMES, values, strict=True)}


def _reference(widths, N, itemsize) -> dict:
    """Measured: a ReLU MLP of ``widths`` after a training forward on a batch of ``N``."""
    dtype = {4: np.float32, 8: np.float64}[itemsize]
    net = mlp(list(widths), "relu", rng=0, dtype=dtype)
    net.forward(np.zeros((N, widths[0]), dtype=dtype))
    return _values(cached_bytes(net), itemsize * net.n_params)


def _unpack(out) -> dict:
    expected = "a tuple (cache_bytes, param_bytes) of two numbers"
    if out is None:
        raise Wrong(
            f"your function returned None; it must return {expected}: is the return statement "
            "missing?"
        )
    if isinstance(out, dict):
        raise Wrong(f"your function returned a dict; it must return {expected}, in that order")
    if isinstance(out, np.ndarray):
        out = out.tolist()  # two numbers, one number, or nested lists (a wrong shape)
    if isinstance(out, numbers.Number):
        raise Wrong(f"your function returned one number, {kind(out)}; it must return {expected}")
    if not isinstance(out, tuple | list):
        raise Wrong(f"your function returned {kind(out)}; it must return {expected}")
    if len(out) != 2:
        raise Wrong(f"your function returned {len(out)} values; it must return {expected}")
    return {n: as_array(v, n, scalar=True) for n, v in zip(NAMES, out, strict=True)}


def _memory(cache, params):
    """A variant from formulas of (n_0, hidden widths summed, n_m, weights, biases, N, itemsize)."""

    def variant(widths, N, itemsize) -> dict:
        v = list(widths)
        weights = sum(a * b for a, b in itertools.pairwise(v))
        sizes = (v[0], sum(v[1:-1]), v[-1], weights, sum(v[1:]), N, itemsize)
        return _values(cache(*sizes), params(*sizes))

    return variant


def _cache(x, h, y, w, b, N, s):
    return s * N * (x + h)


def _params(x, h, y, w, b, N, s):
    return s * (w + b)


CACHE, PARAMS = NAMES[:1], NAMES[1:]
VARIANTS = (
    Variant(
        CACHE,
        _memory(lambda x, h, y, w, b, N, s: s * N * (x + h + y), _params),
        "your cache_bytes counts the logits, the output layer's N x n_m values: a dense layer "
        "keeps its input, not its output, and the logits go to the loss: no layer keeps them",
    ),
    Variant(
        CACHE,
        _memory(lambda x, h, y, w, b, N, s: s * N * h, _params),
        "your cache_bytes leaves out the input X: the first dense layer keeps it, because its "
        "dW = X^T dZ needs it (a network with no hidden layer keeps X alone)",
    ),
    Variant(
        CACHE,
        _memory(lambda x, h, y, w, b, N, s: s * N * (h + y), _params),
        "your cache_bytes counts every layer's output, the logits included, but not the input "
        "X: a dense layer keeps its input (for dW), so X is kept and the logits are not",
    ),
    Variant(
        CACHE,
        _memory(lambda x, h, y, w, b, N, s: s * N * (x + 2 * h), _params),
        "your cache_bytes counts each hidden layer twice, its Z and its A: ReLU' is read from "
        "the sign of A, which the next dense layer keeps anyway: one array per hidden layer",
    ),
    Variant(
        CACHE,
        _memory(lambda x, h, y, w, b, N, s: s * (x + h), _params),
        "your cache_bytes is the memory for one sample: a training pass on a batch of N keeps "
        "every activation for all N samples",
    ),
    Variant(
        PARAMS,
        _memory(_cache, lambda x, h, y, w, b, N, s: s * w),
        "your param_bytes counts the weights but not the biases: every dense layer also has a "
        "bias b, one number per output unit",
    ),
    Variant(
        PARAMS,
        _memory(_cache, lambda x, h, y, w, b, N, s: s * N * (w + b)),
        "your param_bytes grows with the batch size N: the weights and biases are stored once, "
        "whatever the batch; only the activations kept for backward scale with N",
    ),
    Variant(
        NAMES,
        _memory(lambda x, h, y, w, b, N, s: N * (x + h), lambda x, h, y, w, b, N, s: w + b),
        "your {what} count{s} numbers, not bytes: each number takes itemsize bytes (8 in "
        "float64, 4 in float32)",
    ),
    Variant(
        NAMES,
        _memory(lambda *a: 8 * _cache(*a), lambda *a: 8 * _params(*a)),
        "your {what} {is_} in bits, 8 times too large: itemsize is already in bytes (8 for "
        "float64, 4 for float32), so there is no factor 8 to add",
    ),
    Variant(
        NAMES,
        _memory(_params, _cache),
        "your cache_bytes and param_bytes are swapped: return (cache_bytes, param_bytes) in "
        "that order",
    ),
)


def _advice(exc: Exception, case: Case) -> str:
    if isinstance(exc, AttributeError | TypeError) and ("shape" in str(exc) or "sum" in str(exc)):
        return (
            "widths is a plain Python list of ints, input width first: sum() and slices such as "
            "widths[1:] work on it, .shape and .sum() do not."
        )
    if len(case.args["widths"]) == 2:
        return "this network has no hidden layer: widths[1:-1] is an empty list."
    return ""


def check_training_memory(fn) -> Feedback:
    """Check ``fn(widths, N, itemsize) -> (cache_bytes, param_bytes)`` for a ReLU MLP.

    The expected values are measured on ``nnlab.mlp(widths, "relu")``: ``cache_bytes`` is
    :func:`nnlab.cached_bytes` after a training forward on a batch of ``N``, ``param_bytes``
    is ``itemsize * n_params``. Five cases: one hidden layer, several of different widths, a
    batch of 1, float32 (``itemsize=4``), no hidden layer. Ints or floats, tuple or list.

    Diagnoses: the logits counted as kept; the input forgotten, or every layer's output
    counted instead of the inputs; Z and A both kept for every hidden layer; ``N`` left out
    (per-sample bytes); ``itemsize`` left out (a count of numbers); bits instead of bytes;
    the biases forgotten; the parameters multiplied by ``N``; the two values swapped; a dict
    or a single number returned; exceptions and ``None``, each with the case.

    Returns
    -------
    Feedback
        ``passed`` and a ``hint``; it shows as a coloured message in Jupyter.

    Examples
    --------
    >>> check_training_memory(training_memory_solution).passed
    True
    """
    spec = Exercise(
        title="Training memory of an MLP",
        todo=TODO,
        cases=_cases(),
        components={n: "be a single number" for n in NAMES},
        unpack=_unpack,
        reference=_reference,
        passed=(
            "cache_bytes and param_bytes match nnlab's cached_bytes and n_params on 5 cases "
            "(ReLU networks in float64 and float32): a training pass keeps the input and each "
            "hidden activation once, not the logits, and the parameters do not grow with the "
            "batch."
        ),
        variants=VARIANTS,
        advice=_advice,
        call=_call,
        rtol=1e-12,
        atol=1e-12,
    )
    return run(fn, spec)
