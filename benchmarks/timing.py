"""Interleaved timing: several candidates measured in alternating blocks, reported as medians.

Each candidate is first warmed up and calibrated: a sample is ``number`` back-to-back calls,
enough to last ``min_sample_time``. Then, for ``rounds`` rounds, the candidates take turns in a
fresh random order; each turn is one block: untimed calls for ``settle_time`` seconds, then
``samples_per_round`` timed samples. Slow drifts of the machine (other processes, frequency
changes) thus hit every candidate alike, and the medians are taken over all the samples.

Why the untimed settling: NumPy's OpenBLAS and PyTorch's OpenMP each keep a pool of worker
threads that busy-wait after a call (OpenBLAS for about 0.1 s) before they sleep. On a small
machine, a worker of the previous candidate spinning on a core slows the next candidate's own
threads many times over; settling for longer than that lets the previous pool fall asleep,
so each candidate is timed as it runs on its own. The garbage collector is off while timing,
as in :mod:`timeit`.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Timing:
    """The samples of one candidate, in seconds per call."""

    samples: list[float] = field(default_factory=list)
    number: int = 1  # calls per sample

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    def to_dict(self) -> dict:
        """Summary and raw samples (seconds per call), for the JSON report."""
        return {
            "median": self.median,
            "min": self.min,
            "max": self.max,
            "number": self.number,
            "samples": self.samples,
        }


def _run_for(fn: Callable[[], object], seconds: float, at_least: int = 1) -> list[float]:
    """Call ``fn`` for about ``seconds`` (at least ``at_least`` times); return each duration."""
    durations: list[float] = []
    start = time.perf_counter()
    while len(durations) < at_least or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        durations.append(time.perf_counter() - t0)
    return durations


def measure(
    candidates: dict[str, Callable[[], object]],
    *,
    rounds: int,
    samples_per_round: int,
    min_sample_time: float,
    settle_time: float,
    warmup_time: float,
    seed: int = 0,
) -> dict[str, Timing]:
    """Time every candidate, interleaved in blocks; return a :class:`Timing` per name."""
    timings = {}
    for name, fn in candidates.items():
        durations = _run_for(fn, warmup_time, at_least=3)
        per_call = statistics.median(durations[len(durations) // 2 :])
        timings[name] = Timing(number=max(1, math.ceil(min_sample_time / max(per_call, 1e-9))))
    order = list(candidates)
    shuffler = random.Random(seed)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            shuffler.shuffle(order)
            for name in order:
                fn, timing = candidates[name], timings[name]
                _run_for(fn, settle_time)
                loops = range(timing.number)
                for _ in range(samples_per_round):
                    t0 = time.perf_counter()
                    for _ in loops:
                        fn()
                    timing.samples.append((time.perf_counter() - t0) / timing.number)
    finally:
        if gc_was_enabled:
            gc.enable()
    return timings
