"""Feedback for the implement-it exercises, and the helpers that call learner code safely.

:class:`Feedback` is what every checker returns. :func:`safe_call` runs the learner's function
with warnings and floating-point errors silenced, turning an exception into :class:`Raised`;
:func:`as_array` and :func:`unpack_tuple` read its return value, raising :class:`Wrong` with a
message in the learner's terms (``your db is a str, ...``).
"""

from __future__ import annotations

import contextlib
import html
import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

# Text, background and border colours. Text on background is at least 7:1 (WCAG AAA, so AA
# with room to spare); the border, a non-text element, is at least 3:1. Both colours are set
# explicitly, so the message stays readable under a dark Jupyter theme.
COLOURS = {
    True: {"text": "#14532d", "background": "#ecf8ef", "border": "#2f7d4f"},
    False: {"text": "#7f1d1d", "background": "#fdf0ef", "border": "#c0392b"},
    None: {"text": "#1e3a5f", "background": "#eef3f9", "border": "#4a6f9c"},
}
MARKS = {True: "\N{CHECK MARK}", False: "\N{BALLOT X}", None: "\N{LOWER RIGHT PENCIL}"}
STATUS = {True: "passed", False: "not yet", None: "your turn"}

# The numbers of the equations that checker messages cite, as the rendered book shows them
# (Jupyter Book numbers equations across the whole book). A test of the built book checks them
# against its HTML, so a chapter that adds an equation cannot leave a message pointing at the
# wrong one.
EQUATIONS = {"opt-momentum": 29, "opt-adam": 30}


def equation(label: str) -> str:
    """``"eq. (26)"``: how a checker message cites the book's equation ``label``."""
    return f"eq. ({EQUATIONS[label]})"


@dataclass(frozen=True, repr=False)
class Feedback:
    """The verdict of a checker: ``passed``, and a ``hint`` in the learner's terms.

    Shown in Jupyter as a short coloured message (``_repr_html_``), elsewhere as plain text.
    ``bool(feedback)`` is ``feedback.passed``, so ``assert check_...(fn)`` works in a cell.
    A stub that still raises ``NotImplementedError`` is not a failure: its feedback has
    ``attempted=False`` and shows as a neutral "your turn" box with what to write.
    """

    passed: bool
    hint: str
    exercise: str = ""
    attempted: bool = True

    @classmethod
    def not_attempted(cls, todo: str, exercise: str = "") -> Feedback:
        """The feedback for a stub: ``passed`` is False, the hint says what to write."""
        return cls(False, f"not attempted yet: {todo}", exercise, attempted=False)

    @property
    def _state(self) -> bool | None:
        return self.passed if self.attempted else None

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        title = f"{self.exercise} \N{EM DASH} " if self.exercise else ""
        return f"{MARKS[self._state]} {title}{self.hint}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        c = COLOURS[self._state]
        style = (
            f"color:{c['text']};background:{c['background']};"
            f"border-left:4px solid {c['border']};padding:0.45em 0.8em;margin:0.3em 0;"
            "line-height:1.45;font-family:inherit"
        )
        title = f"{html.escape(self.exercise)}: " if self.exercise else ""
        lines = "<br>".join(html.escape(line) for line in self.hint.splitlines())
        return (
            f'<div role="status" style="{style}"><strong>{MARKS[self._state]} {title}'
            f"{STATUS[self._state]}</strong><br>{lines}</div>"
        )


@dataclass
class Case:
    """One call of the learner's function: ``args`` in order, and a label for messages."""

    label: str
    args: dict[str, object]
    meta: dict = field(default_factory=dict)

    def copies(self) -> list:
        return [a.copy() if isinstance(a, np.ndarray) else a for a in self.args.values()]

    def describe(self) -> str:
        parts = []
        for name, a in self.args.items():
            if isinstance(a, np.ndarray):
                parts.append(f"{name} {a.shape}")
            elif isinstance(a, numbers.Real) and not isinstance(a, bool):
                parts.append(f"{name}={a:g}")
            elif isinstance(a, tuple):
                parts.append(f"{name}={a}")
        label = f"'{self.label}'"
        return f"{label} ({', '.join(parts)})" if parts else label


class Raised:
    """The outcome of a call that raised ``exc``."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def message(self) -> str:
        text = str(self.exc).strip()
        return f"{type(self.exc).__name__}: {text}" if text else type(self.exc).__name__


class Wrong(Exception):
    """Raised while reading the learner's output: the message says what is wrong with it."""


@contextlib.contextmanager
def quiet():
    """Silence warnings and floating-point errors: an overflow should become inf, not noise."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def safe_call(fn: Callable, args: Sequence) -> object:
    """``fn(*args)``, or :class:`Raised` if it raised (not NotImplementedError)."""
    with quiet():
        try:
            return fn(*args)
        except NotImplementedError:
            raise
        except Exception as exc:
            return Raised(exc)


def join(names: Sequence[str]) -> str:
    """``["dW", "db", "dX"]`` -> ``"dW, db and dX"``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def kind(value) -> str:
    """A learner-readable name for the type of ``value``: ``"an int"``, ``"None"``."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def as_array(value, name: str, *, scalar: bool = False) -> np.ndarray:
    """``value`` as a float array, or :class:`Wrong`; with ``scalar``, size 1 becomes 0-d."""
    if value is None:
        raise Wrong(f"your {name} is None")
    try:
        with quiet():
            arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        what = "a real number" if scalar else "an array of real numbers"
        raise Wrong(f"your {name} is {kind(value)}, not {what}") from None
    if scalar and arr.size == 1:
        arr = arr.reshape(())
    return arr


def unpack_tuple(out, names: Sequence[str], *, scalars: Sequence[str] = ()) -> dict:
    """Read ``out`` as a tuple of arrays named ``names``, or raise :class:`Wrong`."""
    expected = f"({', '.join(names)})"
    if out is None:
        raise Wrong(
            f"your function returned None; it must return {expected}: is the return "
            "statement missing?"
        )
    if not isinstance(out, tuple | list):
        raise Wrong(f"your function returned {kind(out)}; it must return a tuple {expected}")
    if len(out) != len(names):
        raise Wrong(f"your function returned {len(out)} values; it must return {expected}")
    return {n: as_array(v, n, scalar=n in scalars) for n, v in zip(names, out, strict=True)}
