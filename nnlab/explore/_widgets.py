"""What the explorers share: the lazy ipywidgets import, the style of their controls and their
wiring (:func:`explorer`).

ipywidgets (like matplotlib, through :func:`nnlab.viz.pyplot`) is imported inside the
functions that build a widget, so ``import nnlab.explore`` needs only NumPy.
"""

from __future__ import annotations

from ..viz import pyplot

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


def explorer(controls: dict, draw, *, rows=None, beside: bool = False):
    """Controls above (or beside) a figure that is drawn again whenever one of them changes.

    Parameters
    ----------
    controls : dict of str to ipywidgets widget
        The controls whose values ``draw`` takes, by keyword.
    draw : callable
        ``draw(**values)``, with the current value of every control, draws a figure with
        pyplot; the figure is then shown (``pyplot.show()``) in the explorer's output area,
        which is cleared first. It may return the figure: it is closed once shown, so no
        figure is left open whatever the backend (the inline backend closes it anyway).
    rows : list, optional
        The widgets above the output: each item a widget, or a list of widgets to lay out in
        a row (an ``HBox``). They may include widgets other than the controls (a label...).
        Default: the controls, in one row.
    beside : bool, default False
        Put the output right of the rows (stacked in a ``VBox``) instead of below them.

    Returns
    -------
    ipywidgets.VBox or ipywidgets.HBox
        ``VBox([*rows, output])``, or ``HBox([VBox(rows), output])`` with ``beside``. The
        figure is drawn once before it returns.
    """
    w = ipywidgets()
    plt = pyplot()
    out = w.Output()

    def redraw(_change=None) -> None:
        with out:
            out.clear_output(wait=True)
            fig = draw(**{name: control.value for name, control in controls.items()})
            plt.show()
            if fig is not None:
                plt.close(fig)

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    rows = [list(controls.values())] if rows is None else rows
    lines = [w.HBox(list(row)) if isinstance(row, list | tuple) else row for row in rows]
    return titled(w.HBox([w.VBox(lines), out]) if beside else w.VBox([*lines, out]))


def titled(widget):
    """Give every widget in the tree under ``widget`` that has no tooltip its description as
    one (or an empty one), and return ``widget``.

    ipywidgets 8 writes a missing tooltip into the page as the text ``"null"``: the browser
    shows "null" when the pointer rests on a control's label, and a screen reader may read it.
    """
    stack = [widget]
    while stack:
        item = stack.pop()
        if getattr(item, "tooltip", "") is None:
            item.tooltip = getattr(item, "description", "") or ""
        stack.extend(getattr(item, "children", ()))
    return widget
