"""What every unit computes over the input plane, forward and backward, as ``(G, G)`` maps.

One inference pass over the ``G * G`` points of a grid keeps every layer's ``Z`` and ``A``
(:func:`~.model.forward_layers`); one backward pass of per-sample deltas follows. Map
``[i, j]`` belongs to the point ``(x1, x2) = (xs[j], xs[i])``: rows go up the ``x2`` axis, so
``imshow(map, origin="lower", extent=(-d, d, -d, d))`` draws it in place.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from .features import features
from .model import Playground, forward_layers, output_of, sample_deltas

#: The target rule of the delta maps, in one line, as the widget shows it in the deltas view.
DELTA_TARGET_RULE = (
    "δ maps: each grid point is a one-sample batch whose target is that of the nearest "
    "training point (its class label, or its value in regression; Euclidean distance in the "
    "x1-x2 plane, test points not used)."
)


class Maps(NamedTuple):
    """Every unit's value over a ``G x G`` grid of the plane ``[-d, d]^2``.

    Attributes
    ----------
    xs : ndarray ``(G,)``
        Grid coordinates, along ``x1`` (columns) and ``x2`` (rows) alike.
    inputs : ndarray ``(n_0, G, G)``
        The features ``A^[0]``.
    Z : list of ndarray ``(n_l, G, G)``
        ``Z^[l]`` for ``l = 1..m``.
    A : list of ndarray ``(n_l, G, G)``
        ``A^[l]`` for ``l = 1..m``; the last is the output: P(class 1), the ``tanh`` output
        in (-1, 1) (``output="playground"``), or the prediction.
    output : ndarray ``(G, G)``
        The output map, ``A[-1][0]``.
    target : ndarray ``(G, G)``
        The target the delta maps use: the label (or, in regression, the value) of the
        training point nearest each grid point (:data:`DELTA_TARGET_RULE`).
    delta : list of ndarray ``(n_l, G, G)``
        ``delta^[l]``, ``l = 1..m``, for those targets: see :func:`playground_maps`.
    """

    xs: np.ndarray
    inputs: np.ndarray
    Z: list
    A: list
    output: np.ndarray
    target: np.ndarray
    delta: list


def grid_points(G: int, domain: float) -> tuple[np.ndarray, np.ndarray]:
    """``xs`` ``(G,)`` spanning ``[-domain, domain]`` and the ``(G * G, 2)`` points
    ``(xs[j], xs[i])`` in row-major order of ``(i, j)``."""
    if isinstance(G, bool) or not isinstance(G, int | np.integer) or G < 2:
        raise ValueError(f"playground maps: grid must be an int >= 2, got {G!r}.")
    xs = np.linspace(-domain, domain, G)
    x1, x2 = np.meshgrid(xs, xs)
    return xs, np.column_stack([x1.ravel(), x2.ravel()])


def nearest_targets(points: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``y`` of the row of ``X`` nearest each point (Euclidean; the first on ties).

    Shapes
    ------
    points ``(P, 2)``, X ``(N, 2)``, y ``(N,)`` -> ``(P,)``.
    """
    d2 = (points * points).sum(axis=1)[:, None] - 2.0 * points @ X.T + (X * X).sum(axis=1)
    return y[np.argmin(d2, axis=1)]


def _as_maps(V: np.ndarray, G: int) -> np.ndarray:
    return np.ascontiguousarray(V.T.reshape(V.shape[1], G, G))


def playground_maps(pg: Playground, grid: int = 50) -> Maps:
    """Every unit's activation and delta over a ``grid x grid`` grid of the plane.

    Parameters
    ----------
    pg : Playground
    grid : int, default 50
        Points per side; the square is ``[-pg.domain, pg.domain]^2``.

    Returns
    -------
    Maps

    Notes
    -----
    Forward (book eq. ``fp-layer``): ``Z^[l] = A^[l-1] W^[l] + 1 b^[l]``, ``A^[l] = f(Z^[l])``,
    with the ``G^2`` grid points as the batch.

    The delta maps answer "what would backpropagation send to this unit for a training sample
    here?". Each grid point ``g`` is given the target ``t(g)`` of its nearest training point
    (:func:`nearest_targets`: Euclidean distance in the ``x1``-``x2`` plane, the first in
    training order on ties, test points never used; a class label, or the value in
    regression; the same point :func:`explain_point` uses by default), and ``delta^[l](g)`` is
    ``d ell_g / d Z^[l]`` for the loss ``ell_g`` of the batch of that one sample:
    ``delta^[m] = sigma(z) - t`` (cross-entropy; ``2 (z - t)`` for squared error; for
    ``output="playground"``, ``(tanh(z) - t) (1 - tanh(z)^2)`` with the label as -1/+1, or
    ``z - t``: :func:`~.model.sample_deltas`) and ``delta^[l] = (delta^[l+1] W^[l+1]^T) *
    f'(Z^[l])`` (book eq. ``bp-delta``). It is ``G^2`` times the delta of the mean loss over
    the grid, computed in the same single pass.
    """
    xs, points = grid_points(grid, pg.domain)
    Zs, As = forward_layers(pg.net, features(points, pg.config.features))
    key = ("targets", grid, pg.domain)
    if key not in pg.memo:  # the data, hence the targets, change only at a reset
        pg.memo[key] = nearest_targets(points, pg.split.X_train, pg.split.y_train).astype(float)
    target = pg.memo[key]
    deltas = sample_deltas(pg.net, pg.task, Zs, target)
    out = output_of(pg.task, Zs[-1])
    A = [*As[1:], out]
    return Maps(
        xs=xs,
        inputs=_as_maps(As[0], grid),
        Z=[_as_maps(Z, grid) for Z in Zs],
        A=[_as_maps(a, grid) for a in A],
        output=out[:, 0].reshape(grid, grid),
        target=target.reshape(grid, grid),
        delta=[_as_maps(d, grid) for d in deltas],
    )


def cycle(pg: Playground, steps: int = 10, grid: int = 50) -> Maps:
    """What the playground does between two frames: ``steps`` epochs, then the maps."""
    pg.step(steps)
    return playground_maps(pg, grid)


def benchmark_cycle(repeats: int = 5, *, steps: int = 10, grid: int = 50, config=None) -> float:
    """Median seconds of one :func:`cycle` (train ``steps`` epochs and recompute every map,
    no drawing), at the default configuration unless ``config`` is given: circle, 500
    points (250 for training, batches of 10), features x1 and x2, two hidden layers of 4.

    The target is under 0.1 s, so that the widget can animate at several frames a second.
    """
    pg = Playground(config) if config is not None else Playground()
    cycle(pg, 1, grid)  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        cycle(pg, steps, grid)
        times.append(time.perf_counter() - start)
    return float(np.median(times))
