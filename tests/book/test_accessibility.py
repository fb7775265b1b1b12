"""Audit every page of the built book with axe-core against WCAG 2 A and AA, offline.

Each page (the toc's pages, the general index, the Python module index and the search page
with a query) is opened from ``file://`` in headless Chromium with every other request
blocked, MathJax is left to finish, every collapsed solution and hidden cell input is opened
(a reader can open them, so they must pass too), and axe-core (bundled in the PyPI package
``axe-playwright-python``, no network) runs the ``wcag2a`` and ``wcag2aa`` rules. Any violation
fails the page, naming each rule, its impact and the first elements it flags.

The audit uses the theme's light mode (the book's ``default_mode``); the dark mode passed the
same audit when the CSS fix for exercise links was made.

Needs Debian's ``chromium``; without it the tests are skipped, or fail when ``CI`` is set.
Build first: ``jupyter-book build . -W --keep-going`` (or set ``NNLAB_BOOK_HTML``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 900}
AXE_OPTIONS = {"runOnly": ["wcag2a", "wcag2aa"], "resultTypes": ["violations"]}
# Pages that are audited when built; the toc's pages must all exist.
OPTIONAL_PAGES = ("genindex.html", "py-modindex.html", "search.html")
SEARCH_QUERY = "?q=network"
SEARCH_DONE_JS = """() => {
  const s = document.querySelector('#search-results .search-summary');
  return s !== null && s.textContent.trim() !== '';
}"""
# Typeset math and loaded fonts change what axe measures (contrast, names): wait for both.
SETTLE_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  return true;
}"""
# Open what a reader can open: solution dropdowns (sphinx-togglebutton) and <details>
# (hidden cell inputs, sphinx-design dropdowns). Returns how many were opened.
OPEN_ALL_JS = """() => {
  let opened = 0;
  // The title of a hidden admonition toggles it (its button's click bubbles up to it).
  for (const title of document.querySelectorAll('.toggle-hidden > .admonition-title')) {
    title.click();
    opened += 1;
  }
  for (const d of document.querySelectorAll('details:not([open])')) {
    d.open = true;
    opened += 1;
  }
  return opened;
}"""
STILL_HIDDEN_JS = "() => document.querySelectorAll('.toggle-hidden').length"
# Opening a dropdown fades its content in: audit the end state, not a frame of the fade (axe
# once measured a solution's text at 1.06:1 mid-transition).
NO_MOTION_CSS = (
    "*, *::before, *::after { transition: none !important; animation: none !important; }"
)
ANIMATIONS_DONE_JS = """async () => {
  await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
  return true;
}"""
# Images in the article (figures, plots, animation frames), with their alt text.
IMAGES_JS = """() => [...document.querySelectorAll('article img')].map(img => ({
  src: (img.getAttribute('src') || '').slice(0, 80),
  alt: img.getAttribute('alt'),
}))"""
# Alt text that is a path or file name, as Sphinx writes when none is given.
FILE_NAME_ALT = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|gif|svg|webp)$|_images/", re.IGNORECASE)
MAX_TARGETS = 3


@pytest.fixture(scope="module")
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light")
    yield context
    context.close()


def violation_report(page_name: str, violations: list[dict[str, Any]]) -> str:
    """One readable block per violated rule: id, impact, what it means, where."""
    lines = [f"{page_name}: {len(violations)} WCAG 2 A/AA rule(s) violated"]
    for v in violations:
        nodes = v["nodes"]
        targets = [" ".join(map(str, n["target"])) for n in nodes[:MAX_TARGETS]]
        more = f" (+{len(nodes) - MAX_TARGETS} more)" if len(nodes) > MAX_TARGETS else ""
        lines.append(f"  {v['id']} [{v['impact']}] {v['help']}: {len(nodes)} element(s)")
        lines += [f"      {t}" for t in targets]
        if more:
            lines.append(f"      {more.strip()}")
        summary = nodes[0].get("failureSummary", "").strip().splitlines()
        if summary:
            lines.append(f"      first: {' '.join(s.strip() for s in summary)}")
    return "\n".join(lines)


@dataclass
class Audit:
    """What one page showed: axe's violations, its images' alt text, blocked requests."""

    violations: list[dict[str, Any]]
    images: list[dict[str, str | None]]
    blocked: list[str] = field(default_factory=list)


def audit(context: Any, axe: Any, path: Path, page_name: str) -> Audit:
    blocked: list[str] = []

    def route(route: Any) -> None:
        if route.request.url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page = context.new_page()
    try:
        page.route("**/*", route)
        query = SEARCH_QUERY if page_name == "search.html" else ""
        page.goto(path.as_uri() + query, wait_until="load")
        page.evaluate(SETTLE_JS)
        if page_name == "search.html":
            page.wait_for_function(SEARCH_DONE_JS)
        page.add_style_tag(content=NO_MOTION_CSS)
        page.evaluate(OPEN_ALL_JS)
        page.evaluate(ANIMATIONS_DONE_JS)
        assert page.evaluate(STILL_HIDDEN_JS) == 0, f"{page_name}: a dropdown did not open"
        results = axe.run(page, options=AXE_OPTIONS)
        images = page.evaluate(IMAGES_JS)
    finally:
        page.close()
    return Audit(results.response["violations"], images, blocked)


@pytest.fixture(scope="module")
def audits() -> dict[str, Audit]:
    """Audits already made in this module, by page: each page is opened once."""
    return {}


@pytest.fixture
def page_audit(
    built_html: Path, context: Any, axe: Any, audits: dict[str, Audit], audit_page: str
) -> Audit:
    path = built_html / audit_page
    if not path.is_file():
        if audit_page in OPTIONAL_PAGES:
            pytest.skip(f"{audit_page} was not built")
        pytest.fail(f"{audit_page} was not built (listed in _toc.yml?)", pytrace=False)
    if audit_page not in audits:
        audits[audit_page] = audit(context, axe, path, audit_page)
    result = audits[audit_page]
    assert not result.blocked, f"{audit_page} requested the network: {result.blocked}"
    return result


def test_page_passes_axe_wcag2aa(page_audit: Audit, audit_page: str) -> None:
    if page_audit.violations:
        pytest.fail(violation_report(audit_page, page_audit.violations), pytrace=False)


def test_images_say_what_they_show(page_audit: Audit, audit_page: str) -> None:
    """axe accepts any alt text; a file name (Sphinx's default for figures) tells nothing."""
    bad = [
        f"{img['src']!r}: alt={img['alt']!r}"
        for img in page_audit.images
        if not (img["alt"] or "").strip() or FILE_NAME_ALT.search(img["alt"] or "")
    ]
    if bad:
        pytest.fail(
            f"{audit_page}: {len(bad)} of {len(page_audit.images)} image(s) in the text have no "
            "alt text saying what they show:\n  " + "\n  ".join(bad),
            pytrace=False,
        )
