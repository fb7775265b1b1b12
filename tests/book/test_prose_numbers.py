"""Measured numbers in the prose come from code, through myst-nb's ``glue``.

A decimal typed into a markdown cell goes stale as soon as the code that produced it changes.
So no markdown cell of a chapter, and no page of the book, may hold a typed decimal with three
or more significant digits outside math, code and roles such as ``{glue:text}``. Inputs and
definitions with fewer digits (a learning rate of 0.5, a slope of 1/4) may be typed.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

# Genuine constants that may be typed, each with the reason.
ALLOWED: dict[str, str] = {
    "12.5": "400 / 32, the definition an exercise asks about (backprop-optimizes)",
}

CODE_FENCE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})(?!\{(exercise|solution|admonition|note|warning|tip|"
    r"important|dropdown|figure|margin|sidebar|seealso|hint|caution)\b)"
    r".*?^[ \t]*\1[ \t]*$",
    re.S | re.M,
)
MATH_FENCE = re.compile(r"^[ \t]*(`{3,})\{math\}.*?^[ \t]*\1[ \t]*$", re.S | re.M)
DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
INLINE_MATH = re.compile(r"(?<!\\)\$[^$\n]+?(?<!\\)\$")
ROLE = re.compile(r"\{[a-z:-]+\}`[^`]*`")
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)|<https?://[^>]*>|https?://\S+")
REFERENCE_IDS = re.compile(r"arXiv:\S+|doi:\S+", re.I)
VERSION = re.compile(r"\d+\.\d+\.\d+[\w.]*")
DECIMAL = re.compile(r"(?<![\w.])\d*\.\d+(?![\w.])")


def prose(text: str) -> str:
    """The text of a markdown cell without math, code, roles and link targets."""
    for pattern in (
        MATH_FENCE,
        CODE_FENCE,
        DISPLAY_MATH,
        INLINE_MATH,
        ROLE,
        INLINE_CODE,
        LINK_TARGET,
        REFERENCE_IDS,
        VERSION,
    ):
        text = pattern.sub(" ", text)
    return text


def significant_digits(number: str) -> int:
    return len(number.replace(".", "").lstrip("0"))


def typed_numbers(text: str) -> list[str]:
    """Decimals with three or more significant digits in the prose of ``text``."""
    return [
        n for n in DECIMAL.findall(prose(text)) if significant_digits(n) >= 3 and n not in ALLOWED
    ]


def markdown_sources(path: Path) -> list[tuple[str, str]]:
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return [
            (f"cell {i}", cell.source)
            for i, cell in enumerate(nb.cells)
            if cell.cell_type == "markdown"
        ]
    return [("page", path.read_text(encoding="utf-8"))]


def test_the_detector_finds_typed_numbers_and_skips_math_code_and_glue() -> None:
    text = (
        "The loss fell to 0.1576 (typed) and to {glue:text}`loss:.4f` (glued); "
        "accuracy 96.4%; $0.1241 > 0.1183$ in math, `0.995` in code, rate 0.5, "
        "see [x](https://a.b/1.234) and arXiv:1604.06174, version 1.0.4.\n"
        "```python\nprint(0.12345)\n```\n"
        "```{solution} ex\nthe ratio is about 4.83\n```\n"
    )
    assert typed_numbers(text) == ["0.1576", "96.4", "4.83"]


def test_no_typed_measured_numbers(toc: dict[str, Path | None]) -> None:
    found = [
        (path.name, where, numbers)
        for path in toc.values()
        if path is not None
        for where, text in markdown_sources(path)
        if (numbers := typed_numbers(text))
    ]
    assert not found, (
        f"typed decimals in the prose: {found}; glue them from the cell that measures them "
        "(myst_nb.glue + {glue:text}), or add a genuine constant to ALLOWED with its reason"
    )
