"""Exercise: the kernel gradient of a 2-D convolution layer (stride 1, no padding).

Images are batch first and channels first, as in :class:`nnlab.conv.Conv2D`: ``X`` is
``(N, C_in, H, W)``, the kernels ``W`` are ``(C_out, C_in, kh, kw)``, and the layer computes a
cross-correlation (no kernel flip, as every framework does):
``Z[n, o, y, x] = sum_{c, i, j} W[o, c, i, j] X[n, c, y + i, x + j] + b[o]``. The learner
writes ``conv2d_dW(X, dY, kernel_shape) -> dW``, with ``dY = dL/dZ`` of shape
``(N, C_out, H - kh + 1, W - kw + 1)`` (the 1/N of a mean loss already inside) and
``kernel_shape = W.shape``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._feedback import Case, Feedback, as_array
from ._runner import Exercise, Variant, run

TODO = (
    "implement fn(X, dY, kernel_shape) returning dW, shaped kernel_shape = (C_out, C_in, kh, "
    "kw), for a stride-1 cross-correlation without padding."
)


def conv2d_dW_solution(X: np.ndarray, dY: np.ndarray, kernel_shape: tuple) -> np.ndarray:
    """Reference solution: ``dW[o, c, i, j] = sum_{n, y, x} dY[n, o, y, x] X[n, c, y+i, x+j]``.

    One product per kernel offset ``(i, j)``: the input window that offset reads, against dY.

    Shapes
    ------
    X ``(N, C_in, H, W)``, dY ``(N, C_out, H_out, W_out)`` -> dW ``kernel_shape``.
    """
    _, _, kh, kw = kernel_shape
    Ho, Wo = dY.shape[2:]
    dW = np.zeros(kernel_shape)
    for i in range(kh):
        for j in range(kw):
            window = X[:, :, i : i + Ho, j : j + Wo]  # what W[:, :, i, j] multiplied
            dW[:, :, i, j] = np.tensordot(dY, window, axes=([0, 2, 3], [0, 2, 3]))
    return dW


def _dW(X, dY) -> np.ndarray:
    """The exact formula, independent of the solution: all windows at once."""
    windows = sliding_window_view(X, dY.shape[2:], axis=(2, 3))  # (N, C_in, kh, kw, Ho, Wo)
    return np.einsum("nohw,ncijhw->ocij", dY, windows)


def _cases() -> list[Case]:
    rng = np.random.default_rng(20240617)
    cases = []
    for label, x_shape, kernel_shape in [
        ("one channel, a batch of 1", (1, 1, 5, 5), (1, 1, 3, 3)),
        ("a batch of 3, 2 channels in and 4 out", (3, 2, 6, 5), (4, 2, 3, 3)),
        ("a non-square kernel", (2, 3, 5, 7), (2, 3, 2, 4)),
        ("a batch of 2, 1 channel in and 2 out", (2, 1, 4, 4), (2, 1, 3, 2)),
    ]:
        N, _, H, W = x_shape
        C_out, _, kh, kw = kernel_shape
        args = {
            "X": rng.normal(size=x_shape),
            "dY": rng.normal(size=(N, C_out, H - kh + 1, W - kw + 1)) / N,
            "kernel_shape": kernel_shape,
        }
        cases.append(Case(label, args))
    return cases


def _reference(X, dY, kernel_shape) -> dict:
    return {"dW": _dW(X, dY)}


def _unpack(out) -> dict:
    return {"dW": as_array(out, "dW")}


VARIANTS = (
    Variant(
        ("dW",),
        lambda X, dY, k: {"dW": _dW(X, dY)[:, :, ::-1, ::-1]},
        "your dW is the right one rotated by 180 degrees (a flipped kernel): nnlab's Conv2D, "
        "like every framework, computes a cross-correlation, where W[o, c, i, j] meets "
        "X[n, c, y + i, x + j] with no flip; a true convolution's kernel is flipped.",
    ),
    Variant(
        ("dW",),
        lambda X, dY, k: {
            "dW": np.stack([_dW(X[n : n + 1], dY[n : n + 1]) for n in range(len(X))])
        },
        "your dW has shape {got}, one kernel gradient per sample; dW must have the shape of "
        "W, {want}: the kernels are shared by the whole batch, so sum over it.",
    ),
    Variant(
        ("dW",),
        lambda X, dY, k: {"dW": _dW(X[:1], dY[:1])},
        "your dW uses only the first sample: the kernels are shared by the whole batch, so "
        "their gradient sums over every sample.",
    ),
    Variant(
        ("dW",),
        lambda X, dY, k: {"dW": _dW(X[-1:], dY[-1:])},
        "your dW uses only the last sample: a loop over the batch that assigns (=) instead of "
        "adding (+=)? The kernels' gradient sums over every sample.",
    ),
    Variant(
        ("dW",),
        lambda X, dY, k: {"dW": _dW(X, dY) / len(X)},
        "your dW has an extra 1/N (a mean over the batch): dY already holds the 1/N of the "
        "mean loss, so sum over the batch instead.",
    ),
    Variant(
        ("dW",),
        lambda X, dY, k: {"dW": _dW(X, dY).transpose(1, 0, 2, 3)},
        "your dW has shape {got}, with the channel axes swapped; W is (C_out, C_in, kh, kw), "
        "{want}.",
        same_shape_hint="your dW has its two channel axes swapped: W is (C_out, C_in, kh, kw).",
    ),
    Variant(
        ("dW",),
        lambda X, dY, k: {"dW": -_dW(X, dY)},
        "your dW has the opposite sign of the gradient: no minus sign belongs in the backward "
        "pass.",
    ),
)


def _advice(exc: Exception, case: Case) -> str:
    if isinstance(exc, ValueError | IndexError):
        X, dY = case.args["X"], case.args["dY"]
        return (
            f"Here X is {X.shape} (N, C_in, H, W), dY {dY.shape} (N, C_out, H - kh + 1, "
            f"W - kw + 1) and kernel_shape {case.args['kernel_shape']}: the window of X "
            "that kernel offset (i, j) reads has the height and width of dY."
        )
    return ""


def check_conv2d_dW(fn) -> Feedback:
    """Check ``fn(X, dY, kernel_shape) -> dW``, a stride-1, unpadded Conv2D's kernel gradient.

    ``X`` is ``(N, C_in, H, W)``, ``dY`` the gradient of the loss with respect to the output,
    ``(N, C_out, H - kh + 1, W - kw + 1)``, and ``kernel_shape`` the shape of the kernels,
    ``(C_out, C_in, kh, kw)``. The layer computes a cross-correlation, as
    :class:`nnlab.conv.Conv2D`; the reference is the exact sum over the batch and positions.
    Four cases: a single channel and sample, several channels, a non-square kernel.

    Diagnoses: a flipped kernel (convolution instead of cross-correlation); no sum over the
    batch (one gradient per sample, only the first or only the last sample); an extra 1/N;
    the channel axes swapped; a flipped sign; exceptions, wrong shapes, NaN, inputs changed
    in place.

    Examples
    --------
    >>> check_conv2d_dW(conv2d_dW_solution).passed
    True
    """
    spec = Exercise(
        title="Conv2D dW",
        todo=TODO,
        cases=_cases(),
        components={"dW": "have the shape of W, {want}"},
        unpack=_unpack,
        reference=_reference,
        passed=(
            "dW matches the cross-correlation gradient (as nnlab's Conv2D computes it) on 4 "
            "cases, including a batch of 1, several channels and a non-square kernel; your "
            "function left its inputs unchanged."
        ),
        variants=VARIANTS,
        advice=_advice,
    )
    return run(fn, spec)
