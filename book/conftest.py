"""pytest configuration for running the chapters with nbval (``make nbval``).

nbval compares every stored output of a notebook with a fresh run's. Two kinds of output are
left out here, so that the comparison holds on any machine, whatever BLAS kernel rounds its
matrix products:

- myst-nb glue records (``application/papermill.record/...``): the numbers a chapter's prose
  quotes. Many come out of training or of sums near machine precision, whose last digits
  depend on the kernel. The claims they support are asserted, with tolerances, in the cells
  that glue them.
- (everything nbval already skips: images, widget views, metadata.)

Cells whose printed output comes out of training carry the ``nbval-ignore-output`` tag.
"""

from __future__ import annotations

GLUE_RECORD = "application/papermill.record/"


class _SkipCompare(tuple):
    """nbval's tuple of skipped output keys, plus every glue record's MIME type."""

    def __contains__(self, key: object) -> bool:
        return (isinstance(key, str) and key.startswith(GLUE_RECORD)) or super().__contains__(key)


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        notebook = item.parent
        skip = getattr(notebook, "skip_compare", None)
        if skip is not None and not isinstance(skip, _SkipCompare):
            notebook.skip_compare = _SkipCompare(skip)
