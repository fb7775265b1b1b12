"""The steps as frames: one step drawn, the animation, and the step-through widget."""

import pytest

import nnlab as nl
from nnlab import viz
from nnlab.explore.backprop_frames import draw_step, step_through, steps_animation
from nnlab.explore.backprop_steps import backprop_steps

from .step_example import T, X, example_net


def test_draw_step_and_animation():
    steps = backprop_steps(example_net(), X, T, nl.MSELoss(), lr=0.5)
    ax = draw_step(steps[-1])
    assert "Update" in ax.get_title() and r"\eta = 0.5" in ax.get_title()
    assert any("0.1757" in t.get_text() for t in ax.texts)  # the description
    anim = steps_animation(steps, figsize=(3, 2), dpi=30)
    fig = anim._fig
    html = viz.animation_html(anim).data  # the book's static counterpart: one PNG per step
    assert html.count("data:image/png;base64") == len(steps)
    assert "Update" in fig.axes[0].get_title()  # the last frame drawn
    with pytest.raises(ValueError, match="at least one step"):
        steps_animation([])


def test_step_through_counts_steps_from_one():
    pytest.importorskip("ipywidgets")
    box = step_through(example_net(), X, T, nl.MSELoss(), lr=0.5)
    controls, text, _out = box.children
    play, slider, back, nxt = controls.children
    assert len(box.steps) == 12
    assert (slider.min, slider.max) == (play.min, play.max) == (1, 12)
    assert slider.value == 1 and text.value.startswith("<b>1/12. Input.</b>")
    back.click()
    assert slider.value == 1  # no step 0
    nxt.click()
    nxt.click()
    assert slider.value == 3 and text.value.startswith("<b>3/12. Forward, layer 1: activations")
    back.click()
    assert slider.value == 2 and "z1" not in text.value and "2/12" in text.value
    slider.value = 12
    nxt.click()
    assert slider.value == 12 and "0.1757" in text.value and "12/12. Update" in text.value
