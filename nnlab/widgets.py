"""Interactive widgets for the book. Each keeps its computation in plain functions (unit
tested) apart from the ipywidgets wiring; ipywidgets and matplotlib are imported lazily.

In Jupyter a widget recomputes live; the static book has no kernel, so every widget cell is
paired with a static counterpart (a figure or a ``to_jshtml`` animation).
"""

from __future__ import annotations


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError:
        raise ImportError(
            "nnlab.widgets needs ipywidgets: pip install ipywidgets "
            "(or pip install 'nnlab[widgets]')."
        ) from None
    return ipywidgets
