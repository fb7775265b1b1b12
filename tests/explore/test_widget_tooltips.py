"""No control of an explorer or of the playground carries the tooltip ``None``: ipywidgets 8
writes it into the page as the text "null" (shown on hover, read by screen readers)."""

import ipywidgets as w

from nnlab.explore._widgets import titled
from nnlab.explore.descent import descent_explorer
from nnlab.explore.playground import playground


def _tree(widget):
    stack = [widget]
    while stack:
        item = stack.pop()
        yield item
        stack.extend(getattr(item, "children", ()))


def test_titled_gives_described_widgets_their_description_and_keeps_set_tooltips():
    slider = w.FloatSlider(description="rate")
    note = w.HTML("text")
    kept = w.Button(description="go", tooltip="start training")
    inner = w.HBox([note, kept])
    box = w.VBox([slider, inner])
    assert slider.tooltip is None and note.tooltip is None  # ipywidgets' default
    assert titled(box) is box
    assert slider.tooltip == "rate" and note.tooltip == "" and kept.tooltip == "start training"
    assert box.tooltip == "" and inner.tooltip == ""


def test_no_control_is_left_without_a_tooltip():
    pg = playground()
    pg.add_unit(0)  # the units' row is built anew
    for widget in (descent_explorer(steps=5), pg):
        missing = [type(item).__name__ for item in _tree(widget) if item.tooltip is None]
        assert missing == []
        widget.close()
