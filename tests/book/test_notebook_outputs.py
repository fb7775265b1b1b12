"""What the stored outputs of the chapters must respect, checked here rather than on the page.

Animations are embedded as HTML with inline frames: each must stay small enough for a page to
load quickly, carry a text alternative, and load nothing from the network (matplotlib's
``to_jshtml`` links a font-awesome stylesheet from a CDN unless ``viz.animation_html`` strips it).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

MAX_HTML_OUTPUT = 600_000  # characters of one HTML output (an animation with its frames)
# The one larger output: the playground's replay of stored runs (12 runs x 9 frames, each a
# palette PNG at the content width), which is what a reader without a kernel plays with.
REPLAY_MARKER, MAX_REPLAY_OUTPUT = 'class="nnlab-replay"', 4_500_000


def _html_outputs(path: Path) -> list[tuple[int, str]]:
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if html:
                found.append((i, html if isinstance(html, str) else "".join(html)))
    return found


@pytest.fixture(scope="module")
def outputs(toc: dict[str, Path | None]) -> dict[str, list[tuple[int, str]]]:
    return {
        path.name: _html_outputs(path)
        for path in toc.values()
        if path is not None and path.suffix == ".ipynb"
    }


def test_html_outputs_are_small(outputs: dict[str, list[tuple[int, str]]]) -> None:
    big = [
        (name, i, len(html))
        for name, found in outputs.items()
        for i, html in found
        if len(html) > (MAX_REPLAY_OUTPUT if REPLAY_MARKER in html else MAX_HTML_OUTPUT)
    ]
    assert not big, (
        f"HTML outputs over {MAX_HTML_OUTPUT:,} characters (notebook, cell, size): {big}"
    )


def test_html_outputs_load_nothing_remote(outputs: dict[str, list[tuple[int, str]]]) -> None:
    remote = [
        (name, i)
        for name, found in outputs.items()
        for i, html in found
        if "cdnjs" in html or 'href="http' in html or 'src="http' in html
    ]
    assert not remote, f"HTML outputs that load from the network (notebook, cell): {remote}"


def test_animations_have_alt_text(outputs: dict[str, list[tuple[int, str]]]) -> None:
    animations = [
        (name, i, html) for name, found in outputs.items() for i, html in found if "<img" in html
    ]
    assert animations, "expected the chapters' animations among the HTML outputs"
    missing = [
        (name, i)
        for name, i, html in animations
        if 'alt=""' in html or "alt=" not in html or 'alt="An animation of' in html
    ]
    assert not missing, (
        "animation images without a text alternative that says what they show "
        f"(notebook, cell): {missing}"
    )
