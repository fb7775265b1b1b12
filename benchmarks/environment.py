"""What the numbers were measured on: versions, the CPU, and the BLAS kernel in use."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import threadpoolctl

import nnlab as nl

from .config import BLAS_OVERRIDES

BLAS_INFO_KEYS = ("internal_api", "version", "architecture", "num_threads", "threading_layer")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=10
    )
    return done.stdout.strip()


def _git_revision() -> str | None:
    """The checked-out commit, flagged when nnlab/ has uncommitted changes."""
    try:
        rev = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--", "nnlab")
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + (" (nnlab/ modified)" if dirty else "")


def blas_libraries() -> list[dict]:
    """threadpoolctl's view of the BLAS libraries loaded in this process."""
    return [
        {"prefix": info.get("prefix"), **{k: info.get(k) for k in BLAS_INFO_KEYS}}
        for info in threadpoolctl.threadpool_info()
        if info.get("user_api") == "blas"
    ]


def _numpy_blas() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError):
        return "unknown"
    return f"{blas.get('name')} {blas.get('version')}"


def _torch_info() -> dict:
    import torch

    config = torch.__config__.show()
    blas = next(
        (
            part.split("=", 1)[1]
            for part in config.replace(",", " ").split()
            if "BLAS_INFO=" in part
        ),
        "unknown",
    )
    return {"version": torch.__version__, "blas": blas, "num_threads": torch.get_num_threads()}


def collect(removed_overrides: list[str], *, use_torch: bool) -> dict:
    """Everything the header prints, as a dict for the JSON report.

    ``removed_overrides`` are the BLAS environment variables the launcher unset.
    """
    from .endtoend import sklearn_version

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "nnlab": nl.__version__,
        "git": _git_revision(),
        "numpy": np.__version__,
        "numpy_blas": _numpy_blas(),
        "blas_libraries": blas_libraries(),
        "blas_env": {name: os.environ.get(name) for name in BLAS_OVERRIDES},
        "blas_env_removed": removed_overrides,
        "threadpoolctl": threadpoolctl.__version__,
        "torch": _torch_info() if use_torch else None,
        "sklearn": sklearn_version(),
    }
