"""One BLAS thread for a block of small matrix products, when threadpoolctl is installed."""

from __future__ import annotations

import contextlib


def one_blas_thread():
    """``(context, limited)``: a context manager that keeps BLAS to one thread, and whether it
    does. threadpoolctl is optional; without it the context changes nothing (``limited`` is
    False). Small products gain nothing from more threads, which only wait for each other
    (much slower on a busy machine), and one thread makes timings steadier."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext(), False
    return threadpool_limits(limits=1, user_api="blas"), True
