"""Stored playground runs, replayed in the rendered book without a kernel.

:func:`record_runs` trains each configuration of a grid once, from its seeds, and draws it at a
few snapshot epochs: the network with every unit's map, the output map with the data, and the
loss curves of the run. :func:`replay_html` makes one self-contained HTML fragment of the runs
(labelled native controls, inline script and style, frames as ``data:`` URIs, no URL at all) to
pick a run and scrub through its snapshots; :func:`replay` wraps it for a notebook cell.
Nothing trains in the browser. Frames are :data:`FIGURE_SIZE` inches whatever their pixels, so
their smallest text, 8 pt of plain text (no mathtext), is ``8 / 72 * 760 / 7 = 12.1`` px at the
book's 760 px content width (:func:`smallest_text_px`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import numbers
from dataclasses import dataclass

import numpy as np

from .config import PlaygroundConfig
from .drawing import draw_unit_network, plot_output
from .labels import loss_name
from .maps import playground_maps
from .model import Playground
from .scales import scale_note

DISPLAY_WIDTH = 760  # px: the book's content width
MIN_TEXT_PX = 12.0
FIGURE_SIZE = (7.0, 4.4)  # inches: 8 pt is 12.1 px at DISPLAY_WIDTH
REPLAY_EPOCHS = 200
REPLAY_SNAPSHOTS = (0, 5, 10, 25, 50, 75, 100, 150, 200)
REPLAY_LR = {"tanh": 0.03, "relu": 0.03}  # the TensorFlow Playground's default rate
# The spiral adds sin x1, sin x2: with x1, x2 alone these nets reach 63-82 % test accuracy
# in 200 epochs (measured), 72-97 % with them.
_XY = ("x1", "x2")
REPLAY_FEATURES = {"circle": _XY, "xor": _XY, "spiral": (*_XY, "sin(x1)", "sin(x2)")}
REPLAY_HIDDEN = ((4,), (4, 4))
#: 12 runs: data set x activation x hidden layers; batches of 10, seed 0, data seed 0.
REPLAY_GRID = tuple(
    PlaygroundConfig(dataset=name, features=feats, hidden=hidden, activation=act, lr=lr)
    for name, feats in REPLAY_FEATURES.items()
    for act, lr in REPLAY_LR.items()
    for hidden in REPLAY_HIDDEN
)
PLAY_INTERVAL_MS = 800
LAYOUT = {"left": 0.01, "right": 0.985, "top": 0.93, "bottom": 0.11, "hspace": 0.55, "wspace": 0.3}
_ids = itertools.count(1)


@dataclass(frozen=True)
class ReplayRun:
    """One recorded run. ``epochs`` are the snapshot epochs, increasing; ``train_loss``,
    ``test_loss``, ``test_accuracy`` (None in regression) and ``frames`` (PNG bytes, each
    ``size = (width, height)`` px) have one entry per snapshot. ``loss_name`` names the loss;
    ``min_text_px`` is the frames' smallest text in px at :data:`DISPLAY_WIDTH`."""

    config: PlaygroundConfig
    label: str
    epochs: tuple[int, ...]
    train_loss: tuple[float, ...]
    test_loss: tuple[float, ...]
    test_accuracy: tuple[float, ...] | None
    loss_name: str
    frames: tuple[bytes, ...]
    size: tuple[int, int]
    min_text_px: float
    mime: str = "image/png"

    def data_uri(self, i: int) -> str:
        """Frame ``i`` as a ``data:`` URI."""
        return f"data:{self.mime};base64," + base64.b64encode(self.frames[i]).decode("ascii")

    def readout(self, i: int) -> str:
        """``"epoch N — training loss a, test loss b"``, then the test accuracy if any."""
        text = f"epoch {self.epochs[i]} — training loss {self.train_loss[i]:.3f}, test loss "
        text += f"{self.test_loss[i]:.3f}"
        accuracy = self.test_accuracy
        return text if accuracy is None else f"{text}, test accuracy {accuracy[i]:.0%}"

    def alt(self, i: int) -> str:
        """Frame ``i``'s text alternative: the run, the epoch, the losses, the panels."""
        return (
            f"Stored run {self.label} ({self.loss_name}), {self.readout(i)}. Left: the network, "
            "each unit drawn as a small map of its output over the plane. Right: the output "
            f"map with the training and test points, and the {self.loss_name} curves of the "
            f"run up to epoch {self.epochs[i]}."
        )


def run_label(config: PlaygroundConfig) -> str:
    """The run menu's name of ``config``; features other than x1, x2 are listed.

    Examples
    --------
    >>> run_label(PlaygroundConfig(dataset="xor", hidden=(4,), activation="relu"))
    'xor, relu, 1 hidden layer of 4'
    >>> run_label(PlaygroundConfig(hidden=(4, 2), features=("x1", "sin(x1)")))
    'circle, tanh, 2 hidden layers of 4 and 2, features x1, sin(x1)'
    """
    hidden, n = config.hidden, len(config.hidden)
    layers = f"{n} hidden layer{'s' if n > 1 else ''} of {hidden[0]}" if n else "no hidden layer"
    if len(set(hidden)) > 1:
        layers = f"{n} hidden layers of {', '.join(map(str, hidden[:-1]))} and {hidden[-1]}"
    features = [] if config.features == ("x1", "x2") else ["features " + ", ".join(config.features)]
    return ", ".join([config.dataset, config.activation, layers, *features])


def _int(value, name: str, low: int, high: float = float("inf")) -> int:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not (ok and low <= value <= high):
        raise ValueError(f"record_runs: {name} must be an int in [{low}, {high}], got {value!r}.")
    return int(value)


def check_snapshots(epochs: int, snapshots=None) -> tuple[int, ...]:
    """The snapshot epochs: ``snapshots`` checked (ints, increasing, in ``[0, epochs]``), or
    those of :data:`REPLAY_SNAPSHOTS` below ``epochs``, then ``epochs``.

    Examples
    --------
    >>> check_snapshots(30)
    (0, 5, 10, 25, 30)
    """
    epochs = _int(epochs, "epochs", 1)
    if snapshots is None:
        return (*(s for s in REPLAY_SNAPSHOTS if s < epochs), epochs)
    snaps = tuple(_int(s, "each snapshot", 0, epochs) for s in snapshots)
    if not snaps or any(a >= b for a, b in itertools.pairwise(snaps)):
        raise ValueError(f"record_runs: snapshots must be increasing, got {snapshots!r}.")
    return snaps


def accuracy_of(pg: Playground) -> float | None:
    """Share of test points on the right side of ``pg.boundary``; None in regression."""
    if pg.task != "classification":
        return None
    return float(np.mean((pg.predict(pg.split.X_test) > pg.boundary) == pg.split.y_test))


def train_snapshots(config: PlaygroundConfig, epochs: int, snapshots) -> tuple:
    """Train ``config`` for ``epochs`` epochs. Returns the :class:`Playground` after the last
    epoch (every epoch's losses recorded), and at each snapshot epoch its weights
    (``pg.net.flat_params``) and :func:`accuracy_of`."""
    pg, params, accuracy = Playground(config), [], []
    for epoch in snapshots:
        if epoch > pg.epoch:
            pg.step(epoch - pg.epoch)
        params.append(pg.net.flat_params.copy())
        accuracy.append(accuracy_of(pg))
    if epochs > pg.epoch:
        pg.step(epochs - pg.epoch)
    return pg, params, accuracy


def smallest_text_px(fig, display_width: float = DISPLAY_WIDTH) -> float:
    """The smallest visible text of ``fig``, in px when the figure is shown ``display_width``
    px wide: points / 72 x px per inch of figure; a text with mathtext counts at 70 % (the
    size of matplotlib's sub- and superscripts)."""
    from matplotlib.text import Text

    sizes = [
        t.get_fontsize() * (0.7 if t.get_text().count("$") >= 2 else 1.0)
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]
    return float(min(sizes) / 72 * display_width / fig.get_figwidth())


def _plot_loss(ax, pg: Playground, epoch: int) -> None:
    """The run's losses on fixed axes: solid up to ``epoch`` (a dot there), faint after."""
    x, losses = np.arange(len(pg.train_loss)), [np.asarray(pg.train_loss), pg.test_loss]
    styles = ({"color": "#222222"}, {"color": "#666666", "ls": "--"})
    for values, label, style in zip(losses, ("train", "test"), styles, strict=True):
        values = np.asarray(values)
        ax.plot(x[epoch:], values[epoch:], lw=1.0, alpha=0.3, **style)
        ax.plot(x[: epoch + 1], values[: epoch + 1], lw=1.6, label=label, **style)
        ax.plot([epoch], [values[epoch]], "o", ms=4, color=style["color"])
    top = np.nanmax(np.where(np.isfinite(losses), losses, np.nan))
    ax.set(xlim=(0, max(len(x) - 1, 1)), ylim=(0, 1.1 * top if top > 0 else 1.0))
    ax.set_xlabel("epoch", fontsize=9)
    ax.set_ylabel(loss_name(pg.task), fontsize=9)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    ax.set_title(f"train {pg.train_loss[epoch]:.3f}, test {pg.test_loss[epoch]:.3f}", fontsize=10)


def draw_frame(fig, pg: Playground, epoch: int, resolution: int = 40) -> None:
    """Draw ``pg`` with its current weights (those of ``epoch``) on ``fig``: the unit network,
    the output map and the run's losses up to ``epoch``; every text plain and >= 8 pt."""
    fig.clear()
    spec = fig.add_gridspec(2, 2, width_ratios=(1.9, 1), height_ratios=(1.2, 1), **LAYOUT)
    net, out, loss = (fig.add_subplot(s) for s in (spec[:, 0], spec[0, 1], spec[1, 1]))
    maps = playground_maps(pg, resolution)
    draw_unit_network(pg, maps, net)
    features = iter(pg.config.features)
    for text in net.texts:
        if text.get_text().startswith("$"):  # the features' LaTeX labels
            text.set_text(next(features))
    note = scale_note(pg, maps, "activations", True)
    net.set_title("")  # the figure's, left-aligned: a narrow network would clip it
    fig.text(0.01, 0.98, f"each unit's output over the plane, {note}", va="top", fontsize=10)
    plot_output(pg, maps, out)
    out.set_xlabel("x1", fontsize=9)
    out.set_ylabel("x2", fontsize=9)
    _plot_loss(loss, pg, epoch)


def _encode(canvas, colors: int) -> bytes:
    """Render the canvas as a PNG of ``colors`` palette colours (not dithered)."""
    from PIL import Image

    canvas.draw()
    size, rgba = canvas.get_width_height(), canvas.buffer_rgba()
    image = Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    image.convert("RGB").quantize(colors, dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    return out.getvalue()


def record_runs(
    grid=REPLAY_GRID,
    epochs: int = REPLAY_EPOCHS,
    snapshots=None,
    *,
    width: int = DISPLAY_WIDTH,
    resolution: int = 40,
    colors: int = 64,
) -> list[ReplayRun]:
    """Train every configuration of ``grid`` and draw it at each snapshot epoch.

    ``grid``: configurations (default :data:`REPLAY_GRID`, 12 runs), each trained ``epochs``
    epochs (the span of the loss curves) and drawn at ``snapshots`` (increasing, in ``[0,
    epochs]``; default :func:`check_snapshots`), as PNG frames ``width`` px wide (always
    :data:`FIGURE_SIZE` inches, so the text size at a given display width does not change)
    with ``colors`` palette colours (2 to 256) and maps of ``resolution`` points per side. A
    run that diverges raises FloatingPointError (:meth:`Playground.step`).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    snaps = check_snapshots(epochs, snapshots)
    colors, resolution = _int(colors, "colors", 2, 256), _int(resolution, "resolution", 2)
    fig = Figure(figsize=FIGURE_SIZE, dpi=_int(width, "width", 50) / FIGURE_SIZE[0])
    canvas, runs = FigureCanvasAgg(fig), []
    for config in grid:
        pg, params, accuracy = train_snapshots(config, epochs, snaps)
        frames, smallest = [], []
        for epoch, flat in zip(snaps, params, strict=True):
            pg.net.flat_params[...] = flat
            pg.epoch = epoch  # the output map's title gives it
            draw_frame(fig, pg, epoch, resolution)
            frames.append(_encode(canvas, colors))
            smallest.append(smallest_text_px(fig))  # after drawing: no ticks made for it
        losses = (tuple(float(h[e]) for e in snaps) for h in (pg.train_loss, pg.test_loss))
        accuracy = None if accuracy[0] is None else tuple(accuracy)
        label, loss, frames = run_label(config), loss_name(pg.task), tuple(frames)
        size, text_px = canvas.get_width_height(), min(smallest)
        runs.append(ReplayRun(config, label, snaps, *losses, accuracy, loss, frames, size, text_px))
    fig.clear()
    return runs


def _settings(c: PlaygroundConfig) -> str:
    """The settings the run menu does not name, as a phrase."""
    n_train = round(c.n_samples * c.train_ratio)
    return (
        f"learning rate {c.lr:g}, batches of {c.batch_size}, {n_train} training and "
        f"{c.n_samples - n_train} test points, noise {c.noise:g}, seed {c.seed}, data seed "
        f"{c.data_seed}"
    )


STYLE = """
#@ { max-width: 760px; margin: 0.5em 0 1em; }
#@ .nnlab-replay-row { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4em 0.8em; }
#@ select, #@ button { font: inherit; padding: 0.15em 0.5em; }
#@ input[type="range"] { width: min(100%, 24em); }
#@ :focus-visible { outline: 3px solid currentColor; outline-offset: 2px; }
#@ .nnlab-replay-readout { font-variant-numeric: tabular-nums; margin: 0.4em 0; }
#@ img { display: block; width: 100%; height: auto; background: #fff; }
"""

SCRIPT = """(function () {
  var id = "@", runs = RUNS, timer = null;
  function start() {
    var root = document.getElementById(id);
    if (!root || root.getAttribute("data-ready")) return; else root.setAttribute("data-ready", "1");
    var $ = function (part) { return document.getElementById(id + "-" + part); };
    var menu = $("run"), slider = $("epoch"), play = $("play"), img = $("image");
    var out = $("readout");
    function show() {
      var run = runs[Number(menu.value)], i = Math.min(Number(slider.value), run.frames.length - 1);
      slider.max = String(run.frames.length - 1); slider.value = String(i);
      slider.setAttribute("aria-valuetext", run.valuetext[i]);
      img.src = run.frames[i]; img.alt = run.alt[i]; out.textContent = run.readout[i];
    }
    function stop() {
      clearInterval(timer); timer = null; play.textContent = "Play";
      out.setAttribute("aria-live", "polite");
    }
    menu.addEventListener("change", show);
    slider.addEventListener("input", show); slider.addEventListener("change", show);
    play.addEventListener("click", function () {
      if (timer !== null) return stop();
      if (Number(slider.value) >= Number(slider.max)) slider.value = "0";
      out.setAttribute("aria-live", "off");  // no announcement per frame while playing
      play.textContent = "Pause"; show();
      timer = setInterval(function () {
        if (Number(slider.value) >= Number(slider.max)) return stop();
        slider.value = String(Number(slider.value) + 1); show();
      }, INTERVAL);
    });
    show();
  }
  if (document.getElementById(id)) start();
  else document.addEventListener("DOMContentLoaded", start);
})();"""


def _fragment_id(runs: list[ReplayRun]) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for run in runs:
        digest.update(repr((run.label, run.epochs, run.train_loss, run.size)).encode())
    return f"nnlab-replay-{digest.hexdigest()[:8]}-{next(_ids)}"


def replay_html(runs) -> str:
    """One self-contained HTML fragment that replays ``runs`` (a non-empty sequence of
    :class:`ReplayRun`): a labelled run menu, a labelled snapshot slider (arrow keys, Home,
    End) and a Play button, the readout ``"epoch N — training loss a, test loss b"``
    (``aria-live="polite"``) and the frame, whose ``alt`` gives the run, epoch and losses.

    No URL anywhere: inline ``<style>`` and ``<script>``, frames as ``data:`` URIs. Element
    ids share a prefix made of a hash of the runs and a counter, unique per call. The script
    starts at once if its elements exist (a Jupyter Book page, a notebook output), else at
    ``DOMContentLoaded``."""
    runs = list(runs)
    if not runs or not all(isinstance(r, ReplayRun) for r in runs):
        raise TypeError("replay_html: runs must be a non-empty list of ReplayRun (record_runs).")
    p, first, esc = _fragment_id(runs), runs[0], html.escape
    parts = {"frames": ReplayRun.data_uri, "alt": ReplayRun.alt, "readout": ReplayRun.readout}
    parts["valuetext"] = lambda run, i: f"epoch {run.epochs[i]}"
    data = [{k: [f(r, i) for i in range(len(r.epochs))] for k, f in parts.items()} for r in runs]
    shared = {_settings(r.config) for r in runs}
    settings = shared.pop() if len(shared) == 1 else "each with its own settings"
    payload = json.dumps(data, ensure_ascii=True).replace("</", "<\\/")
    script = SCRIPT.replace("INTERVAL", str(PLAY_INTERVAL_MS)).replace('"@"', json.dumps(p))
    script = script.replace("RUNS", payload, 1)
    options = "".join(
        f'<option value="{i}"{" selected" if i == 0 else ""}>{esc(r.label)}</option>'
        for i, r in enumerate(runs)
    )
    return (
        f'<div class="nnlab-replay" id="{p}">\n'
        f"<style>{STYLE.replace('#@', '#' + p)}</style>\n"
        f'<p id="{p}-note">Stored runs, replayed: each network below was trained once, when '
        f"this page was made ({esc(settings)}), and drawn at the saved epochs; nothing "
        "trains in your browser. Choose a run, then move the slider (arrow keys, Home, End) "
        "to step through its epochs.</p>\n"
        f'<div class="nnlab-replay-row"><label for="{p}-run">Run</label>\n'
        f'<select id="{p}-run" autocomplete="off">{options}</select></div>\n'
        f'<div class="nnlab-replay-row"><label for="{p}-epoch">Saved epoch</label>\n'
        f'<input type="range" id="{p}-epoch" min="0" max="{len(first.epochs) - 1}" step="1" '
        f'value="0" autocomplete="off" aria-valuetext="epoch {first.epochs[0]}">\n'
        f'<button type="button" id="{p}-play">Play</button></div>\n'
        f'<p id="{p}-readout" class="nnlab-replay-readout" aria-live="polite">'
        f"{esc(first.readout(0))}</p>\n"
        f'<img id="{p}-image" src="{first.data_uri(0)}" alt="{esc(first.alt(0))}" '
        f'width="{first.size[0]}" height="{first.size[1]}">\n'
        f"<script>\n{script}\n</script>\n</div>\n"
    )


class Replay:
    """Stored runs, shown in a notebook as :func:`replay_html` (``_repr_html_``)."""

    def __init__(self, runs) -> None:
        self.runs, self._html = list(runs), None

    def _repr_html_(self) -> str:
        self._html = self._html or replay_html(self.runs)
        return self._html

    def __repr__(self) -> str:
        return f"Replay({len(self.runs)} stored runs: {', '.join(r.label for r in self.runs)})"


def replay(runs=None) -> Replay:
    """The replay of ``runs`` (default: :func:`record_runs` of :data:`REPLAY_GRID`, about
    30 s) for a notebook cell; static HTML that needs no kernel once rendered."""
    return Replay(record_runs() if runs is None else runs)
