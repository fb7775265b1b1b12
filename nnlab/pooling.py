"""Layers without parameters for image networks: max pooling and flattening.

Batch first and channels first (NCHW), like :class:`nnlab.conv.Conv2D`.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_int_pair
from .base import Layer
from .conv import fmt_pair, out_size


class MaxPool2D(Layer):
    """Max pooling: each output is the largest input in its ``kh x kw`` window.

    Parameters
    ----------
    kernel_size : int or (int, int)
        ``(kh, kw)``.
    stride : int or (int, int), optional
        ``(sh, sw)``; by default the kernel size (windows that tile the image). No padding:
        rows and columns that do not fill a last window are dropped.

    Attributes
    ----------
    last_input_shape : tuple or None
        ``(C, H, W)`` of the last forward's input, for :meth:`flops`.

    Raises
    ------
    TypeError
        If an argument is of the wrong kind, or ``X``/``dZ`` is not a real numeric array.
    ValueError
        If a size is not positive, ``X`` is not 4-D or is smaller than the kernel, or ``dZ``
        is not the shape of the last output. A failing call changes nothing.
    RuntimeError
        If ``backward`` comes before a ``forward`` with ``cache=True``.

    Shapes
    ------
    X ``(N, C, H, W)`` -> Z ``(N, C, H_out, W_out)``, ``H_out = (H - kh) // sh + 1``
    (``W_out`` alike); backward: dZ (the shape of Z) -> dX (the shape of X).

    Notes
    -----
    ``Z[n, c, y, x] = max_{i, j} X[n, c, sh y + i, sw x + j]``. The max is a selection, so
    ``dX[n, c, sh y + i*, sw x + j*] += dZ[n, c, y, x]`` at the window's argmax ``(i*, j*)``
    and 0 elsewhere; when several entries tie for the max, only the first in row-major order
    gets the gradient (as in PyTorch), and where windows overlap (stride < kernel) an input
    collects the gradients of every window it wins. Forward keeps ``X`` (a reference) and
    ``Z`` (returned read-only); backward finds each argmax again with one comparison per
    kernel offset. A window holding NaN outputs NaN and passes no gradient; an infinite
    ``dZ`` spreads NaN over its window (``inf * 0``).

    Examples
    --------
    >>> pool = MaxPool2D(2)
    >>> pool.forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    input_shape = ("channels", "height", "width")

    def __init__(self, kernel_size, stride=None) -> None:
        super().__init__()
        self.kernel_size = check_int_pair(kernel_size, "kernel_size", owner="MaxPool2D")
        self.stride = (
            self.kernel_size
            if stride is None
            else check_int_pair(stride, "stride", owner="MaxPool2D")
        )

    def output_shape(self, input_shape: tuple | None) -> tuple:
        if input_shape is None or len(input_shape) != 3:
            return ("channels", "height", "width")
        sizes = [
            out_size(n, k, s) if isinstance(n, int) else n
            for n, k, s in zip(input_shape[1:], self.kernel_size, self.stride, strict=True)
        ]
        return (input_shape[0], *sizes)

    def _windows(self, A: np.ndarray, out_hw: tuple[int, int]):
        """``A`` at window offset ``(i, j)`` of every output, for each offset in row-major order."""
        (kh, kw), (sh, sw), (Ho, Wo) = self.kernel_size, self.stride, out_hw
        for i in range(kh):
            for j in range(kw):
                yield A[:, :, i : i + sh * (Ho - 1) + 1 : sh, j : j + sw * (Wo - 1) + 1 : sw]

    def _check_sample(self, X) -> None:
        (kh, kw), H, W = self.kernel_size, X.shape[2], X.shape[3]
        if H < kh or W < kw:
            raise ValueError(
                f"{self!r} expected X with height and width at least the kernel's {kh}x{kw}, "
                f"got X of shape {X.shape}."
            )

    def _forward(self, X, cache):
        (kh, kw), H, W = self.kernel_size, X.shape[2], X.shape[3]
        out_hw = (out_size(H, kh, self.stride[0]), out_size(W, kw, self.stride[1]))
        windows = self._windows(X, out_hw)
        Z = next(windows).copy(order="K")  # keep the input's memory layout (see Conv2D)
        for window in windows:
            np.maximum(Z, window, out=Z)
        return Z, (X, Z)

    def _jvp(self, X, dX, dflat):
        # Each output moves with the input entry that is its maximum (the first one in
        # row-major window order on a tie, the entry that backward gives the gradient to).
        Z, _ = self._forward(X, False)
        dZ, free = np.zeros_like(Z, dtype=dX.dtype), np.ones(Z.shape, dtype=bool)
        out_hw = Z.shape[2:]
        for window, tangent in zip(
            self._windows(X, out_hw), self._windows(dX, out_hw), strict=True
        ):
            hit = (window == Z) & free
            np.copyto(dZ, tangent, where=hit)
            free &= ~hit
        return Z, dZ

    def _backward(self, dZ, X, Z, *, input_grad):
        if not input_grad:
            return None
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        (H, W), (Ho, Wo) = X.shape[2:], Z.shape[2:]
        # Windows that tile X exactly write every entry of dX once: no zeros, no additions.
        tiled = (sh, sw) == (kh, kw)
        dX = np.empty_like(X) if tiled and (Ho * sh, Wo * sw) == (H, W) else np.zeros_like(X)
        # The gradient not yet given to a maximum, in Z's memory layout (the loop then reads
        # all arrays in step). Each offset that holds the max takes it; later ties get 0.
        left = np.empty_like(Z)
        left[...] = dZ
        pairs = zip(self._windows(X, (Ho, Wo)), self._windows(dX, (Ho, Wo)), strict=True)
        for k, (window, target) in enumerate(pairs, start=1):
            if tiled:
                share = np.multiply(left, window == Z, out=target)
            else:
                share = left * (window == Z)
                target += share
            if k < kh * kw:
                left -= share
        return dX

    def _flops(self, n, shape):
        # kh kw - 1 comparisons per output forward; backward one comparison and one multiply
        # per window entry (no parameters: dW costs 0).
        owner = f"{self!r}.flops"
        out = self.output_shape(tuple(shape))
        if out[1] < 1 or out[2] < 1:
            raise ValueError(f"{owner}: input_shape {tuple(shape)} is smaller than the kernel.")
        outputs = n * math.prod(out)
        window = self.kernel_size[0] * self.kernel_size[1]
        return {
            "forward": outputs * (window - 1),
            "backward_dW": 0,
            "backward_dX": 2 * outputs * window,
        }

    def __repr__(self) -> str:
        return f"MaxPool2D(kernel={fmt_pair(self.kernel_size)}, stride={fmt_pair(self.stride, '')})"


class Flatten(Layer):
    """Flatten each sample into a vector, in C order: ``(N, d1, d2, ...) -> (N, d1 d2 ...)``.

    Raises
    ------
    TypeError
        If ``X`` or ``dZ`` is not a real numeric array.
    ValueError
        If ``X`` has fewer than 2 dimensions, or ``dZ`` is not the shape of the last output.
    RuntimeError
        If ``backward`` comes before a ``forward`` with ``cache=True``.

    Shapes
    ------
    X ``(N, C, H, W)`` (any ``(N, ...)``) -> Z ``(N, C H W)``; backward: dZ ``(N, C H W)`` ->
    dX ``(N, C, H, W)``.

    Notes
    -----
    A reshape both ways (a view when ``X`` is contiguous, else one copy); forward keeps
    only the input's shape. ``Z[n, (c H + y) W + x] = X[n, c, y, x]``.

    Examples
    --------
    >>> Flatten().forward(np.zeros((2, 8, 4, 4))).shape
    (2, 128)
    """

    def output_shape(self, input_shape: tuple | None) -> tuple:
        if input_shape is not None and all(isinstance(n, int) for n in input_shape):
            return (math.prod(input_shape),)
        return ("n_features",)

    def _forward(self, X, cache):
        return X.reshape(X.shape[0], math.prod(X.shape[1:])), (X.shape,)

    def _backward(self, dZ, shape, *, input_grad):
        return dZ.reshape(shape) if input_grad else None

    def _jvp(self, X, dX, dflat):
        return self._forward(X, False)[0], dX.reshape(X.shape[0], -1)
