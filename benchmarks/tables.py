"""Formatting for the report: times, bytes, ratios and Markdown tables."""

from __future__ import annotations

_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"))


def _unit(seconds: float) -> tuple[float, str]:
    return next(((scale, name) for scale, name in _UNITS if seconds >= scale), _UNITS[-1])


def fmt_timing(timing: dict | None) -> str:
    """``median [min-max]`` in one unit, or a dash."""
    if timing is None:
        return "–"
    scale, unit = _unit(timing["median"])

    def num(x: float) -> str:  # 3 significant digits, no exponent
        return f"{x / scale:.3g}" if x < scale * 100 else f"{x / scale:.0f}"

    return f"{num(timing['median'])} {unit} [{num(timing['min'])}–{num(timing['max'])}]"


def fmt_bytes(n: float) -> str:
    """Bytes in B, kB or MB, 3 significant digits."""
    for scale, unit in ((1e6, "MB"), (1e3, "kB")):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def ratio(x: float | None, digits: int = 2) -> str:
    """``x`` with ``digits`` decimals, or a dash for None."""
    return "–" if x is None else f"{x:.{digits}f}"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table, one line per row."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return out + ["| " + " | ".join(row) + " |" for row in rows]
