"""The step benchmarks: every row x dtype x thread count, candidates timed side by side.

The rows are the MLPs (a)-(c) and the convolutional and recurrent networks (d)-(f) (see
:mod:`benchmarks.config`). For each configuration the candidates are nnlab's step, PyTorch's
step (optional), the GEMM bound, nnlab's forward and backward passes alone, and (for the
shapes in ``LOOP_SHAPES``) the per-sample Python loop. NumPy's BLAS threads are set with
threadpoolctl, PyTorch's with ``torch.set_num_threads``, both for the whole configuration.

A row whose layers this nnlab does not export (``nnlab.RNN`` for (f), while it is being
written) is skipped, with the reason logged and returned.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator

from threadpoolctl import threadpool_limits

from .arch_steps import skip_reason
from .config import ALL_SHAPES, DTYPES, LOOP_SHAPES, THREADS, Arch, Settings, Shape
from .steps import (
    PerSampleLoop,
    agreement,
    build_net,
    flop_ratio,
    gemm_bound,
    make_batch,
    make_loss,
    nnlab_passes,
    nnlab_step,
    torch_step,
)
from .timing import measure


@contextlib.contextmanager
def torch_threads(n: int, enabled: bool) -> Iterator[None]:
    """Set PyTorch's intra-op thread count for the block (no-op when torch is not used)."""
    if not enabled:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def candidates(shape: Shape | Arch, dtype: str, seed: int, *, use_torch: bool) -> tuple[dict, dict]:
    """The timed callables of one configuration, and its FLOP counts."""
    X, y = make_batch(shape, dtype, seed)
    net = build_net(shape, dtype, seed)
    timed: dict[str, Callable[[], object]] = {}
    if use_torch:
        timed["torch"], _ = torch_step(net, shape, X, y)  # from the same initial weights
    if shape.key in LOOP_SHAPES:
        timed["loop"] = PerSampleLoop(net, shape).bind(X, y)
    timed["nnlab"] = nnlab_step(net, make_loss(shape), X, y)
    timed["forward"], timed["backward"] = nnlab_passes(
        build_net(shape, dtype, seed), make_loss(shape), X, y
    )
    timed["gemm"], flops, calls = gemm_bound(shape, dtype, seed)
    return timed, {
        "gemm_flops": flops,
        "gemm_calls": calls,
        "bwd_over_fwd_flops": flop_ratio(net, shape.batch, shape.sample),
        # Where nnlab's parameter buffer starts within a 64-byte cache line (0 = aligned).
        "flat_params_mod64": net.flat_params.ctypes.data % 64,
    }


def _summary(shape: Shape | Arch, dtype: str, threads: int, timings: dict, flops: dict) -> dict:
    med = {name: t.median for name, t in timings.items()}
    return {
        "shape": shape.key,
        "label": shape.label,
        "family": shape.family,  # "mlp", "cnn" or "rnn" (absent from older results: "mlp")
        "layers": shape.description if isinstance(shape, Arch) else None,
        "dtype": dtype,
        "threads": threads,
        "timings": {name: t.to_dict() for name, t in timings.items()},
        **flops,
        "gemm_gflops": flops["gemm_flops"] / med["gemm"] / 1e9,
        "nnlab_over_gemm": med["nnlab"] / med["gemm"],
        "bwd_over_fwd": med["backward"] / med["forward"],
        "torch_over_nnlab": med["torch"] / med["nnlab"] if "torch" in med else None,
        "torch_over_gemm": med["torch"] / med["gemm"] if "torch" in med else None,
        "loop_over_nnlab": med["loop"] / med["nnlab"] if "loop" in med else None,
    }


def selected_shapes(
    keys: Collection[str] | None, log: Callable[[str], None]
) -> tuple[list[Shape | Arch], list[dict]]:
    """The rows to run (all, or those in ``keys``), and ``[{"shape", "reason"}]`` for the
    selected rows this nnlab cannot build."""
    shapes, skipped = [], []
    for shape in ALL_SHAPES:
        if keys is not None and shape.key not in keys:
            continue
        reason = skip_reason(shape) if isinstance(shape, Arch) else None
        if reason:
            log(f"  SKIPPED {shape.label}: {reason}")
            skipped.append({"shape": shape.key, "label": shape.label, "reason": reason})
        else:
            shapes.append(shape)
    return shapes, skipped


def run_steps(
    settings: Settings,
    *,
    use_torch: bool,
    log: Callable[[str], None],
    keys: Collection[str] | None = None,
) -> tuple[list[dict], list[dict], list[dict]]:
    """Time every configuration of the rows in ``keys`` (default: all); return ``(rows,
    checks, skipped)``.

    ``checks`` holds, per shape and dtype, the agreement of one step of PyTorch and of the
    per-sample loop with nnlab's (first-step loss and gradients). ``skipped`` lists the rows
    this nnlab cannot build, with the reason.
    """
    shapes, skipped = selected_shapes(keys, log)
    checks = []
    for shape in shapes:
        for dtype in DTYPES:
            check = agreement(
                shape,
                dtype,
                settings.seed,
                with_torch=use_torch,
                with_loop=shape.key in LOOP_SHAPES,
            )
            checks.append(check)
            if not check["ok"]:
                log(f"  WARNING: {shape.label} {dtype}: implementations disagree: {check}")
    configs = [(s, d, t) for s in shapes for d in DTYPES for t in THREADS]
    rows = []
    for i, (shape, dtype, threads) in enumerate(configs, start=1):
        with threadpool_limits(limits=threads, user_api="blas"), torch_threads(threads, use_torch):
            timed, flops = candidates(shape, dtype, settings.seed, use_torch=use_torch)
            measurement = measure(
                timed,
                rounds=settings.rounds,
                samples_per_round=settings.samples_per_round,
                min_sample_time=settings.min_sample_time,
                settle_time=settings.settle_time,
                warmup_time=settings.warmup_time,
                max_extra_rounds=settings.max_extra_rounds,
                seed=settings.seed + i,
            )
        timings = measurement.timings
        row = _summary(shape, dtype, threads, timings, flops)
        row["rounds"] = measurement.to_dict()
        rows.append(row)
        for reason in measurement.discarded:
            log(f"  discarded a disturbed round: {reason}")
        versus = f", torch/nnlab {row['torch_over_nnlab']:.2f}" if use_torch else ""
        log(
            f"  [{i}/{len(configs)}] {shape.label} {dtype} {threads} thread(s): "
            f"nnlab {timings['nnlab'].median * 1e6:,.1f} us{versus}, "
            f"{row['nnlab_over_gemm']:.2f}x GEMM bound"
        )
    return rows, checks, skipped
