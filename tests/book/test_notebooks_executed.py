"""The book renders committed outputs (``execute_notebooks: "off"``), so every notebook in the
toc must be committed fully executed, from a fresh kernel, without errors.

Re-execute a chapter with ``.venv/bin/jupyter execute --inplace book/NAME.ipynb`` (this also
stores the widget state).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
FIX = "re-run it: .venv/bin/jupyter execute --inplace {path}"


def _code_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    return [
        (i, cell)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and cell.source.strip()
    ]


def test_every_notebook_is_in_the_toc(book_root: Path, toc: dict[str, Path | None]) -> None:
    listed = {path.relative_to(book_root).as_posix() for path in toc.values() if path}
    on_disk = {
        path.relative_to(book_root).as_posix()
        for path in (book_root / "book").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts and "_build" not in path.parts
    }
    missing = sorted(on_disk - listed)
    assert not missing, f"notebooks under book/ that _toc.yml does not list: {missing}"


def test_every_toc_entry_exists(toc: dict[str, Path | None]) -> None:
    missing = [name for name, path in toc.items() if path is None]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_notebook_is_executed(book_root: Path, toc_notebook: Path) -> None:
    rel = toc_notebook.relative_to(book_root).as_posix()
    nb = nbformat.read(toc_notebook, as_version=4)
    cells = _code_cells(nb)
    assert cells, f"{rel} has no code cell"
    fix = FIX.format(path=rel)

    unexecuted = [i for i, cell in cells if cell.execution_count is None]
    assert not unexecuted, f"{rel}: code cells {unexecuted} have no execution_count; {fix}"

    for i, cell in cells:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors and "raises-exception" not in cell.metadata.get("tags", []):
            err = errors[0]
            pytest.fail(
                f"{rel}: cell {i} has an error output ({err.ename}: {err.evalue}); "
                "fix it, or tag the cell raises-exception if the error is the point",
                pytrace=False,
            )

    counts = [cell.execution_count for _, cell in cells]
    expected = list(range(1, len(cells) + 1))
    assert counts == expected, (
        f"{rel}: execution counts {counts} are not 1..{len(cells)} in order "
        f"(cells run out of order or from a stale kernel); {fix}"
    )


def test_widget_state_is_saved(book_root: Path, toc_notebook: Path) -> None:
    rel = toc_notebook.relative_to(book_root).as_posix()
    nb = nbformat.read(toc_notebook, as_version=4)
    views = [
        o["data"][WIDGET_VIEW]["model_id"]
        for _, cell in _code_cells(nb)
        for o in cell.outputs
        if WIDGET_VIEW in o.get("data", {})
    ]
    if not views:
        pytest.skip(f"{rel} displays no widget")
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    missing = [m for m in views if m not in state]
    assert not missing, (
        f"{rel}: widget models {missing} are displayed but their state is not saved; "
        + FIX.format(path=rel)
    )
