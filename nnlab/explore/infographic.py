"""Forward propagation vs backpropagation on one page: a poster figure and its table (the
source's closing section, *Forward Propagation vs Backpropagation Infographic*).

Compute (:func:`infographic_numbers`) -> figure (:func:`draw_infographic`, :func:`save_infographic`)
-> words (:func:`infographic_alt`, :func:`infographic_table`). Every number shown is an entry of
``numbers["printed"]``, made by :func:`fmt` from a measured value; the words around them are
written once, in ``_ROWS``, for the figure, the alt text and the table.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import string
from pathlib import Path

import numpy as np

from .._validation import check_positive_int
from ..counting import flops
from ..losses import SoftmaxCrossEntropy
from ..network import mlp
from ..profile import cached_bytes, time_passes
from ..viz import pyplot

BLUE, VERMILLION, GREEN = "#0072B2", "#D55E00", "#009E73"  # Okabe-Ito: colour-blind safe
PALETTE = (BLUE, VERMILLION, GREEN, "#000000", "#FFFFFF")
_PREFIXES = {-9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T"}


def fmt(value, unit: str = "") -> str:
    """The one way the infographic prints a value.

    Text stays as it is; a sequence of widths is joined by hyphens (``"784-256-10"``); a ratio
    (``unit="×"``) gets two decimals (``"1.25×"``); a count without a unit gets thousands
    separators (``"269,322"``); a quantity with a unit gets three significant digits and an
    SI prefix (``"34.5 MFLOP"``, ``"664 kB"``, ``"1.26 ms"``; 1 kB = 1000 B).

    Examples
    --------
    >>> fmt(34472576, "FLOP"), fmt(663552, "B"), fmt(0, "B"), fmt(1.2528, "×"), fmt((4, 3))
    ('34.5 MFLOP', '664 kB', '0 B', '1.25×', '4-3')
    """
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "-".join(fmt(v) for v in value)
    if unit == "×":
        return f"{value:.2f}×"
    if not unit:
        return f"{int(value):,}"
    if value == 0:
        return f"0 {unit}"
    exp = min(max(3 * math.floor(math.log10(abs(value)) / 3), -9), 12)
    mant = float(f"{value / 10**exp:.3g}")
    if abs(mant) >= 1000 and exp < 12:  # 999.7 rounds up to the next prefix
        exp += 3
        mant = float(f"{value / 10**exp:.3g}")
    decimals = 0 if abs(mant) >= 100 else 1 if abs(mant) >= 10 else 2
    return f"{mant:.{decimals}f} {_PREFIXES[exp]}{unit}"


PRINTED = {  # printed key: (part of the numbers, entry there, unit for fmt)
    "network": ("network", "sizes", ""), "activation": ("network", "activation", ""),
    "dtype": ("network", "dtype", ""), "batch_size": ("network", "batch_size", ""),
    "n_params": ("network", "n_params", ""),
    "flops_forward": ("flops", "forward", "FLOP"), "flops_backward": ("flops", "backward", "FLOP"),
    "flops_ratio": ("flops", "ratio", "×"), "flops_ratio_full": ("flops", "ratio_full", "×"),
    "bytes_params": ("memory", "parameters", "B"), "bytes_grads": ("memory", "gradients", "B"),
    "bytes_kept": ("memory", "training_cache", "B"),
    "bytes_kept_inference": ("memory", "inference_cache", "B"),
    "memory_training": ("memory", "training", "B"),
    "memory_inference": ("memory", "inference", "B"), "memory_ratio": ("memory", "ratio", "×"),
    "time_forward": ("timing", "forward", "s"), "time_backward": ("timing", "backward", "s"),
    "time_ratio": ("timing", "ratio", "×"), "repeats": ("timing", "repeats", ""),
}  # fmt: skip

EQUATIONS = {  # eq-glance-forward and eq-glance-backward of the book: (mathtext, plain text)
    "forward": (
        (r"$Z^{[l]} = A^{[l-1]}\,W^{[l]} + \mathbf{1}_N\,b^{[l]}$", "Z[l] = A[l−1] W[l] + 1 b[l]"),
        (r"$A^{[l]} = f\,(Z^{[l]})$", "A[l] = f(Z[l])"),
    ),
    "backward": (
        (r"$\delta^{[l]} = (\delta^{[l+1]}\,W^{[l+1]\top}) \odot f'(Z^{[l]})$",
         "δ[l] = (δ[l+1] W[l+1]ᵀ) ⊙ f′(Z[l])"),
        (r"$\partial L/\partial W^{[l]} = A^{[l-1]\top}\,\delta^{[l]}$", "∂L/∂W[l] = A[l−1]ᵀ δ[l]"),
        (r"$\partial L/\partial b^{[l]} = \mathbf{1}_N^\top\,\delta^{[l]}$", "∂L/∂b[l] = 1ᵀ δ[l]"),
    ),
}  # fmt: skip


def infographic_numbers(
    sizes=(784, 256, 256, 10),
    batch_size: int = 64,
    activation: str = "relu",
    *,
    rng=0,
    time_it: bool = True,
) -> dict:
    """Measure everything the infographic shows, on ``mlp(sizes, activation)`` and a batch.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, as for :func:`nnlab.mlp`.
    batch_size : int
    activation : str, default "relu"
    rng : int, Generator or None
        Seeds the weights and the random batch (and its labels, for the timing).
    time_it : bool, default True
        Also time the passes with :func:`nnlab.time_passes` (30 interleaved repeats, on one
        BLAS thread when threadpoolctl is installed: steadier on a busy machine).

    Returns
    -------
    dict
        ``"network"``: ``sizes``, ``activation``, ``dtype``, ``batch_size``, ``n_params``.
        ``"flops"``, summed from :func:`nnlab.flops`: ``forward``, ``backward`` (as in
        training: no ``dX`` for the first layer), ``backward_full`` (with it), ``ratio`` and
        ``ratio_full`` (backward over forward). ``"memory"``, in bytes: ``training_cache``
        (:func:`nnlab.cached_bytes` after ``forward(X)``), ``inference_cache`` (after
        ``forward(X, cache=False)``: 0), ``parameters``, ``gradients``, ``training``
        (parameters + gradients + training cache: plain SGD), ``inference`` (parameters +
        inference cache) and their ``ratio``. ``"timing"``: median seconds ``forward``,
        ``backward``, their ``ratio`` (all vary per run), ``repeats``, ``one_blas_thread``;
        None without ``time_it``. ``"equations"``: :data:`EQUATIONS`. ``"printed"``: every
        :data:`PRINTED` key as :func:`fmt` prints it, and ``size_0``, ``size_1``...

    Notes
    -----
    In float64 the training cache is ``8 N (n_0 + n_1 + ... + n_{m-1})`` bytes (equation
    kd-memory of book/key-differences): the input and every hidden activation.

    Examples
    --------
    >>> n = infographic_numbers((4, 6, 3), 10, "tanh", time_it=False)
    >>> n["memory"]["training_cache"], n["printed"]["flops_ratio"]
    (800, '1.48×')
    """
    if not isinstance(sizes, list | tuple) or len(sizes) < 2:
        raise ValueError(
            f"infographic_numbers: sizes must list at least 2 layer widths, got {sizes!r}."
        )
    sizes = [check_positive_int(s, "every size", owner="infographic_numbers") for s in sizes]
    n = check_positive_int(batch_size, "batch_size", owner="infographic_numbers")
    gen = np.random.default_rng(rng)
    net = mlp(sizes, activation, rng=gen)
    X = gen.normal(size=(n, sizes[0]))
    fwd, bwd = (sum(r[k] for r in flops(net, n, input_grad=False)) for k in ("forward", "backward"))
    bwd_full = sum(r["backward"] for r in flops(net, n, input_grad=True))
    net.forward(X)
    kept = cached_bytes(net)
    net.forward(X, cache=False)
    kept_inference = cached_bytes(net)
    params = net.flat_params.nbytes
    timing = None
    if time_it:
        y = gen.integers(0, sizes[-1], size=n)
        limit, one_thread = _one_blas_thread()
        with limit:
            t = time_passes(net, SoftmaxCrossEntropy(), X, y, repeats=30, input_grad=False)
        tf, tb = t["forward"]["median"], t["backward"]["median"]
        timing = {"forward": tf, "backward": tb, "ratio": tb / tf, "repeats": 30}
        timing["one_blas_thread"] = one_thread
    network = {"sizes": tuple(sizes), "activation": str(activation), "dtype": str(net.dtype)}
    network.update(batch_size=n, n_params=net.n_params)
    numbers = {
        "network": network,
        "flops": {"forward": fwd, "backward": bwd, "backward_full": bwd_full},
        "memory": {
            "training_cache": kept,
            "inference_cache": kept_inference,
            "parameters": params,
            "gradients": params,  # a gradient per parameter, same dtype
            "training": 2 * params + kept,
            "inference": params + kept_inference,
        },
        "timing": timing,
        "equations": EQUATIONS,
    }
    numbers["flops"].update(ratio=bwd / fwd, ratio_full=bwd_full / fwd)
    numbers["memory"]["ratio"] = (2 * params + kept) / (params + kept_inference)
    printed = {
        key: fmt(numbers[part][name], unit)
        for key, (part, name, unit) in PRINTED.items()
        if numbers[part] is not None
    }
    printed.update({f"size_{i}": fmt(s) for i, s in enumerate(sizes)})
    numbers["printed"] = printed
    return numbers


def _one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: then BLAS uses as many threads as it likes
        return contextlib.nullcontext(), False
    return threadpool_limits(limits=1), True


# (aspect, forward, backward): the words around the numbers, for the figure, the alt text and
# the table. Fields are keys of numbers["printed"]; "\n" breaks a line in the figure only.
_ROWS = (
    ("Direction", "first layer to last:\nX → Z → A → … → Ŷ, then the loss L",
     "last layer to first:\nfrom L, one delta δ = ∂L/∂Z per layer"),
    ("Computes", None, None),  # EQUATIONS
    ("Stores", "in training, what backward needs: the\ninput X and every hidden activation A",
     "one gradient per parameter:\n∂L/∂W and ∂L/∂b, shaped like W and b"),
    ("FLOPs per batch", "{flops_forward}",
     "{flops_backward} = {flops_ratio} the forward\n(training skips the first layer's ∂L/∂X;"
     "\nwith it: {flops_ratio_full})"),
    ("Memory",
     "kept for backward: {bytes_kept} after a training\nforward, {bytes_kept_inference} after an"
     " inference forward;\nparameters: {bytes_params}",
     "reads that cache, writes gradients ({bytes_grads}):\na plain SGD step holds"
     " {memory_training} (parameters,\ngradients, cache), {memory_ratio} inference's"
     " {memory_inference}"),
    ("Time", "{time_forward}",
     "{time_backward} = {time_ratio} the forward\n(medians of {repeats} runs on this machine:"
     " they vary)"),
    ("Runs in", "inference (prediction) and training", "training; also for saliency maps and"
     "\nadversarial examples, after a forward that kept its cache"),
)  # fmt: skip
_TITLE = "Forward propagation vs backpropagation"
_SUBTITLE = "one training step of a {network} {activation} network on a batch of N = {batch_size}"
_FOOTER = (
    "Network {network} ({activation}), batch N = {batch_size}, {dtype}, {n_params} parameters."
    "\nEvery number is measured by nnlab: nl.flops (exact FLOP counts), nl.cached_bytes"
    " (bytes kept for backward){timed}."
)
_TIMED = ", nl.time_passes (median times)"


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _rows(numbers: dict) -> list[tuple]:
    timed = numbers.get("timing") is not None
    return [row for row in _ROWS if timed or row[0] != "Time"]


def _expand(template: str, numbers: dict) -> str:
    return template.replace("{timed}", _TIMED if numbers["timing"] is not None else "")


def _fill(template: str, numbers: dict) -> str:
    return _expand(template, numbers).format(**numbers["printed"])


def infographic_table(numbers: dict) -> list[tuple[str, str, str]]:
    """The figure's rows as ``(aspect, forward, backward)`` strings, for the page's table."""
    table = []
    for aspect, fwd, bwd in _rows(numbers):
        if fwd is None:
            eq = numbers["equations"]
            fwd, bwd = ("; ".join(plain for _, plain in eq[k]) for k in ("forward", "backward"))
        table.append((aspect, *(_fill(c, numbers).replace("\n", " ") for c in (fwd, bwd))))
    return table


def infographic_alt(numbers: dict) -> str:
    """Alt text for the figure: what it shows, and every number in it."""
    head = (
        f"Infographic, {_TITLE.lower()}, side by side: "
        f"{_fill(_SUBTITLE, numbers)}. A blue arrow runs left to right over the forward pass, "
        "a vermillion arrow right to left over backpropagation."
    )
    rows = [f"{a}: forward, {f}; backpropagation, {b}." for a, f, b in infographic_table(numbers)]
    return " ".join([head, *rows, _fill(_FOOTER, numbers).replace("\n", " ")])


_LINE, _PAD = 21, 14  # px per line of 12-pt text; padding of a row
_BARS = {"flops_forward": 24, "bytes_kept": 58}  # px of bars under a cell led by this field
_COLUMNS = {"forward": (216, 730, BLUE), "backward": (750, 1264, VERMILLION)}
_HEADS = {  # title, arrow label, note under the network and its colour
    "forward": ("Forward propagation", "input X  →  prediction Ŷ  →  loss L",
                "green units: kept by a training forward for backward", GREEN),
    "backward": ("Backpropagation", "∂L/∂W, ∂L/∂b  ←  deltas δ  ←  loss L",
                 "every weight receives a gradient", VERMILLION),
}  # fmt: skip


def _row_height(fwd, bwd, numbers) -> int:
    if fwd is None:
        return 32 * len(numbers["equations"]["backward"]) + 2 * _PAD
    lines = max(c.count("\n") + 1 for c in (fwd, bwd))
    return _LINE * lines + _BARS.get(next(iter(_fields(fwd)), ""), 0) + 2 * _PAD


def draw_infographic(numbers: dict, *, width_px: int = 1280, dpi: int = 100):
    """Draw the infographic of :func:`infographic_numbers`: one figure, ``width_px`` wide.

    Two columns, forward propagation (blue, arrow left to right) and backpropagation
    (vermillion, right to left), each over the network drawn small (green units: what a
    training forward keeps), then a row per aspect of :func:`infographic_table`, with bars
    for the FLOPs of each pass and for the memory of a training and an inference pass, and a
    footer naming the network and the measurements. Laid out for 1280 px at 100 dpi (no text
    below 11 pt); other sizes scale it. A text showing numbers has gid ``"num:<keys>"`` (the
    ``numbers["printed"]`` keys it uses); an equation has gid ``"eq:<pass>:<index>"``.
    """
    width_px = check_positive_int(width_px, "width_px", owner="draw_infographic")
    dpi = check_positive_int(dpi, "dpi", owner="draw_infographic")
    plt = pyplot()
    from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

    s = width_px / dpi / 12.8  # coordinates are px of the 1280-px layout; sizes scale by s
    rows = _rows(numbers)
    heights = [_row_height(fwd, bwd, numbers) for _, fwd, bwd in rows]
    top, height = 365, 365 + sum(heights) + 70
    fig = plt.figure(figsize=(width_px / dpi, height / 1280 * width_px / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=(0, 1280), ylim=(height, 0), xticks=[], yticks=[])
    ax.set_axis_off()

    def text(x, y, template, size=12, **kw):
        fields = _fields(_expand(template, numbers))
        gid = "num:" + ",".join(fields) if fields else None
        kw = {"va": "top", "color": "#000000", "gid": gid, **kw}
        return ax.text(x, y, _fill(template, numbers), fontsize=size * s, **kw)

    def bar(x, y, w, h, color):
        ax.add_patch(Rectangle((x, y), w, h, facecolor=color, edgecolor="none"))

    text(640, 16, _TITLE, 24, ha="center", weight="bold")
    text(640, 58, _SUBTITLE, 14, ha="center")
    sizes = numbers["network"]["sizes"]
    for name, (x0, x1, color) in _COLUMNS.items():
        mid, (title, label, note, note_color) = (x0 + x1) / 2, _HEADS[name]
        text(mid, 96, title, 20, ha="center", weight="bold", color=color)
        text(mid, 134, label, 12, ha="center", color=color)
        ends = [(x0 + 20, 164), (x1 - 20, 164)][:: 1 if name == "forward" else -1]
        arrow = FancyArrowPatch(*ends, arrowstyle="-|>", mutation_scale=28 * s, lw=4 * s)
        arrow.set_color(color)
        ax.add_patch(arrow)
        units = []  # at most five units drawn per layer, its width written below
        for i, x in enumerate(np.linspace(x0 + 40, x1 - 40, len(sizes))):
            shown = min(sizes[i], 5)
            units.append([(x, 245 + 26 * (j - (shown - 1) / 2)) for j in range(shown)])
            text(x, 310, f"{{size_{i}}}", 11, ha="center")
        for left, right in itertools.pairwise(units):
            for a, b in itertools.product(left, right):
                ax.plot(*zip(a, b, strict=True), color=color, alpha=0.35, lw=0.8 * s)
        for i, layer in enumerate(units):
            kept = name == "forward" and i < len(units) - 1  # X and the hidden activations
            for xy in layer:
                face = GREEN if kept else "#FFFFFF"
                ax.add_patch(Circle(xy, 9, facecolor=face, edgecolor=color, lw=1.5 * s, zorder=3))
        text(mid, 334, note, 11, ha="center", color=note_color)

    y = top
    most_flops = max(numbers["flops"]["forward"], numbers["flops"]["backward"])
    memory = numbers["memory"]
    for k, ((aspect, fwd, bwd), h) in enumerate(zip(rows, heights, strict=True)):
        if k % 2 == 0:  # bands guide the eye across a row
            ax.add_patch(Rectangle((8, y), 1264, h, facecolor="#000000", alpha=0.05, lw=0))
        text(24, y + _PAD, aspect, 13, weight="bold")
        lines = max(c.count("\n") + 1 for c in (fwd, bwd)) if fwd else 0
        below = y + _PAD + _LINE * lines + 6  # bars start under the longer cell
        for name, cell in (("forward", fwd), ("backward", bwd)):
            x0, _, color = _COLUMNS[name]
            if cell is None:
                for i, (tex, _) in enumerate(numbers["equations"][name]):
                    ax.text(x0, y + _PAD + 32 * i, tex, fontsize=15 * s, va="top",
                            color="#000000", gid=f"eq:{name}:{i}")  # fmt: skip
                continue
            text(x0, y + _PAD, cell)
            if "{flops_" in cell:  # one scale for both passes
                bar(x0, below, 380 * numbers["flops"][name] / most_flops, 14, color)
            if "{bytes_kept}" in cell:  # parameters (blue) + cache (green), one scale
                scale = 300 / max(memory["training"], memory["inference"])
                params = memory["parameters"] * scale
                for j, kind in enumerate(("training", "inference")):
                    yy = below + 26 * j
                    text(x0, yy, kind, 11)
                    bar(x0 + 80, yy, params, 18, BLUE)
                    bar(x0 + 80 + params, yy, memory[f"{kind}_cache"] * scale, 18, GREEN)
                    text(x0 + 88 + memory[kind] * scale, yy, f"{{memory_{kind}}}", 11)
                text(24, y + _PAD + 28, "parameters", 11, color=BLUE)
                text(24, y + _PAD + 48, "cache", 11, color=GREEN)
        y += h
    text(24, y + 12, _FOOTER, 11)
    return fig


def save_infographic(fig, stem) -> tuple[Path, Path]:
    """Write ``fig`` to ``<stem>.svg`` (text as paths: needs no font) and ``<stem>.png``.

    Both files are byte-reproducible: the SVG's ids come from a fixed hash salt, and neither
    file records a date or the software that wrote it. Returns the two paths.
    """
    import matplotlib

    svg, png = Path(f"{stem}.svg"), Path(f"{stem}.png")
    rc = {"svg.hashsalt": "nnlab-infographic", "svg.fonttype": "path"}
    with matplotlib.rc_context(rc):
        fig.savefig(svg, format="svg", dpi=fig.dpi, metadata={"Date": None, "Creator": None})
        fig.savefig(png, format="png", dpi=fig.dpi, metadata={"Software": None})
    return svg, png
