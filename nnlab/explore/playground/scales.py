"""Colours and colour ranges of the playground's maps.

With ``shared_scale=True`` (the default of every drawing function) the unit maps of one view
share one symmetric range ``[-M, M]``, ``M`` the largest ``|value|`` over them, so that a
layer whose activations or deltas are a thousand times smaller than another's shows as nearly
blank: vanishing (or exploding) signals are visible. Which maps share it:

* ``view="activations"``: every hidden unit's ``A^[l]``, and the output's for regression
  (the prediction). The classification output keeps its fixed range (:func:`output_range`),
  already an absolute scale: ``[0, 1]`` for the probability (``output="nnlab"``), ``[-1, 1]``
  for the ``tanh`` output (``output="playground"``), each centred at its class boundary.
* ``view="deltas"``: every hidden unit's and the output's ``delta^[l]``.
* The inputs never share it: they are the features (``x1`` in ``[-6, 6]``, ``x1^2`` up to
  36), not signals of the network, and each keeps its own symmetric range.

With ``shared_scale=False`` every map gets its own symmetric range ``[-m, m]``, ``m`` its
own largest ``|value|``: the shape of a map is always visible, but not its size.
"""

from __future__ import annotations

import numpy as np

from .maps import Maps
from .model import Playground, tanh_output

# The TensorFlow Playground's colours: orange for negative (class 0), blue for positive.
NEGATIVE, NEUTRAL, POSITIVE = "#f59322", "#e8eaeb", "#0877bd"


def colormap():
    """Orange (negative, class 0) -> light grey (0) -> blue (positive, class 1)."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("playground", [NEGATIVE, NEUTRAL, POSITIVE])


def symmetric(values: np.ndarray) -> float:
    """The largest ``|value|``, or 1 if there is none, or it is 0 or not finite."""
    top = float(np.max(np.abs(values))) if values.size else 0.0
    return top if np.isfinite(top) and top > 0 else 1.0


def output_range(pg: Playground) -> tuple[float, float] | None:
    """The fixed colour range of a classifier's output, centred at ``pg.boundary``: ``(0, 1)``
    for P(class 1) (``output="nnlab"``), ``(-1, 1)`` for the ``tanh`` output
    (``output="playground"``); ``None`` in regression (a symmetric range instead)."""
    if pg.task != "classification":
        return None
    return (-1.0, 1.0) if tanh_output(pg.task) else (0.0, 1.0)


def target_range(pg: Playground) -> tuple[float, float]:
    """Colour limits of the output map and of the targets: :func:`output_range` for a
    classifier (its targets ``pg.targets_train``, 0/1 or -1/+1, at the ends), symmetric about
    0 for regression values."""
    fixed = output_range(pg)
    if fixed is not None:
        return fixed
    top = symmetric(np.concatenate([pg.targets_train, pg.targets_test]))
    return -top, top


def output_image(pg: Playground, maps: Maps, discretize: bool) -> np.ndarray:
    """The output map, or with ``discretize`` the predicted class (output ``>``
    ``pg.boundary``) at either end of :func:`output_range` (0/1, or -1/+1), or the sign of a
    regression prediction."""
    if not discretize:
        return maps.output
    fixed = output_range(pg)
    if fixed is None:
        return np.sign(maps.output)
    return np.where(maps.output > pg.boundary, fixed[1], fixed[0])


def _layers(pg: Playground, maps: Maps, view: str) -> tuple[list, tuple | None]:
    """The maps of every layer, inputs first, and the fixed range of the last (the output of
    a classifier, in the activations view), or ``None``."""
    layer_maps = [maps.inputs, *(maps.delta if view == "deltas" else maps.A)]
    return layer_maps, output_range(pg) if view == "activations" else None


def shared_limit(pg: Playground, maps: Maps, view: str) -> float | None:
    """``M``, the largest ``|value|`` over the maps that share the scale in ``view`` (see
    the module's docstring), or ``None`` when no map shares it (a classifier without hidden
    layers, in the activations view)."""
    layer_maps, fixed = _layers(pg, maps, view)
    shared = layer_maps[1:-1] if fixed else layer_maps[1:]
    if not shared:
        return None
    return symmetric(np.concatenate([values.ravel() for values in shared]))


def unit_images(pg: Playground, maps: Maps, view: str, shared_scale: bool = True) -> list:
    """``(map, vmin, vmax)`` of every unit, input side first, as the network drawing shows
    them: with ``shared_scale``, ``(-M, M)`` for every map that shares the scale (see the
    module's docstring); otherwise each map's own symmetric range."""
    layer_maps, fixed = _layers(pg, maps, view)
    top = shared_limit(pg, maps, view) if shared_scale else None
    out = []
    for k, values in enumerate(layer_maps):
        for img in values:
            if fixed and k == len(layer_maps) - 1:
                out.append((img, *fixed))
            elif k > 0 and top is not None:
                out.append((img, -top, top))
            else:
                out.append((img, -symmetric(img), symmetric(img)))
    return out


def scale_note(pg: Playground, maps: Maps, view: str, shared_scale: bool) -> str:
    """How the unit maps are coloured, for the network's title."""
    top = shared_limit(pg, maps, view) if shared_scale else None
    if top is None:
        return "each map on its own scale"
    return f"one colour scale ±{top:.3g}"
