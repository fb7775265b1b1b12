"""Generic plots for the book: decision boundaries, training curves, a traced pass, number
tables and animations as HTML.

matplotlib is imported lazily, so ``import nnlab`` needs only NumPy. Functions that compute
what is drawn (``decision_grid``...) are separate from the drawing and have unit tests. The
figures of one chapter's idea live with that idea in :mod:`nnlab.explore`. :func:`glue` keeps
a measured number for a chapter's prose.
"""

from __future__ import annotations

import re
import warnings
from html import escape

import numpy as np


def pyplot():
    """``matplotlib.pyplot``, imported on first use (so that ``import nnlab`` needs NumPy
    only), or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "nnlab.viz needs matplotlib: pip install matplotlib (or pip install 'nnlab[plots]')."
        ) from None
    return plt


def decision_grid(net, X, resolution: int = 150, margin: float = 0.5):
    """Evaluate ``net`` on a grid covering ``X`` (2 features).

    Returns
    -------
    xx, yy : ndarray ``(resolution, resolution)``
        Grid coordinates.
    scores : ndarray ``(resolution, resolution, n_out)``
        The network's outputs at each grid point (inference mode, nothing cached).
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_grid expected X of shape (n_samples, 2), got {X.shape}.")
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    scores = net.forward(grid, cache=False)
    return xx, yy, scores.reshape(resolution, resolution, -1)


def grid_classes(scores: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Class index per grid point: argmax over outputs, or ``score > threshold`` for one."""
    if scores.shape[-1] == 1:
        return (scores[..., 0] > threshold).astype(int)
    return scores.argmax(axis=-1)


CLASS_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def plot_decision_boundary(
    net, X, y, ax=None, *, resolution: int = 150, threshold=0.0, title: str | None = None
):
    """Colour the plane by the class ``net`` predicts and scatter the data on top."""
    plt = pyplot()
    from matplotlib.colors import ListedColormap

    ax = ax or plt.gca()
    xx, yy, scores = decision_grid(net, X, resolution)
    classes = grid_classes(scores, threshold)
    k = max(int(np.max(y)) + 1, int(classes.max()) + 1, 2)
    cmap = ListedColormap(CLASS_COLORS[:k])
    ax.contourf(xx, yy, classes, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.25)
    dots = {"s": 12, "edgecolors": "white", "linewidths": 0.3}
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=k - 0.5, **dots)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    if title:
        ax.set_title(title)
    return ax


LABELS = {
    "loss": "training loss",
    "val_loss": "validation loss",
    "accuracy": "training accuracy",
    "val_accuracy": "validation accuracy",
}


def plot_history(history, ax=None, *, keys=("loss", "val_loss"), labels=None, log: bool = False):
    """Plot per-epoch metrics of a :class:`nnlab.History` (``loss`` and ``val_loss``).

    Each curve is labelled in words ("training loss", "validation loss", ...); ``labels`` maps a
    key to another legend label.
    """
    plt = pyplot()
    ax = ax or plt.gca()
    names = {**LABELS, **(labels or {})}
    for key in keys:
        if key in history:
            values = history[key]
            ax.plot(np.arange(1, len(values) + 1), values, label=names.get(key, key))
    ax.set(xlabel="epoch", ylabel="loss")
    if log:
        ax.set_yscale("log")
    ax.legend()
    return ax


def plot_band(ax, x, runs, *, label=None, color=None, style: str = "-", alpha: float = 0.2):
    """The median of ``runs`` over its first axis (a line) and their min-max band.

    ``runs`` is ``(n_runs, len(x))``, one row per run (a seed); nan entries (a run that
    diverged) are left out, and where every run is nan the line and the band have a gap.
    ``style`` is a matplotlib format string ("-", "--"...); the band takes the line's colour.
    """
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan columns: nan, drawn as gaps
        runs = np.asarray(runs, dtype=float)
        (line,) = ax.plot(x, np.nanmedian(runs, axis=0), style, color=color, label=label)
        low, high = np.nanmin(runs, axis=0), np.nanmax(runs, axis=0)
        ax.fill_between(x, low, high, color=line.get_color(), alpha=alpha)
    return ax


FORWARD_COLOR, BACKWARD_COLOR, SKIPPED_COLOR = "#1f77b4", "#d62728", "#999999"


def _layer_label(event) -> str:
    name = event.layer.split("(")[0]
    if name == "Dense":
        return f"Dense\n{event.shape_in[-1]}→{event.shape_out[-1]}"
    return name


def _arrow(ax, x_from, x_to, y, color, label, *, above: bool, dashed: bool = False) -> None:
    style = {"arrowstyle": "-|>", "color": color, "lw": 1.4, "ls": "--" if dashed else "-"}
    ax.annotate("", xy=(x_to, y), xytext=(x_from, y), arrowprops=style)
    where = {"ha": "center", "va": "bottom" if above else "top", "fontsize": 8.5, "color": color}
    ax.text((x_from + x_to) / 2, y + (0.05 if above else -0.05), label, **where)


def plot_passes(events, ax=None, *, spacing: float = 1.75):
    """Draw a traced forward and backward pass as a chain of boxes joined by arrows.

    ``events`` come from :func:`nnlab.trace` (one forward pass, optionally one backward).
    Forward arrows (top, blue) carry the shape of each activation, backward arrows (bottom,
    red) the shape of each gradient. The numbers above and below a box give the order of its
    visits; under a dense layer are the parameter gradients its backward visit fills. An
    input gradient that backward skipped (``input_grad=False``) is drawn dashed and grey.
    """
    plt = pyplot()
    from matplotlib.patches import FancyBboxPatch

    fwd = [e for e in events if e.direction == "forward"]
    bwd = {e.index: (k, e) for k, e in enumerate(e for e in events if e.direction == "backward")}
    if not fwd or [e.index for e in fwd] != list(range(len(fwd))):
        raise ValueError("plot_passes expected the events of exactly one forward pass.")
    ax = ax or plt.gca()
    n = len(fwd)
    half, dy = 0.45, 0.13
    labels = ["X", *(_layer_label(e) for e in fwd), "loss"]
    for j, text in enumerate(labels):
        box = FancyBboxPatch(
            (j * spacing - half, -0.3),
            2 * half,
            0.6,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor="#f2f2f2" if 0 < j <= n else "white",
            edgecolor="#555555",
            linewidth=1.0,
        )
        ax.add_patch(box)
        ax.text(j * spacing, 0, text, ha="center", va="center", fontsize=10.5)
    for j in range(n + 1):  # the gap between box j and box j + 1
        left, right = j * spacing + half, (j + 1) * spacing - half
        shape = fwd[j].shape_in if j < n else fwd[-1].shape_out
        _arrow(ax, left, right, dy, FORWARD_COLOR, str(shape), above=True)
        # Backward, this gap carries what layer j returns (dZ of the loss when j == n).
        if j == n and n - 1 in bwd:
            grad = bwd[n - 1][1].shape_in
        elif j in bwd:
            grad = bwd[j][1].shape_out
        else:
            continue
        if grad is None:
            _arrow(ax, right, left, -dy, SKIPPED_COLOR, "skipped", above=False, dashed=True)
        else:
            _arrow(ax, right, left, -dy, BACKWARD_COLOR, str(grad), above=False)
    for i, e in enumerate(fwd):
        x = (i + 1) * spacing
        bold = {"ha": "center", "fontsize": 9.5, "fontweight": "bold"}
        ax.text(x, 0.36, str(i + 1), va="bottom", color=FORWARD_COLOR, **bold)
        if i in bwd:
            ax.text(x, -0.36, str(n + bwd[i][0] + 1), va="top", color=BACKWARD_COLOR, **bold)
            if e.layer.startswith("Dense"):
                a, b = e.shape_in[-1], e.shape_out[-1]
                text = f"dW ({a}, {b})\ndb ({b},)"
                ax.text(x, -0.6, text, ha="center", va="top", fontsize=8, color=BACKWARD_COLOR)
    ax.text(0, 0.36, "forward", ha="center", va="bottom", fontsize=9, color=FORWARD_COLOR)
    if bwd:
        ax.text(0, -0.36, "backward", ha="center", va="top", fontsize=9, color=BACKWARD_COLOR)
    ax.set_xlim(-half - 0.1, (n + 1) * spacing + half + 0.1)
    ax.set_ylim(-1.0, 0.58)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def number_table(header, rows, *, digits: int = 4):
    """A small HTML table for the book, with every number rounded to ``digits`` places.

    Numbers are right-aligned in tabular figures; strings are inserted as HTML, so
    ``"z<sub>1</sub>"`` shows a subscript. The output is plain HTML text, identical on every
    run, so two runs' outputs can be compared.

    Parameters
    ----------
    header : sequence of str
        Column captions.
    rows : sequence of sequence
        Cells: real numbers (formatted with ``digits`` decimals) or strings.
    digits : int, default 4
        Decimals of each number.

    Returns
    -------
    IPython.display.HTML

    Examples
    --------
    >>> number_table(["unit", "z"], [["h<sub>1</sub>", 0.6]]).data.count("<tr>")
    2
    """
    import numbers

    from IPython.display import HTML

    pad = "padding: 0.15em 0.8em"

    def cell(tag: str, value) -> str:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return f'<{tag} style="text-align:right; {pad}">{float(value):.{digits}f}</{tag}>'
        return f'<{tag} style="text-align:left; {pad}">{value}</{tag}>'

    head = "".join(cell("th", h) for h in header)
    body = "".join("<tr>" + "".join(cell("td", v) for v in row) + "</tr>" for row in rows)
    style = "font-variant-numeric: tabular-nums; border-collapse: collapse"
    return HTML(
        f'<table class="nnlab-numbers" style="{style}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


# Tags of matplotlib's HTML that load from the network (its font-awesome stylesheet).
_REMOTE_TAG = re.compile(
    r"""<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//[^>]*>"""
    r"""|<script\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//[^>]*>\s*</script\s*>""",
    re.IGNORECASE,
)
FRAME_SLIDER_LABEL = "Animation frame"
# A frame embedded by HTMLWriter: base64 lines, each ended by a backslash (in a JS string).
_FRAME = re.compile(r'(frames\[\d+\] = "data:image/[\w+.-]+;base64,)([^"]*)(")')


def _accessible(html: str, alt: str) -> str:
    """Strip remote tags; give the frame image its ``alt`` and every control a name."""
    html = _REMOTE_TAG.sub("", html)
    alt_attr = f'alt="{escape(alt, quote=True)}"'
    html = re.sub(r"<img\b(?![^>]*\balt=)", lambda _: f"<img {alt_attr}", html, flags=re.I)
    html = re.sub(
        r"<input\b(?=[^>]*\btype=[\"']?range)(?![^>]*\baria-label=)",
        f'<input aria-label="{FRAME_SLIDER_LABEL}"',
        html,
        flags=re.I,
    )

    def name_button(match: re.Match) -> str:  # icon-only buttons: name them by their title
        title = re.search(r"""\btitle\s*=\s*["']([^"']*)["']""", match[1])
        if title is None or re.search(r"\baria-label\s*=", match[1]):
            return match[0]
        return f'<button aria-label="{title[1]}"{match[1]}>'

    return re.sub(r"<button\b([^>]*)>", name_button, html, flags=re.I)


def animation_html(anim, *, alt: str | None = None, colors: int | None = 64, close: bool = True):
    """Render a ``matplotlib.animation`` as self-contained, scrubbable HTML (like ``to_jshtml``).

    Works without a kernel and without network: frames are inline PNGs, and the font-awesome
    stylesheet link matplotlib adds is removed (the page's own icon font draws the buttons).
    The frame image carries ``alt``, the frame slider the label "Animation frame" and every
    button an accessible name. Each frame is stored as a palette PNG of at most ``colors``
    colours: diagrams and line plots use few colours, so that is about three times smaller
    than a full-colour frame and looks the same (``colors=None`` keeps full colour).

    Parameters
    ----------
    anim : matplotlib.animation.Animation
        The animation; its frame interval sets the playback speed.
    alt : str, optional
        Text alternative of the animation: what it shows, for a reader who cannot see it.
        Default: a sentence giving the number of frames only; pass a real description.
    colors : int or None, default 64
        Size of each frame's palette, from 2 to 256; None for full-colour frames.
    close : bool, default True
        Close the animation's figure, so that it is not shown a second time.

    Returns
    -------
    IPython.display.HTML

    Raises
    ------
    ValueError
        If ``colors`` is not an int in [2, 256], ``alt`` is empty or ``anim`` was stopped.
    TypeError
        If ``alt`` is not a string.
    """
    import base64
    import io
    import tempfile
    from pathlib import Path

    from IPython.display import HTML
    from matplotlib.animation import HTMLWriter
    from PIL import Image

    if colors is not None and (
        isinstance(colors, bool) or not isinstance(colors, int) or not 2 <= colors <= 256
    ):
        raise ValueError(f"animation_html: colors must be an int in [2, 256], got {colors!r}.")
    if alt is not None and not isinstance(alt, str):
        raise TypeError(f"animation_html: alt must be a str, got {type(alt).__name__}.")
    if alt is not None and not alt.strip():
        raise ValueError("animation_html: alt must say what the animation shows, got ''.")
    if anim.event_source is None:  # its timer, whose interval is the frame interval
        raise ValueError("animation_html: the animation was stopped (figure closed); remake it.")

    def palette_png(frame: re.Match) -> str:
        if colors is None:
            return frame[0]
        image = Image.open(io.BytesIO(base64.b64decode(frame[2].replace("\\\n", ""))))
        out = io.BytesIO()
        image.convert("RGB").quantize(colors).save(out, format="png", optimize=True)
        data = base64.encodebytes(out.getvalue()).decode("ascii").replace("\n", "\\\n")
        return frame[1] + data + frame[3]

    fps = 1000 / anim.event_source.interval
    writer = HTMLWriter(fps=fps, embed_frames=True, default_mode="once")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "animation.html")
        anim.save(str(path), writer=writer)
        html, frames = _FRAME.subn(palette_png, path.read_text())  # counts the frames too
    if close:
        pyplot().close(writer.fig)  # the figure the writer drew (set by its setup)
    if alt is None:
        alt = f"An animation of {frames} frames."
    return HTML(_accessible(html, alt))


def glue(name: str, value, *, digits: int | None = None, sig: int | None = None) -> None:
    """Keep a measured value for the text of a chapter to quote (myst-nb's ``glue``).

    The value is recorded without being displayed; the prose shows it with
    ``{glue:text}`name:format```. Numbers are rounded first, so the page never carries more
    digits than the measurement supports.

    Parameters
    ----------
    name : str
        The key the prose uses; unique within a notebook.
    value : number or str
        What to keep. Strings are kept as they are.
    digits : int, optional
        Round a number to this many decimals (``digits=0`` for counts).
    sig : int, optional
        Round a number to this many significant digits (for values that span many orders of
        magnitude). At most one of ``digits`` and ``sig``; with neither, 6 significant digits.
    """
    if digits is not None and sig is not None:
        raise ValueError(f"glue({name!r}) takes digits or sig, not both.")
    if not isinstance(value, str):
        value = float(value)
        if digits is not None:
            value = round(value, digits)
        else:
            value = float(f"{value:.{6 if sig is None else sig}g}")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        raise ImportError("nnlab.viz.glue needs myst-nb: pip install myst-nb.") from None
    myst_glue(name, value, display=False)
