"""The play loop's life (closed or replaced widgets stop it), divergence, the loss plot, and the
controls of the config's optional fields (l1, output)."""

import dataclasses
import importlib
import re
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from nnlab.explore.playground import Playground, PlaygroundConfig, playground
from nnlab.explore.playground import config as config_module
from nnlab.explore.playground import player as player_module
from nnlab.explore.playground.player import CLIP, HINT, Player, short, stop_all, train

pytest.importorskip("ipywidgets")
from matplotlib.text import Text

DIVERGES = PlaygroundConfig(dataset="plane", lr=10.0)  # loss 0.32, then 5e86 after epoch 1
HAS = {f.name for f in dataclasses.fields(PlaygroundConfig)}


def build(**kwargs):
    return playground(**{"grid": 8, "steps_per_frame": 2, "figsize": (6, 3), **kwargs})


def wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_a_new_playground_stops_the_one_still_playing():
    first = build()
    first.play()
    thread = first.player.thread
    assert thread.daemon and thread.is_alive() and first.buttons["play"].disabled
    assert wait_for(lambda: first.playground.epoch >= 2)
    second = build()
    thread.join(timeout=5)
    assert not thread.is_alive() and not first.player.playing
    assert not first.buttons["play"].disabled
    stopped = first.playground.epoch
    time.sleep(0.1)
    assert first.playground.epoch == stopped
    first.play()  # the old one may play again, by hand: the next playground stops it again
    assert first.player.playing
    assert stop_all() == 1 and not first.player.playing
    assert second.playground.epoch == 0


def test_close_stops_a_playing_widget_at_once_and_for_good():
    box = build()
    box.play()
    thread = box.player.thread
    assert wait_for(lambda: box.playground.epoch >= 2)
    box.close()
    assert not thread.is_alive()  # close() joined it: not one frame more
    stopped = box.playground.epoch
    assert box.image.comm is None and box.buttons["play"].comm is None  # its parts closed too
    box.play()
    time.sleep(0.1)
    assert box.player.thread is thread and box.playground.epoch == stopped
    assert box.player not in list(player_module._players)


def test_the_loop_checks_each_frame_whether_its_widget_was_closed():
    frames = []
    closed = threading.Event()

    def frame():
        frames.append(1)
        if len(frames) == 3:
            closed.set()  # as if the widget were closed while this frame ran
        return True

    player = Player(frame, closed=closed.is_set)
    assert player.play()
    player.thread.join(timeout=5)
    assert not player.playing and len(frames) == 3
    player.close()


def test_a_frame_that_says_stop_ends_the_loop_and_calls_on_stop():
    ended = []
    player = Player(lambda: False, on_stop=lambda: ended.append(threading.current_thread()))
    player.play()
    player.thread.join(timeout=5)
    assert ended == [player.thread] and not player.playing
    player.close()
    assert not player.play()


def texts(box) -> list[str]:
    """Every text of the figure (tick labels included) and of the widget's HTML parts."""
    fig = box.drawn["axes"]["loss"].figure
    shown = [t.get_text() for t in fig.findobj(Text)]
    return [*shown, box.status.value, box.epoch.value, box.maths.value]


def test_divergence_stops_play_says_so_once_and_keeps_the_figure_readable():
    box = build(config=DIVERGES)
    pg = box.playground
    start = pg.train_loss[0]
    box.play()
    box.player.thread.join(timeout=20)
    assert not box.player.playing
    assert box.buttons["play"].disabled and box.buttons["step"].disabled  # until reset
    message = "Training diverged at epoch 1: the training loss blew up (lr=10)."
    assert message in box.status.value and box.status.value.count("diverged") == 1
    assert pg.epoch == 1 and box.epoch.value == "<b>epoch 1</b>"
    assert pg.train_loss[1] > 1e80  # what used to be printed with all its digits
    loss = box.drawn["axes"]["loss"]
    assert loss.get_title() == "squared error: diverged"
    for text in texts(box):
        assert not re.search(r"\d{7}", text), text[:200]
    assert "No maths for a diverged network" in box.maths.value
    bottom, top = loss.get_ylim()
    assert bottom == 0 and start < top <= 1.15 * max(start, pg.test_loss[0])  # epoch 0's scale
    assert top < loss.lines[0].get_ydata()[1] <= 2 * CLIP * top  # and off the top, bounded
    image = box.image.value
    box.step()  # said once: nothing more until reset
    box.run_frames(2)
    box.play()
    assert box.player.thread.join(timeout=5) is None and pg.epoch == 1
    assert box.image.value is image and box.status.value.count("diverged") == 1
    box.controls["lr"].value = 0.01  # a live change keeps the diverged network, and the message
    assert pg.epoch == 1 and message in box.status.value
    box.reset()
    assert pg.epoch == 0 and box.status.value == "" and "Forward pass" in box.maths.value
    assert not box.buttons["play"].disabled and not box.buttons["step"].disabled
    box.step()
    assert pg.epoch == 1 and box.status.value == ""


def test_a_change_that_starts_over_clears_the_divergence():
    box = build(config=DIVERGES)
    box.step()
    assert "diverged at epoch 1" in box.status.value
    box.controls["dataset"].value = "circle"
    assert box.status.value == "" and box.playground.epoch == 0
    box.step()
    assert box.playground.epoch == 1


def test_when_fit_raises_the_weights_go_back_to_the_epoch_shown(monkeypatch):
    monkeypatch.setattr(player_module, "DIVERGED", np.inf)  # only nnlab.fit decides now
    pg = Playground(DIVERGES)
    message = train(pg, 10)
    assert message.startswith("Training diverged at epoch 3: the next epoch made the loss")
    assert pg.epoch == 3 and sum(s[0] for s in pg.segments) == 3
    again = Playground(DIVERGES).step(3)
    np.testing.assert_array_equal(pg.net.flat_params, again.net.flat_params)
    assert train(Playground(), 3) is None


def test_the_loss_plot_at_epoch_zero_shows_the_initial_losses_as_points():
    box = build()
    pg, loss = box.playground, box.drawn["axes"]["loss"]
    assert [line.get_marker() for line in loss.lines[:2]] == ["o", "o"]
    assert [t.get_text() for t in loss.texts] == [HINT]
    bottom, top = loss.get_ylim()
    assert bottom == 0 and max(pg.train_loss[0], pg.test_loss[0]) < top < 2
    left, right = loss.get_xlim()
    assert left < 0 < right
    assert loss.get_title() == f"cross-entropy: train {short(pg.train_loss[0])}, test " + short(
        pg.test_loss[0]
    )
    box.step()
    assert [line.get_marker() for line in loss.lines[:2]] == ["", ""]
    assert len(loss.texts) == 0 and loss.get_xlim()[1] > 1
    box.reset()  # new data: a new figure
    assert [t.get_text() for t in box.drawn["axes"]["loss"].texts] == [HINT]
    box.controls["lr"].value = 0.1  # at epoch 0, redrawn in place: the hint stays, once
    assert [t.get_text() for t in box.drawn["axes"]["loss"].texts] == [HINT]


def test_losses_are_written_short():
    assert short(0.693147) == "0.693" and short(2.73e270) == "2.73e+270"
    assert (short(0.7), short(123.0), short(1e-5)) == ("0.700", "123", "1.00e-05")
    assert short(float("inf")) == short(float("nan")) == "diverged"


@pytest.mark.skipif(
    not {"l1", "output"} <= HAS or not hasattr(config_module, "OUTPUTS"),
    reason="PlaygroundConfig has no l1 and output fields yet (their change has not landed)",
)
def test_the_l1_and_output_menus_change_the_playground():
    box = build()
    pg, l1, output = box.playground, box.controls["l1"], box.controls["output"]
    assert (l1.description, output.description) == ("L1", "output (loss)")
    assert list(l1.options) == list(config_module.L1_RATES)
    assert list(output.options) == list(config_module.OUTPUTS) == ["nnlab", "playground"]
    assert l1 in box.children[3].children and output in box.children[3].children
    box.step()
    l1.value = 0.01  # live, as l2
    assert pg.config.l1 == 0.01 and pg.epoch == 1
    output.value = "playground"  # starts over
    assert pg.config.output == "playground" and pg.epoch == 0
    assert box.drawn["axes"]["loss"].get_title().startswith("half squared error: train 0.")
    box.step()
    assert pg.epoch == 1 and box.status.value == ""
    box = build(config=PlaygroundConfig(l1=0.002))  # a value off the menu is added to it
    assert box.controls["l1"].value == 0.002 and 0.002 in box.controls["l1"].options


def test_without_the_menus_in_config_there_are_no_such_controls(monkeypatch):
    builders = importlib.import_module("nnlab.explore.playground._controls")
    monkeypatch.setattr(builders, "config_module", SimpleNamespace())  # as before l1 and output
    box = build()
    assert "l1" not in box.controls and "output" not in box.controls
    box.step()
    assert box.playground.epoch == 1


def test_the_losses_are_in_words_beside_the_epoch():
    # the figure's losses are pixels of a PNG: the page also says them in text
    box = playground(grid=8, figsize=(6, 3))
    pg = box.playground
    assert box.losses in box.children[0].children or any(
        box.losses in getattr(row, "children", ()) for row in box.children
    )
    assert box.losses.value == (
        f"cross-entropy: training {pg.train_loss[-1]:#.3g}, test {pg.test_loss[-1]:#.3g}"
    )
    box.step()
    assert f"test {pg.test_loss[-1]:#.3g}" in box.losses.value and pg.epoch == 1
    box.close()
