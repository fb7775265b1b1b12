"""Keep the built book self-contained: no CDN request and no duplicate inline script.

Loaded from ``_config.yml`` (``sphinx: local_extensions: offline_html: book/_ext``).

* Notebook outputs: matplotlib's ``Animation.to_jshtml()`` emits a font-awesome
  ``<link rel="stylesheet" href="https://cdnjs...">``; other libraries may emit remote
  ``<script src>`` or ``@import``. Such tags are removed from raw HTML nodes when a document
  is resolved (the theme's own icons still draw the animation buttons).
* Page assets: any script or stylesheet registered by an extension with a remote URL is
  dropped from the page (JB1 or its extensions can add some, e.g. widget JS), and an inline
  script whose body repeats an earlier one is dropped: sphinx-thebe registers its config twice,
  so ``const THEBE_JS_URL`` is declared twice and the browser logs a SyntaxError.

The repository root is also put on ``sys.path`` so autodoc imports ``nnlab`` from the work
tree even when the package is not installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

_REMOTE = r"""(?:https?:)?//"""
# <link ... href="https://..."> and <script ... src="//..."></script> in raw output HTML.
_REMOTE_LINK = re.compile(rf"""<link\b[^>]*\bhref\s*=\s*["']?{_REMOTE}[^>]*>""", re.IGNORECASE)
_REMOTE_SCRIPT = re.compile(
    rf"""<script\b[^>]*\bsrc\s*=\s*["']?{_REMOTE}[^>]*>\s*</script\s*>""", re.IGNORECASE
)
_REMOTE_IMPORT = re.compile(rf"""@import\s+(?:url\(\s*)?["']?{_REMOTE}[^;]*;""", re.IGNORECASE)
_PATTERNS = (_REMOTE_LINK, _REMOTE_SCRIPT, _REMOTE_IMPORT)


def is_remote(url: str | None) -> bool:
    """True for ``http://``, ``https://`` and protocol-relative ``//`` URLs."""
    return bool(url) and re.match(_REMOTE, url.strip(), re.IGNORECASE) is not None


def strip_remote_tags(html: str) -> tuple[str, list[str]]:
    """Remove tags that load remote resources; return the new HTML and what was removed."""
    removed: list[str] = []
    for pattern in _PATTERNS:
        removed += pattern.findall(html)
        html = pattern.sub("", html)
    return html, removed


def _clean_raw_nodes(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split():
            continue
        html, removed = strip_remote_tags(node.astext())
        if removed:
            logger.verbose(
                "offline_html: removed %d remote tag(s) from %s: %s",
                len(removed),
                docname,
                removed,
            )
            node.replace_self(nodes.raw("", html, **node.attributes))


def _asset_url(asset: Any) -> str | None:
    filename = getattr(asset, "filename", asset)
    return filename if isinstance(filename, str) else None


def _clean_page_assets(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if not assets:
            continue
        kept, bodies = [], set()
        for asset in assets:
            url = _asset_url(asset)
            if is_remote(url):
                logger.verbose("offline_html: dropped %s from page %s", url, pagename)
                continue
            body = getattr(asset, "attributes", {}).get("body")
            if not url and body:
                if body in bodies:
                    continue
                bodies.add(body)
            kept.append(asset)
        context[key] = kept


def setup(app: Sphinx) -> dict[str, Any]:
    root = str(Path(app.confdir).resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    # After post-transforms: myst-nb picks each output's MIME type (and so makes the raw
    # HTML node) only then.
    app.connect("doctree-resolved", _clean_raw_nodes)
    # Run late, after the theme and the other extensions have added their assets.
    app.connect("html-page-context", _clean_page_assets, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
