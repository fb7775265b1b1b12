"""Generic plots: a traced pass, number tables, and animations as accessible offline HTML."""

import base64
import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest

import nnlab as nl
from nnlab import viz

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_passes_from_a_trace():
    rng = np.random.default_rng(0)
    net = nl.mlp([4, 5, 3], "tanh", rng=0)
    loss = nl.SoftmaxCrossEntropy()
    with nl.trace(net) as events:
        loss.forward(net.forward(rng.normal(size=(8, 4))), rng.integers(0, 3, 8))
        net.backward(loss.backward(), input_grad=False)
    ax = viz.plot_passes(events)
    texts = [t.get_text() for t in ax.texts]
    assert ["X", "Dense\n4→5", "Tanh", "Dense\n5→3", "loss"] == texts[:5]
    assert [str(k) for k in range(1, 7)] == sorted(
        (t for t in texts if t.isdigit()), key=int
    )  # visits 1-3 forward, 4-6 backward
    assert "skipped" in texts and "dW (4, 5)\ndb (5,)" in texts
    assert texts.count("(8, 5)") == 4  # two activations forward, two gradients backward


def test_plot_passes_forward_only_and_errors():
    net = nl.mlp([2, 3, 1], rng=0)
    with nl.trace(net) as events:
        net.forward(np.ones((4, 2)))
    ax = viz.plot_passes(events)
    assert "skipped" not in [t.get_text() for t in ax.texts]
    with pytest.raises(ValueError, match="exactly one forward pass"):
        viz.plot_passes([])
    with pytest.raises(ValueError, match="exactly one forward pass"):
        viz.plot_passes(events + events)


def test_number_table():
    html = viz.number_table(["unit", "z"], [["h<sub>1</sub>", 0.123456], ["n", 3]]).data
    assert html.count("<tr>") == 3
    assert ">0.1235</td>" in html and ">3.0000</td>" in html and "h<sub>1</sub>" in html
    assert ">0.123</td>" in viz.number_table(["z"], [[0.12345]], digits=3).data


def small_animation(frames=3):
    from matplotlib import animation

    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)

    def draw(k):
        ax.clear()
        ax.plot([0, 1], [0, k], color=f"C{k}")

    return animation.FuncAnimation(fig, draw, frames=frames, interval=500)


def test_animation_html_uses_palette_frames():
    from PIL import Image

    anim = small_animation()
    number = plt.gcf().number  # the animation's figure
    html = viz.animation_html(anim, colors=16).data
    frames = re.findall(r"data:image/png;base64,([^\"]+)", html)
    assert len(frames) == 3
    image = Image.open(io.BytesIO(base64.b64decode(frames[0].replace("\\n", ""))))
    assert image.mode == "P" and len(image.getcolors()) <= 16
    assert not plt.fignum_exists(number)  # closed, so not shown twice
    with pytest.raises(ValueError, match=r"colors must be an int in \[2, 256\], got 1"):
        viz.animation_html(anim, colors=1)


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes, and the text inside each button."""

    def __init__(self, html):
        super().__init__()
        self.tags, self.button_text, self._in_button = [], [], False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "button":
            self._in_button = True
            self.button_text.append("")

    def handle_endtag(self, tag):
        if tag == "button":
            self._in_button = False

    def handle_data(self, data):
        if self._in_button:
            self.button_text[-1] += data.strip()

    def all(self, tag):
        return [attrs for t, attrs in self.tags if t == tag]


ALT = "A line that rises from frame to frame."


def test_animation_html_loads_nothing_from_the_network():
    html = viz.animation_html(small_animation(), alt=ALT).data
    tags = Tags(html)
    assert tags.all("link") == []
    assert not re.search(r"(?:https?:)?//[\w.-]+\.(?:com|net|org)", html)
    assert all("src" not in attrs for attrs in tags.all("script"))


def test_animation_html_is_accessible():
    """WCAG A: the image has a text alternative, every control an accessible name."""
    tags = Tags(viz.animation_html(small_animation(), alt=ALT).data)
    (img,) = tags.all("img")
    assert img["alt"] == ALT
    inputs = tags.all("input")
    labels = {attrs.get("for") for attrs in tags.all("label")}
    (slider,) = [a for a in inputs if a.get("type") == "range"]
    assert slider["aria-label"] == "Animation frame"
    for attrs in inputs:  # the radio buttons are named by their <label for=...>
        assert attrs.get("aria-label") or attrs.get("id") in labels, attrs
    buttons = tags.all("button")
    assert len(buttons) == len(tags.button_text) > 0
    for attrs, text in zip(buttons, tags.button_text, strict=True):
        assert attrs.get("aria-label") or text, attrs  # icon-only buttons need a label


def test_animation_html_default_alt_and_errors():
    anim = small_animation(4)
    (img,) = Tags(viz.animation_html(anim).data).all("img")
    assert img["alt"] == "An animation of 4 frames."
    with pytest.raises(TypeError, match="alt must be a str, got int"):
        viz.animation_html(anim, alt=3)
    with pytest.raises(ValueError, match="alt must say what the animation shows"):
        viz.animation_html(anim, alt="  ")
    anim.event_source = None  # what matplotlib leaves once an animation has stopped
    with pytest.raises(ValueError, match="the animation was stopped"):
        viz.animation_html(anim)


def test_animation_html_keeps_full_colour_frames_and_the_figure_on_request():
    from PIL import Image

    anim = small_animation(2)
    number = plt.gcf().number
    html = viz.animation_html(anim, colors=None, close=False).data
    frames = re.findall(r"data:image/png;base64,([^\"]+)", html)
    assert len(frames) == 2 and plt.fignum_exists(number)
    image = Image.open(io.BytesIO(base64.b64decode(frames[-1].replace("\\n", ""))))
    assert image.mode == "RGBA"  # savefig's own PNG, not a palette one


def test_alt_text_is_escaped():
    html = viz.animation_html(small_animation(), alt='x < 1 & "y"').data
    (img,) = Tags(html).all("img")
    assert img["alt"] == 'x < 1 & "y"'
    assert 'alt="x &lt; 1 &amp; &quot;y&quot;"' in html


def test_accessible_names_icon_buttons_of_other_templates():
    """Older matplotlib templates give the buttons a title only; the title becomes the name."""
    html = viz._accessible(
        '<button title="Play" onclick="a()"><i class="fa fa-play"></i></button>', ALT
    )
    assert Tags(html).all("button") == [{"aria-label": "Play", "title": "Play", "onclick": "a()"}]


def test_plot_history_labels_curves_in_words():
    history = nl.History()
    for loss, val in [(1.0, 1.2), (0.5, 0.9)]:
        history.append(loss=loss, val_loss=val)
    ax = viz.plot_history(history)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "training loss",
        "validation loss",
    ]
    ax = viz.plot_history(history, keys=("loss",), labels={"loss": "fit"})
    assert [line.get_label() for line in ax.get_lines()][-1] == "fit"
    np.testing.assert_array_equal(ax.get_lines()[-1].get_ydata(), [1.0, 0.5])


def test_plot_band_draws_the_median_and_the_min_max_band_without_nan():
    from matplotlib.colors import to_rgba

    runs = np.array([[1.0, 2.0, 3.0, np.nan], [2.0, 4.0, np.nan, np.nan], [4.0, 3.0, 1.0, np.nan]])
    _, ax = plt.subplots()
    assert viz.plot_band(ax, np.arange(4), runs, label="sgd", color="#D55E00", style="--") is ax
    (line,) = ax.get_lines()
    assert (line.get_label(), line.get_linestyle(), line.get_color()) == ("sgd", "--", "#D55E00")
    np.testing.assert_array_equal(line.get_ydata(), [2.0, 3.0, 2.0, np.nan])  # nan left out
    (band,) = ax.collections
    assert to_rgba(band.get_facecolor()[0]) == to_rgba("#D55E00", 0.2)
    ys = np.concatenate([path.vertices[:, 1] for path in band.get_paths()])
    assert (ys.min(), ys.max()) == (1.0, 4.0)  # from the smallest to the largest run
    viz.plot_band(ax, [0, 1], [[1.0, 2.0]], alpha=0.5)  # colour from the axes' cycle
    assert ax.collections[-1].get_facecolor()[0][3] == 0.5
    assert to_rgba(ax.collections[-1].get_facecolor()[0], 1) == to_rgba(
        ax.get_lines()[-1].get_color()
    )


def test_pyplot_is_matplotlib_pyplot_or_says_how_to_install_it(monkeypatch):
    import sys

    assert viz.pyplot() is plt
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # as if it were missing
    with pytest.raises(ImportError, match=r"pip install 'nnlab\[plots\]'"):
        viz.pyplot()


@pytest.mark.parametrize(
    ("value", "options", "kept"),
    [
        (0.06139424811619533, {}, 0.0613942),  # 6 significant digits by default
        (0.9467, {"digits": 3}, 0.947),
        (6.13e-23, {"sig": 2}, 6.1e-23),
        (42, {"digits": 0}, 42.0),
        ("mlp 64-18-10", {}, "mlp 64-18-10"),
    ],
)
def test_glue_rounds_before_it_records(monkeypatch, value, options, kept):
    import myst_nb

    recorded = {}
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, v, display: recorded.update({name: (v, display)})
    )
    viz.glue("key", value, **options)
    assert recorded == {"key": (kept, False)}


def test_glue_takes_digits_or_sig_not_both():
    with pytest.raises(ValueError, match=r"glue\('x'\) takes digits or sig, not both"):
        viz.glue("x", 1.0, digits=2, sig=2)
