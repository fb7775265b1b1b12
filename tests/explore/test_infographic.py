"""The infographic: its numbers against nnlab's counters and independent formulas, and a figure
whose every number comes from those numbers (no typed constants), readable at the book's
width (no text below 12 px), colour-blind safe, and saved as SVG, PNG and A3 PDF byte for byte
the same each time."""

import doctest
import itertools
import re
import struct
import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path
from matplotlib.text import Text

import nnlab as nl
from nnlab.explore import _infographic_draw, infographic
from nnlab.explore.infographic import (
    BLUE,
    EQUATIONS,
    GREEN,
    MODES,
    PALETTE,
    PRINTED,
    PURPLE,
    SKY,
    VERMILLION,
    draw_infographic,
    fmt,
    infographic_alt,
    infographic_numbers,
    infographic_table,
    min_text_px,
    save_infographic,
)

SIZES, N = (20, 16, 16, 4), 8
M = len(SIZES) - 1  # dense layers
KEY_NUMBERS = ["flops_forward", "flops_backward", "flops_ratio", "flops_ratio_full", "bytes_kept"]
KEY_NUMBERS += ["bytes_params", "bytes_grads", "state_momentum", "state_adam", "total_adam"]
KEY_NUMBERS += ["total_inference", "network", "batch_size", "dtype"]


@pytest.fixture(scope="module")
def numbers():
    return infographic_numbers(SIZES, N, time_it=False)


@pytest.fixture(scope="module")
def timed():
    return infographic_numbers(SIZES, N, "tanh", rng=1, time_it=True)


@pytest.fixture
def fig(numbers):  # per test: the package's conftest closes every figure after each test
    figure = draw_infographic(numbers)
    figure.canvas.draw()
    return figure


@pytest.fixture
def timed_fig(timed):
    figure = draw_infographic(timed)
    figure.canvas.draw()
    return figure


def totals(sizes, n, activation="relu", input_grad=False):
    rows = nl.flops(nl.mlp(list(sizes), activation, rng=0), n, input_grad=input_grad)
    return sum(r["forward"] for r in rows), sum(r["backward"] for r in rows)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
@pytest.mark.parametrize("sizes", [SIZES, (3, 4, 2), (5, 2)])
def test_flops_are_nnlab_flops_summed(sizes, activation):
    got = infographic_numbers(sizes, N, activation, time_it=False)["flops"]
    fwd, bwd = totals(sizes, N, activation)
    _, bwd_full = totals(sizes, N, activation, input_grad=True)
    assert (got["forward"], got["backward"], got["backward_full"]) == (fwd, bwd, bwd_full)
    assert got["ratio"] == bwd / fwd and got["ratio_full"] == bwd_full / fwd


def test_flops_by_hand_for_a_tiny_network():
    # 3 -> 4 -> 2 with ReLU, batch 5: products 2 N n_{l-1} n_l, biases N n_l, ReLU N n_1
    n, products = 5, 2 * 5 * (3 * 4 + 4 * 2)
    f = infographic_numbers((3, 4, 2), n, time_it=False)["flops"]
    assert f["forward"] == products + n * (4 + 2) + n * 4
    # backward: dW (the same products), db, the second layer's dX, ReLU's derivative
    assert f["backward"] == products + n * (4 + 2) + 2 * n * 4 * 2 + n * 4
    assert f["backward_full"] == f["backward"] + 2 * n * 3 * 4  # plus the first layer's dX


def test_backward_flop_ratio_of_the_book_network_from_its_layer_sizes():
    sizes, n = (784, 256, 256, 10), 64
    got = infographic_numbers(sizes, n, time_it=False)
    products = sum(a * b for a, b in itertools.pairwise(sizes))
    small = n * sum(sizes[1:]) + n * sum(sizes[1:-1])  # biases, ReLU (forward or backward)
    forward = 2 * n * products + small
    backward = 2 * n * (2 * products - sizes[0] * sizes[1]) + small  # dW and dX, no first dX
    assert got["flops"]["ratio"] == backward / forward
    assert got["flops"]["ratio_full"] == (4 * n * products + small) / forward
    assert got["printed"]["flops_ratio"] == fmt(backward / forward, "×")
    # the rule's condition: every dX computed, backward is twice the forward's products
    assert abs(got["flops"]["ratio_full"] - 2) < 0.01


@pytest.mark.parametrize("sizes", [SIZES, (3, 4, 2), (5, 2), (7, 3, 5, 6, 2)])
def test_memory_segments_are_their_independent_computation(sizes):
    m = infographic_numbers(sizes, N, time_it=False)["memory"]
    n_params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    params = 8 * n_params  # float64, the dtype of nl.mlp
    assert m["parameters"] == m["gradients"] == params
    assert m["training_cache"] == 8 * N * (sizes[0] + sum(sizes[1:-1]))  # eq. kd-memory
    assert m["inference_cache"] == 0
    assert m["optimizer_state"] == {"sgd": 0, "momentum": params, "adam": 2 * params}
    inference = {"parameters": params, "gradients": 0, "activations": 0, "optimizer_state": 0}
    assert m["modes"]["inference"] == inference
    for mode, state in (("sgd", 0), ("momentum", params), ("adam", 2 * params)):
        segments = dict(parameters=params, gradients=params, activations=m["training_cache"])
        assert m["modes"][mode] == {**segments, "optimizer_state": state}
    assert m["totals"] == {mode: sum(s.values()) for mode, s in m["modes"].items()}
    assert tuple(m["modes"]) == MODES


def test_memory_matches_arrays_built_here(numbers):
    net = nl.mlp(list(SIZES), rng=0)
    assert numbers["memory"]["parameters"] == net.flat_params.nbytes
    assert numbers["memory"]["gradients"] == net.flat_grads.nbytes
    net.forward(np.ones((N, SIZES[0])))
    assert numbers["memory"]["training_cache"] == nl.cached_bytes(net)
    adam = nl.Adam(net.parameters())
    adam.step()
    assert numbers["memory"]["optimizer_state"]["adam"] == sum(
        v.nbytes for v in adam.state_vectors().values()
    )


def test_network_entries_and_determinism(numbers):
    net = numbers["network"]
    assert net == {
        "sizes": SIZES,
        "activation": "relu",
        "dtype": "float64",
        "batch_size": N,
        "n_params": nl.mlp(list(SIZES), rng=0).n_params,
    }
    assert [layer["params"] for layer in numbers["layers"]] == [
        (a + 1) * b for a, b in itertools.pairwise(SIZES)
    ]
    assert numbers["equations"] is EQUATIONS
    again = infographic_numbers(list(SIZES), N, rng=np.random.default_rng(0), time_it=False)
    assert again["printed"] == numbers["printed"]
    assert again["memory"] == numbers["memory"] and again["flops"] == numbers["flops"]


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (34472576, "FLOP", "34.5 MFLOP"),
        (663552, "B", "664 kB"),
        (2154576, "B", "2.15 MB"),
        (512, "B", "512 B"),
        (999.7, "B", "1.00 kB"),
        (0, "B", "0 B"),
        (0.00123, "s", "1.23 ms"),
        (8.5e-7, "s", "850 ns"),
        (12.0, "s", "12.0 s"),
        (269322, "", "269,322"),
        (1.2528, "×", "1.25×"),
        ((784, 256, 10), "", "784-256-10"),
        ("float64", "", "float64"),
    ],
)
def test_fmt(value, unit, text):
    assert fmt(value, unit) == text


def test_printed_values_are_fmt_of_the_measured_ones(numbers, timed):
    for nums in (numbers, timed):
        expected = {}
        for key, (path, unit) in PRINTED.items():
            value = nums
            for part in path:
                value = None if value is None else value[part]
            if value is not None:
                expected[key] = fmt(value, unit)
        expected.update({f"size_{i}": fmt(s) for i, s in enumerate(nums["network"]["sizes"])})
        for i, layer in enumerate(nums["layers"], start=1):
            expected.update({f"layer_{i}": str(i), f"params_{i}": fmt(layer["params"])})
        assert nums["printed"] == expected
    assert not any(k.startswith("time") or k == "repeats" for k in numbers["printed"])
    assert {"time_forward", "time_backward", "time_ratio", "repeats"} <= set(timed["printed"])


def test_timing_is_kept_apart_and_only_when_asked(numbers, timed):
    assert numbers["timing"] is None
    t = timed["timing"]
    assert t["forward"] > 0 and t["backward"] > 0  # measured: never compared with constants
    assert t["ratio"] == t["backward"] / t["forward"]
    assert t["repeats"] == 30 and isinstance(t["one_blas_thread"], bool)


def texts(figure):
    return [t for t in figure.findobj(Text) if t.get_text()]


def by_gid(figure, kind=object):
    return {a.get_gid(): a for a in figure.findobj(kind) if a.get_gid()}


INDEX_OFFSETS = re.compile(r"l[−+]1")  # A[l−1], W[l+1] in the equations and the rule


def test_every_number_drawn_comes_from_the_numbers(numbers, timed, fig, timed_fig):
    for nums, figure in ((numbers, fig), (timed, timed_fig)):
        used, eqs = set(), set()
        for t in texts(figure):
            s, gid = t.get_text(), t.get_gid() or ""
            if gid.startswith("eq:"):
                _, name, i = gid.split(":")
                assert s == nums["equations"][name][int(i)]
                eqs.add((name, int(i)))
                continue
            keys = gid.removeprefix("num:").split(",") if gid.startswith("num:") else []
            for key in sorted(keys, key=lambda k: -len(nums["printed"][k])):
                assert nums["printed"][key] in s, (key, s)
                s = s.replace(nums["printed"][key], "", 1)  # one field, one occurrence
            assert not re.search(r"\d", INDEX_OFFSETS.sub("", s)), f"typed: {t.get_text()!r}"
            used.update(keys)
        assert used == set(nums["printed"])  # every printed number is drawn
        assert eqs == {(name, i) for name, e in EQUATIONS.items() for i in range(len(e))}


def test_readable_at_the_book_width(fig, timed_fig):
    for figure in (fig, timed_fig):
        width, height = figure.canvas.get_width_height()
        assert figure.get_size_inches() * 25.4 == pytest.approx((297, 420), abs=1)  # A3
        px = [t.get_fontsize() * (760 / width) * figure.dpi / 72 for t in texts(figure)]
        assert min(px) >= 12 and min_text_px(figure) == pytest.approx(min(px))
        renderer = figure.canvas.get_renderer()
        boxes = [t.get_window_extent(renderer) for t in texts(figure)]
        for box in boxes:  # inside the figure, and no two texts overlap
            assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b), (a, b)
        rules = [line for line in figure.findobj(Line2D) if line.get_gid() == "rule"]
        assert len(rules) == 4
        for line in rules:  # the lines between sections cross no text
            y = line.get_transform().transform(line.get_xydata())[0, 1]
            assert not any(box.y0 <= y <= box.y1 for box in boxes)


def test_scales_to_other_sizes(numbers, fig):
    def smallest(figure):
        return min(t.get_fontsize() for t in texts(figure))

    sharp = draw_infographic(numbers, width_px=1684, dpi=144)  # the same layout, finer
    assert sharp.canvas.get_width_height()[0] == 1684 and smallest(sharp) == smallest(fig)
    assert min_text_px(sharp) == pytest.approx(min_text_px(fig))
    big = draw_infographic(numbers, width_px=1684, dpi=72)  # twice as large
    assert big.canvas.get_width_height()[0] == 1684 and smallest(big) == 2 * smallest(fig)


def colours(figure):
    for artist in figure.findobj():
        if isinstance(artist, Text):
            yield artist.get_color()
        elif isinstance(artist, Patch):
            for c in (artist.get_facecolor(), artist.get_edgecolor()):
                if c[3] > 0:  # "none" draws nothing
                    yield c
        elif isinstance(artist, Line2D):
            yield artist.get_color()


def test_colours_come_from_the_okabe_ito_palette(fig):
    used = {to_hex(c) for c in colours(fig)}
    assert used <= {c.lower() for c in PALETTE}
    assert {c.lower() for c in (BLUE, VERMILLION, GREEN, SKY, PURPLE)} <= used


def test_the_network_is_drawn_once_as_labelled_blocks(numbers, fig):
    boxes = by_gid(fig, FancyBboxPatch)
    assert sorted(g for g in boxes if g.startswith("layer:")) == [f"layer:{i}" for i in (1, 2, 3)]
    labels = [t.get_text() for t in texts(fig)]
    p = numbers["printed"]
    for i in range(1, M + 1):
        assert f"W[{i}]: {p[f'size_{i - 1}']} × {p[f'size_{i}']}" in labels
        assert f"{p[f'params_{i}']} parameters" in labels
    y = {t.get_text(): t.get_window_extent().y0 for t in texts(fig)}  # display: y up
    assert y["Forward pass  →"] > y["layer 1 · relu"] > y["←  Backward pass"]
    heads = {t.get_text(): to_hex(t.get_color()) for t in texts(fig)}
    assert heads["Forward pass  →"] == BLUE.lower()
    assert heads["←  Backward pass"] == VERMILLION.lower()


def test_the_starting_delta_and_the_update_rule_are_drawn(fig):
    labels = [t.get_text() for t in texts(fig)]
    assert f"δ[{M}] = (Ŷ − Y)/N" in labels and "the starting delta" in labels
    assert "δ[m] = (Ŷ − Y)/N" in labels  # and as the general rule
    assert "W[l] ← W[l] − η ∂L/∂W[l]" in labels and "b[l] ← b[l] − η ∂L/∂b[l]" in labels
    for i in range(1, M):
        assert f"δ[{i}] = (δ[{i + 1}] W[{i + 1}]ᵀ)" in labels
    assert "= Xᵀ δ[1]" in labels and all(f"= A[{i - 1}]ᵀ δ[{i}]" in labels for i in (2, 3))


def shaft(arrow):
    # the path from the tail to the tip, then the head: (tail, tip) in layout points
    path = arrow.get_path()
    return path.vertices[0], path.vertices[np.flatnonzero(path.codes == Path.MOVETO)[1] - 1]


def test_one_arrow_per_layer_from_each_kept_activation_to_its_weight_gradient(fig):
    arrows, boxes = by_gid(fig, FancyArrowPatch), by_gid(fig, FancyBboxPatch)
    kept = sorted(g for g in arrows if g.startswith("kept:"))
    assert kept == [f"kept:{i}" for i in range(1, M + 1)]  # one per layer
    cached = sorted(g for g in boxes if g.startswith("cache:"))
    assert cached == [f"cache:{i}" for i in range(M)]  # X and the hidden activations
    for i in range(1, M + 1):
        arrow, src, dst = arrows[f"kept:{i}"], boxes[f"cache:{i - 1}"], boxes[f"grad:{i}"]
        assert to_hex(arrow.get_edgecolor()) == to_hex(src.get_edgecolor()) == GREEN.lower()
        tail, tip = shaft(arrow)
        assert src.get_x() <= tail[0] <= src.get_x() + src.get_width()
        assert tail[1] == pytest.approx(src.get_y() + src.get_height())  # leaves its bottom
        assert tip[0] == pytest.approx(dst.get_x(), abs=4)  # its head (stroke) at the box
        assert dst.get_y() < tip[1] < dst.get_y() + dst.get_height()


def test_arrows_point_forward_back_and_up(fig):
    for arrow in fig.findobj(FancyArrowPatch):
        (x0, y0), (x1, y1) = shaft(arrow)
        colour = to_hex(arrow.get_edgecolor())
        if colour == BLUE.lower():  # forward lane: left to right
            assert x1 > x0 and y1 == y0
        elif colour == PURPLE.lower():  # the update: from the gradient up to the layer
            assert y1 < y0 and x1 == x0
        elif colour == VERMILLION.lower():  # backward: leftwards, or up into a gradient
            assert x1 < x0 or (y1 < y0 and x1 == x0)
    gids = by_gid(fig, FancyArrowPatch)
    assert sum(g.startswith("update:") for g in gids) == M and "start" in gids


def test_table_and_alt_text_state_the_numbers(numbers, timed):
    for nums in (numbers, timed):
        table = infographic_table(nums)
        aspects = [row[0] for row in table]
        assert aspects[:5] == [
            "Direction",
            "Computes",
            "Stores",
            "Memory held",
            "FLOPs per batch",
        ]
        assert ("Time" in aspects) == (nums is timed) and aspects[-1] == "Runs in"
        assert all(len(row) == 3 and "\n" not in "".join(row) for row in table)
        alt = infographic_alt(nums)
        for key in KEY_NUMBERS:
            assert nums["printed"][key] in alt
        assert ("time_passes" in alt) == (nums is timed)
        assert all(eq in alt for eqs in EQUATIONS.values() for eq in eqs)
        assert "saliency maps" in alt and "adversarial examples" in alt
    rows = {a: (f, b) for a, f, b in infographic_table(numbers)}
    p = numbers["printed"]
    assert f"{p['flops_backward']} = {p['flops_ratio']} the forward" in rows["FLOPs per batch"][1]
    assert p["state_adam"] in rows["Memory held"][1]


def png_size(path):
    return struct.unpack(">II", path.read_bytes()[16:24])


def pdf_page_mm(path):
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", path.read_bytes())
    return float(box[1]) * 25.4 / 72, float(box[2]) * 25.4 / 72


def test_saved_files_are_valid_and_reproducible(numbers, fig, tmp_path):
    svg, png, pdf = save_infographic(fig, tmp_path / "a")
    assert (svg.name, png.name, pdf.name) == ("a.svg", "a.png", "a.pdf")
    again = save_infographic(fig, tmp_path / "b")
    redrawn = draw_infographic(numbers)
    third = save_infographic(redrawn, tmp_path / "c")
    for k, path in enumerate((svg, png, pdf)):
        assert path.read_bytes() == again[k].read_bytes() == third[k].read_bytes()
    root = ET.parse(svg).getroot()  # well-formed SVG
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = svg.read_text()
    assert "<text" not in text and "dc:date" not in text  # glyphs as paths, no date
    assert "<image" not in text and 'href="http' not in text  # nothing to fetch
    width, height = png_size(png)
    assert width == 2 * fig.canvas.get_width_height()[0] >= 2 * 760  # sharp at the book's width
    assert height / width == pytest.approx(420 / 297, abs=0.01)
    assert pdf.read_bytes().startswith(b"%PDF") and b"CreationDate" not in pdf.read_bytes()
    assert pdf_page_mm(pdf) == pytest.approx((297, 420), abs=1)  # A3
    assert matplotlib.rcParams["svg.hashsalt"] is None  # the settings did not leak


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: infographic_numbers((4,), 8), ValueError, "at least 2 layer widths"),
        (lambda: infographic_numbers((4, 0, 2), 8), ValueError, "every size must be a positive"),
        (lambda: infographic_numbers((4, 2), 0), ValueError, "batch_size must be a positive"),
        (lambda: infographic_numbers((4, 2), 8, "swish"), ValueError, "swish"),
        (lambda: draw_infographic({}, width_px=0), ValueError, "width_px must be a positive"),
        (lambda: draw_infographic({}, dpi=72.5), TypeError, "dpi must be a positive int"),
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_docstring_examples():
    assert doctest.testmod(infographic).failed == 0
    assert doctest.testmod(_infographic_draw).failed == 0
