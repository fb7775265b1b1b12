"""The playground widget: it builds, and its handlers change the state without raising."""

import time

import numpy as np
import pytest

from nnlab.explore.playground import (
    DELTA_TARGET_RULE,
    Playground,
    PlaygroundConfig,
    export_code,
    playground,
    playground_maps,
)
from nnlab.explore.playground.editing import OUTPUT_UNIT
from nnlab.explore.playground.scales import shared_limit

pytest.importorskip("ipywidgets")

PNG = b"\x89PNG"


def build(**kwargs):
    return playground(**{"grid": 8, "steps_per_frame": 2, "figsize": (6, 3), **kwargs})


def test_it_builds_showing_epoch_zero_the_figure_and_the_maths():
    box = build()
    pg = box.playground
    assert isinstance(pg, Playground) and pg.epoch == 0
    assert bytes(box.image.value).startswith(PNG)
    assert "Z^{[1]}" in box.maths.value and "Backward pass" in box.maths.value
    assert box.code.layout.display == "none"
    assert [c.value for c in box.features.values()] == [True, True] + [False] * 5
    assert "custom" not in box.controls["dataset"].options


def test_step_reset_play_frames_and_the_view():
    box = build()
    pg = box.playground
    start = pg.net.flat_params.copy()
    before = box.image.value
    box.buttons["step"].click()
    assert pg.epoch == 1 and len(pg.train_loss) == 2 and box.image.value != before
    box.run_frames(2)
    assert pg.epoch == 5
    big = box.controls["unit"]  # starts on the output, shown by its label (None shows blank)
    assert big.value == OUTPUT_UNIT and big.index == 0 and big.label == "output"
    assert box.drawn["axes"]["output"].get_title() == "output: P(class 1), epoch 5"
    box.controls["view"].value = "deltas"
    big.value = (1, 2)
    assert box.drawn["axes"]["output"].get_title() == "hidden 1, unit 3: δ, epoch 5"
    big.value = OUTPUT_UNIT
    assert box.drawn["axes"]["output"].get_title() == "output: P(class 1), epoch 5"
    box.reset()
    assert pg.epoch == 0 and box.status.value == ""
    np.testing.assert_array_equal(pg.net.flat_params, start)


def test_the_shared_colour_scale_box_redraws_with_the_other_scaling():
    box = build(config=PlaygroundConfig(hidden=(3, 2)))
    pg, shared = box.playground, box.controls["shared_scale"]
    assert shared.value is True and shared.description == "shared colour scale"
    box.step()
    maps = playground_maps(pg, grid=8)
    top = shared_limit(pg, maps, "activations")
    network = box.drawn["axes"]["network"]
    hidden = [image.get_clim() for image in network.get_images()[2:-1]]
    assert hidden == [(-top, top)] * 5
    before = box.image.value
    shared.value = False
    assert box.image.value != before
    network = box.drawn["axes"]["network"]
    own = [(-np.abs(img).max(), np.abs(img).max()) for values in maps.A[:-1] for img in values]
    assert [image.get_clim() for image in network.get_images()[2:-1]] == own
    assert "each map on its own scale" in network.get_title()
    shared.value = True
    assert [image.get_clim() for image in network.get_images()[2:-1]] == [(-top, top)] * 5


def test_the_deltas_note_names_the_target_rule_in_the_deltas_view_only():
    box = build()
    note, view = box.delta_note, box.controls["view"]
    assert DELTA_TARGET_RULE in note.value and "nearest training point" in note.value
    assert note.layout.display == "none"
    assert note in box.children
    view.value = "deltas"
    assert note.layout.display is None
    box.step()  # stays while training
    assert note.layout.display is None
    view.value = "activations"
    assert note.layout.display == "none"


def test_layer_and_unit_buttons_keep_the_network_in_bounds():
    box = build(config=PlaygroundConfig(hidden=(2, 1, 1, 1, 1)))
    pg = box.playground
    box.controls["unit"].value = (1, 1)
    box.add_layer()
    assert pg.config.hidden == (2, 1, 1, 1, 1, 2) and len(box.units.children) == 6
    assert box.controls["unit"].options[-1] == ("hidden 6 unit 2", (6, 1))
    assert box.controls["unit"].value == (1, 1)
    image = box.image.value
    box.buttons["add_layer"].click()  # at the bound: nothing changes, nothing is redrawn
    assert pg.config.hidden == (2, 1, 1, 1, 1, 2) and box.image.value is image
    box.remove_unit(5)
    box.remove_unit(5)  # at the bound
    assert pg.config.hidden == (2, 1, 1, 1, 1, 1) and pg.net.layers[-1].W.shape == (1, 1)
    _, label, plus = box.units.children[0].children
    assert "2 units" in label.value
    plus.click()  # what box.add_unit(0) does
    assert pg.config.hidden[0] == 3
    box.controls["unit"].value = (6, 0)
    box.remove_layer()
    assert pg.config.hidden == (3, 1, 1, 1, 1) and len(box.units.children) == 5
    assert box.controls["unit"].value == OUTPUT_UNIT  # that unit is gone: back to the output


def test_no_hidden_layer():
    box = build(config=PlaygroundConfig(hidden=(2,)))
    box.buttons["remove_layer"].click()
    box.remove_layer()
    assert box.playground.config.hidden == () and box.units.children == ()
    assert "0 hidden layers" in box.children[2].children[1].value


def test_controls_update_the_playground():
    box = build()
    pg, controls = box.playground, box.controls
    box.step()
    controls["lr"].value = 0.1  # a live setting: training goes on
    assert pg.epoch == 1 and pg.optimizer.lr == 0.1
    controls["dataset"].value = "plane"
    assert pg.config.dataset == "plane" and pg.task == "regression" and pg.epoch == 0
    box.features["x1^2"].value = True
    assert pg.config.features == ("x1", "x2", "x1^2")
    box.features["x1"].value = False
    box.features["x2"].value = False
    box.features["x1^2"].value = False  # the last one: refused, and the box ticked again
    assert "select at least one input feature" in box.status.value
    assert box.features["x1^2"].value and pg.config.features == ("x1^2",)
    controls["x1"].value = 1.5
    assert "(x_1, x_2) = (1.5000, " in box.maths.value
    controls["weights"].value = True
    assert r"\partial W^{[1]}" in box.maths.value


def test_export_shows_code_that_reproduces_the_run():
    box = build()
    box.step()
    box.export()
    assert box.code.layout.display is None
    assert box.code.value == export_code(box.playground)
    scope = {}
    exec(box.code.value, scope)
    np.testing.assert_array_equal(scope["net"].flat_params, box.playground.net.flat_params)


def test_play_runs_in_the_background_until_pause():
    box = build()
    pg = box.playground
    box.play()
    assert box.buttons["play"].disabled
    deadline = time.monotonic() + 20
    while pg.epoch < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    box.pause()
    assert pg.epoch >= 4 and pg.epoch % 2 == 0 and not box.buttons["play"].disabled
    stopped = pg.epoch
    time.sleep(0.1)
    assert pg.epoch == stopped


def test_divergence_is_shown_not_raised():
    config = PlaygroundConfig(dataset="plane", lr=10.0, activation="relu", hidden=(8, 8))
    box = build(config=config, steps_per_frame=20)
    box.run_frames(3)
    assert "Training diverged at epoch 1:" in box.status.value  # stopped at the first frame
    assert box.playground.epoch == 1 and "epoch 1<" in box.epoch.value


def test_custom_data_is_in_the_menu():
    gen = np.random.default_rng(0)
    X = gen.normal(size=(40, 2))
    box = build(data=(X, (X[:, 0] > 0).astype(int)))
    assert box.controls["dataset"].value == "custom"
    assert "custom" in box.controls["dataset"].options
    assert box.controls["x1"].max == box.playground.domain
