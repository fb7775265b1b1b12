"""One frame of the playground: the maps, the figure updated in place and its PNG.

The widget shows each frame as a PNG in an ``ipywidgets.Image``; the benchmarks time the same
function (``benchmarks/playground_frame.py``), so the frame time they report is the widget's.
"""

from __future__ import annotations

import io

import numpy as np

from .drawing import draw_playground
from .maps import playground_maps
from .model import Playground
from .player import tidy_loss_plot


def figure_png(fig) -> bytes:
    """The figure drawn by Agg at its own dpi and encoded as an 8-bit RGB PNG at zlib level 1.

    Level 1 encodes a 792 x 403 frame several times faster than matplotlib's ``savefig``
    default, for a file about 10% larger; RGB drops the alpha channel of an opaque figure.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[..., :3]
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def render_frame(pg: Playground, fig, *, grid: int, axes: dict | None = None, **options):
    """Maps on a ``grid`` x ``grid`` plane, the figure (updated in place when ``axes``, what the
    last call returned, still fits; ``options`` as :func:`~.drawing.draw_playground`), the
    loss plot tidied (:func:`~.player.tidy_loss_plot`) and the PNG.

    Returns
    -------
    (dict, bytes)
        The axes for the next call, and the PNG.
    """
    maps = playground_maps(pg, grid)
    axes = draw_playground(pg, fig, maps=maps, axes=axes, **options)
    tidy_loss_plot(pg, axes["loss"])
    return axes, figure_png(fig)
