"""The code examples of README.md and book/intro.md run and print what their comments say.

Each example's ``# value`` comments are the expected output of the ``print`` on that line; the
test runs the example and compares, so the front page cannot promise a number nnlab no longer
gives.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^([ \t]*)```python\n(.*?)^\1```", re.S | re.M)


def python_blocks(path: Path) -> list[str]:
    blocks = []
    for indent, body in FENCE.findall(path.read_text(encoding="utf-8")):
        lines = [
            line[len(indent) :] if line.startswith(indent) else line for line in body.splitlines()
        ]
        blocks.append("\n".join(lines))
    return blocks


def expected_prints(code: str) -> list[str]:
    """The ``# comment`` after each line that calls print, in order."""
    return [
        line.split("#", 1)[1].strip()
        for line in code.splitlines()
        if line.lstrip().startswith("print(") and "#" in line
    ]


@pytest.mark.parametrize("name", ["README.md", "book/intro.md"])
def test_examples_print_what_they_promise(name: str) -> None:
    blocks = [b for b in python_blocks(ROOT / name) if "import nnlab" in b]
    assert blocks, f"{name} has no nnlab example"
    for code in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, name, "exec"), {})
        printed = out.getvalue().split()
        expected = expected_prints(code)
        assert expected, f"{name}: an example prints nothing to check"
        for value in expected:
            assert value in printed, f"{name}: expected {value!r} in the output {printed}"
