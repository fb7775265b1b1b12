"""Exercise: the backward pass of batch normalization in training (:class:`nnlab.BatchNorm`).

For ``X`` of shape ``(N, F)``, per feature over the batch: ``mu = mean(X)``, ``var =
mean((X - mu)**2)`` (biased, divided by N), ``x_hat = (X - mu) / sqrt(var + eps)``, ``Z = gamma
x_hat + beta``. The learner writes ``batchnorm_backward(X, gamma, dZ, eps) -> (dX, dgamma,
dbeta)`` given ``dZ = dL/dZ``; :func:`check_batchnorm_backward` compares it with
:class:`nnlab.BatchNorm` on five cases and names the usual mistakes. The hard part is dX: mu
and var depend on every row of X, which adds two terms to the naive ``gamma / sqrt(var + eps)
* dZ``.

Example
-------
>>> import numpy as np
>>> def batchnorm_backward(X, gamma, dZ, eps):
...     return gamma / np.sqrt(X.var(axis=0) + eps) * dZ, (dZ * X).sum(axis=0), dZ.sum(axis=0)
>>> print(check_batchnorm_backward(batchnorm_backward).hint.splitlines()[0])
your dX is only the first term, ...
"""

from __future__ import annotations

import numpy as np

from ..normalization import BatchNorm
from ._feedback import Case, Feedback, join, unpack_tuple
from ._runner import Exercise, Variant, run

TODO = (
    "implement fn(X, gamma, dZ, eps) returning (dX, dgamma, dbeta), the gradients of the loss "
    "for the training pass of BatchNorm, Z = gamma * (X - mu) / sqrt(var + eps) + beta with the "
    "batch mean mu and biased variance var of each feature (column), given dZ = dL/dZ."
)
NAMES = ("dX", "dgamma", "dbeta")


def batchnorm_backward_solution(X: np.ndarray, gamma: np.ndarray, dZ: np.ndarray, eps: float):
    """Reference solution, the compact three-term form (means over the batch, axis 0)::

        dX = gamma / sqrt(var + eps) * (dZ - mean(dZ) - x_hat * mean(dZ * x_hat))
        dgamma = sum(dZ * x_hat),   dbeta = sum(dZ)

    Shapes
    ------
    X, dZ ``(N, F)``, gamma ``(F,)`` -> dX ``(N, F)``, dgamma and dbeta ``(F,)``. New arrays
    are returned; the inputs are left as they were.
    """
    mu = X.mean(axis=0)
    inv_std = 1.0 / np.sqrt(X.var(axis=0) + eps)  # np.var divides by N: the biased variance
    x_hat = (X - mu) * inv_std
    dgamma = (dZ * x_hat).sum(axis=0)
    dbeta = dZ.sum(axis=0)
    dX = gamma * inv_std * (dZ - dZ.mean(axis=0) - x_hat * (dZ * x_hat).mean(axis=0))
    return dX, dgamma, dbeta


def _cases() -> list[Case]:
    rng = np.random.default_rng(20240801)
    cases = []
    for label, n, f, eps in [
        ("a batch of 8, 3 features", 8, 3, 1e-5),
        ("a batch of 2 (x_hat is +-1, so dX is nearly 0)", 2, 5, 1e-5),
        ("features with means of about +-1000", 6, 4, 1e-5),
        ("eps = 0.5, larger than the variance", 5, 2, 0.5),
        ("a batch of 4, 7 features, one of them constant", 4, 7, 1e-5),
    ]:
        X = rng.normal(size=(n, f))
        if "1000" in label:
            X = 2.0 * X + rng.uniform(800.0, 1200.0, size=f) * np.array([1, -1, 1, -1])
        elif eps == 0.5:
            X = 0.5 * X
        elif "constant" in label:
            X[:, 2] = 3.0  # variance 0: only eps keeps 1 / sqrt(var + eps) finite
        gamma = rng.uniform(0.5, 2.0, size=f) * rng.choice([-1.0, 1.0], size=f)
        cases.append(
            Case(label, {"X": X, "gamma": gamma, "dZ": rng.normal(size=(n, f)), "eps": eps})
        )
    return cases


def _reference(X, gamma, dZ, eps) -> dict:
    layer = BatchNorm(X.shape[1], eps=eps)
    layer.gamma = gamma
    layer.forward(X)  # training: the batch statistics
    dX = layer.backward(dZ)
    return {"dX": dX, "dgamma": layer.dgamma.copy(), "dbeta": layer.dbeta.copy()}


def _unpack(out) -> dict:
    return unpack_tuple(out, NAMES)


def _xs(X, eps, *, ddof=0, axis=0, eps_outside=False, centre=True):
    """``(x_hat, inv_std)`` as a learner may compute them, right or wrong."""
    mu = X.mean(axis=axis, keepdims=True)
    var = X.var(axis=axis, ddof=ddof, keepdims=True)
    inv_std = 1.0 / (np.sqrt(var) + eps) if eps_outside else 1.0 / np.sqrt(var + eps)
    return ((X - mu) if centre else X) * inv_std, inv_std


def _bn(*, last_n=None, **how):
    """The three-term backward with statistics computed as ``how`` says (see :func:`_xs`);
    ``last_n(N)``: the divisor of the variance term's sum, N if None."""

    def variant(X, gamma, dZ, eps) -> dict:
        axis = how.get("axis", 0)
        x_hat, s = _xs(X, eps, **how)
        n = X.shape[axis]
        last = (dZ * x_hat).sum(axis=axis, keepdims=True) / (last_n(n) if last_n else n)
        dX = gamma * s * (dZ - dZ.mean(axis=axis, keepdims=True) - x_hat * last)
        return {"dX": dX, "dgamma": (dZ * x_hat).sum(axis=0), "dbeta": dZ.sum(axis=0)}

    return variant


def _dx(terms):
    """A dX built from ``terms(dZ, x_hat, inv_std, gamma)``, with the right statistics."""

    def variant(X, gamma, dZ, eps) -> dict:
        x_hat, s = _xs(X, eps)
        return {"dX": terms(dZ, x_hat, s, gamma)}

    return variant


def _params(fn):
    """dgamma and dbeta as ``fn(dZ * x_hat)`` and ``fn(dZ)``."""

    def variant(X, gamma, dZ, eps) -> dict:
        x_hat, _ = _xs(X, eps)
        return {"dgamma": fn(dZ * x_hat), "dbeta": fn(dZ)}

    return variant


def _right(X, gamma, dZ, eps) -> dict:
    return dict(zip(NAMES, batchnorm_backward_solution(X, gamma, dZ, eps), strict=True))


def _mean(a):
    return a.mean(axis=0, keepdims=True)


DX, GB = ("dX",), ("dgamma", "dbeta")
VARIANTS = (
    Variant(
        DX,
        _dx(lambda dZ, xh, s, g: g * s * dZ),
        "your dX is only the first term, gamma / sqrt(var + eps) * dZ: it treats mu and var as "
        "constants. Both are computed from X, so every X of a column moves every x_hat of that "
        "column; the chain rule through mu and through var adds two more terms",
    ),
    Variant(
        DX,
        _dx(lambda dZ, xh, s, g: g * s * (dZ - xh * _mean(dZ * xh))),
        "your dX leaves out the term that comes through the mean mu: X - mu moves down by 1/N "
        "when any X of its column moves up, which subtracts the batch mean of dZ",
    ),
    Variant(
        DX,
        _dx(lambda dZ, xh, s, g: g * s * (dZ - _mean(dZ))),
        "your dX leaves out the term that comes through the variance var: every X of a column "
        "changes var and so the scale 1 / sqrt(var + eps) of the whole column, which subtracts "
        "x_hat times the batch mean of dZ * x_hat",
    ),
    Variant(
        DX,
        _dx(lambda dZ, xh, s, g: g * s * (dZ - dZ.sum(0) - xh * (dZ * xh).sum(0))),
        "your dX uses sums over the batch where means belong: mu and var are means, so the "
        "two terms that come through them carry a 1/N",
    ),
    Variant(
        DX,
        _dx(lambda dZ, xh, s, g: s * (dZ - _mean(dZ) - xh * _mean(dZ * xh))),
        "your dX leaves gamma out: Z = gamma * x_hat + beta, so the gradient reaching x_hat is "
        "gamma * dZ",
    ),
    Variant(
        DX,
        lambda X, gamma, dZ, eps: {"dX": _right(X, gamma, dZ, eps)["dX"] / len(X)},
        "your dX has an extra 1/N (a division by the batch size): the 1/N of mu and var is "
        "already inside the two batch means; the first term has none",
    ),
    Variant(
        DX,
        lambda X, gamma, dZ, eps: {"dX": _right(X, gamma, dZ, eps)["dX"].T},
        "your dX has shape {got}, the transpose of X's {want}: keep the batch first (one row "
        "per sample, one column per feature)",
    ),
    Variant(
        ("dX", "dgamma"),
        _bn(ddof=1),
        "your {what} use{s} the unbiased variance (divided by N - 1, as np.var(..., ddof=1) or "
        "np.std(..., ddof=1)): training BatchNorm normalizes with the biased one, divided by N",
    ),
    Variant(
        ("dX", "dgamma"),
        _bn(ddof=1, last_n=lambda n: n - 1),
        "your {what} use{s} the unbiased variance (divided by N - 1, also in its derivative): "
        "training BatchNorm normalizes with the biased one, divided by N",
    ),
    Variant(
        ("dX", "dgamma"),
        lambda X, gamma, dZ, eps: _bn()(X, gamma, dZ, 0.0),
        "your {what} leave{s} eps out (1 / sqrt(var) instead of 1 / sqrt(var + eps)): it shows "
        "on the case with eps = 0.5, and a constant feature (var = 0) divides by zero",
    ),
    Variant(
        ("dX", "dgamma"),
        _bn(eps_outside=True),
        "your {what} add{s} eps outside the square root, 1 / (sqrt(var) + eps): BatchNorm adds "
        "it to the variance, 1 / sqrt(var + eps)",
    ),
    Variant(
        ("dX", "dgamma"),
        _bn(centre=False),
        "your {what} use{s} X / sqrt(var + eps) for x_hat, without subtracting the mean mu "
        "(the case with means of about +-1000 shows it most)",
    ),
    Variant(
        ("dX", "dgamma"),
        _bn(axis=1),
        "your {what} normalize{s} each sample over its features (means over axis 1, as "
        "LayerNorm does): BatchNorm's mu and var are per feature, over the batch (axis 0)",
    ),
    Variant(
        ("dgamma",),
        lambda X, gamma, dZ, eps: {"dgamma": dZ.sum(axis=0)},
        "your dgamma is the sum of dZ, which is dbeta: gamma multiplies x_hat, so each entry of "
        "dZ is weighted by the x_hat that gamma multiplied there",
    ),
    Variant(
        ("dgamma",),
        lambda X, gamma, dZ, eps: {"dgamma": (dZ * X).sum(axis=0)},
        "your dgamma weights dZ by X where x_hat belongs: gamma multiplies the normalized "
        "x_hat, not the raw input (the case with means of about +-1000 shows it most)",
    ),
    Variant(
        ("dgamma",),
        lambda X, gamma, dZ, eps: {"dgamma": (dZ * (X - X.mean(axis=0))).sum(axis=0)},
        "your dgamma weights dZ by X - mu, not divided by sqrt(var + eps): gamma multiplies "
        "the normalized x_hat",
    ),
    Variant(
        GB,
        _params(lambda a: a.sum(axis=1)),
        "your {what} {has} shape {got}, one entry per sample; {what} must have the shape of "
        "gamma, {want}: did you sum over axis 1 (the features) instead of axis 0 (the batch)?",
    ),
    Variant(
        GB,
        _params(lambda a: a.sum(axis=0, keepdims=True)),
        "your {what} {has} shape {got}; {what} must have the shape of gamma, {want}: did you "
        "sum with keepdims=True?",
    ),
    Variant(
        GB,
        _params(lambda a: np.asarray(a.sum())),
        "your {what} {is_} a single number, a sum over everything; {what} need{s} one entry "
        "per feature (the shape of gamma, {want}): sum over the batch axis only",
    ),
    Variant(
        GB,
        _params(lambda a: a),
        "your {what} {has} shape {got}, the shape of dZ; {what} must have the shape of gamma, "
        "{want}: gamma and beta are shared by every row of the batch, so their gradients "
        "collect every row",
    ),
    Variant(
        GB,
        _params(lambda a: a.mean(axis=0)),
        "your {what} {has} an extra 1/N (a mean over the batch): gamma and beta are used by "
        "every row, so their gradients sum over the batch (dZ already holds any 1/N of the loss)",
    ),
    Variant(
        GB,
        lambda X, gamma, dZ, eps: {
            "dgamma": dZ.sum(axis=0),
            "dbeta": _right(X, gamma, dZ, eps)["dgamma"],
        },
        "your dgamma and dbeta are swapped: return (dX, dgamma, dbeta) in that order",
    ),
    Variant(
        NAMES,
        lambda X, gamma, dZ, eps: dict(
            zip(
                ("dbeta", "dX", "dgamma"),
                batchnorm_backward_solution(X, gamma, dZ, eps),
                strict=True,
            )
        ),
        "your function returns (dgamma, dbeta, dX): return (dX, dgamma, dbeta) in that order",
    ),
    Variant(
        NAMES,
        lambda X, gamma, dZ, eps: {k: -v for k, v in _right(X, gamma, dZ, eps).items()},
        "your {what} {has} the opposite sign of the gradient: no minus sign belongs in the "
        "backward pass (the minus of gradient descent comes later, in the update)",
    ),
)


def _on_mutation(changed: list, case: Case) -> str:
    names = [name for name, _, _ in changed]
    if "X" in names:
        how = "X -= mu or X /= std centre or scale the caller's X, which the forward kept"
    else:
        how = f"{names[0]} -= ... or {names[0]} *= ... write into the caller's array"
    return (
        f"your function changed the caller's {join(names)} in place (on the case "
        f"{case.describe()}): {how}. Build new arrays instead ({names[0]} - ... makes one) and "
        "leave the inputs as they were."
    )


def _advice(exc: Exception, case: Case) -> str:
    if isinstance(exc, ValueError) and "broadcast" in str(exc):
        n, f = case.args["X"].shape
        return (
            f"Here X is ({n}, {f}): the batch statistics have one entry per feature, ({f},) "
            "(a mean over axis 0, the batch); a mean over axis 1 has one per sample and does "
            "not broadcast against X."
        )
    return ""


def check_batchnorm_backward(fn) -> Feedback:
    """Check ``fn(X, gamma, dZ, eps) -> (dX, dgamma, dbeta)``, BatchNorm's training backward.

    ``fn`` receives copies of the inputs of five cases (batches of 2, 4, 5, 6 and 8, never
    square; means of about +-1000; eps = 0.5; a constant feature) and its output is compared
    with :class:`nnlab.BatchNorm`'s backward after a training forward.

    Diagnoses: mu and var treated as constants (only the first term of dX); the term through
    the mean or through the variance forgotten; sums for the means; gamma left out of dX; the
    unbiased variance (N - 1); eps left out or outside the square root; x_hat without the
    mean subtracted; statistics over axis 1 (LayerNorm's); dgamma as sum(dZ), or weighted by
    X or X - mu; dgamma and dbeta summed over axis 1, with keepdims, over everything, not
    summed or averaged; an extra 1/N in dX; dX transposed; the outputs swapped or in the
    wrong order; a flipped sign; inputs changed in place; exceptions, ``None``, wrong shapes
    and NaN, each with the case that triggered it.

    Examples
    --------
    >>> check_batchnorm_backward(batchnorm_backward_solution).passed
    True
    """
    spec = Exercise(
        title="BatchNorm backward",
        todo=TODO,
        cases=_cases(),
        components={
            "dX": "have the shape of X, {want}",
            "dgamma": "have the shape of gamma, {want}",
            "dbeta": "have the shape of gamma, {want}",
        },
        unpack=_unpack,
        reference=_reference,
        passed=(
            "dX, dgamma and dbeta match nnlab's BatchNorm backward on 5 cases, including a "
            "batch of 2, means of about +-1000, eps = 0.5 and a constant feature; your "
            "function left its inputs unchanged."
        ),
        variants=VARIANTS,
        advice=_advice,
        on_mutation=_on_mutation,
    )
    return run(fn, spec)
