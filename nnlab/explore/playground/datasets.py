"""The playground's data sets: five classification sets, two regression sets, a seeded split.

Every set lives in the square ``[-DOMAIN, DOMAIN]^2`` (half the TensorFlow Playground's
``[-6, 6]``, so the feature ``x1^2`` stays below 9 and tanh units do not start saturated).
The classification sets reuse :mod:`nnlab.data` scaled into that square; the two Gaussian
blobs and the regression sets are written here after the TensorFlow Playground's.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ... import data as generators
from ..._validation import as_rng, check_positive_int, check_real

DOMAIN = 3.0

CLASSIFICATION = ("circle", "xor", "gauss", "spiral", "moons")
REGRESSION = ("plane", "multigauss")
DATASETS = CLASSIFICATION + REGRESSION

# The six signed bumps of the TensorFlow Playground's "multi-Gaussian", at half its scale.
BUMPS = np.array(
    [
        [-2.0, 1.25, 1.0],
        [0.0, 1.25, -1.0],
        [2.0, 1.25, 1.0],
        [-2.0, -1.25, -1.0],
        [0.0, -1.25, 1.0],
        [2.0, -1.25, -1.0],
    ]
)
BUMP_WIDTH = 0.6


class Split(NamedTuple):
    """A train/test split of a 2-D data set; ``task`` is ``"classification"`` or
    ``"regression"``."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    task: str


def _check_name(name) -> str:
    if name not in DATASETS:
        raise ValueError(
            f"playground: unknown dataset {name!r}; expected one of "
            + ", ".join(repr(d) for d in DATASETS)
            + "."
        )
    return name


def task_of(name: str) -> str:
    """``"classification"`` or ``"regression"``, for a data set's name."""
    return "classification" if _check_name(name) in CLASSIFICATION else "regression"


def make_gaussians(n_samples: int = 500, noise: float = 0.0, rng=None):
    """Two Gaussian blobs: class 1 around ``(1.25, 1.25)``, class 0 around ``(-1.25, -1.25)``.

    The standard deviation of each blob is ``0.5 + 1.5 * noise``; the classes alternate, so
    both have ``n_samples / 2`` points (+-1).

    Returns
    -------
    X : ndarray ``(n_samples, 2)``
    y : ndarray of int ``(n_samples,)``
    """
    owner = "make_gaussians"
    n = check_positive_int(n_samples, "n_samples", owner=owner)
    noise = check_real(noise, "noise", owner=owner, low=0.0)
    gen = as_rng(rng, owner=owner)
    y = (np.arange(n) + 1) % 2
    centres = np.where(y[:, None] == 1, 1.25, -1.25)
    return centres + gen.normal(0.0, 0.5 + 1.5 * noise, size=(n, 2)), y.astype(np.int64)


def plane(X: np.ndarray) -> np.ndarray:
    """The regression target "plane": ``y = (x1 + x2) / (2 DOMAIN)``, in ``[-1, 1]``."""
    return (X[:, 0] + X[:, 1]) / (2 * DOMAIN)


def multigauss(X: np.ndarray) -> np.ndarray:
    """The regression target "multi-Gaussian": six signed bumps,
    ``y = sum_k s_k exp(-|x - c_k|^2 / (2 * 0.6^2))`` (centres and signs in ``BUMPS``)."""
    d2 = ((X[:, None, :] - BUMPS[None, :, :2]) ** 2).sum(axis=2)
    return np.exp(-d2 / (2 * BUMP_WIDTH**2)) @ BUMPS[:, 2]


def _regression(target, n: int, noise: float, gen: np.random.Generator):
    X = gen.uniform(-DOMAIN + 0.5, DOMAIN - 0.5, size=(n, 2))
    return X, target(X) + gen.normal(0.0, noise, size=n)


def make_dataset(name: str, n_samples: int = 500, noise: float = 0.0, rng=None):
    """One of :data:`DATASETS`, ``n_samples`` points in ``[-DOMAIN, DOMAIN]^2``.

    Parameters
    ----------
    name : {"circle", "xor", "gauss", "spiral", "moons", "plane", "multigauss"}
        The first five are classification sets (labels 0 and 1): :func:`nnlab.make_circles`
        (class 1 inside), :func:`nnlab.make_xor`, :func:`make_gaussians`,
        :func:`nnlab.make_spirals` with two arms, :func:`nnlab.make_moons`, scaled into the
        square. The last two are regression sets: :func:`plane` and :func:`multigauss` of
        points drawn uniformly in ``[-2.5, 2.5]^2``.
    n_samples : int
    noise : float, >= 0
        The generator's own noise (in its unscaled units) for the classification sets; the
        standard deviation of Gaussian noise added to the target for the regression sets.
        The playground's slider goes from 0 to 0.5.
    rng : None, int or np.random.Generator

    Returns
    -------
    X : ndarray ``(n_samples, 2)``
    y : ndarray ``(n_samples,)``, int labels or float targets

    Raises
    ------
    ValueError
        For an unknown name (the valid ones are listed) or a bad ``n_samples`` or ``noise``.

    Examples
    --------
    >>> X, y = make_dataset("xor", 100, rng=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((100, 2), [0, 1])
    """
    _check_name(name)
    n = check_positive_int(n_samples, "n_samples", owner="make_dataset")
    noise = check_real(noise, "noise", owner="make_dataset", low=0.0)
    gen = as_rng(rng, owner="make_dataset")
    if n < 2:
        raise ValueError(f"make_dataset: n_samples must be at least 2, got {n}.")
    if name == "circle":
        X, y = generators.make_circles(n, noise, gen)
        return 2.5 * X, y
    if name == "xor":
        X, y = generators.make_xor(n, noise, gen)
        return 2.5 * X, y
    if name == "gauss":
        return make_gaussians(n, noise, gen)
    if name == "spiral":
        X, y = generators.make_spirals(n, noise, gen, n_classes=2)
        return 2.8 * X, y
    if name == "moons":
        X, y = generators.make_moons(n, noise, gen)
        return 2.0 * (X - [0.5, 0.25]), y
    return _regression(plane if name == "plane" else multigauss, n, noise, gen)


def split_dataset(X, y, train_ratio: float = 0.5, rng=None, *, task: str | None = None) -> Split:
    """Shuffle ``(X, y)`` with ``rng`` and keep ``round(train_ratio * N)`` points for training.

    Parameters
    ----------
    X : array ``(N, 2)``
    y : array ``(N,)``
        Labels 0/1 (classification) or float targets (regression).
    train_ratio : float in (0, 1)
    rng : None, int or np.random.Generator
    task : {"classification", "regression"}, optional
        Default: classification when every ``y`` is 0 or 1, regression otherwise.

    Raises
    ------
    ValueError
        If ``X`` is not ``(N, 2)``, ``y`` not ``(N,)``, values are not finite, a part would
        be empty, or classification labels are not 0 and 1.
    """
    owner = "split_dataset"
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{owner} expected X of shape (n_samples, 2), got {X.shape}.")
    if y.shape != (len(X),):
        raise ValueError(f"{owner} expected y of shape ({len(X)},), got {y.shape}.")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{owner} expected numeric y, got dtype {y.dtype}.")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError(f"{owner} expected finite X and y, got NaN or inf.")
    ratio = check_real(
        train_ratio, "train_ratio", owner=owner, low=0, high=1, low_open=True, high_open=True
    )
    binary = bool(np.isin(y, (0, 1)).all())
    if task is None:
        task = "classification" if binary else "regression"
    if task not in ("classification", "regression"):
        raise ValueError(f"{owner}: task must be 'classification' or 'regression', got {task!r}.")
    if task == "classification" and not binary:
        raise ValueError(f"{owner}: classification labels must be 0 or 1, got {np.unique(y)}.")
    n_train = round(ratio * len(X))
    if not 1 <= n_train <= len(X) - 1:
        raise ValueError(
            f"{owner}: train_ratio={ratio:g} of {len(X)} points leaves an empty training or "
            "test set."
        )
    y = y.astype(np.int64) if task == "classification" else y.astype(float)
    order = as_rng(rng, owner=owner).permutation(len(X))
    train, test = order[:n_train], order[n_train:]
    return Split(X[train], X[test], y[train], y[test], task)


def load_dataset(
    name: str, n_samples: int = 500, noise: float = 0.0, train_ratio: float = 0.5, rng=None
) -> Split:
    """:func:`make_dataset` then :func:`split_dataset`, both drawing from one generator.

    Examples
    --------
    >>> data = load_dataset("circle", 500, train_ratio=0.5, rng=0)
    >>> data.X_train.shape, data.X_test.shape, data.task
    ((250, 2), (250, 2), 'classification')
    """
    gen = as_rng(rng, owner="load_dataset")
    X, y = make_dataset(name, n_samples, noise, gen)
    return split_dataset(X, y, train_ratio, gen, task=task_of(name))
