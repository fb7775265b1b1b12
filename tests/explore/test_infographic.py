"""The infographic: its numbers against nnlab's counters and the formulas of the book, and a
figure whose every number comes from those numbers (no typed constants), readable and
colour-blind safe at 1280 px, saved byte for byte the same each time."""

import doctest
import itertools
import re
import struct

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, Patch
from matplotlib.path import Path
from matplotlib.text import Text

import nnlab as nl
from nnlab.explore import infographic
from nnlab.explore.infographic import (
    BLUE,
    EQUATIONS,
    GREEN,
    PALETTE,
    PRINTED,
    VERMILLION,
    draw_infographic,
    fmt,
    infographic_alt,
    infographic_numbers,
    infographic_table,
    save_infographic,
)

SIZES, N = (20, 16, 16, 4), 8
KEY_NUMBERS = ["flops_forward", "flops_backward", "flops_ratio", "bytes_kept"]
KEY_NUMBERS += ["bytes_kept_inference", "memory_ratio", "network", "batch_size", "dtype"]


@pytest.fixture(scope="module")
def numbers():
    return infographic_numbers(SIZES, N, time_it=False)


@pytest.fixture(scope="module")
def timed():
    return infographic_numbers(SIZES, N, "tanh", rng=1, time_it=True)


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


@pytest.mark.parametrize("sizes", [SIZES, (3, 4, 2), (5, 2), (7, 3, 5, 6, 2)])
def test_memory_follows_the_key_differences_formula(sizes):
    m = infographic_numbers(sizes, N, time_it=False)["memory"]
    assert m["training_cache"] == 8 * N * (sizes[0] + sum(sizes[1:-1]))  # eq. kd-memory
    assert m["inference_cache"] == 0
    n_params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    assert m["parameters"] == m["gradients"] == 8 * n_params
    assert m["training"] == m["parameters"] + m["gradients"] + m["training_cache"]
    assert m["inference"] == m["parameters"]
    assert m["ratio"] == m["training"] / m["inference"]


def test_network_entries_and_determinism(numbers):
    net = numbers["network"]
    assert net == {
        "sizes": SIZES,
        "activation": "relu",
        "dtype": "float64",
        "batch_size": N,
        "n_params": nl.mlp(list(SIZES), rng=0).n_params,
    }
    assert numbers["equations"] is EQUATIONS
    again = infographic_numbers(list(SIZES), N, rng=np.random.default_rng(0), time_it=False)
    assert again["printed"] == numbers["printed"]


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
        expected = {
            key: fmt(nums[part][name], unit)
            for key, (part, name, unit) in PRINTED.items()
            if nums[part] is not None
        }
        expected.update({f"size_{i}": fmt(s) for i, s in enumerate(nums["network"]["sizes"])})
        assert nums["printed"] == expected
    assert not any(k.startswith("time") or k == "repeats" for k in numbers["printed"])
    assert {"time_forward", "time_backward", "time_ratio", "repeats"} <= set(timed["printed"])


def test_timing_is_kept_apart_and_only_when_asked(numbers, timed):
    assert numbers["timing"] is None
    t = timed["timing"]
    assert t["forward"] > 0 and t["backward"] > 0  # measured: never compared with constants
    assert t["ratio"] == t["backward"] / t["forward"]
    assert t["repeats"] == 30 and isinstance(t["one_blas_thread"], bool)


def texts(fig):
    return [t for t in fig.findobj(Text) if t.get_text()]


def test_every_number_drawn_comes_from_the_numbers(numbers, timed):
    for nums in (numbers, timed):
        fig = draw_infographic(nums)
        used = set()
        for t in texts(fig):
            s, gid = t.get_text(), t.get_gid() or ""
            if gid.startswith("eq:"):
                _, name, i = gid.split(":")
                assert s == nums["equations"][name][int(i)][0]
                continue
            keys = gid.removeprefix("num:").split(",") if gid.startswith("num:") else []
            for key in sorted(keys, key=lambda k: -len(nums["printed"][k])):
                assert nums["printed"][key] in s, (key, s)
                s = s.replace(nums["printed"][key], "", 1)  # one field, one occurrence
            assert not re.search(r"\d", s), f"typed constant in {t.get_text()!r}"
            used.update(keys)
        assert used == set(nums["printed"])  # every printed number is drawn
        drawn_eqs = {t.get_text() for t in texts(fig) if (t.get_gid() or "").startswith("eq:")}
        assert drawn_eqs == {tex for eqs in EQUATIONS.values() for tex, _ in eqs}


def test_readable_at_1280_px(timed):
    fig = draw_infographic(timed)
    fig.canvas.draw()
    width, height = fig.canvas.get_width_height()
    assert width == 1280 and fig.dpi == 100
    assert min(t.get_fontsize() for t in fig.findobj(Text)) >= 9
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts(fig)]
    for box in boxes:  # inside the figure, and no two texts overlap
        assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)


def test_scales_to_other_sizes(numbers):
    def smallest(fig):
        return min(t.get_fontsize() for t in texts(fig))

    base = smallest(draw_infographic(numbers))
    sharp = draw_infographic(numbers, width_px=2560, dpi=200)  # the same layout, finer
    assert sharp.canvas.get_width_height()[0] == 2560 and smallest(sharp) == base
    big = draw_infographic(numbers, width_px=2560, dpi=100)  # twice as large
    assert big.canvas.get_width_height()[0] == 2560 and smallest(big) == 2 * base


def colours(fig):
    for artist in fig.findobj():
        if isinstance(artist, Text):
            yield artist.get_color()
        elif isinstance(artist, Patch):
            for c in (artist.get_facecolor(), artist.get_edgecolor()):
                if c[3] > 0:  # "none" draws nothing
                    yield c
        elif isinstance(artist, Line2D):
            yield artist.get_color()


def test_colours_come_from_the_palette(numbers):
    used = {to_hex(c) for c in colours(draw_infographic(numbers))}
    assert used <= {c.lower() for c in PALETTE}
    assert {BLUE.lower(), VERMILLION.lower(), GREEN.lower()} <= used


def test_two_columns_arrows_and_the_kept_units(numbers):
    fig = draw_infographic(numbers)
    labels = {t.get_text(): t for t in texts(fig)}
    fwd, bwd = labels["Forward propagation"], labels["Backpropagation"]
    assert fwd.get_position()[0] < bwd.get_position()[0]
    assert (to_hex(fwd.get_color()), to_hex(bwd.get_color())) == (BLUE.lower(), VERMILLION.lower())
    arrows = fig.findobj(FancyArrowPatch)
    assert sorted(to_hex(a.get_facecolor()) for a in arrows) == sorted(
        [BLUE.lower(), VERMILLION.lower()]
    )
    # green units: what a training forward keeps, the input and hidden layers (at most 5 drawn)
    green = [c for c in fig.findobj(Circle) if to_hex(c.get_facecolor()) == GREEN.lower()]
    assert len(green) == sum(min(k, 5) for k in SIZES[:-1])
    aspects = [t.get_text() for t in texts(fig) if t.get_fontweight() == "bold"]
    assert [a for a, _, _ in infographic_table(numbers)] == [
        a for a in aspects if a in {r[0] for r in infographic._ROWS}
    ]


def test_arrows_point_forward_and_back(numbers):
    fig = draw_infographic(numbers)
    fig.canvas.draw()
    for arrow in fig.findobj(FancyArrowPatch):
        path = arrow.get_path()  # the shaft from the tail to the tip, then the head
        tail, tip = (
            path.vertices[0],
            path.vertices[np.flatnonzero(path.codes == Path.MOVETO)[1] - 1],
        )
        assert (tip[0] > tail[0]) == (to_hex(arrow.get_facecolor()) == BLUE.lower())


def test_table_and_alt_text_state_the_numbers(numbers, timed):
    for nums in (numbers, timed):
        table = infographic_table(nums)
        aspects = [row[0] for row in table]
        assert aspects[:4] == ["Direction", "Computes", "Stores", "FLOPs per batch"]
        assert ("Time" in aspects) == (nums is timed)
        assert all(len(row) == 3 and "\n" not in "".join(row) for row in table)
        alt = infographic_alt(nums)
        for key in KEY_NUMBERS:
            assert nums["printed"][key] in alt
        assert "time_passes" in alt if nums is timed else "time_passes" not in alt
        for eqs in EQUATIONS.values():
            assert all(plain in alt for _, plain in eqs)
    rows = dict((a, (f, b)) for a, f, b in infographic_table(numbers))
    p = numbers["printed"]
    assert f"{p['flops_backward']} = {p['flops_ratio']} the forward" in rows["FLOPs per batch"][1]


def png_size(path):
    return struct.unpack(">II", path.read_bytes()[16:24])


def test_saved_files_are_reproducible(numbers, tmp_path):
    fig = draw_infographic(numbers)
    svg, png = save_infographic(fig, tmp_path / "a")
    assert (svg.name, png.name) == ("a.svg", "a.png")
    svg2, png2 = save_infographic(fig, tmp_path / "b")
    svg3, _ = save_infographic(draw_infographic(numbers), tmp_path / "c")
    assert svg.read_bytes() == svg2.read_bytes() == svg3.read_bytes()
    assert png.read_bytes() == png2.read_bytes()
    text = svg.read_text()
    assert "<text" not in text and "dc:date" not in text  # glyphs as paths, no date
    assert "<image" not in text and 'href="http' not in text  # nothing to fetch
    assert png_size(png)[0] == 1280
    assert matplotlib.rcParams["svg.hashsalt"] is None  # the setting did not leak


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
