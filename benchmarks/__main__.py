"""Command line: ``python -m benchmarks [--quick] [--no-torch] [--only KEYS] [--rounds N]
[--out STEM]``.

``python -m benchmarks --report-from benchmarks/results/latest.json`` rewrites a saved run's
Markdown and figure without measuring anything.

Run from the repository root. Progress goes to stderr; the Markdown report to stdout and, with
the JSON results and the figure, to ``benchmarks/results/latest.{md,json,png}``
(``quick.*`` for ``--quick``, ``partial.*`` for a full-length run of some rows only
(``--only``), so that neither replaces the full results).

``--only d,e,f`` times those rows only (the step rows are (a)-(f), see
:mod:`benchmarks.config`); the memory of the selected MLP rows is measured, and the digits
race is left out. Targets of rows not run are reported as not measured.

If ``OPENBLAS_CORETYPE`` or ``OPENBLAS_L2_SIZE`` are set, they pin OpenBLAS to a kernel or
cache size other than the one it detects, and OpenBLAS reads them only when it loads: the
launcher therefore runs itself again, before NumPy is imported, without them (keep them with
``--keep-blas-env``). The report says which were removed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

from .config import ALL_SHAPES, BLAS_OVERRIDES, DTYPES, FULL, QUICK, SHAPES

RESULTS = Path(__file__).resolve().parent / "results"
_REMOVED = "NNLAB_BENCH_REMOVED_BLAS_ENV"  # set for the re-run: what the launcher unset


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark nnlab's training step, end-to-end training and memory.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a fast smoke run (few repeats; writes quick.*)"
    )
    parser.add_argument(
        "--no-torch", action="store_true", help="skip PyTorch even if it is installed"
    )
    parser.add_argument(
        "--only",
        type=_keys,
        metavar="KEYS",
        help="comma-separated rows to time, e.g. d,e,f (rows: "
        f"{', '.join(s.key for s in ALL_SHAPES)}); skips the digits race",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="interleaved rounds per configuration (default: 5, quick: 2); each round "
        "takes 12 timed samples per candidate (quick: 3)",
    )
    parser.add_argument(
        "--out", type=Path, help="output path without suffix (default: benchmarks/results/latest)"
    )
    parser.add_argument(
        "--report-from",
        type=Path,
        metavar="JSON",
        help="measure nothing: rewrite the Markdown and the figure of a saved run",
    )
    parser.add_argument(
        "--keep-blas-env",
        action="store_true",
        help=f"do not re-run without {' and '.join(BLAS_OVERRIDES)}",
    )
    return parser.parse_args(argv)


def _keys(text: str) -> list[str]:
    """``"d,e,f"`` -> ``["d", "e", "f"]``, each checked against the rows."""
    keys = [k.strip() for k in text.split(",") if k.strip()]
    known = [s.key for s in ALL_SHAPES]
    unknown = [k for k in keys if k not in known]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown row(s) {', '.join(unknown) or text!r}; the rows are {', '.join(known)}"
        )
    return keys


def _rerun_without_blas_overrides(argv: list[str]) -> None:
    """Replace this process by the same command without the OpenBLAS overrides, if any."""
    found = [name for name in BLAS_OVERRIDES if name in os.environ]
    if not found:
        return
    env = {k: v for k, v in os.environ.items() if k not in found}
    env[_REMOVED] = ",".join(f"{name}={os.environ[name]}" for name in found)
    print(f"benchmarks: re-running without {', '.join(found)}", file=sys.stderr, flush=True)
    os.execve(sys.executable, [sys.executable, "-m", "benchmarks", *argv], env)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace, removed: list[str]) -> dict:
    """Run every benchmark, write the report, and return the results."""
    from . import environment, report
    from .endtoend import digits_race
    from .memory import step_memory
    from .steps import torch_version
    from .suite import run_steps
    from .targets import evaluate, lines

    settings = QUICK if args.quick else FULL
    if args.rounds:
        settings = dataclasses.replace(settings, rounds=args.rounds)
    use_torch = not args.no_torch and torch_version() is not None
    torch_status = "measured"
    if not use_torch:
        torch_status = "skipped: " + ("--no-torch" if args.no_torch else "torch is not importable")
        log(f"PyTorch comparison {torch_status}.")
    env = environment.collect(removed, use_torch=use_torch)
    for lib in env["blas_libraries"]:
        log(
            f"NumPy {env['numpy']}; BLAS {lib['internal_api']} {lib['version']}, "
            f"kernel {lib['architecture']}, {lib['num_threads']} threads"
        )
    started, t0 = time.strftime("%Y-%m-%d %H:%M:%S"), time.perf_counter()
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        log(f"Note: load average {load_before:.2f} before starting; expect noisy timings.")

    only = args.only
    log("Training steps (interleaved):")
    steps, checks, skipped = run_steps(settings, use_torch=use_torch, log=log, keys=only)
    traced = [s for s in SHAPES if only is None or s.key in only]
    if traced:
        log("Peak memory of a step (tracemalloc) ...")
    memory = [step_memory(s, d, settings.seed) for s in traced for d in DTYPES]
    digits = None
    if only is None:
        log("Digits to 97%:")
        digits = digits_race(
            settings.digits_repeats, settings.digits_max_epochs, settings.seed, log
        )

    playground = None
    if only is None:
        from nnlab.explore.playground import benchmark_cycle

        from .playground_frame import frame_time

        log("Playground: one cycle of 10 training steps and every map, default configuration")
        playground = {"cycle_seconds": benchmark_cycle(), "frame": frame_time()}
        log(f"  playground cycle: {playground['cycle_seconds'] * 1e3:.1f} ms")
        frame_ms = playground["frame"]["frame"] * 1e3
        log(f"  playground frame (with drawing and PNG): {frame_ms:.1f} ms")

    results = {
        "meta": {
            "mode": "quick" if args.quick else "full",
            "torch": torch_status,
            "only": only,
            "settings": dataclasses.asdict(settings),
            "repeats": settings.repeats,
            "started": started,
            "duration_s": time.perf_counter() - t0,
            "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
        },
        "environment": env,
        "steps": steps,
        "checks": checks,
        "skipped_rows": skipped,
        "memory": memory,
        "digits": digits,
        "playground": playground,
    }
    results["targets"] = evaluate(results)
    stem = args.out or RESULTS / (
        "quick" if args.quick else "partial" if only is not None else "latest"
    )
    paths = report.write(results, stem)
    print(report.markdown(results))
    print("Targets:")
    print("\n".join(lines(results["targets"])))
    log("Wrote " + ", ".join(str(p) for p in paths))
    return results


def rerender(path: Path) -> None:
    """Rewrite ``path``'s Markdown and figure from its JSON (after a change to the report)."""
    import json

    from . import report
    from .targets import evaluate

    results = json.loads(path.read_text(encoding="utf-8"))
    results["targets"] = evaluate(results)
    paths = report.write(results, path.with_suffix(""))
    print(report.markdown(results))
    log("Wrote " + ", ".join(str(p) for p in paths))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.report_from:
        rerender(args.report_from)
        return 0
    if not args.keep_blas_env:
        _rerun_without_blas_overrides(argv)
    removed = [x for x in os.environ.pop(_REMOVED, "").split(",") if x]
    run(args, removed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
