"""Shared helpers for the book tests: where the book is, and what its table of contents lists.

The pages and notebooks come from ``_toc.yml``; nothing is hard-coded here. Tests that need
the built HTML use the ``built_html`` fixture, which fails with "run make book first" when
``_build/html/index.html`` is missing; ``NNLAB_BOOK_HTML=/path/to/html`` points them at a book
built elsewhere (``jupyter-book build . --path-output DIR`` builds into ``DIR/_build/html``).

Tests that drive headless Chromium take ``chromium_path`` (skipped when Debian's chromium is
missing, failed when ``CI`` is set) and ``browser`` (one Chromium per test module, through
Playwright's sync API, which allows one running instance at a time); accessibility audits take
``axe`` (axe-core through axe-playwright-python).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TOC = ROOT / "_toc.yml"
BUILD = ROOT / "_build"
HTML = Path(os.environ["NNLAB_BOOK_HTML"]) if os.environ.get("NNLAB_BOOK_HTML") else BUILD / "html"
SOURCE_SUFFIXES = (".ipynb", ".md", ".rst")
# Headless Chromium as root, with nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _toc_entries(node: object) -> Iterator[str]:
    """Every ``file:`` (and each file matched by ``glob:``) in a jb-book toc, in order."""
    if isinstance(node, dict):
        for key in ("root", "file"):
            if isinstance(node.get(key), str):
                yield node[key]
        if isinstance(node.get("glob"), str):
            for path in sorted(ROOT.glob(node["glob"])):
                if path.suffix in SOURCE_SUFFIXES:
                    yield path.relative_to(ROOT).with_suffix("").as_posix()
        for key in ("parts", "chapters", "sections"):
            yield from _toc_entries(node.get(key))
    elif isinstance(node, list):
        for item in node:
            yield from _toc_entries(item)


def toc_docnames() -> list[str]:
    """Docnames (paths from the root without suffix) in table-of-contents order."""
    toc = yaml.safe_load(TOC.read_text(encoding="utf-8"))
    names = []
    for entry in _toc_entries(toc):
        name = entry
        if Path(entry).suffix in SOURCE_SUFFIXES:
            name = Path(entry).with_suffix("").as_posix()
        if name not in names:
            names.append(name)
    return names


def source_path(docname: str) -> Path | None:
    """The source file of a toc entry, or None when no such file exists."""
    for suffix in SOURCE_SUFFIXES:
        path = ROOT / f"{docname}{suffix}"
        if path.is_file():
            return path
    return None


def toc_notebooks() -> list[Path]:
    """The notebooks listed in the toc, in order."""
    paths = (source_path(name) for name in toc_docnames())
    return [p for p in paths if p is not None and p.suffix == ".ipynb"]


def book_pages() -> list[str]:
    """HTML pages to open in the browser, relative to _build/html: toc pages, index, search."""
    return [f"{name}.html" for name in toc_docnames()] + ["genindex.html", "search.html"]


# Pages Sphinx writes only when there is something to list (an autodoc'd module).
OPTIONAL_PAGES = ("py-modindex.html",)


def audit_pages() -> list[str]:
    """Every page a reader can reach: ``book_pages()`` and the module index."""
    return book_pages() + [p for p in OPTIONAL_PAGES if p not in book_pages()]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "book: checks of the Jupyter Book sources or build")
    config.addinivalue_line(
        "markers", "browser: opens the built book in headless Chromium (needs `make book`)"
    )
    config.addinivalue_line(
        "markers", "jupyterlab: runs the chapters in JupyterLab driven by headless Chromium"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.book)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "toc_notebook" in metafunc.fixturenames:
        notebooks = toc_notebooks()
        metafunc.parametrize(
            "toc_notebook", notebooks, ids=[p.relative_to(ROOT).as_posix() for p in notebooks]
        )
    if "book_page" in metafunc.fixturenames:
        pages = book_pages()
        metafunc.parametrize("book_page", pages, ids=pages)
    if "audit_page" in metafunc.fixturenames:
        pages = audit_pages()
        metafunc.parametrize("audit_page", pages, ids=pages)


RUN_TIMES = pytest.StashKey[dict[str, float]]()


@pytest.fixture(scope="session")
def run_times(request: pytest.FixtureRequest) -> dict[str, float]:
    """Durations in seconds, by label, printed at the end of the session."""
    return request.config.stash.setdefault(RUN_TIMES, {})


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    times = config.stash.get(RUN_TIMES, {})
    if times:
        terminalreporter.section("book run times")
        for label, seconds in times.items():
            terminalreporter.write_line(f"{seconds:7.1f} s  {label}")


@pytest.fixture(scope="session")
def book_root() -> Path:
    """The repository root (where _config.yml and _toc.yml live)."""
    return ROOT


@pytest.fixture(scope="session")
def toc() -> dict[str, Path | None]:
    """Toc docnames, in order, mapped to their source files (None when missing)."""
    return {name: source_path(name) for name in toc_docnames()}


@pytest.fixture(scope="session")
def built_html() -> Path:
    """``_build/html``; fails when the book has not been built."""
    if not (HTML / "index.html").is_file():
        pytest.fail(
            f"{HTML / 'index.html'} is missing: run make book first "
            "(jupyter-book build . -W --keep-going), or set NNLAB_BOOK_HTML",
            pytrace=False,
        )
    return HTML


def skip_unless_ci(reason: str) -> NoReturn:
    """Skip a test whose tool is missing; in CI (``CI`` set), fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser checks", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium; skips (fails in CI) when it is not installed."""
    path = shutil.which("chromium")
    if path is None:
        skip_unless_ci("Debian chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """Headless Chromium for one test module (Playwright's sync API runs one at a time)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_unless_ci("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def axe() -> Any:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("axe-playwright-python is not installed (pip install -r requirements.txt)")
    return Axe()
