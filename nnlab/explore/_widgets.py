"""What the explorers share: the lazy ipywidgets import and the style of their controls.

ipywidgets (like matplotlib, through :func:`nnlab.viz._plt`) is imported inside the functions
that build a widget, so ``import nnlab.explore`` needs only NumPy.
"""

from __future__ import annotations

# The default description width cuts long labels ("hidden la..."): let each take its own width.
FULL_LABEL = {"description_width": "initial"}


def ipywidgets():
    """The ``ipywidgets`` module, or an ImportError that says how to install it."""
    try:
        import ipywidgets
    except ImportError:
        raise ImportError(
            "nnlab.explore needs ipywidgets: pip install ipywidgets "
            "(or pip install 'nnlab[widgets]')."
        ) from None
    return ipywidgets
