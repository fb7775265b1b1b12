"""The summary figure (matplotlib, Agg backend): four panels of the run's results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .config import DIGITS_TARGET
from .targets import MEMORY_RATIO_MAX, REFERENCE, SPEEDUP

COLORS = {"nnlab": "tab:blue", "torch": "tab:orange", "gemm": "tab:gray", "sklearn": "tab:green"}


def _config_label(row: dict) -> str:
    return f"{row['shape']} {row['dtype'].replace('float', 'f')} {row['threads']}t"


def _step_times(ax, steps: list[dict]) -> None:
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
    ax.set_ylabel("time per step (µs, log)")
    ax.set_title("Training step: median, min–max")
    ax.legend(fontsize=8)


def _speedups(ax, steps: list[dict]) -> None:
    x = np.arange(len(steps))
    if steps[0]["torch_over_nnlab"] is None:
        ax.text(0.5, 0.5, "PyTorch not installed", ha="center", va="center")
        ax.set_axis_off()
        return
    ratio = [r["torch_over_nnlab"] for r in steps]
    ax.bar(x, ratio, color=["tab:blue" if v >= 1 else "lightcoral" for v in ratio])
    ax.axhline(1.0, color="black", lw=0.8)
    for i, r in enumerate(steps):
        if (r["dtype"], r["threads"]) == REFERENCE and r["shape"] in SPEEDUP:
            ax.plot([i - 0.45, i + 0.45], [SPEEDUP[r["shape"]]] * 2, color="black", lw=2.5)
    ax.set_xticks(x, [_config_label(r) for r in steps], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("PyTorch time / nnlab time")
    ax.set_title("Speed-up over PyTorch (black ticks: targets; red: nnlab slower)")


def _digits(ax, digits: dict) -> None:
    for key, label, color in (
        ("nnlab", "nnlab", COLORS["nnlab"]),
        ("nnlab_he", "nnlab (He init)", "tab:purple"),
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
    """Draw the four panels and save them as PNG to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9), layout="constrained")
    _step_times(axes[0, 0], results["steps"])
    _speedups(axes[0, 1], results["steps"])
    _digits(axes[1, 0], results["digits"])
    _memory(axes[1, 1], results["memory"])
    fig.suptitle("nnlab benchmarks")
    fig.savefig(path, format="png", dpi=110)
    plt.close(fig)
