"""One frame of the playground widget while it plays, timed in parts.

A frame is what Play does between two images: train ``steps_per_frame`` (10) epochs, then
:func:`nnlab.explore.playground.frame.render_frame`, the widget's own function: every unit's
activation maps, the figure updated in place and encoded as the PNG the widget sends to the
browser. The configuration, grid, figure size and dpi are the widget's defaults
(:func:`nnlab.explore.playground.playground`). The browser's own work (receiving and
decoding the image) is not included.
"""

from __future__ import annotations

import statistics
import time

FRAME_TARGET = 0.150  # seconds, median: about 6 frames (60 epochs) per second
STEPS, GRID, FIGSIZE, DPI = 10, 40, (11, 5.6), 72


def frame_time(repeats: int = 9) -> dict:
    """Median seconds of a whole frame (``frame``), of its parts ``train`` (the epochs) and
    ``render`` (maps, figure and PNG), and of ``encode``: the same figure drawn by Agg and
    encoded once more on its own, the share of ``render`` that is pixels."""
    from matplotlib.figure import Figure

    from nnlab.explore.playground import Playground
    from nnlab.explore.playground.frame import figure_png, render_frame

    pg, fig = Playground(), Figure(figsize=FIGSIZE, dpi=DPI)
    axes, png = render_frame(pg, fig, grid=GRID)  # the first drawing
    parts: dict[str, list[float]] = {"train": [], "render": [], "encode": []}
    totals = []
    for _ in range(repeats + 1):  # the first frame warms up
        t0 = time.perf_counter()
        pg.step(STEPS)
        t1 = time.perf_counter()
        axes, png = render_frame(pg, fig, grid=GRID, axes=axes)
        t2 = time.perf_counter()
        figure_png(fig)
        t3 = time.perf_counter()
        for key, a, b in (("train", t0, t1), ("render", t1, t2), ("encode", t2, t3)):
            parts[key].append(b - a)
        totals.append(t2 - t0)
    out = {key: statistics.median(v[1:]) for key, v in parts.items()}
    out["frame"] = statistics.median(totals[1:])
    out["png_bytes"] = len(png)
    return out
