"""The summary figure (matplotlib, Agg backend): five panels of the run's results.

Top, across the width: the step times of every row (the MLPs (a)-(c), then the
convolutional and recurrent rows (d)-(f)); then the speed-ups over PyTorch and the step
times over the GEMM bound; then the digits race and the memory. A panel whose data the run
does not hold (no PyTorch, ``--only``) says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .config import DIGITS_TARGET
from .targets import ARCH_SPEEDUP, MEMORY_RATIO_MAX, REFERENCE, SPEEDUP

COLORS = {"nnlab": "tab:blue", "torch": "tab:orange", "gemm": "tab:gray", "sklearn": "tab:green"}


def _config_label(row: dict) -> str:
    return f"{row['shape']} {row['dtype'].replace('float', 'f')} {row['threads']}t"


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center")
    ax.set_axis_off()


def _family_breaks(ax, steps: list[dict]) -> None:
    """A dotted line between the MLP rows and the convolutional/recurrent rows."""
    for i in range(1, len(steps)):
        if steps[i].get("family", "mlp") != steps[i - 1].get("family", "mlp"):
            ax.axvline(i - 0.5, color="gray", lw=0.8, ls=":")


def _step_times(ax, steps: list[dict]) -> None:
    if not steps:
        _empty(ax, "no training-step rows in this run")
        return
    x = np.arange(len(steps))
    names = [n for n in ("nnlab", "torch", "gemm") if n in steps[0]["timings"]]
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        t = [r["timings"][name] for r in steps]
        med = np.array([s["median"] for s in t]) * 1e6
        err = np.array(
            [[m - s["min"] * 1e6, s["max"] * 1e6 - m] for m, s in zip(med, t, strict=True)]
        ).T
        label = {"gemm": "GEMM bound", "torch": "PyTorch"}.get(name, name)
        ax.bar(
            x + (i - (len(names) - 1) / 2) * width,
            med,
            width,
            yerr=err,
            label=label,
            color=COLORS[name],
            capsize=2,
        )
    ax.set_yscale("log")
    ax.set_xticks(x, [_config_label(r) for r in steps], rotation=60, ha="right", fontsize=7)
    _family_breaks(ax, steps)
    ax.set_ylabel("time per step (µs, log)")
    ax.set_title("Training step: median, min–max (MLPs, then convolutional and recurrent)")
    ax.legend(fontsize=8)


def _speedups(ax, steps: list[dict]) -> None:
    x = np.arange(len(steps))
    if not steps or steps[0]["torch_over_nnlab"] is None:
        _empty(ax, "PyTorch not measured")
        return
    ratio = [r["torch_over_nnlab"] for r in steps]
    targets = {**SPEEDUP, **ARCH_SPEEDUP}
    ax.bar(x, ratio, color=["tab:blue" if v >= 1 else "lightcoral" for v in ratio])
    ax.axhline(1.0, color="black", lw=0.8)
    for i, r in enumerate(steps):
        if (r["dtype"], r["threads"]) == REFERENCE and r["shape"] in targets:
            ax.plot([i - 0.45, i + 0.45], [targets[r["shape"]]] * 2, color="black", lw=2.5)
    _family_breaks(ax, steps)
    ax.set_xticks(x, [_config_label(r) for r in steps], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("PyTorch time / nnlab time")
    ax.set_title("Speed-up over PyTorch (black ticks: targets; red: nnlab slower)")


def _gemm_ratios(ax, steps: list[dict]) -> None:
    if not steps:
        _empty(ax, "no training-step rows in this run")
        return
    x = np.arange(len(steps))
    names = [("nnlab_over_gemm", "nnlab", COLORS["nnlab"])]
    if steps[0]["torch_over_gemm"] is not None:
        names.append(("torch_over_gemm", "PyTorch", COLORS["torch"]))
    width = 0.8 / len(names)
    for i, (key, label, color) in enumerate(names):
        ax.bar(
            x + (i - (len(names) - 1) / 2) * width,
            [r[key] for r in steps],
            width,
            label=label,
            color=color,
        )
    ax.axhline(1.0, color="black", lw=0.8)
    _family_breaks(ax, steps)
    ax.set_yscale("log")
    ax.set_xticks(x, [_config_label(r) for r in steps], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("step time / GEMM bound (log)")
    ax.set_title("Step over its matrix products alone (1 = the bound)")
    ax.legend(fontsize=8)


def _digits(ax, digits: dict | None) -> None:
    if digits is None:
        _empty(ax, "digits race not run (--only)")
        return
    for key, label, color in (
        ("nnlab", "nnlab", COLORS["nnlab"]),
        ("nnlab_he", "nnlab (default init)", "tab:purple"),
        ("sklearn", "MLPClassifier", COLORS["sklearn"]),
    ):
        s = digits.get(key)
        if s:
            t, acc = zip(*s["curve"], strict=True)
            ax.plot(t, acc, label=label, color=color, lw=1.2)
    ax.axhline(DIGITS_TARGET, color="black", lw=0.8, ls="--")
    ax.set_ylim(0.8, 1.0)
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("test accuracy")
    ax.set_title("Digits, one seed: accuracy after each epoch")
    ax.legend(fontsize=8)


def _memory(ax, memory: list[dict]) -> None:
    rows = [m for m in memory if m["dtype"] == REFERENCE[0]]
    if not rows:
        _empty(ax, "memory not measured in this run")
        return
    x = np.arange(len(rows))
    bottom = np.zeros(len(rows))
    kinds = {
        "parameters": "tab:blue",
        "gradients": "tab:orange",
        "optimizer_state": "tab:green",
        "cached_activations": "tab:purple",
    }
    for kind, color in kinds.items():
        values = np.array([m["minimum"][kind] / m["minimum_total"] for m in rows])
        label = f"minimum: {kind.replace('_', ' ')}"
        ax.bar(x - 0.2, values, 0.4, bottom=bottom, label=label, color=color)
        bottom += values
    ax.bar(x + 0.2, [m["ratio"] for m in rows], 0.4, color="dimgray", label="measured peak")
    ax.axhline(MEMORY_RATIO_MAX, color="black", lw=0.8, ls="--")
    ax.set_xticks(x, [f"({m['shape']}) {m['dtype']}" for m in rows])
    ax.set_ylabel("bytes / theoretical minimum")
    ax.set_title("Peak memory of a step (dashed: target)")
    ax.legend(fontsize=7)


def draw(results: dict, path: Path) -> None:
    """Draw the five panels and save them as PNG to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(14, 13), layout="constrained")
    grid = fig.add_gridspec(3, 2)
    steps = results["steps"]
    _step_times(fig.add_subplot(grid[0, :]), steps)
    _speedups(fig.add_subplot(grid[1, 0]), steps)
    _gemm_ratios(fig.add_subplot(grid[1, 1]), steps)
    _digits(fig.add_subplot(grid[2, 0]), results.get("digits"))
    _memory(fig.add_subplot(grid[2, 1]), results["memory"])
    fig.suptitle("nnlab benchmarks")
    fig.savefig(path, format="png", dpi=110)
    plt.close(fig)
