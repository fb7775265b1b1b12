"""The 2-D convolution layer, computed as one matrix product over an im2col view.

Images are batch first and channels first (NCHW), as in PyTorch: ``X`` is ``(N, C, H, W)``.
Pooling and flattening live in :mod:`nnlab.pooling`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._validation import as_rng, check_int_pair, check_positive_int
from .base import Layer, Param

# Standard deviation of each named initializer, from fan_in = C_in kh kw and
# fan_out = C_out kh kw (the same rules as nnlab.init, for a kernel instead of a matrix).
INIT_STD = {
    "he": lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),
    "xavier": lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)),
    "normal": lambda fan_in, fan_out: 0.01,
    "zeros": lambda fan_in, fan_out: 0.0,
}


def out_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """Output length along one axis: ``(size + 2 padding - kernel) // stride + 1``."""
    return (size + 2 * padding - kernel) // stride + 1


def im2col(Xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """The patches of ``Xp`` ``(N, C, Hp, Wp)`` as columns: ``(C kh kw, Ho Wo N)``.

    A strided view does the windowing; the one copy is the reshape to a matrix. Rows are
    ordered ``(c, i, j)`` like a flattened kernel, columns ``(y, x, n)``: with the sample
    index last, each copied run (a row of patches across the batch) is long.
    """
    (N, C, Hp, Wp), (kh, kw), (sh, sw) = Xp.shape, kernel, stride
    Ho, Wo = out_size(Hp, kh, sh), out_size(Wp, kw, sw)
    sN, sC, sH, sW = Xp.strides
    view = as_strided(
        Xp, (C, kh, kw, Ho, Wo, N), (sC, sH, sW, sH * sh, sW * sw, sN), writeable=False
    )
    return view.reshape(C * kh * kw, Ho * Wo * N)


def chwn_zeros(N: int, C: int, H: int, W: int, dtype) -> np.ndarray:
    """Zeros of shape ``(N, C, H, W)`` stored as ``(C, H, W, N)``, the layout im2col reads
    fastest and col2im writes fastest."""
    return np.zeros((C, H, W, N), dtype=dtype).transpose(3, 0, 1, 2)


def col2im(
    cols: np.ndarray, shape: tuple, kernel: tuple[int, int], stride: tuple[int, int]
) -> np.ndarray:
    """The adjoint of :func:`im2col`: add each column back onto the pixels it came from.

    Returns ``(N, C, Hp, Wp)`` (stored as ``(C, Hp, Wp, N)``, like ``cols``). One strided
    addition per kernel offset covers every sample, channel and pixel; overlapping windows
    (stride < kernel) accumulate.
    """
    (N, C, Hp, Wp), (kh, kw), (sh, sw) = shape, kernel, stride
    Ho, Wo = out_size(Hp, kh, sh), out_size(Wp, kw, sw)
    cols = cols.reshape(C, kh, kw, Ho, Wo, N)
    out = np.zeros((C, Hp, Wp, N), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, i : i + sh * (Ho - 1) + 1 : sh, j : j + sw * (Wo - 1) + 1 : sw] += cols[:, i, j]
    return out.transpose(3, 0, 1, 2)


def fmt_pair(pair: tuple[int, int], sep: str = "x") -> str:
    """``3x3`` or ``3x5`` (``sep="x"``); ``1`` or ``(1, 2)`` (``sep=""``)."""
    if sep:
        return f"{pair[0]}{sep}{pair[1]}"
    return str(pair[0]) if pair[0] == pair[1] else str(pair)


class Conv2D(Layer):
    """2-D convolution (cross-correlation, as in every framework): ``Z = W * X + b``.

    Parameters
    ----------
    in_channels, out_channels : int
        ``C_in`` and ``C_out``.
    kernel_size : int or (int, int)
        ``(kh, kw)``; an int means a square kernel.
    stride : int or (int, int), default 1
        Step between windows, ``(sh, sw)``.
    padding : int or (int, int), default 0
        Zeros added on each side, ``(ph, pw)``.
    init : {"he", "xavier", "normal", "zeros"} or callable, default "he"
        With ``fan_in = C_in kh kw`` and ``fan_out = C_out kh kw``: N(0, 2/fan_in),
        N(0, 2/(fan_in + fan_out)), N(0, 0.01^2) or zeros. A callable gets
        ``(fan_in, fan_out, rng)`` and returns ``W``. The bias starts at zero.
    rng : None, int or np.random.Generator
        Source of randomness for the initializer.
    dtype : np.float32 or np.float64, default np.float64
        Dtype of the parameters, the outputs and the gradients.

    Attributes
    ----------
    W, b : ndarray
        Kernels ``(C_out, C_in, kh, kw)`` and bias ``(C_out,)``.
    dW, db : ndarray
        Their gradients, overwritten by each ``backward``.
    last_input_shape : tuple or None
        ``(C_in, H, W)`` of the last forward's input, for :meth:`flops`.

    Raises
    ------
    TypeError
        If an argument is of the wrong kind, or ``X``/``dZ`` is not a real numeric array.
    ValueError
        If a size is out of range, ``X`` is not ``(N, C_in, H, W)``, its padded height or
        width is smaller than the kernel, or ``dZ`` is not the shape of the last output. A
        failing call changes nothing.
    RuntimeError
        If ``backward`` comes before a ``forward`` with ``cache=True``.

    Shapes
    ------
    X ``(N, C_in, H, W)`` -> Z ``(N, C_out, H_out, W_out)`` with
    ``H_out = (H + 2 ph - kh) // sh + 1`` (``W_out`` alike); backward: dZ (the shape of Z) ->
    dX (the shape of X).

    Notes
    -----
    ``Z[n, o, y, x] = b[o] + sum_{c, i, j} W[o, c, i, j] Xp[n, c, sh y + i, sw x + j]``, with
    ``Xp`` the zero-padded input: a cross-correlation (the kernel is not flipped). With
    ``X_col = im2col(Xp)`` of shape ``(C_in kh kw, H_out W_out N)``, each column one patch
    flattened like a kernel, and ``W_row = W.reshape(C_out, C_in kh kw)``, the forward pass
    is one matrix product: ``Z_col = W_row @ X_col + b[:, None]``, ``(C_out, H_out W_out N)``.
    Backward, with ``dZ_col`` the same reshaping of dZ::

        dW = (dZ_col @ X_col.T).reshape(W.shape)
        db = dZ_col.sum(axis=1)
        dX = crop(col2im(W_row.T @ dZ_col))

    where ``col2im`` adds every patch gradient back onto the pixels it was read from (the
    adjoint of im2col) and ``crop`` removes the padding. ``forward`` keeps only ``X_col``,
    about ``kh kw / (sh sw)`` times the size of X: more memory than X, but no second im2col
    in backward.

    The sample index runs fastest in ``X_col`` (long contiguous runs to copy and to add), so
    ``Z`` and ``dX`` are ``(N, C, H, W)`` views of arrays stored as ``(C, H, W, N)``. Layers
    that follow keep that layout; use ``np.ascontiguousarray(Z)`` for a C-ordered copy.

    Examples
    --------
    >>> conv = Conv2D(1, 8, 3, padding=1, rng=0)
    >>> conv
    Conv2D(1 -> 8, kernel=3x3, stride=1, padding=1, init='he')
    >>> conv.forward(np.ones((2, 1, 8, 8))).shape
    (2, 8, 8, 8)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        *,
        stride=1,
        padding=0,
        init="he",
        rng=None,
        dtype=np.float64,
    ):
        owner = "Conv2D"
        self.in_channels = check_positive_int(in_channels, "in_channels", owner=owner)
        self.out_channels = check_positive_int(out_channels, "out_channels", owner=owner)
        self.kernel_size = check_int_pair(kernel_size, "kernel_size", owner=owner)
        self.stride = check_int_pair(stride, "stride", owner=owner)
        self.padding = check_int_pair(padding, "padding", owner=owner, zero_ok=True)
        self.init = init
        super().__init__(dtype)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self._init_param("W", self._initial_weights(init, rng, shape), shape)
        self._init_param("b", np.zeros(self.out_channels), (self.out_channels,))

    def _initial_weights(self, init, rng, shape) -> np.ndarray:
        fan_in, fan_out = shape[1] * shape[2] * shape[3], shape[0] * shape[2] * shape[3]
        gen = as_rng(rng, owner=repr(self))
        if callable(init):
            return init(fan_in, fan_out, gen)
        if isinstance(init, str) and init in INIT_STD:
            return gen.normal(0.0, INIT_STD[init](fan_in, fan_out), size=shape)
        if isinstance(init, str):
            names = ", ".join(repr(n) for n in INIT_STD)
            raise ValueError(f"{self!r}: unknown init {init!r}; expected one of {names}.")
        raise TypeError(f"{self!r}: init must be a name or a callable, got {type(init).__name__}.")

    W = Param("Kernels, shape (C_out, C_in, kh, kw).")
    b = Param("Bias, shape (C_out,).")
    input_shape = property(
        lambda self: (self.in_channels, "height", "width"),
        doc='One sample\'s shape: ``(C_in, "height", "width")``.',
    )

    def output_shape(self, input_shape: tuple | None) -> tuple:
        if input_shape is None or len(input_shape) != 3:
            return (self.out_channels, "height", "width")
        sizes = [
            out_size(n, k, s, p) if isinstance(n, int) else n
            for n, k, s, p in zip(
                input_shape[1:], self.kernel_size, self.stride, self.padding, strict=True
            )
        ]
        return (self.out_channels, *sizes)

    def _check_sample(self, X) -> None:
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        Hp, Wp = X.shape[2] + 2 * ph, X.shape[3] + 2 * pw
        if Hp < kh or Wp < kw:
            raise ValueError(
                f"{self!r} expected X whose padded height and width (H + 2 ph, W + 2 pw) are "
                f"at least the kernel's {kh}x{kw}, got X of shape {X.shape}, padded to "
                f"{Hp}x{Wp}."
            )

    def _forward(self, X, cache):
        cols = self._columns(X)
        Z = self._correlate(self._params["W"], cols, X.shape)
        Z += self._params["b"][:, None, None]
        return Z, (cols, X.shape)

    def _columns(self, X: np.ndarray) -> np.ndarray:
        """The patches of ``X`` (zero-padded) as columns, ``(C_in kh kw, Ho Wo N)``."""
        (N, _, H, W), (ph, pw) = X.shape, self.padding
        if ph or pw:  # the one copy of the input, with a frame of zeros
            Xp = chwn_zeros(N, self.in_channels, H + 2 * ph, W + 2 * pw, X.dtype)
            Xp[:, :, ph : ph + H, pw : pw + W] = X
        else:
            Xp = X
        return im2col(Xp, self.kernel_size, self.stride)

    def _correlate(self, kernels: np.ndarray, cols: np.ndarray, x_shape: tuple) -> np.ndarray:
        """``kernels * X`` without the bias, ``(N, C_out, Ho, Wo)`` (stored as CHWN)."""
        N, _, H, W = x_shape
        Z = np.matmul(kernels.reshape(self.out_channels, -1), cols)
        Ho, Wo = out_size(H, *self._axis(0)), out_size(W, *self._axis(1))
        return Z.reshape(self.out_channels, Ho, Wo, N).transpose(3, 0, 1, 2)

    def _jvp(self, X, dX, dflat):
        t, cols = self.param_tangents(dflat), self._columns(X)
        Z = self._correlate(self._params["W"], cols, X.shape)
        Z += self._params["b"][:, None, None]
        # bilinear in (W, X): dZ = W * dX + dW * X + db
        dZ = self._correlate(self._params["W"], self._columns(dX), X.shape)
        if dflat is not None:
            dZ += self._correlate(t["W"], cols, X.shape)
            dZ += t["b"][:, None, None]
        return Z, dZ

    def _axis(self, k: int) -> tuple[int, int, int]:
        return self.kernel_size[k], self.stride[k], self.padding[k]

    def _backward(self, dZ, cols, x_shape, *, input_grad):
        N, C, H, W = x_shape
        # (C_out, Ho Wo N): free when dZ has the layout forward returned, else one copy
        dZ_col = dZ.transpose(1, 2, 3, 0).reshape(self.out_channels, -1)
        W_row = self._params["W"].reshape(self.out_channels, -1)
        np.matmul(dZ_col, cols.T, out=self._grads["W"].reshape(W_row.shape))
        np.sum(dZ_col, axis=1, out=self._grads["b"])
        if not input_grad:
            return None
        ph, pw = self.padding
        padded = (N, C, H + 2 * ph, W + 2 * pw)
        dXp = col2im(W_row.T @ dZ_col, padded, self.kernel_size, self.stride)
        return dXp[:, :, ph : ph + H, pw : pw + W]

    def _flops(self, n, shape):
        # With P = N H_out W_out output positions and a multiply-add counted as 2: forward
        # 2 P C_out C_in kh kw (the product) + P C_out (bias); dW the same (db is the
        # P C_out); dX the product plus the P C_in kh kw additions of col2im.
        owner = f"{self!r}.flops"
        if shape[0] != self.in_channels:
            raise ValueError(
                f"{owner} expected input_shape ({self.in_channels}, H, W), got {shape}."
            )
        Ho, Wo = out_size(shape[1], *self._axis(0)), out_size(shape[2], *self._axis(1))
        if Ho < 1 or Wo < 1:
            raise ValueError(f"{owner}: input_shape {tuple(shape)} is smaller than the kernel.")
        positions = n * Ho * Wo
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        mm = 2 * positions * self.out_channels * fan_in
        bias = positions * self.out_channels
        return {
            "forward": mm + bias,
            "backward_dW": mm + bias,
            "backward_dX": mm + positions * fan_in,
        }

    def __repr__(self) -> str:
        init = self.init if isinstance(self.init, str) else getattr(self.init, "__name__", "?")
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return (
            f"Conv2D({self.in_channels} -> {self.out_channels}, "
            f"kernel={fmt_pair(self.kernel_size)}, stride={fmt_pair(self.stride, '')}, "
            f"padding={fmt_pair(self.padding, '')}, init={init!r}{dt})"
        )
