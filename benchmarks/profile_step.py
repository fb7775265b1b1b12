"""Where does nnlab's training step spend its time? ``python -m benchmarks.profile_step``.

Prints, for one shape, dtype and thread count:

1. a breakdown of the step: the median time of each layer's forward and backward, of the
   loss and of the optimizer step, each call timed on its own, beside the whole step timed
   with and without that instrumentation (the difference is the timers' cost, about half a
   microsecond per call, and ``Sequential``'s own loops);
2. cProfile's busiest functions over many steps (cProfile inflates cheap Python calls: read
   it for the ranking, the breakdown for the times).

Example: ``python -m benchmarks.profile_step --shape c --dtype float32 --threads 2``; any row
(a)-(f) of :mod:`benchmarks.config` (``--shape e`` for the MNIST-sized CNN).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from collections import defaultdict

from threadpoolctl import threadpool_limits

import nnlab as nl

from .arch_steps import skip_reason
from .config import ALL_SHAPES, LR, Arch, find_shape
from .steps import build_net, make_batch, make_loss, nnlab_step


def _timed(method, durations: list[float]):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        out = method(*args, **kwargs)
        durations.append(time.perf_counter() - t0)
        return out

    return wrapper


def _setup(shape_key: str, dtype: str, seed: int):
    shape = find_shape(shape_key)
    X, y = make_batch(shape, dtype, seed)
    net, loss = build_net(shape, dtype, seed), make_loss(shape)
    opt = nl.SGD(net.parameters(), lr=LR)
    return net, loss, opt, nnlab_step(net, loss, X, y, optimizer=opt)


def _median_step(step, steps: int) -> float:
    whole = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        whole.append(time.perf_counter() - t0)
    return statistics.median(whole)


def breakdown(shape_key: str, dtype: str, steps: int, seed: int = 0) -> list[tuple[str, float]]:
    """``[(part, median seconds per step), ...]``, then the sum of the parts and the whole
    step with and without the per-part timers."""
    plain = _setup(shape_key, dtype, seed)[-1]
    net, loss, opt, step = _setup(shape_key, dtype, seed)
    times: dict[str, list[float]] = defaultdict(list)
    for i, layer in enumerate(net.layers):
        layer.forward = _timed(layer.forward, times[f"forward  {i}: {layer!r}"])
        layer.backward = _timed(layer.backward, times[f"backward {i}: {layer!r}"])
    loss.forward = _timed(loss.forward, times[f"loss forward: {loss!r}"])
    loss.backward = _timed(loss.backward, times[f"loss backward: {loss!r}"])
    opt.step = _timed(opt.step, times[f"optimizer step: {opt!r}"])
    _median_step(plain, 10)
    instrumented = _median_step(step, steps)
    uninstrumented = _median_step(plain, steps)
    order = sorted(times, key=lambda k: (not k.startswith("forward"), not k.startswith("loss")))
    rows = [(name, statistics.median(times[name])) for name in order]
    return [
        *rows,
        ("sum of the parts", sum(t for _, t in rows)),
        ("step, instrumented", instrumented),
        ("step, uninstrumented", uninstrumented),
    ]


def cprofile(shape_key: str, dtype: str, steps: int, top: int, seed: int = 0) -> str:
    """cProfile's ``top`` functions by own time over ``steps`` steps, as text."""
    shape = find_shape(shape_key)
    X, y = make_batch(shape, dtype, seed)
    step = nnlab_step(build_net(shape, dtype, seed), make_loss(shape), X, y)
    for _ in range(10):
        step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_step")
    parser.add_argument("--shape", choices=[s.key for s in ALL_SHAPES], default="c")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, help="steps to time (default: ~2 s worth)")
    parser.add_argument("--top", type=int, default=20, help="cProfile rows")
    args = parser.parse_args(argv)
    shape = find_shape(args.shape)
    reason = skip_reason(shape) if isinstance(shape, Arch) else None
    if reason:
        parser.exit(1, f"{reason}\n")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        probe = breakdown(args.shape, args.dtype, 5)[-1][1]
        steps = args.steps or max(20, int(1.0 / probe))
        rows = breakdown(args.shape, args.dtype, steps)
        total = rows[-1][1]
        print(f"({args.shape}) {args.dtype}, {args.threads} thread(s), median of {steps} steps")
        for name, t in rows:
            print(f"  {t * 1e6:10.1f} us  {t / total:6.1%}  {name}")
        print()
        print(cprofile(args.shape, args.dtype, steps, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
