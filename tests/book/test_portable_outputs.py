"""Stored notebook outputs that nbval compares must not depend on the machine's BLAS kernel.

The Makefile writes the outputs under one OpenBLAS kernel and compares them under another;
``book/conftest.py`` leaves the glue records out of the comparison. Checked here: that both
stay so, and that no compared output carries a glue-free float with more digits than a
computation's noise allows.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
from conftest import ROOT

MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def _variable(name: str) -> str:
    match = re.search(rf"^{name}\s*\??=\s*(.+)$", MAKEFILE, re.M)
    assert match, f"the Makefile defines no {name}"
    return match.group(1).strip()


def _recipe(target: str) -> str:
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert match, f"the Makefile has no target {target}"
    return match.group(1)


def test_outputs_are_compared_under_another_kernel_than_wrote_them() -> None:
    writer = _variable("WRITE_BLAS")
    checker = _variable("CHECK_BLAS")
    candidates = set(re.findall(r"\b(Haswell|SkylakeX|Nehalem|Sandybridge|Prescott)\b", checker))
    assert candidates, f"CHECK_BLAS names no OpenBLAS kernel: {checker}"
    # Sandybridge rounds a product as Haswell does (measured), so it would prove nothing.
    assert writer == "Haswell" and not candidates & {"Haswell", "Sandybridge"}
    assert "OPENBLAS_CORETYPE=$(WRITE_BLAS)" in _recipe("notebooks")
    assert "OPENBLAS_CORETYPE=$(CHECK_BLAS)" in _recipe("nbval")


def _skip_compare_class():
    spec = importlib.util.spec_from_file_location("book_conftest", ROOT / "book" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._SkipCompare


def test_glue_records_are_not_compared() -> None:
    skip = _skip_compare_class()(("metadata", "image/png"))
    assert "application/papermill.record/text/plain" in skip
    assert "application/papermill.record/text/html" in skip
    assert "image/png" in skip and "metadata" in skip
    assert "text/plain" not in skip and "text/html" not in skip and "stdout" not in skip


# A float printed with 7 or more significant digits is below the noise floor of most
# computations that involve a matrix product; only exact values may print that way.
LONG_FLOAT = re.compile(r"(?<![\w.])-?\d*\.\d{7,}(?:e[-+]?\d+)?")


def _compared_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        for mime, value in out.get("data", {}).items():
            if mime in ("text/plain", "text/html") and not mime.startswith("application/"):
                parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def test_compared_outputs_print_no_long_floats(toc: dict[str, Path | None]) -> None:
    found = []
    for path in toc.values():
        if path is None or path.suffix != ".ipynb":
            continue
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type != "code" or "nbval-ignore-output" in cell.metadata.get("tags", []):
                continue
            text = re.sub(r'src="data:[^"]*"', "", _compared_text(cell))
            if hits := LONG_FLOAT.findall(text):
                found.append((path.name, i, hits[:3]))
    assert not found, (
        "compared outputs with floats printed to 7 or more digits (notebook, cell, values): "
        f"{found}; round them or tag the cell nbval-ignore-output"
    )
