"""Peak memory of a steady-state nnlab training step, against the theoretical minimum.

:mod:`tracemalloc` is started after the batch exists and before the network is built, so it
sees everything the training owns: parameters, gradients, optimizer state, the activations
cached between steps and the temporaries of a step. After a few warm-up steps the peak is
reset and one more step is traced.

The theoretical minimum of plain SGD is the parameters, their gradients (no optimizer state),
and the activations backward needs: each hidden layer's output once (the activation's own
derivative and the next layer's ``dW`` both use it) and the output the loss differentiates.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import numpy as np

from .config import Shape
from .steps import build_net, make_batch, make_loss, nnlab_step

WARMUP_STEPS = 3
TOP_SITES = 5


def theoretical_minimum(shape: Shape, dtype: str) -> dict[str, int]:
    """Bytes that any implementation of the step must hold, by kind."""
    item = np.dtype(dtype).itemsize
    n_params = sum(a * b + b for a, b in zip(shape.sizes, shape.sizes[1:], strict=False))
    cached = shape.batch * sum(shape.sizes[1:])  # hidden outputs, and the network's output
    return {
        "parameters": n_params * item,
        "gradients": n_params * item,
        "optimizer_state": 0,
        "cached_activations": cached * item,
    }


def _site(stat: tracemalloc.Statistic) -> str:
    frame = stat.traceback[0]
    parts = Path(frame.filename).parts
    return f"{'/'.join(parts[-2:])}:{frame.lineno}"


def _live_summary(snapshot: tracemalloc.Snapshot) -> tuple[int, list[dict]]:
    """Bytes of array data in ``snapshot``, and its largest allocation sites."""
    domain = tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)
    array_bytes = sum(t.size for t in snapshot.filter_traces([domain]).traces)
    top = snapshot.statistics("lineno")[:TOP_SITES]
    return array_bytes, [{"site": _site(s), "bytes": s.size} for s in top]


def step_memory(shape: Shape, dtype: str, seed: int) -> dict:
    """Trace one steady-state step; return the peak, its baseline and the minimum, in bytes.

    ``transient`` is what the step allocates on top of what was alive when it began; the
    largest allocation sites alive at that point are listed in ``top_live_sites``.
    """
    X, y = make_batch(shape, dtype, seed)
    gc.collect()
    tracemalloc.start()
    try:
        net = build_net(shape, dtype, seed)
        step = nnlab_step(net, make_loss(shape), X, y)
        for _ in range(WARMUP_STEPS):
            step()
        gc.collect()
        array_bytes, sites = _live_summary(tracemalloc.take_snapshot())
        gc.collect()
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        step()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    minimum = theoretical_minimum(shape, dtype)
    total = sum(minimum.values())
    return {
        "shape": shape.key,
        "dtype": dtype,
        "peak": peak,
        "live_before_step": before,
        "live_array_data_before_step": array_bytes,
        "live_after_step": after,
        "transient": peak - before,
        "parameter_bytes": minimum["parameters"],
        "minimum": minimum,
        "minimum_total": total,
        "ratio": peak / total,
        "top_live_sites": sites,
    }
