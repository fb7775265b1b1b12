"""One frame of the playground widget while it plays, timed in parts.

A frame is what Play does between two images: train ``steps_per_frame`` (10) epochs, compute
every unit's activation maps, redraw the figure and encode it as the PNG the widget sends to
the browser. The configuration, grid, figure size and dpi are the widget's defaults
(:func:`nnlab.explore.playground.playground`). The browser's own work (receiving and
decoding the image) is not included.
"""

from __future__ import annotations

import io
import statistics
import time

FRAME_TARGET = 0.150  # seconds, median: about 6 frames (60 epochs) per second
STEPS, GRID, FIGSIZE, DPI = 10, 40, (11, 5.6), 72


def frame_time(repeats: int = 9) -> dict:
    """Median seconds of a whole frame and of each part: ``train``, ``maps``, ``draw`` (the
    artists updated) and ``encode`` (the figure rendered and saved as PNG)."""
    from matplotlib.figure import Figure

    from nnlab.explore.playground import Playground, draw_playground, playground_maps

    pg, fig = Playground(), Figure(figsize=FIGSIZE, dpi=DPI)
    axes = draw_playground(pg, fig, maps=playground_maps(pg, GRID))  # the first drawing
    parts: dict[str, list[float]] = {"train": [], "maps": [], "draw": [], "encode": []}
    totals = []
    for _ in range(repeats + 1):  # the first frame warms up
        t0 = time.perf_counter()
        pg.step(STEPS)
        t1 = time.perf_counter()
        maps = playground_maps(pg, GRID)
        t2 = time.perf_counter()
        axes = draw_playground(pg, fig, maps=maps, axes=axes)
        t3 = time.perf_counter()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=fig.dpi)
        t4 = time.perf_counter()
        for key, a, b in (
            ("train", t0, t1),
            ("maps", t1, t2),
            ("draw", t2, t3),
            ("encode", t3, t4),
        ):
            parts[key].append(b - a)
        totals.append(t4 - t0)
    out = {key: statistics.median(v[1:]) for key, v in parts.items()}
    out["frame"] = statistics.median(totals[1:])
    out["png_bytes"] = len(buffer.getvalue())
    return out
