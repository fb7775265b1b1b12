"""Colours and colour ranges of the playground's maps.

With ``shared_scale=True`` (the default of every drawing function) the unit maps of one view
share one symmetric range ``[-M, M]``, ``M`` the largest ``|value|`` over them, so that a
layer whose activations or deltas are a thousand times smaller than another's shows as nearly
blank: vanishing (or exploding) signals are visible. Which maps share it:

* ``view="activations"``: every hidden unit's ``A^[l]``, and the output's for regression
  (the prediction). The classification output keeps its fixed range ``[0, 1]``: it is a
  probability, already on an absolute scale.
* ``view="deltas"``: every hidden unit's and the output's ``delta^[l]``.
* The inputs never share it: they are the features (``x1`` in ``[-6, 6]``, ``x1^2`` up to
  36), not signals of the network, and each keeps its own symmetric range.

With ``shared_scale=False`` every map gets its own symmetric range ``[-m, m]``, ``m`` its
own largest ``|value|``: the shape of a map is always visible, but not its size.
"""

from __future__ import annotations

import numpy as np

from .maps import Maps
from .model import Playground

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


def _layers(pg: Playground, maps: Maps, view: str) -> tuple[list, bool]:
    """The maps of every layer, inputs first, and whether the last is a probability."""
    layer_maps = [maps.inputs, *(maps.delta if view == "deltas" else maps.A)]
    return layer_maps, pg.task == "classification" and view == "activations"


def shared_limit(pg: Playground, maps: Maps, view: str) -> float | None:
    """``M``, the largest ``|value|`` over the maps that share the scale in ``view`` (see
    the module's docstring), or ``None`` when no map shares it (a classifier without hidden
    layers, in the activations view)."""
    layer_maps, probability = _layers(pg, maps, view)
    shared = layer_maps[1:-1] if probability else layer_maps[1:]
    if not shared:
        return None
    return symmetric(np.concatenate([values.ravel() for values in shared]))


def unit_images(pg: Playground, maps: Maps, view: str, shared_scale: bool = True) -> list:
    """``(map, vmin, vmax)`` of every unit, input side first, as the network drawing shows
    them: with ``shared_scale``, ``(-M, M)`` for every map that shares the scale (see the
    module's docstring); otherwise each map's own symmetric range."""
    layer_maps, probability = _layers(pg, maps, view)
    top = shared_limit(pg, maps, view) if shared_scale else None
    out = []
    for k, values in enumerate(layer_maps):
        for img in values:
            if probability and k == len(layer_maps) - 1:
                out.append((img, 0.0, 1.0))
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
