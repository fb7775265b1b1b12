"""The playground's input features: the columns of ``A^[0]``, computed from ``(x1, x2)``."""

from __future__ import annotations

import numpy as np

# name -> (function of the two columns, LaTeX label); the TensorFlow Playground's seven.
FEATURES = {
    "x1": (lambda x1, x2: x1, "x_1"),
    "x2": (lambda x1, x2: x2, "x_2"),
    "x1^2": (lambda x1, x2: x1 * x1, "x_1^2"),
    "x2^2": (lambda x1, x2: x2 * x2, "x_2^2"),
    "x1*x2": (lambda x1, x2: x1 * x2, "x_1 x_2"),
    "sin(x1)": (lambda x1, x2: np.sin(x1), r"\sin x_1"),
    "sin(x2)": (lambda x1, x2: np.sin(x2), r"\sin x_2"),
}


def check_features(names) -> tuple[str, ...]:
    """``names`` as a tuple of known, distinct feature names (at least one).

    Raises
    ------
    ValueError
        For an unknown name (the valid ones are listed), a repeated one, or none at all.
    """
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    for name in names:
        if name not in FEATURES:
            raise ValueError(
                f"playground: unknown feature {name!r}; expected one of "
                + ", ".join(repr(f) for f in FEATURES)
                + "."
            )
    if not names:
        raise ValueError("playground: select at least one input feature, got none.")
    if len(set(names)) != len(names):
        raise ValueError(f"playground: each feature may appear once, got {list(names)}.")
    return names


def features(X, names) -> np.ndarray:
    """The feature map: one column per name, computed from the columns ``x1, x2`` of ``X``.

    Parameters
    ----------
    X : array ``(N, 2)``
        Points of the plane.
    names : sequence of str
        Names of :data:`FEATURES`, in the order of the columns wanted.

    Returns
    -------
    ndarray ``(N, len(names))``
        ``A^[0]``, the input of the network's first layer.

    Raises
    ------
    ValueError
        If ``X`` is not ``(N, 2)``, or for bad names (see :func:`check_features`).

    Examples
    --------
    >>> features(np.array([[2.0, 3.0]]), ["x1*x2", "x1^2"])
    array([[6., 4.]])
    """
    names = check_features(names)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"features expected X of shape (n_samples, 2), got {X.shape}.")
    out = np.empty((len(X), len(names)))
    x1, x2 = X[:, 0], X[:, 1]
    for j, name in enumerate(names):
        out[:, j] = FEATURES[name][0](x1, x2)
    return out


def feature_label(name: str) -> str:
    """The LaTeX label of a feature, e.g. ``"\\sin x_1"``."""
    return FEATURES[check_features(name)[0]][1]
