"""What each pass costs, in FLOPs and in time, and what throughput each mode reaches
(chapter book/comparing-performance).

Compute (:func:`gemm_rate`, :func:`pass_costs`, :func:`throughput`,
:func:`benchmark_results`) -> figure (:func:`plot_achieved_rate`, :func:`plot_throughput`,
:func:`plot_cost_split`, :func:`plot_benchmark`) -> widget (:func:`cost_explorer`). Times
are measurements of this machine: a chapter shows them and compares ratios, never asserts
them. FLOPs are exact (:func:`nnlab.flops`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..losses import SoftmaxCrossEntropy
from ..network import mlp
from ..profile import cached_bytes, time_passes
from ..train import predict
from ..viz import pyplot
from ._widgets import FULL_LABEL, explorer, ipywidgets

PHASE_COLORS = {"forward": "#0072B2", "backward": "#D55E00", "step": "#009E73"}


def _batch(n_in: int, n_out: int, batch_size: int, dtype, seed: int = 0):
    gen = np.random.default_rng(seed)
    X = gen.normal(size=(batch_size, n_in)).astype(dtype)
    return X, gen.integers(0, n_out, batch_size)


def gemm_rate(sizes=(256, 512, 1024), dtype=np.float32, repeats: int = 5) -> float:
    """The best GFLOP/s of square matrix products of the given ``sizes`` (best of ``repeats``
    each): the machine's practical peak for the products a dense layer runs."""
    gen = np.random.default_rng(0)
    best = 0.0
    for n in sizes:
        A, B = gen.normal(size=(n, n)).astype(dtype), gen.normal(size=(n, n)).astype(dtype)
        C = np.empty((n, n), dtype=dtype)
        np.matmul(A, B, out=C)
        fastest = min(_timed(lambda A=A, B=B, C=C: np.matmul(A, B, out=C)) for _ in range(repeats))
        best = max(best, 2 * n**3 / fastest / 1e9)
    return best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def pass_costs(
    widths=(64, 256, 1024),
    batch_sizes=(16, 64, 256),
    *,
    depth: int = 2,
    n_in: int = 784,
    n_out: int = 10,
    dtype=np.float32,
    repeats: int = 15,
) -> list[dict]:
    """FLOPs (exact) and median times of forward, backward and the SGD update of an MLP
    ``n_in -> width x depth -> n_out`` (ReLU), for every width and batch size.

    Returns
    -------
    list of dict
        One per ``(width, batch_size)``: ``width``, ``batch_size``, ``n_params``,
        ``flops_forward``, ``flops_backward`` (``dW`` and ``dX`` products, the first layer's
        ``dX`` skipped as in training), ``forward``, ``backward``, ``step`` (seconds,
        medians of :func:`nnlab.time_passes`), ``gflops_forward``, ``gflops_backward``.
    """
    from ..counting import flops

    rows = []
    for width in widths:
        for batch_size in batch_sizes:
            net = mlp([n_in] + [width] * depth + [n_out], "relu", rng=0, dtype=dtype)
            X, y = _batch(n_in, n_out, batch_size, dtype)
            per_layer = flops(net, batch_size)
            first_dX = 2 * batch_size * n_in * width  # skipped by backward(input_grad=False)
            f_fwd = sum(r["forward"] for r in per_layer)
            f_bwd = sum(r["backward"] for r in per_layer) - first_dX
            t = time_passes(net, SoftmaxCrossEntropy(), X, y, repeats=repeats)
            row = {
                "width": width,
                "batch_size": batch_size,
                "n_params": net.n_params,
                "flops_forward": f_fwd,
                "flops_backward": f_bwd,
                **{phase: t[phase]["median"] for phase in ("forward", "backward", "step")},
            }
            row["gflops_forward"] = f_fwd / row["forward"] / 1e9
            row["gflops_backward"] = f_bwd / row["backward"] / 1e9
            rows.append(row)
    return rows


def throughput(
    sizes=(784, 256, 256, 10),
    batch_sizes=(1, 4, 16, 64, 256, 1024),
    *,
    dtype=np.float32,
    repeats: int = 9,
) -> list[dict]:
    """Samples per second of inference (``predict``) and of a training step, and the bytes
    each keeps, for each batch size.

    Returns
    -------
    list of dict
        ``batch_size``, ``inference`` and ``training`` (samples/s, from the best of
        ``repeats``), ``inference_kept`` (bytes kept after an inference forward: 0) and
        ``training_kept`` (bytes kept for backward after a training forward).
    """
    rows = []
    net = mlp(list(sizes), "relu", rng=0, dtype=dtype)
    loss = SoftmaxCrossEntropy()
    for batch_size in batch_sizes:
        X, y = _batch(sizes[0], sizes[-1], batch_size, dtype)
        predict(net, X)
        infer = min(_timed(lambda X=X: predict(net, X)) for _ in range(repeats))
        net.forward(X, cache=False)
        inference_kept = cached_bytes(net)
        t = time_passes(net, loss, X, y, repeats=repeats)
        step = t["forward"]["min"] + t["loss"]["min"] + t["backward"]["min"] + t["step"]["min"]
        net.forward(X)
        rows.append(
            {
                "batch_size": batch_size,
                "inference": batch_size / infer,
                "training": batch_size / step,
                "inference_kept": inference_kept,
                "training_kept": cached_bytes(net),
            }
        )
    return rows


def plot_achieved_rate(rows: list[dict], peak: float, ax=None):
    """Achieved GFLOP/s of forward and backward against the FLOPs of the pass (its size),
    with the measured matrix-product rate as the ceiling. Not a roofline: the x-axis is the
    amount of work, not its arithmetic intensity (FLOPs per byte moved)."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6), constrained_layout=True)
    for phase, marker in (("forward", "o"), ("backward", "s")):
        ax.scatter(
            [r[f"flops_{phase}"] for r in rows],
            [r[f"gflops_{phase}"] for r in rows],
            marker=marker,
            color=PHASE_COLORS[phase],
            label=phase,
        )
    ax.axhline(peak, color="black", linestyle="--", label=f"matrix product, {peak:.0f} GFLOP/s")
    ax.set(xscale="log", yscale="log", xlabel="FLOPs of the pass", ylabel="achieved GFLOP/s")
    ax.legend(fontsize=8)
    return ax


def plot_throughput(rows: list[dict], ax=None):
    """Samples per second of inference and of training against the batch size."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6), constrained_layout=True)
    batches = [r["batch_size"] for r in rows]
    ax.plot(batches, [r["inference"] for r in rows], "o-", color="#0072B2", label="inference")
    ax.plot(batches, [r["training"] for r in rows], "s--", color="#D55E00", label="training step")
    ax.set(xscale="log", yscale="log", xlabel="batch size N", ylabel="samples per second")
    ax.set_xticks(batches, [str(b) for b in batches])
    ax.legend(fontsize=8)
    return ax


def plot_cost_split(row: dict, axes=None):
    """Two stacked bars: the time split and the FLOP split of one training step."""
    plt = pyplot()
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(7, 2.6), constrained_layout=True)
    time_total = row["forward"] + row["backward"] + row["step"]
    flop_total = row["flops_forward"] + row["flops_backward"]
    left_t = left_f = 0.0
    for phase in ("forward", "backward", "step"):
        share = row[phase] / time_total
        axes[0].barh(0, share, left=left_t, color=PHASE_COLORS[phase], label=phase)
        left_t += share
        if phase != "step":
            share = row[f"flops_{phase}"] / flop_total
            axes[1].barh(0, share, left=left_f, color=PHASE_COLORS[phase])
            left_f += share
    for ax, title in ((axes[0], "time"), (axes[1], "FLOPs")):
        ax.set(xlim=(0, 1), yticks=[], title=f"share of a training step: {title}")
    axes[0].legend(fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    return axes


# Where the benchmark suite (python -m benchmarks) records its latest run, beside the package.
BENCHMARK_FILE = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "latest.json"
BENCHMARK_NAMES = {
    "nnlab": "nnlab",
    "torch": "PyTorch (CPU)",
    "gemm": "its matrix products alone",
    "loop": "per-sample Python loop",
}


def benchmark_results(path=None) -> dict:
    """The latest recorded run of nnlab's benchmark suite (a dict read from its JSON file)."""
    return json.loads(Path(path or BENCHMARK_FILE).read_text(encoding="utf-8"))


def benchmark_steps(results: dict, *, dtype: str = "float32", threads: int = 1) -> list[dict]:
    """The training-step rows of ``results`` for one dtype and thread count, in order."""
    return [s for s in results["steps"] if s["dtype"] == dtype and s["threads"] == threads]


def plot_benchmark(steps: list[dict], ax=None):
    """Median training-step time of each benchmark row, one horizontal group of bars per row
    (nnlab, PyTorch, the step's matrix products timed alone, the per-sample loop: those
    measured), on a log scale. Row labels read on the y-axis, so they never overlap."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.9 * len(steps) + 1.2), constrained_layout=True)
    colors = {"nnlab": "#0072B2", "torch": "#D55E00", "gemm": "#009E73", "loop": "#999999"}
    height = 0.8 / len(BENCHMARK_NAMES)
    for k, name in enumerate(BENCHMARK_NAMES):
        ys = [i + height * (k - 1.5) for i, s in enumerate(steps) if name in s["timings"]]
        ms = [s["timings"][name]["median"] * 1e3 for s in steps if name in s["timings"]]
        ax.barh(ys, ms, height, color=colors[name], label=BENCHMARK_NAMES[name])
    ax.set_yticks(range(len(steps)), [s["label"] for s in steps], fontsize=9)
    ax.invert_yaxis()
    ax.set(xscale="log", xlabel="training step (ms, median)")
    ax.legend(fontsize=8, ncol=len(BENCHMARK_NAMES), loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return ax


def cost_explorer():
    """Widget: pick width, depth and batch size; see how a training step's time and FLOPs
    split between forward, backward and the update. Needs a running kernel; the chapter's
    cost-split figures are its static counterpart."""
    w = ipywidgets()
    controls = {
        "width": w.Dropdown(options=[32, 64, 128, 256, 512, 1024], value=256, description="width"),
        "depth": w.IntSlider(value=2, min=1, max=8, description="hidden layers", style=FULL_LABEL),
        "batch": w.Dropdown(options=[1, 8, 32, 128, 512], value=32, description="batch"),
    }

    def draw(width, depth, batch):
        plot_cost_split(pass_costs((width,), (batch,), depth=depth, repeats=7)[0])

    return explorer(controls, draw)
