"""Stored runs for the book: what record_runs keeps, and the HTML fragment that replays them."""

import io
import math
import re
from html.parser import HTMLParser

import pytest
from helpers import loaded_by_import
from PIL import Image

from nnlab.explore.playground import PlaygroundConfig
from nnlab.explore.playground import stored_runs as rp

# Two tiny runs: few epochs, small frames (the layout and text size in inches are the book's).
GRID = (
    PlaygroundConfig(dataset="circle", hidden=(4,), activation="tanh", n_samples=100),
    PlaygroundConfig(dataset="xor", hidden=(4, 4), activation="relu", n_samples=100),
)
EPOCHS, SNAPSHOTS, WIDTH = 4, (0, 1, 4), 160


@pytest.fixture(scope="module")
def runs():
    return rp.record_runs(GRID, EPOCHS, SNAPSHOTS, width=WIDTH, resolution=8, colors=16)


@pytest.fixture(scope="module")
def fragment(runs):
    return rp.replay_html(runs)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of each <label>."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.labels: dict[str, str] = {}
        self._label: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "label":
            self._label = attrs.get("for", "")
            self.labels[self._label] = ""

    def handle_data(self, data):
        if self._label is not None:
            self.labels[self._label] += data

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None

    def all(self, tag: str) -> list[dict]:
        return [attrs for t, attrs in self.tags if t == tag]

    def ids(self) -> list[str]:
        return [attrs["id"] for _, attrs in self.tags if "id" in attrs]


def test_importing_replay_needs_only_numpy():
    heavy = ["matplotlib", "PIL", "IPython", "ipywidgets"]
    assert loaded_by_import("nnlab.explore.playground.stored_runs", heavy) == []


def test_the_grid_is_twelve_seeded_runs():
    grid = rp.REPLAY_GRID
    assert len(grid) == 12 == len({rp.run_label(c) for c in grid})
    assert {c.dataset for c in grid} == {"circle", "xor", "spiral"}
    assert {c.activation for c in grid} == {"tanh", "relu"}
    assert {c.hidden for c in grid} == {(4,), (4, 4)}
    assert {(c.seed, c.data_seed, c.lr) for c in grid} == {(0, 0, 0.03)}
    assert rp.check_snapshots(rp.REPLAY_EPOCHS) == rp.REPLAY_SNAPSHOTS


def test_runs_keep_increasing_snapshots_and_finite_losses(runs):
    assert [r.config for r in runs] == list(GRID)
    for run in runs:
        assert run.epochs == SNAPSHOTS
        assert len(run.train_loss) == len(run.test_loss) == len(run.frames) == len(SNAPSHOTS)
        assert len(run.test_accuracy) == len(SNAPSHOTS)
        assert all(math.isfinite(v) for v in run.train_loss + run.test_loss)
        assert all(0 <= a <= 1 for a in run.test_accuracy)
        assert run.loss_name == "cross-entropy"
    assert runs[0].label == "circle, tanh, 1 hidden layer of 4"
    assert runs[1].label == "xor, relu, 2 hidden layers of 4"


def test_frames_are_pngs_of_the_stated_size(runs):
    for run in runs:
        width, height = run.size
        assert width == WIDTH and height == int(WIDTH * rp.FIGURE_SIZE[1] / rp.FIGURE_SIZE[0])
        for frame in run.frames:
            image = Image.open(io.BytesIO(frame))
            image.load()
            assert image.format == "PNG" and image.size == run.size
        assert len(set(run.frames)) == len(run.frames)  # each snapshot drawn anew


def test_smallest_text_is_readable_at_the_books_width(runs):
    assert rp.FIGURE_SIZE[0] * 72 * rp.MIN_TEXT_PX / rp.DISPLAY_WIDTH <= 8  # 8 pt suffice
    for run in runs:
        assert run.min_text_px >= rp.MIN_TEXT_PX


def test_losses_are_those_of_the_seeded_run(runs):
    again = rp.record_runs(GRID[:1], EPOCHS, SNAPSHOTS, width=60, resolution=4, colors=8)
    assert again[0].train_loss == runs[0].train_loss
    assert again[0].test_loss == runs[0].test_loss
    pg = rp.Playground(GRID[0]).step(EPOCHS)
    assert runs[0].train_loss == tuple(pg.train_loss[e] for e in SNAPSHOTS)
    assert runs[0].test_loss[-1] == pg.test_loss[-1]


@pytest.mark.parametrize("snapshots", [(), (0, 0), (2, 1), (0, 5), (-1, 2), (0.5,), (True,), "ab"])
def test_bad_snapshots_are_refused(snapshots):
    with pytest.raises(ValueError, match="snapshot"):
        rp.check_snapshots(EPOCHS, snapshots)


@pytest.mark.parametrize(
    "kwargs", [{"epochs": 0}, {"width": 10}, {"colors": 1}, {"colors": 300}, {"resolution": 1}]
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match="record_runs"):
        rp.record_runs(GRID[:1], **{"epochs": 2, **kwargs})


def test_fragment_loads_nothing_from_anywhere(fragment):
    lowered = fragment.lower()
    for needle in ("http://", "https://", "//cdn", "<link", ' src="/', "@import", "url("):
        assert needle not in lowered
    srcs = re.findall(r"""\bsrc\s*=\s*["']([^"']*)""", fragment)
    assert srcs and all(src.startswith("data:image/png;base64,") for src in srcs)
    assert "<script>" in fragment and "<script " not in fragment  # inline only


def test_controls_are_labelled_and_named(fragment, runs):
    doc = Elements(fragment)
    (select,) = doc.all("select")
    (slider,) = doc.all("input")
    (button,) = doc.all("button")
    assert slider["type"] == "range" and int(slider["max"]) == len(SNAPSHOTS) - 1
    for control in (select, slider):
        assert doc.labels[control["id"]].strip()
    assert button["type"] == "button"
    options = doc.all("option")
    assert len(options) == len(runs)
    assert [o["value"] for o in options] == [str(i) for i in range(len(runs))]
    assert [r.label for r in runs] == re.findall(r"<option[^>]*>([^<]*)</option>", fragment)
    (readout,) = [a for a in doc.all("p") if a.get("aria-live") == "polite"]
    assert runs[0].readout(0) in fragment and readout["id"].endswith("-readout")
    assert "Stored runs, replayed" in fragment and "nothing trains in your browser" in fragment


def test_alt_texts_give_run_epoch_and_losses(fragment, runs):
    (img,) = Elements(fragment).all("img")
    assert img["alt"] == runs[0].alt(0)
    assert img["src"] == runs[0].data_uri(0)
    assert (img["width"], img["height"]) == tuple(map(str, runs[0].size))
    for run in runs:
        for i, epoch in enumerate(run.epochs):
            alt = run.alt(i)
            assert run.label in alt and f"epoch {epoch} " in alt
            assert f"training loss {run.train_loss[i]:.3f}" in alt
            assert f"test loss {run.test_loss[i]:.3f}" in alt
            assert alt in fragment.replace("\\u2014", "—")  # every alt is in the payload
    assert runs[1].readout(2).startswith(f"epoch {EPOCHS} — training loss ")


def test_ids_are_unique_across_fragments(runs, fragment):
    other = rp.replay_html(runs)
    ids = Elements(fragment).ids() + Elements(other).ids()
    assert len(ids) == len(set(ids)) >= 2 * 6
    prefix = Elements(fragment).ids()[0]
    assert all(i.startswith(prefix) for i in Elements(fragment).ids())
    assert f'"{prefix}"' in fragment  # the script finds its own elements


def test_replay_shows_the_fragment_in_a_notebook(runs):
    shown = rp.replay(runs)
    html = shown._repr_html_()
    assert html == shown._repr_html_()  # drawn once
    assert len(Elements(html).all("option")) == len(runs)
    assert "2 stored runs" in repr(shown)
    with pytest.raises(TypeError, match="ReplayRun"):
        rp.replay_html([])
