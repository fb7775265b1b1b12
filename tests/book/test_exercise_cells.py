"""The implement-it exercises of the chapters: a stub, a checker, a stored verdict, a solution.

Read from the committed notebooks, without a kernel. An exercise cell is a code cell whose last
statement calls ``exercises.check_...(stub, ...)``, so that the Feedback displays. Each chapter
listed in ``_toc.yml`` (all but the pages in ``NOT_CHAPTERS``, which have no exercises section)
must have at least two, and for each:

- the stub, defined in the same cell or the code cell before it, has a body (after its
  docstring) of ``raise NotImplementedError`` only, so no solution is executed in the notebook;
- the stored output of the cell says "not attempted yet", as the checker does for a stub;
- the next markdown cell is the ``{solution}`` dropdown of the exercise above the cell, and its
  python code, executed here in a fresh namespace, makes the same checker pass.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml

from nnlab import exercises

ROOT = Path(__file__).resolve().parents[2]
TOC = ROOT / "_toc.yml"
MIN_PER_CHAPTER = 2

EXERCISE_LABEL = re.compile(r"^```+\{exercise\}[^\n]*\n(?::[^\n]*\n)*?:label:\s*(\S+)", re.M)
SOLUTION = re.compile(r"^(`{3,})\{solution\}\s+(\S+)\s*\n(.*?)^\1\s*$", re.M | re.S)
PYTHON_BLOCK = re.compile(r"^(`{3,})python\s*\n(.*?)^\1\s*$", re.M | re.S)


# Pages that are not chapters: the one-page poster of the source's closing section, and the
# playground, whose guided tour stands in for exercises.
NOT_CHAPTERS = {"book/infographic", "book/playground"}


def chapters_of_parts_i_ii() -> list[Path]:
    """The chapter notebooks of the toc, in its order (Parts I-III)."""
    toc = yaml.safe_load(TOC.read_text(encoding="utf-8"))
    notebooks = []
    for part in toc["parts"]:
        for chapter in part.get("chapters", []):
            if chapter["file"] in NOT_CHAPTERS:
                continue
            path = ROOT / f"{chapter['file']}.ipynb"
            if path.is_file():
                notebooks.append(path)
    return notebooks


@dataclass
class Exercise:
    notebook: str
    cell: int  # index of the code cell that calls the checker
    checker: str  # name in nnlab.exercises
    stub: str  # name of the learner's function
    extra_args: tuple  # the checker's arguments after the function ("tanh", ...)
    label: str | None  # label of the {exercise} above the cell
    stub_ok: str  # "" or what is wrong with the stub
    output: str  # the cell's stored output, as text
    solution_label: str | None  # label of the {solution} in the next markdown cell
    solution_code: str | None  # its python block

    @property
    def id(self) -> str:
        return f"{self.notebook}:{self.label or f'cell {self.cell}'}"


def _checker_call(tree: ast.Module) -> ast.Call | None:
    """The ``exercises.check_...(...)`` call that is the cell's last statement, if any."""
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return None
    call = tree.body[-1].value
    if (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "exercises"
        and call.func.attr.startswith("check_")
    ):
        return call
    return None


def _is_stub(fn: ast.FunctionDef) -> bool:
    """The body is ``raise NotImplementedError`` (or ``NotImplementedError(...)``), after a
    docstring."""
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Raise):
        return False
    exc = body[0].exc
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _functions(source: str) -> dict[str, ast.FunctionDef]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            parts.append(out["text"])
        for mime in ("text/plain", "text/html"):
            if mime in out.get("data", {}):
                parts.append(out["data"][mime])
    return "\n".join(parts)


def find_exercises(path: Path) -> list[Exercise]:
    nb = nbformat.read(path, as_version=4)
    rel = path.relative_to(ROOT).as_posix()
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        call = _checker_call(tree)
        if call is None:
            continue
        stub = call.args[0].id if call.args and isinstance(call.args[0], ast.Name) else ""
        extra = tuple(ast.literal_eval(a) for a in call.args[1:])

        previous_code = next(
            (c.source for c in reversed(nb.cells[:i]) if c.cell_type == "code"), ""
        )
        fn = _functions(cell.source).get(stub) or _functions(previous_code).get(stub)
        if not stub:
            stub_ok = "the checker's first argument is not the name of a function"
        elif fn is None:
            stub_ok = f"no function {stub} is defined in this cell or the code cell before it"
        elif not _is_stub(fn):
            stub_ok = f"{stub} is not a stub: its body must be `raise NotImplementedError`"
        else:
            stub_ok = ""

        label = None
        for before in reversed(nb.cells[:i]):
            labels = EXERCISE_LABEL.findall(before.source) if before.cell_type == "markdown" else []
            if labels:
                label = labels[-1]
                break

        after = next((c for c in nb.cells[i + 1 :] if c.cell_type == "markdown"), None)
        solution = SOLUTION.search(after.source) if after is not None else None
        code = None
        if solution and ":class: dropdown" in solution.group(3):
            block = PYTHON_BLOCK.search(solution.group(3))
            code = block.group(2) if block else None
        found.append(
            Exercise(
                notebook=rel,
                cell=i,
                checker=call.func.attr,
                stub=stub,
                extra_args=extra,
                label=label,
                stub_ok=stub_ok,
                output=_output_text(cell),
                solution_label=solution.group(2) if solution else None,
                solution_code=code,
            )
        )
    return found


CHAPTERS = chapters_of_parts_i_ii()
EXERCISES = {path: find_exercises(path) for path in CHAPTERS}
ALL = [ex for found in EXERCISES.values() for ex in found]


def test_parts_i_ii_are_found() -> None:
    assert CHAPTERS, f"no chapters found in {TOC}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_chapter_has_implement_it_exercises(chapter: Path) -> None:
    found = [ex for ex in EXERCISES[chapter] if not ex.stub_ok]
    assert len(found) >= MIN_PER_CHAPTER, (
        f"{chapter.name}: {len(found)} implement-it exercise(s) (a stub raising "
        f"NotImplementedError and an `exercises.check_...` call as the cell's last line); "
        f"at least {MIN_PER_CHAPTER} expected"
    )


@pytest.mark.parametrize("ex", ALL, ids=lambda ex: ex.id)
def test_exercise_cell(ex: Exercise) -> None:
    assert not ex.stub_ok, f"{ex.id}: {ex.stub_ok}"
    assert hasattr(exercises, ex.checker), f"{ex.id}: nnlab.exercises has no {ex.checker}"
    assert ex.label, f"{ex.id}: no {{exercise}} with a :label: above the checker's cell"
    assert "not attempted yet" in ex.output, (
        f"{ex.id}: the stored output of cell {ex.cell} does not say 'not attempted yet'; "
        "re-execute the notebook with the stub in place"
    )
    # an open exercise is a neutral "your turn" box on the page, not a red failure mark
    assert "your turn" in ex.output and "\N{BALLOT X}" not in ex.output, ex.id
    assert ex.solution_label == ex.label, (
        f"{ex.id}: the markdown cell after the checker's cell must be "
        f"```{{solution}} {ex.label}, found {ex.solution_label!r}"
    )
    assert ex.solution_code, f"{ex.id}: the solution is not a dropdown with a python block"


@pytest.mark.parametrize("ex", [ex for ex in ALL if ex.solution_code], ids=lambda ex: ex.id)
def test_solution_passes_its_checker(ex: Exercise) -> None:
    namespace: dict = {"np": np}  # what the chapters' import cells provide
    exec(compile(ex.solution_code, f"<solution {ex.id}>", "exec"), namespace)
    assert callable(namespace.get(ex.stub)), f"{ex.id}: the solution defines no {ex.stub}"
    feedback = getattr(exercises, ex.checker)(namespace[ex.stub], *ex.extra_args)
    assert feedback.passed, f"{ex.id}: the solution fails its checker: {feedback}"
