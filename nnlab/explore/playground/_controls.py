"""The playground widget's control builders: buttons, menus and the optional menus."""

from __future__ import annotations

import dataclasses

from .._widgets import FULL_LABEL
from . import config as config_module
from .config import PlaygroundConfig

# Controls for the fields that a config may have or not yet: field -> (menu in config, label).
OPTIONAL = {"l1": ("L1_RATES", "L1"), "output": ("OUTPUTS", "output (loss)")}
TRAINING = ("activation", "lr", "l1", "l2", "init", "output")  # their row, in this order


def button(w, description: str, tooltip: str, width: str = "auto", style: str = ""):
    # A fixed width is for a one-sign button: without the default padding, it is not cut to "…".
    padding = None if width == "auto" else "0"
    layout = w.Layout(width=width, padding=padding)
    return w.Button(description=description, tooltip=tooltip, button_style=style, layout=layout)


def menu(w, options, value, description: str):
    """A dropdown of ``options``, with ``value`` added (in order) if it is not one of them."""
    if value not in options:
        options = sorted({*options, value})
    return w.Dropdown(options=list(options), value=value, description=description, style=FULL_LABEL)


def optional_controls(w, c: PlaygroundConfig) -> dict:
    """The dropdowns of :data:`OPTIONAL` whose field ``c`` has and whose menu config defines."""
    fields = {f.name for f in dataclasses.fields(c)}
    controls = {}
    for name, (menu_name, label) in OPTIONAL.items():
        options = getattr(config_module, menu_name, None)
        if name in fields and options is not None:
            controls[name] = menu(w, options, getattr(c, name), label)
    return controls
