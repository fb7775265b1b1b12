"""Interleaved timing: several candidates measured in alternating blocks, reported as medians.

Each candidate is first warmed up and calibrated: a sample is ``number`` back-to-back calls,
enough to last ``min_sample_time``. Then, for ``rounds`` rounds, the candidates take turns in a
fresh random order; each turn is one block: untimed calls for ``settle_time`` seconds, then
``samples_per_round`` timed samples. Slow drifts of the machine (other processes, frequency
changes) thus hit every candidate alike; the medians are taken over the kept rounds' samples.

Rounds disturbed by the rest of the machine are discarded and run again (up to
``max_extra_rounds`` more): a round is disturbed when other processes used more than
``FOREIGN_CPU_MAX`` of a CPU during it (from ``/proc/stat``, where available), or when a
candidate's median in it exceeds ``STALL_RATIO`` times its best round median (the host
stalled the machine). Reported timings use the kept rounds only.

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
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FOREIGN_CPU_MAX = 0.1  # CPUs' worth of other processes' time during a round
STALL_RATIO = 1.5  # a round median this many times the best round median means a stall


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


@dataclass
class Round:
    """One round: every candidate's samples, and what the rest of the machine did meanwhile."""

    samples: dict[str, list[float]]
    foreign_cpu: float  # CPUs' worth of other processes' time (0 if unknown)
    disturbed: str = ""  # why the round was discarded ("" if kept)


@dataclass
class Measurement:
    """The timings of a set of candidates, and the rounds they came from."""

    timings: dict[str, Timing]
    rounds: list[Round]

    @property
    def discarded(self) -> list[str]:
        """The reason for each discarded round."""
        return [r.disturbed for r in self.rounds if r.disturbed]

    def to_dict(self) -> dict:
        return {
            "rounds_run": len(self.rounds),
            "rounds_discarded": self.discarded,
            "foreign_cpu_per_round": [round(r.foreign_cpu, 3) for r in self.rounds],
        }


def _busy_seconds() -> float | None:
    """CPU time used by the whole machine so far (all CPUs), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    # Guest time is already inside user and nice; time stolen by the host counts as busy.
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _run_for(fn: Callable[[], object], seconds: float, at_least: int = 1) -> list[float]:
    """Call ``fn`` for about ``seconds`` (at least ``at_least`` times); return each duration."""
    durations: list[float] = []
    start = time.perf_counter()
    while len(durations) < at_least or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        durations.append(time.perf_counter() - t0)
    return durations


def _round(
    candidates: dict[str, Callable[[], object]],
    numbers: dict[str, int],
    order: list[str],
    samples_per_round: int,
    settle_time: float,
) -> Round:
    """Each candidate in ``order``: settle, then ``samples_per_round`` timed samples."""
    busy0, own0, wall0 = _busy_seconds(), time.process_time(), time.perf_counter()
    samples: dict[str, list[float]] = {}
    for name in order:
        fn, number = candidates[name], numbers[name]
        _run_for(fn, settle_time)
        loops = range(number)
        samples[name] = []
        for _ in range(samples_per_round):
            t0 = time.perf_counter()
            for _ in loops:
                fn()
            samples[name].append((time.perf_counter() - t0) / number)
    busy1, own1, wall1 = _busy_seconds(), time.process_time(), time.perf_counter()
    foreign = 0.0
    if busy0 is not None and busy1 is not None:
        foreign = max(0.0, (busy1 - busy0) - (own1 - own0)) / (wall1 - wall0)
    return Round(samples, foreign)


def _judge(rounds: list[Round]) -> None:
    """Mark the disturbed rounds (see the module docstring)."""
    best = {
        name: min(statistics.median(r.samples[name]) for r in rounds) for name in rounds[0].samples
    }
    for r in rounds:
        r.disturbed = ""
        if r.foreign_cpu > FOREIGN_CPU_MAX:
            r.disturbed = f"other processes used {r.foreign_cpu:.2f} CPU"
            continue
        for name, value in best.items():
            ratio = statistics.median(r.samples[name]) / value
            if ratio > STALL_RATIO:
                r.disturbed = f"{name} {ratio:.1f}x slower than in its best round"
                break


def measure(
    candidates: dict[str, Callable[[], object]],
    *,
    rounds: int,
    samples_per_round: int,
    min_sample_time: float,
    settle_time: float,
    warmup_time: float,
    max_extra_rounds: int = 0,
    seed: int = 0,
) -> Measurement:
    """Time every candidate, interleaved in blocks; the kept rounds' samples per name."""
    numbers = {}
    for name, fn in candidates.items():
        durations = _run_for(fn, warmup_time, at_least=3)
        per_call = statistics.median(durations[len(durations) // 2 :])
        numbers[name] = max(1, math.ceil(min_sample_time / max(per_call, 1e-9)))
    order = list(candidates)
    shuffler = random.Random(seed)
    done: list[Round] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        while True:
            shuffler.shuffle(order)
            done.append(_round(candidates, numbers, order, samples_per_round, settle_time))
            if len(done) < rounds:
                continue
            _judge(done)
            kept = sum(not r.disturbed for r in done)
            if kept >= rounds or len(done) >= rounds + max_extra_rounds:
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    kept_rounds = [r for r in done if not r.disturbed] or done
    timings = {
        name: Timing([x for r in kept_rounds for x in r.samples[name]], numbers[name])
        for name in candidates
    }
    return Measurement(timings, done)
