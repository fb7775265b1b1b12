"""Editing one weight by hand: the pure functions of editing.py, then the widget's row."""

import time

import numpy as np
import pytest

from nnlab.explore.playground import Playground, PlaygroundConfig, playground
from nnlab.explore.playground.editing import (
    BIAS,
    WEIGHT_LIMIT,
    describe,
    edge_choices,
    get_bias,
    get_weight,
    set_bias,
    set_weight,
    unit_name,
    unit_names,
    unit_options,
)

from .helpers import by_hand, weights

HIDDEN = [f"h{k}.{i}" for k in (1, 2) for i in (1, 2, 3, 4)]


def state(pg):
    """Everything an edit may change, as copies."""
    return pg.net.flat_params.copy(), list(pg.train_loss), list(pg.test_loss), pg.epoch


def assert_unchanged(pg, before):
    params, train, test, epoch = before
    np.testing.assert_array_equal(pg.net.flat_params, params)
    assert (pg.train_loss, pg.test_loss, pg.epoch) == (train, test, epoch)


def forward(params, A0):
    """The default playground's network (tanh, then a logit), from the given matrices."""
    A = np.asarray(A0, dtype=float)
    for k, (W, b) in enumerate(params):
        Z = A @ W + b
        A = np.tanh(Z) if k < len(params) - 1 else 1.0 / (1.0 + np.exp(-Z))
    return A[:, 0]


# The pure functions.


def test_layers_and_units_are_named_as_the_figure_shows_them():
    pg = Playground()
    assert edge_choices(pg) == [
        ("1: x → hidden 1", 1),
        ("2: hidden 1 → hidden 2", 2),
        ("3: hidden 2 → output", 3),
    ]
    assert unit_names(pg, 1) == (["x1", "x2"], HIDDEN[:4])
    assert unit_names(pg, 2) == (HIDDEN[:4], HIDDEN[4:])
    assert unit_names(pg, 3) == (HIDDEN[4:], ["output"])
    assert [unit_name(pg, 1, i) for i in range(4)] == HIDDEN[:4]
    for layer, (label, k) in enumerate(edge_choices(pg), start=1):  # the shapes of W^[l]
        rows, columns = unit_names(pg, k)
        assert k == layer and pg.dense[k - 1].W.shape == (len(rows), len(columns)), label
    # h{k}.{i} is the big map's "hidden k unit i": the same units, in the same order
    hidden = [(label, unit) for label, unit in unit_options(pg) if label.startswith("hidden")]
    assert [f"h{k}.{i + 1}" for _, (k, i) in hidden] == HIDDEN
    assert hidden[2][0] == "hidden 1 unit 3"
    assert describe(pg, 2, 2, 0) == "W^[2] from h1.3 to h2.1"
    assert describe(pg, 3, BIAS, 0) == "b^[3] of output"


def test_names_follow_the_features_and_the_architecture():
    pg = Playground(PlaygroundConfig(features=("x1^2", "sin(x2)", "x1*x2"), hidden=()))
    assert edge_choices(pg) == [("1: x → output", 1)]
    assert unit_names(pg, 1) == (["x1^2", "sin(x2)", "x1*x2"], ["output"])
    pg.update(hidden=(2, 1, 3))
    assert [label for label, _ in edge_choices(pg)] == [
        "1: x → hidden 1",
        "2: hidden 1 → hidden 2",
        "3: hidden 2 → hidden 3",
        "4: hidden 3 → output",
    ]
    assert unit_names(pg, 3) == (["h2.1"], ["h3.1", "h3.2", "h3.3"])


def test_set_weight_changes_exactly_that_entry_and_the_output_as_computed_by_hand():
    pg = Playground()
    point = np.array([[0.5, -1.0]])
    params = weights(pg)
    old = get_weight(pg, 2, 1, 3)
    assert old == params[1][0][1, 3]
    before = pg.net.flat_params.copy()
    set_weight(pg, 2, 1, 3, 0.75)
    assert get_weight(pg, 2, 1, 3) == 0.75 == pg.dense[1].W[1, 3]
    changed = np.flatnonzero(pg.net.flat_params != before)
    assert changed.size == 1 and before[changed[0]] == old
    edited = [(W.copy(), b.copy()) for W, b in params]
    edited[1][0][1, 3] = 0.75
    np.testing.assert_allclose(pg.predict(point), forward(edited, point), rtol=1e-12)
    assert abs(pg.predict(point)[0] - forward(params, point)[0]) > 1e-4
    set_bias(pg, 3, 0, -0.5)
    assert get_bias(pg, 3, 0) == -0.5 == pg.dense[2].b[0]
    edited[2][1][0] = -0.5
    np.testing.assert_allclose(pg.predict(point), forward(edited, point), rtol=1e-12)


def test_the_last_losses_are_those_of_the_edited_network_and_training_goes_on():
    pg = Playground()
    pg.step(2)
    n, first = len(pg.train_loss), pg.train_loss[:-1]
    set_weight(pg, 1, 0, 0, 3.0)
    assert len(pg.train_loss) == n and pg.epoch == 2 and pg.train_loss[:-1] == first
    hand = by_hand(pg, pg.inputs_train, pg.split.y_train)["loss"].mean()
    assert pg.train_loss[-1] == pytest.approx(hand, rel=1e-12)
    test = by_hand(pg, pg.inputs_test, pg.split.y_test)["loss"].mean()
    assert pg.test_loss[-1] == pytest.approx(test, rel=1e-12)
    assert len(pg.grad_norms) == n and pg.grad_norms[-1].shape == (3,)
    pg.step()
    assert pg.epoch == 3 and len(pg.train_loss) == n + 1


def test_numpy_numbers_are_accepted():
    pg = Playground()
    set_weight(pg, np.int64(1), np.int32(1), np.int64(2), np.float32(0.25))
    assert get_weight(pg, 1, 1, 2) == 0.25
    set_weight(pg, 1, 1, 2, -WEIGHT_LIMIT)  # the limit itself is allowed
    assert get_weight(pg, 1, 1, 2) == -WEIGHT_LIMIT


@pytest.mark.parametrize(
    ("where", "error", "match"),
    [
        ((0, 0, 0), ValueError, r"layer must be in 1\.\.3 \(W\^\[1\] to W\^\[3\]"),
        ((4, 0, 0), ValueError, r"layer must be in 1\.\.3 .*sizes \[2, 4, 4, 1\]\), got 4"),
        ((1.0, 0, 0), TypeError, r"layer must be an int l in 1\.\.3"),
        ((True, 0, 0), TypeError, "layer must be an int"),
        ((1, 2, 0), ValueError, r"from unit i of W\^\[1\] must be in \[0, 2\) \(0: x1, 1: x2\)"),
        ((1, -1, 0), ValueError, "from unit i"),
        ((3, 0, 1), ValueError, r"to unit j of W\^\[3\] must be in \[0, 1\) \(0: output\)"),
        ((2, 0, "h2.1"), TypeError, r"to unit j of W\^\[2\] must be an int"),
        ((2, 0.0, 1), TypeError, "from unit i"),
    ],
)
def test_bad_places_are_refused_and_change_nothing(where, error, match):
    pg = Playground()
    before = state(pg)
    with pytest.raises(error, match=match):
        set_weight(pg, *where, 1.0)
    with pytest.raises(error, match=match):
        get_weight(pg, *where)
    assert_unchanged(pg, before)


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (float("nan"), ValueError, "a weight must be a finite number, got nan"),
        (np.inf, ValueError, "finite number, got inf"),
        (-np.inf, ValueError, "finite number, got -inf"),
        (2 * WEIGHT_LIMIT, ValueError, r"a weight must be within ±1e\+06, got 2e\+06"),
        ("0.5", TypeError, "a weight must be a real number, got '0.5'"),
        (None, TypeError, "real number, got None"),
        (True, TypeError, "real number, got True"),
        ([1.0], TypeError, r"real number, got \[1.0\]"),
        (1j, TypeError, "real number"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(value, error, match):
    pg = Playground()
    before = state(pg)
    with pytest.raises(error, match=match):
        set_weight(pg, 2, 1, 1, value)
    with pytest.raises(error, match=match.replace("a weight", "a bias")):
        set_bias(pg, 2, 1, value)
    assert_unchanged(pg, before)


# The widget's row.


def build(**kwargs):
    return playground(**{"grid": 8, "steps_per_frame": 2, "figsize": (6, 3), **kwargs})


def choose(editor, layer, i, j):
    editor.layer.value, editor.source.value, editor.target.value = layer, i, j


def test_the_row_shows_its_controls_below_the_figure():
    box = build()
    editor = box.editor
    assert editor.row in box.children
    assert box.children.index(editor.row) == box.children.index(box.image) + 1
    label, *controls = editor.row.children
    assert "edit a weight" in label.value
    assert [c.description for c in controls] == ["layer", "from", "to", "value", "set weight"]
    assert [label for label, _ in editor.layer.options] == [
        c for c, _ in edge_choices(box.playground)
    ]
    assert editor.source.options == (("x1", 0), ("x2", 1), (BIAS, BIAS))
    assert [label for label, _ in editor.target.options] == HIDDEN[:4]
    assert editor.choice() == (1, 0, 0)
    assert editor.weight.value == get_weight(box.playground, 1, 0, 0)


def test_setting_a_weight_from_the_row():
    box = build()
    pg, editor = box.playground, box.editor
    choose(editor, 2, 2, 1)
    assert [label for label, _ in editor.source.options] == [*HIDDEN[:4], BIAS]
    assert editor.weight.value == get_weight(pg, 2, 2, 1) == pg.dense[1].W[2, 1]
    old, image, maths = editor.weight.value, box.image.value, box.maths.value
    editor.weight.value = 1.5
    editor.button.click()
    assert pg.dense[1].W[2, 1] == 1.5 and editor.weight.value == 1.5
    assert box.image.value != image and box.maths.value != maths
    assert box.status.value == f"Set W^[2] from h1.3 to h2.2: {old:.6g} → 1.5."
    assert pg.epoch == 0
    choose(editor, 3, BIAS, 0)
    assert editor.weight.value == pg.dense[2].b[0]
    editor.weight.value = -0.25
    assert editor.set()
    assert pg.dense[2].b[0] == -0.25 and "Set b^[3] of output:" in box.status.value


def test_a_bad_value_is_refused_in_the_status_line():
    box = build()
    pg, editor = box.playground, box.editor
    before, image = state(pg), box.image.value
    editor.weight.value = float("nan")
    assert not editor.set()
    assert "Nothing changed: playground: a weight must be a finite number, got nan" in (
        box.status.value
    )
    assert "#c0392b" in box.status.value  # in red, as the other errors
    editor.weight.value = 1e9
    editor.button.click()
    assert "within ±1e+06" in box.status.value
    assert_unchanged(pg, before)
    assert box.image.value is image


def test_the_value_shown_follows_training_and_reset():
    box = build()
    pg, editor = box.playground, box.editor
    choose(editor, 1, 1, 3)
    start = editor.weight.value
    box.step()
    assert editor.weight.value == get_weight(pg, 1, 1, 3) != start
    box.reset()
    assert editor.weight.value == start
    editor.weight.value = 4.0  # typed, not set: a redraw that changes nothing keeps it
    box.controls["view"].value = "deltas"
    assert editor.weight.value == 4.0
    editor.target.value = 0  # another weight: its value
    assert editor.weight.value == get_weight(pg, 1, 1, 0)


def test_the_choices_follow_the_architecture():
    box = build()
    editor = box.editor
    choose(editor, 3, 3, 0)
    box.add_layer()  # hidden (4, 4, 2)
    assert [label for label, _ in editor.layer.options][2:] == [
        "3: hidden 2 → hidden 3",
        "4: hidden 3 → output",
    ]
    assert editor.choice() == (3, 3, 0)  # still a weight of this network
    assert [label for label, _ in editor.target.options] == ["h3.1", "h3.2"]
    assert editor.weight.value == get_weight(box.playground, 3, 3, 0)
    box.add_unit(1)  # hidden 2 gets a fifth unit: a fifth row of W^[3]
    assert [label for label, _ in editor.source.options][-2:] == ["h2.5", BIAS]
    editor.source.value = 4
    editor.weight.value = 2.0
    editor.set()
    assert box.playground.dense[2].W[4, 0] == 2.0
    box.remove_layer()
    box.remove_layer()  # hidden (4,): W^[3] is gone, back to W^[1]
    assert editor.layer.options == (("1: x → hidden 1", 1), ("2: hidden 1 → output", 2))
    assert editor.choice() == (1, 0, 0)
    box.features["x1^2"].value = True
    assert [label for label, _ in editor.source.options] == ["x1", "x2", "x1^2", BIAS]


def test_no_edit_while_diverged():
    config = PlaygroundConfig(dataset="plane", lr=10.0, activation="relu", hidden=(8, 8))
    box = build(config=config, steps_per_frame=20)
    box.run_frames(1)
    pg, editor = box.playground, box.editor
    before = state(pg)
    editor.weight.value = 0.1
    assert not editor.set()
    assert "No weight can be edited now. Training diverged at epoch 1:" in box.status.value
    assert_unchanged(pg, before)
    box.reset()  # a new network: the value shown is its weight
    assert editor.weight.value == get_weight(pg, *editor.choice()) != 0.1
    editor.weight.value = 0.1
    assert editor.set() and get_weight(pg, *editor.choice()) == 0.1


def test_setting_a_weight_while_playing_pauses_first():
    box = build()
    pg, editor = box.playground, box.editor
    box.play()
    deadline = time.monotonic() + 20
    while pg.epoch < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    editor.weight.value = -3.0
    assert editor.set()
    assert not box.player.playing and not box.buttons["play"].disabled
    epoch = pg.epoch
    assert box.status.value.startswith(f"Paused at epoch {epoch}. Set W^[1] from x1 to h1.1:")
    assert get_weight(pg, 1, 0, 0) == -3.0
    time.sleep(0.05)
    assert pg.epoch == epoch and get_weight(pg, 1, 0, 0) == -3.0


def test_the_export_lists_the_hand_edits_of_the_network_it_exports():
    box = build()
    editor = box.editor
    box.export()
    assert "edited by hand" not in box.code.value
    choose(editor, 1, 1, 2)
    editor.weight.value = 0.75
    editor.button.click()
    box.export()
    assert "# This network was also edited by hand" in box.code.value
    assert "W^[1] from x2 to h1.3" in box.code.value and "→ 0.75" in box.code.value
    box.reset()  # a new network from the seed: the edit is gone, and so is the note
    box.export()
    assert "edited by hand" not in box.code.value
