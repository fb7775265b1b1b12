"""The report: a Markdown document, a JSON file and a figure, written next to each other.

Times are shown as ``median [min-max]`` of the samples, each sample being the mean of
several calls (see :mod:`benchmarks.timing`).

Results saved before rows (d)-(f) existed (no ``family`` in their rows, no ``skipped_rows``)
render as they did: the MLP rows have ``family`` "mlp" by default.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .config import ARCHS, DIGITS_BATCH, DIGITS_HIDDEN, DIGITS_LR, DIGITS_TARGET, THREADS
from .tables import fmt_bytes, fmt_timing
from .tables import ratio as _ratio
from .tables import table as _table
from .targets import lines


def _environment(env: dict, meta: dict) -> list[str]:
    blas = "; ".join(
        ", ".join(f"{k}={lib.get(k)}" for k in ("internal_api", "version", "architecture"))
        + f", num_threads={lib.get('num_threads')} ({lib.get('threading_layer')})"
        for lib in env["blas_libraries"]
    )
    torch = env["torch"]
    torch_text = (
        f"{torch['version']} (BLAS: {torch['blas']}, {torch['num_threads']} threads by default)"
        if torch
        else f"{meta.get('torch', 'skipped')}; its columns and targets are empty"
    )
    overrides = {k: v for k, v in env["blas_env"].items() if v is not None}
    blas_env = (
        "unset by the launcher: " + ", ".join(env["blas_env_removed"])
        if env["blas_env_removed"]
        else (f"**set: {overrides}** (the kernel may be pinned)" if overrides else "not set")
    )
    rows = [
        ["CPU", f"{env['cpu']} ({env['cpu_count']} logical CPUs)"],
        ["Python", f"{env['python']} on {env['platform']}"],
        ["nnlab", f"{env['nnlab']} (git {env['git']})"],
        ["NumPy", f"{env['numpy']}, built with {env['numpy_blas']}"],
        ["BLAS in use (threadpoolctl)", blas],
        ["OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE", blas_env],
        ["PyTorch", torch_text],
        ["scikit-learn", env["sklearn"] or "not installed"],
        [
            "Run",
            f"{meta['mode']} mode"
            + (f" (rows {', '.join(meta['only'])} only)" if meta.get("only") else "")
            + f", {meta['repeats']} timed samples per candidate, "
            f"{meta['duration_s']:.0f} s, {meta['started']}; load average (1 min) "
            f"{meta['load_average_1min']['before']:.2f} before, "
            f"{meta['load_average_1min']['after']:.2f} after",
        ],
    ]
    return _table(["", ""], rows)


def is_mlp(row: dict) -> bool:
    """Whether a step row is one of the MLPs (a)-(c) (rows saved before (d)-(f) all are)."""
    return row.get("family", "mlp") == "mlp"


def _steps(rows: list[dict], *, calls: bool = False) -> list[str]:
    """The step table; ``calls`` adds the number of matrix products in the GEMM bound."""
    body = []
    for r in rows:
        t = r["timings"]
        body.append(
            [
                r["label"],
                r["dtype"],
                str(r["threads"]),
                fmt_timing(t["nnlab"]),
                fmt_timing(t.get("torch")),
                _ratio(r["torch_over_nnlab"]),
                fmt_timing(t["gemm"]),
                *([str(r.get("gemm_calls", "–"))] if calls else []),
                f"{r['gemm_gflops']:.0f}",
                _ratio(r["nnlab_over_gemm"]),
                _ratio(r["torch_over_gemm"]),
                str(r["flat_params_mod64"]),
            ]
        )
    header = [
        "shape",
        "dtype",
        "threads",
        "nnlab step",
        "PyTorch step",
        "PyTorch / nnlab",
        "GEMM bound",
        *(["GEMM calls"] if calls else []),
        "GEMM GFLOP/s",
        "nnlab / GEMM",
        "PyTorch / GEMM",
        "nnlab params mod 64",
    ]
    out = _table(header, body)
    discarded = [
        f"{r['label']} {r['dtype']} {r['threads']} thread(s): {reason}"
        for r in rows
        for reason in r["rounds"]["rounds_discarded"]
    ]
    if discarded:
        out += ["", "Rounds discarded as disturbed (and run again):", ""]
        out += [f"- {d}" for d in discarded]
    return out


def _passes(rows: list[dict]) -> list[str]:
    body = [
        [
            r["label"],
            r["dtype"],
            str(r["threads"]),
            fmt_timing(r["timings"]["forward"]),
            fmt_timing(r["timings"]["backward"]),
            _ratio(r["bwd_over_fwd"]),
            _ratio(r["bwd_over_fwd_flops"]),
        ]
        for r in rows
    ]
    header = [
        "shape",
        "dtype",
        "threads",
        "forward",
        "backward",
        "bwd / fwd time",
        "bwd / fwd FLOPs",
    ]
    return _table(header, body)


def _loop(rows: list[dict]) -> list[str]:
    body = [
        [
            r["label"],
            r["dtype"],
            str(r["threads"]),
            fmt_timing(r["timings"]["loop"]),
            fmt_timing(r["timings"]["nnlab"]),
            f"{r['loop_over_nnlab']:.1f}x",
        ]
        for r in rows
        if "loop" in r["timings"]
    ]
    if not body:
        return ["Not run."]
    header = ["shape", "dtype", "threads", "per-sample loop", "nnlab (vectorized)", "loop / nnlab"]
    return _table(header, body)


def _checks(checks: list[dict]) -> list[str]:
    def diff(c: dict, name: str) -> str:
        if name not in c:
            return "–"
        return f"{c[name]['loss_rel_diff']:.1e} / {c[name]['grad_rel_diff']:.1e}"

    body = [
        [
            c["shape"],
            c["dtype"],
            f"{c['nnlab_loss']:.6f}",
            f"{c['torch']['loss']:.6f}" if "torch" in c else "–",
            diff(c, "torch"),
            diff(c, "loop"),
            f"{c['tolerance']:g}",
            "ok" if c["ok"] else "**DIFFERENT**",
        ]
        for c in checks
    ]
    header = [
        "shape",
        "dtype",
        "nnlab loss",
        "PyTorch loss",
        "PyTorch: loss / grad rel. diff",
        "loop: loss / grad rel. diff",
        "tolerance",
        "",
    ]
    return _table(header, body)


def _arch_section(rows: list[dict], skipped: list[dict]) -> list[str]:
    """Rows (d)-(f): what they are, how their GEMM bound is defined, and their table."""
    described = {r["shape"]: r.get("layers") for r in rows}
    described.update({s["shape"]: None for s in skipped if s["shape"] not in described})
    layers = [
        f"- ({a.key}) {a.name}, batch {a.batch}: `{a.description}`"
        for a in ARCHS
        if a.key in described
    ]
    out = [
        "## Training step: convolutional and recurrent networks",
        "",
        "The same SGD step and candidates as above, for the networks of issue 13 (nnlab's "
        "default initialization of each layer; PyTorch with `nn.Conv2d`, `nn.MaxPool2d`, "
        "`nn.Flatten`, `nn.Linear` and `nn.RNN(nonlinearity='tanh', batch_first=True)`, whose "
        "last state feeds the `Linear`):",
        "",
        *layers,
        "",
        "The GEMM bound is the step's matrix products alone, issued as nnlab issues them "
        "(`benchmarks/arch_steps.py`): for a convolution the im2col products, forward "
        "`W_row @ X_col`, backward `dZ_col @ X_col.T` and (not for the first layer) "
        "`W_row.T @ dZ_col`, without the im2col and col2im copies; for the RNN the input "
        "products of all steps as one product, the T − 1 recurrent products per step forward "
        "and backward (backpropagation through time), and `dW_xh`, `dW_hh` as one product "
        "each; for `Dense` the same products as in the MLPs. *GEMM calls*: the number of "
        "products (the RNN's bound is mostly the cost of that many small BLAS calls). "
        "*nnlab / GEMM* is the step's time over that bound.",
        "",
    ]
    if rows:
        out += _steps(rows, calls=True)
    if skipped:
        out += ["", "Rows not run:", ""] + [f"- {s['label']}: {s['reason']}" for s in skipped]
    return out


def _digits(digits: dict) -> list[str]:
    names = {
        "nnlab": "nnlab (MLPClassifier's init)",
        "nnlab_he": "nnlab (its own default init)",
        "sklearn": "MLPClassifier",
    }
    body = []
    for key, label in names.items():
        s = digits.get(key)
        if s is None:
            continue
        if s["reached"]:
            high = "never" if s["seconds_max"] is None else f"{s['seconds_max']:.3f}"
            wall = f"{s['seconds']:.3f} s [{s['seconds_min']:.3f}–{high}]"
            epochs = f"{s['epochs']:g}"
        else:
            wall, epochs = "not reached", f"> {digits['max_epochs']}"
        per_run = ", ".join("–" if e is None else str(e) for e in s["epochs_per_run"])
        reached = f"{s['reached_runs']}/{s['runs']}"
        body.append(
            [label, wall, epochs, per_run, reached, f"{s['seconds_per_epoch'] * 1e3:.2f} ms"]
        )
    header = [
        "",
        f"wall time to {DIGITS_TARGET:.0%}",
        "epochs",
        "epochs per seed",
        "runs reaching",
        "training time / epoch",
    ]
    return _table(header, body)


def _memory(memory: list[dict]) -> list[str]:
    body = []
    for m in memory:
        top = m["top_live_sites"][0]
        body.append(
            [
                m["shape"],
                m["dtype"],
                fmt_bytes(m["peak"]),
                fmt_bytes(m["minimum_total"]),
                f"{m['ratio']:.2f}",
                fmt_bytes(m["parameter_bytes"]),
                fmt_bytes(m["live_before_step"]),
                fmt_bytes(m["transient"]),
                f"`{top['site']}` ({fmt_bytes(top['bytes'])})",
            ]
        )
    header = [
        "shape",
        "dtype",
        "peak",
        "theoretical minimum",
        "peak / minimum",
        "parameters",
        "alive before the step",
        "allocated by the step",
        "largest live site",
    ]
    return _table(header, body)


def markdown(results: dict) -> str:
    """The whole report as Markdown."""
    steps = results["steps"]
    mlp = [r for r in steps if is_mlp(r)]
    archs = [r for r in steps if not is_mlp(r)]
    skipped = results.get("skipped_rows", [])
    digits = results.get("digits")
    threads = ", ".join(str(t) for t in THREADS)
    parts = [
        "# nnlab benchmarks",
        "",
        *_environment(results["environment"], results["meta"]),
        "",
        "## Targets (medians; float32, 2 threads unless stated)",
        "",
        "```",
        *lines(results["targets"]),
        "```",
        "",
        "## Training step",
        "",
        "One SGD step: forward, softmax cross-entropy (MSE for (c)), backward without the "
        "input gradient, update. PyTorch runs the same step eagerly from identical weights. "
        "The GEMM bound is the step's matrix products alone (NumPy, preallocated outputs, "
        "64-byte aligned operands). Median [min–max] per step; BLAS threads: "
        f"{threads}. *nnlab params mod 64*: where `net.flat_params` starts within a cache "
        "line (0 = aligned); it varies from run to run and moves the 2-thread times of (a) by "
        "about 10%.",
        "",
        *(_steps(mlp) if mlp else ["Not run."]),
        "",
        *([*_arch_section(archs, skipped), ""] if archs or skipped else []),
        "## Forward and backward passes",
        "",
        "The network's passes alone (no loss, no update); the FLOP ratio is from "
        "`nnlab.flops(net, batch, input_grad=False)`.",
        "",
        *_passes(steps),
        "",
        "## Per-sample Python loop",
        "",
        "The textbook formulation: for each sample, forward and backward with vectors, "
        "accumulating `dW += outer(a, dz)`; then one update with the mean gradient.",
        "",
        *_loop(steps),
        "",
        "## Agreement after one step from identical weights",
        "",
        *_checks(results["checks"]),
        "",
        f"## End to end: digits to {DIGITS_TARGET:.0%} test accuracy",
        "",
        *(
            [
                f"Hidden layers {DIGITS_HIDDEN}, ReLU, Adam lr {DIGITS_LR:g}, batches of "
                f"{DIGITS_BATCH}, float64 (MLPClassifier's defaults, `partial_fit` per epoch; "
                "nnlab `fit` per epoch); test accuracy checked after every epoch, checks "
                f"included in the wall time. Median over {digits['nnlab']['runs']} seeds "
                "[min–max].",
                "",
                *_digits(digits),
            ]
            if digits
            else ["Not run (`--only`)."]
        ),
        "",
        "## Playground: one train-and-redraw cycle",
        "",
        (
            "Ten training steps and every unit's activation and delta maps (a 50 x 50 grid) at "
            "the playground's default configuration (2 hidden layers of 4, 500 points), median: "
            f"{results['playground']['cycle_seconds'] * 1e3:.1f} ms (target: under 100 ms; "
            "drawing excluded)."
            if results.get("playground")
            else "Not run."
        ),
        *_frame(results.get("playground")),
        "",
        "## Peak memory of a steady-state training step (tracemalloc)",
        "",
        "Theoretical minimum: parameters + gradients + optimizer state (none for plain SGD) + "
        "cached activations (each hidden output once, and the output). MLP rows only.",
        "",
        *(_memory(results["memory"]) if results["memory"] else ["Not run."]),
        "",
    ]
    return "\n".join(parts)


def _replace(path: Path, write) -> None:
    """Write through a temporary file, so a crash never leaves a half-written report."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def write(results: dict, stem: Path) -> list[Path]:
    """Write ``stem``.md, .json and .png; return their paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    md, js, png = (stem.with_suffix(ext) for ext in (".md", ".json", ".png"))
    _replace(md, lambda p: p.write_text(markdown(results), encoding="utf-8"))
    _replace(js, lambda p: p.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8"))
    from .figure import draw

    _replace(png, lambda p: draw(results, p))
    return [md, js, png]


def _frame(playground: dict | None) -> list[str]:
    """The widget's whole frame while playing, in parts (results without it: nothing)."""
    frame = (playground or {}).get("frame")
    if not frame:
        return []
    parts = ", ".join(
        f"{name} {frame[key] * 1e3:.1f} ms"
        for key, name in (
            ("train", "10 epochs"),
            ("render", "maps, drawing and PNG"),
            ("encode", "of which rendering and PNG"),
        )
        if key in frame  # results written before the parts were renamed have others
    )
    return [
        "",
        "A whole frame of the widget while it plays (its default figure, grid and "
        f"configuration), median: {frame['frame'] * 1e3:.1f} ms ({parts}; "
        f"{frame['png_bytes'] / 1e3:.0f} kB of PNG; the browser's decoding not included).",
    ]
