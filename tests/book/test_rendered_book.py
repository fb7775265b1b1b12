"""Open every page of the built book in headless Chromium, offline, as a reader would.

Each page is loaded from ``file://`` with every other request blocked, and must:
send no request off the machine, raise no JavaScript error (uncaught or console.error),
load every local file it asks for, have all its math typeset by MathJax (no raw TeX left),
and load every image. A full-page screenshot of each page goes to
``_build/screenshots/<page>.png``.

Needs Debian's ``chromium`` (``apt-get install chromium``); without it the tests are skipped,
or fail when ``CI`` is set. Build first: ``jupyter-book build . -W --keep-going``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 900}
# Raw TeX that MathJax should have replaced.
RAW_TEX = ("$$", "\\frac", "\\begin{", "\\(")
# The search page runs this query; the intro must match it.
SEARCH_QUERY = "?q=network"
SEARCH_DONE_JS = """() => {
  const s = document.querySelector('#search-results .search-summary');
  return s !== null && s.textContent.trim() !== '';
}"""

# Text of the page outside code, scripts and typeset math, including text that is hidden
# (closed dropdowns with solutions), so untypeset TeX is found wherever it is.
PROSE_TEXT_JS = """() => {
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .cell_input';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.parentElement.closest(skip)) parts.push(n.nodeValue);
  }
  return parts.join(' ');
}"""

# Sphinx wraps every math node in an element with class "math"; MathJax puts an
# mjx-container inside each one it typesets.
MATH_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const blocks = [...document.querySelectorAll('div.math, span.math')];
  return {
    mathjax: Boolean(window.MathJax && MathJax.startup),
    blocks: blocks.length,
    untypeset: blocks.filter(b => !b.querySelector('mjx-container'))
                    .map(b => b.textContent.trim().slice(0, 80)),
    containers: document.querySelectorAll('mjx-container').length,
  };
}"""

# Lazy images below the fold would never load in a screenshot-less check: load them all.
IMAGES_JS = """async () => {
  const imgs = [...document.images];
  imgs.forEach(img => { img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  return imgs.filter(img => !(img.complete && img.naturalWidth > 0))
             .map(img => img.getAttribute('src'));
}"""


@pytest.fixture(scope="module")
def browser_context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light")
    yield context
    context.close()


class PageVisit:
    """One page, opened offline, with everything that went wrong recorded."""

    def __init__(self, context: Any) -> None:
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.js_errors: list[str] = []
        self.page = context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda exc: self.js_errors.append(f"uncaught: {exc}"))
        self.page.on("console", self._console)
        self.page.on("requestfailed", self._request_failed)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _console(self, msg: Any) -> None:
        if msg.type == "error":
            self.js_errors.append(f"console.error: {msg.text} ({msg.location.get('url')})")

    def _request_failed(self, request: Any) -> None:
        if request.url.startswith("file:"):
            self.failed.append(f"{request.url} ({request.failure})")


@pytest.fixture
def visit(built_html: Path, browser_context: Any, book_page: str) -> Iterator[PageVisit]:
    path = built_html / book_page
    assert path.is_file(), f"{book_page} was not built (listed in _toc.yml?)"
    v = PageVisit(browser_context)
    query = SEARCH_QUERY if book_page == "search.html" else ""
    v.page.goto(path.as_uri() + query, wait_until="load")
    v.math = v.page.evaluate(MATH_JS)
    v.broken_images = v.page.evaluate(IMAGES_JS)
    v.page.evaluate("() => document.fonts.ready.then(() => true)")
    v.search_hits = None
    if book_page == "search.html":
        v.page.wait_for_function(SEARCH_DONE_JS)
        v.search_hits = v.page.locator("#search-results ul.search li").count()
    shot = built_html.parent / "screenshots" / Path(book_page).with_suffix(".png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    v.page.screenshot(path=str(shot), full_page=True)
    v.prose = v.page.evaluate(PROSE_TEXT_JS)
    yield v
    v.page.close()


def test_page_renders_offline(visit: PageVisit, book_page: str) -> None:
    problems = []
    if visit.blocked:
        problems.append(f"requests that would leave the machine: {visit.blocked}")
    if visit.failed:
        problems.append(f"local files that failed to load: {visit.failed}")
    if visit.js_errors:
        problems.append(f"JavaScript errors: {visit.js_errors}")
    if visit.broken_images:
        problems.append(f"images that did not load: {visit.broken_images}")
    math = visit.math
    if math["blocks"] and not math["mathjax"]:
        problems.append(f"{math['blocks']} math block(s) but MathJax did not load")
    if math["untypeset"]:
        problems.append(f"math blocks MathJax did not typeset: {math['untypeset']}")
    raw = [tex for tex in RAW_TEX if tex in visit.prose]
    if raw:
        problems.append(f"raw TeX left in the text: {raw}")
    if visit.search_hits == 0:
        problems.append(f"the search for {SEARCH_QUERY} found nothing")
    assert not problems, f"{book_page}:\n  " + "\n  ".join(problems)
