"""One frame of the playground: the PNG the widget shows is the figure's pixels."""

import io

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from nnlab.explore.playground import Playground
from nnlab.explore.playground.frame import figure_png, render_frame


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_the_png_holds_the_pixels_savefig_renders():
    fig = Figure(figsize=(4, 2), dpi=72)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [2, 0, 1])
    ax.set_title("a title")
    png = figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(png)).mode == "RGB"  # an opaque figure: no alpha channel
    reference = io.BytesIO()
    fig.savefig(reference, format="png", dpi=fig.dpi)
    expected = _pixels(reference.getvalue())
    assert expected.shape == (144, 288, 3)
    np.testing.assert_array_equal(_pixels(png), expected)


def test_a_frame_updates_the_figure_in_place_and_its_png_follows_training():
    pg, fig = Playground(), Figure(figsize=(11, 5.6), dpi=72)
    axes, first = render_frame(pg, fig, grid=20)
    assert _pixels(first).shape == (403, 792, 3)
    pg.step(5)
    again, second = render_frame(pg, fig, grid=20, axes=axes)
    assert again is axes  # same layout: the artists are updated, not drawn anew
    assert axes["output"].get_title().endswith("epoch 5")
    assert not np.array_equal(_pixels(first), _pixels(second))
    train, _ = axes["loss"].lines
    np.testing.assert_array_equal(train.get_ydata(), pg.train_loss)  # the tidied loss plot
    changed, _ = render_frame(pg, fig, grid=20, axes=axes, view="deltas")
    assert changed is not axes and changed["view"] == "deltas"  # a new view: a new drawing
