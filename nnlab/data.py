"""Small datasets, generated in-process (and scikit-learn's bundled digits): no downloads.

Every generator takes ``n_samples``, ``noise`` and ``rng`` and returns ``(X, y)`` with ``X``
of shape ``(n_samples, 2)`` (``(n_samples, 1)`` for ``make_sine``) in float64. A bad
argument raises ``TypeError`` or ``ValueError`` naming it; ``n_samples`` must give every class
at least one sample, and ``noise`` must not overflow the data.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import as_rng, check_positive_int, check_real


def _check(
    owner: str, n_samples, noise, rng, n_classes: int = 1
) -> tuple[int, float, np.random.Generator]:
    n = check_positive_int(n_samples, "n_samples", owner=owner)
    if n < n_classes:
        raise ValueError(
            f"{owner}: n_samples must be at least {n_classes} (one sample per class, or some "
            f"class would get 0 samples), got {n}."
        )
    return n, check_real(noise, "noise", owner=owner, low=0.0), as_rng(rng, owner=owner)


def _jitter(owner: str, gen: np.random.Generator, noise: float, shape) -> np.ndarray:
    """Gaussian noise of standard deviation ``noise``, which must not overflow to inf."""
    with np.errstate(over="ignore"):
        e = gen.normal(0.0, noise, size=shape)
    if not np.isfinite(e).all():
        raise ValueError(
            f"{owner}: noise={noise:g} is too large: the Gaussian jitter overflows to inf; "
            "use a smaller noise."
        )
    return e


def make_xor(n_samples: int = 200, noise: float = 0.1, rng=None):
    """Points in the four quadrants; class 1 where exactly one coordinate is positive.

    Returns ``X (N, 2)``, ``y (N,)`` int labels, with ``N = n_samples``. ``noise`` is the
    standard deviation of the Gaussian jitter added to points drawn uniformly in [-1, 1]^2
    (after labelling).
    """
    n, noise, gen = _check("make_xor", n_samples, noise, rng)
    X = gen.uniform(-1.0, 1.0, size=(n, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    return X + _jitter("make_xor", gen, noise, X.shape), y


def make_moons(n_samples: int = 200, noise: float = 0.1, rng=None):
    """Two interleaving half circles (class 0 on top, class 1 below and shifted).

    Returns ``X (N, 2)``, ``y (N,)``; the classes alternate so both have N/2 points (+-1).
    """
    n, noise, gen = _check("make_moons", n_samples, noise, rng, n_classes=2)
    y = np.arange(n) % 2
    t = gen.uniform(0.0, np.pi, size=n)
    X = np.where(
        y[:, None] == 0,
        np.column_stack([np.cos(t), np.sin(t)]),
        np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)]),
    )
    return X + _jitter("make_moons", gen, noise, X.shape), y.astype(np.int64)


def make_circles(n_samples: int = 200, noise: float = 0.05, rng=None, factor: float = 0.5):
    """An outer circle (class 0, radius 1) around an inner one (class 1, radius ``factor``)."""
    n, noise, gen = _check("make_circles", n_samples, noise, rng, n_classes=2)
    factor = check_real(
        factor, "factor", owner="make_circles", low=0.0, high=1.0, low_open=True, high_open=True
    )
    y = np.arange(n) % 2
    t = gen.uniform(0.0, 2 * np.pi, size=n)
    r = np.where(y == 0, 1.0, factor)
    X = np.column_stack([r * np.cos(t), r * np.sin(t)])
    return X + _jitter("make_circles", gen, noise, X.shape), y.astype(np.int64)


def make_spirals(n_samples: int = 300, noise: float = 0.2, rng=None, n_classes: int = 3):
    """``n_classes`` interleaved spiral arms, a classic test that a linear model fails.

    Each arm turns through about 1.3 revolutions with radius growing from 0 to 1; ``noise``
    jitters the angle (in radians).
    """
    k = check_positive_int(n_classes, "n_classes", owner="make_spirals")
    n, noise, gen = _check("make_spirals", n_samples, noise, rng, n_classes=k)
    y = np.arange(n) % k
    r = gen.uniform(0.0, 1.0, size=n)
    theta = 2 * np.pi * (y / k) + 8.0 * r + _jitter("make_spirals", gen, noise, n)
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return X, y.astype(np.int64)


def make_sine(n_samples: int = 200, noise: float = 0.1, rng=None):
    """Regression: ``y = sin(x) + noise`` for ``x`` uniform in [-pi, pi].

    Returns ``X (N, 1)`` and ``y (N, 1)``, sorted by ``x`` for easy plotting.
    """
    n, noise, gen = _check("make_sine", n_samples, noise, rng)
    x = np.sort(gen.uniform(-np.pi, np.pi, size=n))[:, None]
    return x, np.sin(x) + _jitter("make_sine", gen, noise, x.shape)


class Split(NamedTuple):
    """A train/test split, in scikit-learn's ``train_test_split`` order."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


def load_digits(test_size: float = 0.25, rng=0) -> Split:
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes), no download.

    Split stratified by class, then standardized with the training set's mean and standard
    deviation (pixels that are constant in training are only centred).

    Returns
    -------
    Split
        ``(X_train, X_test, y_train, y_test)``; X of shape ``(N, 64)``, y int labels.
    """
    test_size = check_real(
        test_size,
        "test_size",
        owner="load_digits",
        low=0.0,
        high=1.0,
        low_open=True,
        high_open=True,
    )
    gen = as_rng(rng, owner="load_digits")
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError:
        raise ImportError(
            "nnlab.data.load_digits needs scikit-learn: pip install "
            "scikit-learn (or pip install 'nnlab[data]')."
        ) from None
    bunch = _sk_load_digits()
    X, y = bunch.data.astype(np.float64), bunch.target.astype(np.int64)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = gen.permutation(np.flatnonzero(y == c))
        test[idx[: round(test_size * len(idx))]] = True
    for part, n_part, hint in (
        ("test", test.sum(), "larger"),
        ("training", (~test).sum(), "smaller"),
    ):
        if n_part == 0:
            raise ValueError(
                f"load_digits: test_size={test_size:g} leaves the {part} set with 0 samples; "
                f"use a {hint} test_size."
            )
    X_train, X_test = X[~test], X[test]
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0
    return Split((X_train - mean) / std, (X_test - mean) / std, y[~test], y[test])


def validation_split(X, y, fraction: float = 0.2, rng=0):
    """Hold out a seeded share of the rows of ``(X, y)`` as a validation set.

    Anything chosen by looking at results (a learning rate, a network) is chosen on the
    validation rows; the test set stays untouched until the end.

    Parameters
    ----------
    X, y : array-like
        Samples and targets; the same number of rows.
    fraction : float
        Share of the rows held out, in (0, 1): ``int(len(X) * fraction)`` rows.
    rng : None, int or Generator
        Seeds the draw of the held-out rows.

    Returns
    -------
    tuple
        ``(X_fit, X_val, y_fit, y_val)``, in scikit-learn's ``train_test_split`` order. The
        held-out rows are ``perm[:int(len(X) * fraction)]`` with
        ``perm = default_rng(rng).permutation(len(X))``, in that order; the fitting rows are
        all the others, in their original order.

    Raises
    ------
    TypeError, ValueError
        For a bad ``fraction`` or ``rng``, X and y of different lengths, or a split that leaves
        either side with no row.
    """
    owner = "validation_split"
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"{owner}: X and y must be arrays of rows, got shapes {X.shape} and {y.shape}."
        )
    if len(X) != len(y):
        raise ValueError(
            f"{owner}: X and y must have the same number of rows, got {len(X)} and {len(y)}."
        )
    fraction = check_real(
        fraction, "fraction", owner=owner, low=0.0, high=1.0, low_open=True, high_open=True
    )
    gen = as_rng(rng, owner=owner)
    n = len(X)
    n_val = int(n * fraction)
    for part, n_part, hint in (("validation", n_val, "larger"), ("fitting", n - n_val, "smaller")):
        if n_part == 0:
            raise ValueError(
                f"{owner}: fraction={fraction:g} of {n} rows leaves the {part} set with 0 rows; "
                f"use a {hint} fraction (or more rows)."
            )
    held = gen.permutation(n)[:n_val]
    kept = np.setdiff1d(np.arange(n), held)
    return X[kept], X[held], y[kept], y[held]
