"""The built book must load nothing from the network: no remote script, stylesheet, font,
image or frame in any HTML page, and no remote ``url()``/``@import`` in any CSS file.

Build first: ``jupyter-book build . -W --keep-going`` (``make book``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
# CSS: url(...) with or without quotes, and @import "..." / @import url(...).
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+(['"])([^'"]+)\1""", re.IGNORECASE)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)

# <link rel=...> values that make the browser fetch the href.
FETCHING_RELS = {
    "stylesheet",
    "preload",
    "prefetch",
    "modulepreload",
    "preconnect",
    "dns-prefetch",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "manifest",
    "font",
}
# Tags whose attribute makes the browser fetch a resource.
FETCHING_ATTRS = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "input": ("src",),
}


def css_remote_urls(css: str) -> list[str]:
    css = CSS_COMMENT.sub("", css)
    urls = [m.group(2) for m in CSS_URL.finditer(css)]
    urls += [m.group(2) for m in CSS_IMPORT.finditer(css)]
    return [u.strip() for u in urls if REMOTE.match(u)]


class _RemoteResources(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag == "link":
            rels = set(a.get("rel", "").lower().split())
            if rels & FETCHING_RELS and REMOTE.match(a.get("href", "")):
                self.found.append(f"<link rel={a.get('rel')!r} href={a['href']!r}>")
        for attr in FETCHING_ATTRS.get(tag, ()):
            for url in a.get(attr, "").split(","):
                url = url.strip().split(" ")[0] if attr == "srcset" else url
                if REMOTE.match(url):
                    self.found.append(f"<{tag} {attr}={url!r}>")
        if "style" in a:
            self.found += [f"style attribute url({u})" for u in css_remote_urls(a["style"])]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found += [f"<style> url/@import {u!r}" for u in css_remote_urls(data)]


def html_remote_resources(html: str) -> list[str]:
    parser = _RemoteResources()
    parser.feed(html)
    parser.close()
    return parser.found


def _report(problems: dict[Path, list[str]], root: Path) -> str:
    lines = [f"{len(problems)} file(s) refer to the network:"]
    for path, urls in sorted(problems.items()):
        lines += [f"  {path.relative_to(root)}: {url}" for url in urls]
    return "\n".join(lines)


def test_html_pages_load_nothing_remote(built_html: Path) -> None:
    pages = sorted(built_html.rglob("*.html"))
    assert pages, f"no HTML page under {built_html}"
    problems = {}
    for page in pages:
        found = html_remote_resources(page.read_text(encoding="utf-8", errors="replace"))
        if found:
            problems[page] = found
    assert not problems, _report(problems, built_html)


def test_css_files_load_nothing_remote(built_html: Path) -> None:
    problems = {}
    for sheet in sorted(built_html.rglob("*.css")):
        found = css_remote_urls(sheet.read_text(encoding="utf-8", errors="replace"))
        if found:
            problems[sheet] = found
    assert not problems, _report(problems, built_html)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<link rel="stylesheet" href="https://cdn.example/fa.css">', 1),
        ('<link rel="preload" as="font" href="//fonts.example/a.woff2">', 1),
        ('<script src="http://cdn.example/require.js"></script>', 1),
        ('<img srcset="a.png 1x, https://x.example/b.png 2x">', 1),
        ("<style>@import url('https://fonts.example/css');</style>", 1),
        ('<div style="background: url(//x.example/a.png)"></div>', 1),
        ('<a href="https://example.org/">a plain link is fine</a>', 0),
        ('<link rel="canonical" href="https://example.org/page.html">', 0),
        ('<script src="../_static/mathjax/tex-chtml.js"></script>', 0),
        ("<script>const THEBE_JS_URL = 'https://unpkg.example/thebe.js'</script>", 0),
    ],
)
def test_the_scanner_itself(html: str, expected: int) -> None:
    assert len(html_remote_resources(html)) == expected
