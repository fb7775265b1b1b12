"""The infographic's figure (:func:`draw_infographic`), laid out on an A3 page.

Coordinates are points of the A3 page, 842 wide and 1191 high, y down; the figure scales them
(and every font size and line width) to the size asked for. Read top to bottom: the network
drawn once, its forward lane above and its backward lane below; the memory a step holds; the
cost of each pass; when each pass runs; what measured the numbers.
"""

from __future__ import annotations

import string

from .._validation import check_positive_int
from ..viz import pyplot

BLUE, VERMILLION, GREEN = "#0072B2", "#D55E00", "#009E73"  # Okabe-Ito: colour-blind safe
SKY, PURPLE, BLACK, WHITE = "#56B4E9", "#CC79A7", "#000000", "#FFFFFF"
PALETTE = (BLUE, VERMILLION, GREEN, SKY, PURPLE, BLACK, WHITE)
WIDTH, HEIGHT = 842, 1191  # points: A3, 297 x 420 mm
LEFT, RIGHT = 28, 814
DISPLAY_PX = 760  # the page shows the figure this wide
SEGMENTS = {  # memory bar segments: (entry of numbers["memory"]["modes"][mode], colour)
    "parameters": SKY, "gradients": VERMILLION, "activations": GREEN, "optimizer_state": PURPLE,
}  # fmt: skip

# Words shared with the page's table ("\n" breaks a line in the figure only).
RUNS_IN = {
    "runs_forward": "every prediction (inference) and every training step",
    "runs_backward": "every training step; also for a gradient with respect to the input"
    " (saliency\nmaps, adversarial examples, input optimisation), which computes ∂L/∂X and"
    " changes no weight",
}
RULE = (
    "backward ≈ twice the forward's matrix products:\nper layer, ∂L/∂W[l] = A[l−1]ᵀ δ[l] and"
    "\n∂L/∂A[l−1] = δ[l] W[l]ᵀ each cost one product\nas large as the forward's A[l−1] W[l]."
    " Training\nskips the first layer's ∂L/∂X: its ratio is lower,\nthe more so the larger the"
    " first layer."
)
_MODES = {  # memory bar: label, second line
    "inference": ("inference pass", "kept: {bytes_kept_inference}"),
    "sgd": ("training, SGD", "state: {state_sgd}"),
    "momentum": ("training, momentum", "velocity: {state_momentum}"),
    "adam": ("training, Adam", "moments: {state_adam}"),
}


def min_text_px(fig, display_px: int = DISPLAY_PX) -> float:
    """The smallest text of ``fig``, in pixels, when the figure is shown ``display_px`` wide."""
    from matplotlib.text import Text

    width_px = fig.get_figwidth() * fig.dpi
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text()]
    return min(sizes) * (display_px / width_px) * fig.dpi / 72


class _Drawing:
    def __init__(self, fig, ax, numbers, scale):
        self.fig, self.ax, self.numbers, self.s = fig, ax, numbers, scale
        self.printed = numbers["printed"]
        timed = numbers.get("timing") is not None
        self.words = {**self.printed, "timed": ", nl.time_passes (median times)" if timed else ""}
        self.renderer = fig.canvas.get_renderer()

    def text(self, x, y, template, size=14, line=None, **kw):
        """A text, one artist per line (``"\n"``, ``line`` points apart), each with the gid
        ``"num:<keys>"`` of the printed numbers it shows; returns the last line."""
        for i, part in enumerate(template.split("\n")):
            fields = [f for _, f, _, _ in string.Formatter().parse(part) if f]
            keys = [f for f in fields if f in self.printed]
            gid = "num:" + ",".join(keys) if keys else None
            args = {"va": "top", "color": BLACK, "gid": gid, "fontsize": size * self.s, **kw}
            y_line = y + (line or 1.35 * size) * i
            t = self.ax.text(x, y_line, part.format(**self.words), **args)
        return t

    def eq(self, x, y, name, i, size=14, **kw):
        """Equation ``i`` of ``numbers["equations"][name]`` (gid ``"eq:<name>:<i>"``)."""
        tex = self.numbers["equations"][name][i]
        kw = {"va": "top", "color": BLACK, **kw}
        return self.ax.text(x, y, tex, fontsize=size * self.s, gid=f"eq:{name}:{i}", **kw)

    def right(self, artist, gap=0.0):
        """The x (layout points) just right of a drawn text, plus ``gap``."""
        box = artist.get_window_extent(self.renderer)
        return self.ax.transData.inverted().transform((box.x1, box.y0))[0] + gap

    def row(self, x, y, pieces, gap=10):
        """Texts one after the other on a line: each piece a template or ``(template, kw)``,
        or ``("eq", name, i)``."""
        for piece in pieces:
            if piece[0] == "eq":
                t = self.eq(x, y, piece[1], piece[2])
            else:
                template, kw = (piece, {}) if isinstance(piece, str) else piece
                t = self.text(x, y, template, **kw)
            x = self.right(t, gap)
        return x

    def box(self, cx, top, w, h, edge, face=WHITE, alpha=1.0, gid=None, dashed=False):
        """A rounded box centred on ``cx``: a light fill (``alpha``) under a solid edge."""
        from matplotlib.colors import to_rgba
        from matplotlib.patches import FancyBboxPatch

        style = {"lw": 1.6 * self.s, "ls": "--" if dashed else "-", "gid": gid}
        face = to_rgba(face, alpha)
        rounded = "round,pad=0,rounding_size=5"
        patch = FancyBboxPatch((cx - w / 2, top), w, h, rounded, ec=edge, fc=face, **style)
        return self.ax.add_patch(patch)

    def arrow(self, points, color, gid=None, dashed=False, lw=1.8):
        """An arrow along the polyline ``points``, head at the last point."""
        from matplotlib.patches import FancyArrowPatch
        from matplotlib.path import Path

        style = {"lw": lw * self.s, "ls": "--" if dashed else "-", "gid": gid, "zorder": 3}
        head = {"arrowstyle": "-|>", "mutation_scale": 15 * self.s}
        return self.ax.add_patch(FancyArrowPatch(path=Path(points), color=color, **head, **style))

    def rect(self, x, y, w, h, color, gid=None):
        from matplotlib.patches import Rectangle

        patch = Rectangle((x, y), w, h, fc=color, ec=WHITE, lw=self.s, gid=gid)
        return self.ax.add_patch(patch)

    def rule(self, y):
        self.ax.plot([LEFT, RIGHT], [y, y], color=BLACK, lw=0.8 * self.s, alpha=0.3, gid="rule")

    # -- the sections, top to bottom ------------------------------------------------------
    def title(self):
        self.text(
            WIDTH / 2, 16, "Forward propagation vs backpropagation", 26, ha="center", weight="bold"
        )
        self.text(
            WIDTH / 2,
            54,
            "one training step of the {network} {activation} network on a"
            " batch of N = {batch_size} ({dtype})",
            15,
            ha="center",
        )

    def network(self, top=88):
        """The network drawn once: forward lane, layer blocks, backward lane, update."""
        m = len(self.numbers["layers"])
        w = (RIGHT - 31 - 140) / (m + 0.5)  # a column per layer, half a column for the loss
        g = {"m": m, "w": w, "b": [140 + i * w for i in range(m + 1)]}  # b[l]: where A[l] sits
        g["c"] = [None] + [g["b"][i - 1] + w / 2 for i in range(1, m + 1)]  # Z[l], δ[l]
        g["loss"] = g["b"][m] + w / 2
        g.update(node=top + 78, block=top + 136, grad=top + 236, delta=top + 306)
        self._forward_lane(top, g)
        self._blocks(g)
        self._backward_lane(g)
        y = g["delta"] + 62
        t = self.text(LEFT, y, "←  Backward pass", 18, weight="bold", color=VERMILLION)
        self.text(self.right(t, 14), y + 4, "right to left, from the loss: {flops_backward}; a"
                  " gradient per parameter ({bytes_grads})")  # fmt: skip
        self.row(LEFT, y + 30, [("eq", "backward", 0), ("eq", "backward", 1)], gap=26)
        self.row(LEFT, y + 52, [("eq", "backward", 2), ("eq", "backward", 3)], gap=26)
        t = self.text(LEFT, y + 80, "Update", 16, weight="bold")
        pieces = [("eq", "update", 0), ("eq", "update", 1), "(SGD; momentum, Adam: below)"]
        self.row(self.right(t, 14), y + 82, pieces, gap=26)
        return y + 102

    def _forward_lane(self, top, g):
        t = self.text(LEFT, top, "Forward pass  →", 18, weight="bold", color=BLUE)
        self.text(self.right(t, 14), top + 4, "left to right: {flops_forward}; in training it"
                  " keeps the green arrays ({bytes_kept})")  # fmt: skip
        self.row(LEFT, top + 30, [("eq", "forward", i) for i in range(4)], gap=26)
        b, c, m, y = g["b"], g["c"], g["m"], g["node"]
        nodes = [("X", b[0], 0, "cache:0")]  # label, x, width index of its shape, gid
        for i in range(1, m + 1):
            nodes.append((f"Z[{{layer_{i}}}]", c[i], None, f"fwd:Z{i}"))
            kept = (f"A[{{layer_{i}}}]", b[i], i, f"cache:{i}")
            nodes.append(kept if i < m else ("Ŷ", b[i], i, "fwd:Y"))
        nodes.append(("L", g["loss"], None, "fwd:L"))
        for k, (label, x, size, gid) in enumerate(nodes):
            kept = gid.startswith("cache:")
            self.box(x, y, 62, 30, GREEN if kept else BLUE, GREEN if kept else WHITE, 0.25, gid)
            self.text(x, y + 15, label, 15, ha="center", va="center")
            if size is not None:
                self.text(x, y - 22, f"{{batch_size}} × {{size_{size}}}", ha="center")
            if k:
                self.arrow([(nodes[k - 1][1] + 31, y + 15), (x - 31, y + 15)], BLUE)
        legend = "green: kept\nby forward,\nread by\nbackward"
        self.text(LEFT, g["block"] - 4, legend, color=GREEN, weight="bold")

    def _blocks(self, g):
        for i in range(1, g["m"] + 1):
            x, y = g["c"][i], g["block"]
            self.box(x, y, g["w"] - 24, 72, SKY, SKY, 0.3, gid=f"layer:{i}")
            kind = "{activation}" if i < g["m"] else "linear"
            self.text(x, y + 7, f"layer {{layer_{i}}} · {kind}", ha="center", weight="bold")
            shape = f"W[{{layer_{i}}}]: {{size_{i - 1}}} × {{size_{i}}}"
            self.text(x, y + 28, shape, ha="center")
            self.text(x, y + 48, f"{{params_{i}}} parameters", ha="center")

    def _backward_lane(self, g):
        b, c, m, y_grad, y_delta = g["b"], g["c"], g["m"], g["grad"], g["delta"]
        for i in range(m, 0, -1):
            x, prev = c[i], "X" if i == 1 else f"A[{{layer_{i - 1}}}]"
            self.box(x, y_grad, 112, 46, VERMILLION, VERMILLION, 0.1, gid=f"grad:{i}")
            self.text(x, y_grad + 5, f"∂L/∂W[{{layer_{i}}}]", 15, ha="center", weight="bold")
            self.text(x, y_grad + 25, f"= {prev}ᵀ δ[{{layer_{i}}}]", ha="center")
            self.box(x, y_delta, 150, 46, VERMILLION, VERMILLION, 0.1, gid=f"delta:{i}")
            if i == m:
                lines = f"δ[{{layer_{i}}}] = (Ŷ − Y)/N\nthe starting delta"
            else:
                lines = f"δ[{{layer_{i}}}] = (δ[{{layer_{i + 1}}}] W[{{layer_{i + 1}}}]ᵀ)"
                lines += f"\n⊙ f′(Z[{{layer_{i}}}])"
            self.text(x, y_delta + 5, lines, ha="center", line=20)
            # the activation A[l-1] kept by the forward pass, down to the gradient that reads it
            path = [(b[i - 1], g["node"] + 30), (b[i - 1], y_grad + 23), (x - 56, y_grad + 23)]
            self.arrow(path, GREEN, gid=f"kept:{i}", lw=2.2)
            self.arrow([(x, y_delta), (x, y_grad + 46)], VERMILLION)
            self.arrow([(x, y_grad), (x, g["block"] + 72)], PURPLE, gid=f"update:{i}")
            if i < m:
                self.arrow([(c[i + 1] - 75, y_delta + 23), (x + 75, y_delta + 23)], VERMILLION)
        start = [(g["loss"], g["node"] + 30), (g["loss"], y_delta + 23), (c[m] + 75, y_delta + 23)]
        self.arrow(start, VERMILLION, gid="start")
        self.box(83, y_delta, 110, 46, VERMILLION, WHITE, gid="input-grad", dashed=True)
        self.text(83, y_delta + 5, "∂L/∂X\nnot in training", ha="center", line=20)
        self.arrow([(c[1] - 75, y_delta + 23), (138, y_delta + 23)], VERMILLION, dashed=True)
        self.text(c[1] + 6, g["block"] + 77, "update")

    def memory(self, top):
        self.rule(top - 8)
        t = self.text(LEFT, top, "Memory held: inference pass vs training step", 18, weight="bold")
        self.text(self.right(t, 14), top + 4, "only the kept activations grow with N")
        names = {"parameters": "parameters {bytes_params}", "gradients": "gradients {bytes_grads}",
                 "activations": "kept activations {bytes_kept}",
                 "optimizer_state": "optimizer state"}  # fmt: skip
        x = LEFT
        for name, colour in SEGMENTS.items():
            self.rect(x, top + 33, 14, 14, colour)
            x = self.right(self.text(x + 20, top + 32, names[name]), 22)
        memory = self.numbers["memory"]
        x0, longest = 200, 540
        scale = longest / max(memory["totals"].values())
        for k, (mode, (label, second)) in enumerate(_MODES.items()):
            y = top + 64 + 42 * k
            self.text(LEFT, y, label, weight="bold")
            self.text(LEFT, y + 19, second)
            x = x0
            for name, colour in SEGMENTS.items():
                width = memory["modes"][mode][name] * scale
                if width > 0:
                    self.rect(x, y + 2, width, 32, colour, gid=f"mem:{mode}:{name}")
                x += width
            self.text(x + 8, y + 8, f"{{total_{mode}}}", weight="bold")
        return top + 64 + 42 * len(_MODES)

    def cost(self, top):
        self.rule(top - 8)
        self.text(LEFT, top, "Cost of each pass, per batch", 18, weight="bold")
        self.text(LEFT, top + 30, "this network, counted by nl.flops", weight="bold")
        flops = self.numbers["flops"]
        scale = 200 / max(flops["forward"], flops["backward"])
        for k, (name, colour) in enumerate((("forward", BLUE), ("backward", VERMILLION))):
            y = top + 54 + 26 * k
            self.text(LEFT, y, name)
            self.rect(LEFT + 80, y + 1, flops[name] * scale, 18, colour)
            self.text(LEFT + 88 + flops[name] * scale, y, f"{{flops_{name}}}")
        y = top + 106
        self.text(
            LEFT,
            y,
            "backward = {flops_ratio} forward: training skips\nthe first"
            " layer's ∂L/∂X (with it: {flops_ratio_full})",
        )
        if self.numbers.get("timing") is not None:
            self.text(
                LEFT,
                y + 44,
                "time: backward = {time_ratio} forward\n({time_backward} vs"
                " {time_forward}, medians of {repeats} runs)",
            )
        x = 440
        self.text(x, top + 30, "the rule, for any dense network", weight="bold")
        self.text(x, top + 52, RULE)
        return top + (186 if self.numbers.get("timing") is not None else 170)

    def runs(self, top):
        self.rule(top - 8)
        self.text(LEFT, top, "When each runs", 18, weight="bold")
        labels = [
            self.text(LEFT, top + 30, "Forward:", weight="bold", color=BLUE),
            self.text(LEFT, top + 52, "Backward:", weight="bold", color=VERMILLION),
        ]
        x = max(self.right(t, 8) for t in labels)
        self.text(x, top + 30, RUNS_IN["runs_forward"])
        self.text(x, top + 52, RUNS_IN["runs_backward"])
        return top + 96

    def footer(self, top):
        self.rule(top - 8)
        self.text(
            LEFT,
            top,
            "Measured by nnlab on this network, {n_params} parameters: nl.flops"
            " (FLOPs), nl.cached_bytes (kept activations),\n.nbytes of the parameters,"
            " gradients and optimizer state after one step{timed}.",
        )


def draw_infographic(numbers: dict, *, width_px: int = WIDTH, dpi: int = 72):
    """Draw the infographic of :func:`~nnlab.explore.infographic_numbers`: one A3-shaped
    figure, ``width_px`` wide (default: A3 at 72 dpi, 297 x 420 mm).

    The network drawn once (a labelled block per layer), its forward lane above (blue, left to
    right: the arrays, the kept ones green) and its backward lane below (vermillion, right to
    left: the starting delta, a delta and a weight gradient per layer), a green arrow from each
    kept activation down to the weight gradient that reads it (gid ``"kept:<l>"``), purple
    update arrows; then stacked memory bars per mode, the cost of each pass beside the general
    rule, when each pass runs, and what measured the numbers. A text showing numbers has gid
    ``"num:<keys>"`` (the ``numbers["printed"]`` keys it uses); an equation has gid
    ``"eq:<name>:<index>"``. Shown :data:`DISPLAY_PX` wide, no text is below 12 px
    (:func:`min_text_px`).
    """
    width_px = check_positive_int(width_px, "width_px", owner="draw_infographic")
    dpi = check_positive_int(dpi, "dpi", owner="draw_infographic")
    plt = pyplot()
    inches = width_px / dpi
    fig = plt.figure(figsize=(inches, inches * HEIGHT / WIDTH), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=(0, WIDTH), ylim=(HEIGHT, 0), xticks=[], yticks=[])
    ax.set_axis_off()
    d = _Drawing(fig, ax, numbers, inches * 72 / WIDTH)
    d.title()
    y = d.network()
    y = d.memory(y + 18)
    y = d.cost(y + 18)
    y = d.runs(y + 18)
    d.footer(y + 18)
    return fig
