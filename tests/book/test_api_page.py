"""The rendered API page carries the whole "Writing your own layer" example, as it is in
examples/own_layer.py (which tests/test_own_layer.py runs), and documents the contract."""

from __future__ import annotations

import html
import re
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "own_layer.py"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_the_api_page_shows_the_whole_example(built_html: Path) -> None:
    text = _text((built_html / "book" / "api.html").read_text("utf-8"))
    assert "Writing your own layer" in text
    for line in EXAMPLE.read_text("utf-8").splitlines():
        assert line.strip() in text, f"missing from the API page: {line!r}"


def test_the_api_page_documents_layer_and_param(built_html: Path) -> None:
    page = (built_html / "book" / "api.html").read_text("utf-8")
    for name in ("nnlab.Layer", "nnlab.Param", "nnlab.flops", "nnlab.Sequential"):
        assert f'id="{name}"' in page, name
