"""What the widget's Play button needs: the background loop, stopped when its widget goes away,
the divergence check, and a loss plot that stays readable.

:class:`Player` runs frames in a daemon thread until paused, closed, or a frame says stop. Every
live player is kept (weakly) in a module registry, so that :func:`stop_all` can stop them: a new
:func:`~.widget.playground` calls it, since re-running a notebook cell does not always close the
old output's widgets. :func:`train` trains epoch by epoch and stops at a divergence;
:func:`tidy_loss_plot` bounds the loss plot and writes the losses short.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Callable

import numpy as np

from .model import Playground

# A training loss over DIVERGED times its start (or over DIVERGED, if it starts below 1) has
# diverged: training stops there, before the numbers overflow.
DIVERGED = 1e6
# The loss plot shows losses up to CLIP times the larger loss of epoch 0.
CLIP = 10.0
# How long pause() waits for the frame under way (seconds).
JOIN_TIMEOUT = 10.0
HINT = "epoch 0: press play or step"

_players: weakref.WeakSet = weakref.WeakSet()
_registry = threading.Lock()


class Player:
    """A play loop: ``frame()`` again and again in a daemon thread until stopped.

    Parameters
    ----------
    frame : callable
        One frame (train and redraw); returns False to stop playing (e.g. training diverged).
    closed : callable, optional
        True once the widget is gone: checked before each frame, the loop then stops.
    on_stop : callable, optional
        Called in the thread when the loop ends, however it ends.

    The player is registered for :func:`stop_all` until :meth:`close`.
    """

    def __init__(self, frame: Callable[[], bool], *, closed=None, on_stop=None):
        self.frame, self.closed, self.on_stop = frame, closed or (lambda: False), on_stop
        self.thread: threading.Thread | None = None
        self.is_closed = False
        self._stop = threading.Event()
        with _registry:
            _players.add(self)

    @property
    def playing(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def _loop(self) -> None:
        try:
            while not (self._stop.is_set() or self.is_closed or self.closed()) and self.frame():
                pass
        finally:
            if self.on_stop is not None:
                self.on_stop()

    def play(self) -> bool:
        """Start the loop; False (and nothing done) if it runs already or the player is closed."""
        if self.is_closed or self.playing:
            return False
        self._stop.clear()
        self.thread = threading.Thread(target=self._loop, name="playground", daemon=True)
        self.thread.start()
        return True

    def pause(self, timeout: float = JOIN_TIMEOUT) -> None:
        """Stop the loop and wait (at most ``timeout`` s) for the frame under way to end."""
        self._stop.set()
        thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def attach(self, widget) -> None:
        """Stop for good when ``widget`` is closed, then close its parts (``children``, at
        every depth); the loop also checks before each frame that the widget is open."""
        self.closed = lambda: widget.comm is None

        def on_close(change):
            if change["new"] is None:  # what widget.close() does last
                self.close()
                _close_tree(widget)

        widget.observe(on_close, names="comm")

    def close(self) -> None:
        """Stop for good and leave the registry."""
        self.is_closed = True
        self.pause()
        with _registry:
            _players.discard(self)


def _close_tree(widget) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()


def stop_all() -> int:
    """Pause every registered player that is playing, each joined; returns how many were."""
    with _registry:
        players = [p for p in _players if p.playing]
    for player in players:
        player.pause()
    return len(players)


def limit(pg: Playground) -> float:
    """The training loss beyond which the run has diverged."""
    start = pg.train_loss[0]
    return DIVERGED * max(start, 1.0) if math.isfinite(start) else math.inf


def diverged(pg: Playground) -> bool:
    """Whether the last losses are not finite, or the training loss is beyond :func:`limit`."""
    train, test = pg.train_loss[-1], pg.test_loss[-1]
    return not (math.isfinite(train) and math.isfinite(test)) or train > limit(pg)


def train(pg: Playground, n: int) -> str | None:
    """Train up to ``n`` epochs, one at a time, stopping at the first sign of divergence.

    Returns
    -------
    str or None
        None, or why training stopped: ``"diverged at epoch N: ..."``, N being ``pg.epoch``
        (the epoch then shown). When :func:`nnlab.fit` raises in the next epoch, the weights
        are put back as they were after epoch N.
    """
    for _ in range(n):
        saved, segments = pg.net.flat_params.copy(), len(pg.segments)
        try:
            pg.step(1)
        except FloatingPointError:
            pg.net.flat_params[...] = saved
            if len(pg.segments) > segments and pg.segments[-1][0] == 0:
                pg.segments.pop()  # a setting changed just before: no epoch ran with it
            why = "the next epoch made the loss overflow"
            break
        if diverged(pg):
            why = "the training loss blew up"
            break
    else:
        return None
    return (
        f"Training diverged at epoch {pg.epoch}: {why} (lr={pg.config.lr:g}). "
        "Try a smaller learning rate, then press reset."
    )


def short(value: float) -> str:
    """A loss in 9 characters at most: 3 significant digits, or ``"diverged"``."""
    return format(value, "#.3g").rstrip(".") if math.isfinite(value) else "diverged"


def loss_name(pg: Playground) -> str:
    """What the loss plot calls the loss: the config's ``output`` (when it has one) decides."""
    if getattr(pg.config, "output", "nnlab") == "playground":
        return "half squared error"
    return "cross-entropy" if pg.task == "classification" else "squared error"


def tidy_loss_plot(pg: Playground, ax) -> None:
    """Make the loss plot that :func:`~.drawing.draw_playground` drew readable, in place.

    The title names the loss (:func:`loss_name`) and gives the losses 3 significant digits,
    or says ``"diverged"`` (see :func:`diverged`). The curves leave out non-finite values and
    run off the top beyond :data:`CLIP` times the start: the y-axis runs from 0 to the largest
    loss below that. At epoch 0 the initial losses are drawn as points, with :data:`HINT`.
    """
    from matplotlib.ticker import MaxNLocator

    first = max(pg.train_loss[0], pg.test_loss[0])
    cap = CLIP * first if math.isfinite(first) and first > 0 else 1.0
    epochs = np.arange(len(pg.train_loss))
    top = 0.0
    for line, losses in zip(ax.lines[:2], (pg.train_loss, pg.test_loss), strict=True):
        values = np.asarray(losses, dtype=float)
        values = np.where(np.isfinite(values), np.minimum(values, 2 * cap), np.nan)
        line.set_data(epochs, values)  # beyond the cap, the line leaves the plot at the top
        line.set_marker("o" if pg.epoch == 0 else "")
        line.set_markersize(4)
        shown = values[values <= cap]  # NaN compares False
        top = max(top, float(shown.max())) if shown.size else top
    span = max(pg.epoch, 1)
    ax.set_xlim(-0.04 * span, 1.04 * span)
    ax.set_ylim(0.0, 1.15 * top if top > 0 else 1.0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    name, losses = loss_name(pg), (short(pg.train_loss[-1]), short(pg.test_loss[-1]))
    title = f"{name}: diverged" if diverged(pg) else f"{name}: train {losses[0]}, test {losses[1]}"
    ax.set_title(title, fontsize=10)
    hints = [t for t in ax.texts if t.get_gid() == "loss-hint"]
    if pg.epoch == 0 and not hints:
        style = {"ha": "center", "va": "center", "fontsize": 9, "color": "#777777"}
        ax.text(0.5, 0.45, HINT, transform=ax.transAxes, gid="loss-hint", **style)
    for hint in hints if pg.epoch else ():
        hint.remove()
