"""A long short-term memory (LSTM) layer, trained by backpropagation through time.

Sequences are batch first, as for :class:`nnlab.RNN`: ``X`` is ``(N, T, n_in)``. Inside, the
layer works time major (``(T, N, ...)``), so that each step is one contiguous block and the
products over all steps are single matrix products.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_rng
from .base import Param
from .init import get_initializer
from .recurrent import Recurrent, orthogonal


class LSTM(Recurrent):
    """Long short-term memory: gated cell ``c_t`` and state ``h_t`` from ``h_0 = c_0 = 0``.

    Parameters
    ----------
    n_in, n_hidden : int
        Features per time step, and size of the state ``h_t`` (and of the cell ``c_t``).
    return_sequences : bool, default False
        Output every state ``h_1 .. h_T`` ``(N, T, n_hidden)`` (to feed another recurrent
        layer) instead of the last one, ``h_T`` ``(N, n_hidden)`` (to feed a Dense layer).
    init : str or callable, default "xavier"
        Initializer of ``W_x``, as for :class:`nnlab.RNN`'s ``W_xh``: a name from
        :mod:`nnlab.init` or a callable that gets ``(n_in, 4 * n_hidden, rng)`` and returns
        ``W_x``. ``W_h`` always starts as four random orthogonal ``(n_hidden, n_hidden)``
        blocks side by side, the bias at zero; assign ``layer.W_h = ...`` for another start.
    rng : None, int or np.random.Generator
        Source of randomness: ``W_x`` is drawn first, then the four blocks of ``W_h``.
    dtype : np.float32 or np.float64, default np.float64
        Dtype of the parameters, the outputs and the gradients.

    Attributes
    ----------
    W_x, W_h, b : ndarray
        Input weights ``(n_in, 4 n_hidden)``, recurrent weights ``(n_hidden, 4 n_hidden)`` and
        bias ``(4 n_hidden,)``; their columns are four blocks of n_hidden, the gates
        i, f, g, o in this order (PyTorch's).
    dW_x, dW_h, db : ndarray
        Their gradients, overwritten by each ``backward``.
    grad_norms_by_step, cell_grad_norms_by_step : ndarray
        ``(T,)``: after a backward, the norms of ``dL/dh_t`` and of ``dL/dc_t`` (see Notes).
    last_input_shape : tuple or None
        ``(T, n_in)`` of the last forward's input, for :meth:`flops`.

    Raises
    ------
    TypeError
        If an argument is of the wrong kind, or ``X``/``dZ`` (or an assigned parameter) is
        not a real numeric array.
    ValueError
        If a size is not positive, ``init`` is an unknown name or returns the wrong shape,
        ``X`` is not ``(N, T, n_in)`` with ``T >= 1``, ``dZ`` is not the shape of the last
        output, or an assigned parameter has the wrong shape or holds nan or inf. A failing
        call changes nothing.
    RuntimeError
        If ``backward`` comes before a ``forward`` with ``cache=True``, or a gradient norm is
        read before any ``backward``.

    Shapes
    ------
    X ``(N, T, n_in)`` -> Z ``(N, n_hidden)`` (``h_T``), or ``(N, T, n_hidden)`` with
    ``return_sequences=True``; backward: dZ (the shape of Z) -> dX ``(N, T, n_in)``.

    Notes
    -----
    Forward, with ``G_t`` the gates' pre-activations split into
    four blocks of n_hidden columns and ``s`` the logistic sigmoid::

        G_t = x_t W_x + h_{t-1} W_h + b = [G_i, G_f, G_g, G_o]
        i = s(G_i),  f = s(G_f),  g = tanh(G_g),  o = s(G_o)
        c_t = f * c_{t-1} + i * g,      h_t = o * tanh(c_t),      h_0 = c_0 = 0

    The input products ``x_t W_x`` of all steps are one ``(T N, n_in) @ (n_in, 4 n_hidden)``
    product before the loop over time. With ``W_x.T``, ``W_h.T`` as ``weight_ih_l0``,
    ``weight_hh_l0``, ``b`` as ``bias_ih_l0`` and ``bias_hh_l0 = 0``, this is
    ``torch.nn.LSTM(n_in, n_hidden, batch_first=True)``.

    Backward through time. Let ``dh_t = dL/dh_t``, from the output
    (``dY_t``, the part of ``dZ`` at step t) and from ``G_{t+1}``, and ``dc_t = dL/dc_t``,
    from ``h_t`` and from ``c_{t+1} = f_{t+1} * c_t + ...``. The chain rule through
    ``h_t = o * tanh(c_t)`` and ``c_t = f * c_{t-1} + i * g`` gives, at each step::

        dc_t = dh_t * o * (1 - tanh(c_t)^2) + dc_{t+1} * f_{t+1}       (dc_{T+1} = 0)
        do = dh_t * tanh(c_t),   di = dc_t * g,   dg = dc_t * i,   df = dc_t * c_{t-1}

    and through the nonlinearities (``s' = s (1 - s)``, ``tanh' = 1 - tanh^2``)::

        dG_t = [di * i (1 - i),  df * f (1 - f),  dg * (1 - g^2),  do * o (1 - o)]
        dh_{t-1} = dY_{t-1} + dG_t W_h^T,      dh_T = dY_T

    Then, as for a Dense layer fed ``x_t`` and ``h_{t-1}`` at every step::

        dW_x = sum_t x_t^T dG_t,   dW_h = sum_t h_{t-1}^T dG_t,   db = sum_t sum_n dG_t,
        dx_t = dG_t W_x^T

    Only ``dh`` and ``dc`` need the loop over time. The factors that do not depend on them
    (``g i (1 - i)``, ``c_{t-1} f (1 - f)``, ``i (1 - g^2)``, ``tanh(c_t) o (1 - o)`` and
    ``o (1 - tanh(c_t)^2)``) are computed for all steps at once before it; the ``dG_t`` are
    stacked in one ``(T, N, 4 n_hidden)`` array, and ``dW_x``, ``dW_h``, ``dX`` are each one
    matrix product over all steps. ``grad_norms_by_step[t - 1]`` is ``||dh_t||`` and
    ``cell_grad_norms_by_step[t - 1]`` is ``||dc_t||`` (over the batch and the units). On
    the cell path the gradient is multiplied by the forget gate ``f_{t+1}`` per step back,
    with no weight matrix and no squashing derivative: with f near 1 it travels far, where
    the RNN's ``g_t`` shrinks by ``diag(1 - h_t^2) W_hh^T`` at every step.

    FLOPs, a multiply-add counting as 2, tanh as 1 and a sigmoid as 4 (as :class:`nnlab.Sigmoid`),
    with ``h = n_hidden``, ``E = N T h`` and ``E' = N (T - 1) h``::

        forward      8 N T n_in h + 8 N (T - 1) h^2 + 20 E + 6 E'
        backward_dW  8 N T n_in h + 16 N (T - 1) h^2 + 22 E + 5 E'  (+ E' with return_sequences)
        backward_dX  8 N T n_in h

    Forward: the products, the bias (4 E), adding the recurrent product (4 E'), the gates
    (3 sigmoids and a tanh per unit: 13 E), ``c_t`` (E + 2 E') and ``h_t`` (2 E). Backward:
    the factors (13 E + 3 E'), the recurrence (``dG_t W_h^T``, ``dc_t``: E + 2 E', adding
    ``dY`` with return_sequences), ``dG_t`` (4 E), ``dW_x``, ``dW_h`` and ``db`` (4 E).

    ``forward`` keeps a time-major copy of ``X`` (none when ``X`` already has that layout),
    the gates, the cells and the states; an output kept that way comes back read-only.
    Backward reuses its work arrays from call to call.

    Examples
    --------
    >>> lstm = LSTM(8, 16, rng=0)
    >>> lstm
    LSTM(8 -> 16, return_sequences=False, init='xavier')
    >>> lstm.forward(np.zeros((32, 20, 8))).shape
    (32, 16)
    >>> lstm.W_x.shape, lstm.W_h.shape, lstm.b.shape
    ((8, 64), (16, 64), (64,))
    """

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        *,
        return_sequences: bool = False,
        init="xavier",
        rng=None,
        dtype=np.float64,
    ):
        super().__init__(n_in, n_hidden, return_sequences, init, dtype)
        initializer = get_initializer(init, owner=repr(self))
        gen = as_rng(rng, owner=repr(self))
        h = self.n_hidden
        self._init_param("W_x", initializer(self.n_in, 4 * h, gen), (self.n_in, 4 * h))
        W_h = np.concatenate([orthogonal(h, gen) for _ in range(4)], axis=1)
        self._init_param("W_h", W_h, (h, 4 * h))
        self._init_param("b", np.zeros(4 * h), (4 * h,))
        self._reset_buffers()

    def _reset_buffers(self) -> None:
        """Forget the work arrays (after a dtype change, or at creation)."""
        h = self.n_hidden
        self._dH: np.ndarray | None = None  # (T, N, h), dL/dh_t of the last backward
        self._dC: np.ndarray | None = None  # (T, N, h), dL/dc_t of the last backward
        self._dG: np.ndarray | None = None  # (T, N, 4h), dL/dG_t, reused
        self._P: np.ndarray | None = None  # (T, N, h), o (1 - tanh(c)^2), reused
        self._step = np.empty((0, 4 * h), self.dtype)  # one step's product, scratch
        self._tmp = np.empty((0, h), self.dtype)
        self._ones = np.ones(0, self.dtype)

    W_x = Param("Input weights, shape (n_in, 4 n_hidden), gates i, f, g, o.")
    W_h = Param("Recurrent weights, shape (n_hidden, 4 n_hidden), gates i, f, g, o.")
    b = Param("Bias, shape (4 n_hidden,), gates i, f, g, o.")

    @property
    def grad_norms_by_step(self) -> np.ndarray:
        """``||dL/dh_t||`` for ``t = 1 .. T`` after the last backward, shape ``(T,)``: the
        norm over the batch and the units of the gradient reaching each state, from the
        output and from the next step. A new array on each access."""
        return self._norms(self._dH, "grad_norms_by_step")

    @property
    def cell_grad_norms_by_step(self) -> np.ndarray:
        """``||dL/dc_t||`` for ``t = 1 .. T`` after the last backward, shape ``(T,)``: the
        gradient reaching each cell, from ``h_t`` and through ``f_{t+1}`` from the next
        cell. A new array on each access."""
        return self._norms(self._dC, "cell_grad_norms_by_step")

    def _half_columns(self) -> np.ndarray:
        """``(4 n_hidden,)``: 0.5 for the sigmoid gates' columns (i, f, o), 1 for g's."""
        h = self.n_hidden
        half = np.full(4 * h, 0.5, self.dtype)
        half[2 * h : 3 * h] = 1.0
        return half

    def _scratch(self, N: int) -> tuple[np.ndarray, np.ndarray]:
        if self._step.shape[0] != N:
            self._step = np.empty((N, 4 * self.n_hidden), self.dtype)
            self._tmp = np.empty((N, self.n_hidden), self.dtype)
        return self._step, self._tmp

    def _forward(self, X, cache):
        N, T, _ = X.shape
        h = self.n_hidden
        Xt = X.transpose(1, 0, 2)
        if not Xt.flags.c_contiguous:
            Xt = np.ascontiguousarray(Xt)  # time major: each step one block
        # New arrays on every call: the states are the output, and all three the cache.
        A = np.empty((T, N, 4 * h), self.dtype)  # G_t, then the gates [i, f, g, o] in place
        C = np.empty((T, N, h), self.dtype)
        H = np.empty((T, N, h), self.dtype)
        # sigmoid(x) = (1 + tanh(x / 2)) / 2: with the i, f, o columns of W_x, W_h and b halved,
        # one tanh over the four gates gives all of them (two more passes for the sigmoids).
        half = self._half_columns()
        W_x, W_h, b = (self._params[k] * half for k in ("W_x", "W_h", "b"))
        np.matmul(Xt.reshape(T * N, self.n_in), W_x, out=A.reshape(T * N, 4 * h))
        A += b
        step, tmp = self._scratch(N)
        for t in range(T):
            a = A[t]
            if t > 0:  # h_0 = 0: no recurrent term at the first step
                np.matmul(H[t - 1], W_h, out=step)
                a += step
            np.tanh(a, out=a)
            for cols in (a[:, : 2 * h], a[:, 3 * h :]):
                cols *= 0.5
                cols += 0.5
            np.multiply(a[:, :h], a[:, 2 * h : 3 * h], out=C[t])  # i * g
            if t > 0:
                np.multiply(a[:, h : 2 * h], C[t - 1], out=tmp)  # + f * c_{t-1}
                C[t] += tmp
            np.tanh(C[t], out=H[t])
            H[t] *= a[:, 3 * h :]
        Z = H.transpose(1, 0, 2) if self.return_sequences else H[-1]
        return Z, (Xt, A, C, H)

    def _backward(self, dZ, Xt, A, C, H, *, input_grad):
        T, N, h = H.shape
        dH, dC, dG, P = self._work_buffers(T, N)
        tmp = self._scratch(N)[1]
        gates, dG4 = A.reshape(T, N, 4, h), dG.reshape(T, N, 4, h)
        i, f, g, o = (gates[:, :, k] for k in range(4))
        K_i, K_f, K_g, K_o = (dG4[:, :, k] for k in range(4))
        # The factors that do not depend on dh, dc, for all steps at once (class Notes):
        # dG_t = [dc_t, dc_t, dc_t, dh_t] * [K_i, K_f, K_g, K_o], and dc_t = dh_t * P + ...
        np.subtract(1.0, i, out=K_i)
        K_i *= i
        K_i *= g
        K_f[0] = 0.0  # c_0 = 0
        np.subtract(1.0, f[1:], out=K_f[1:])
        K_f[1:] *= f[1:]
        K_f[1:] *= C[:-1]
        np.square(g, out=K_g)
        np.subtract(1.0, K_g, out=K_g)
        K_g *= i
        np.tanh(C, out=P)
        np.subtract(1.0, o, out=K_o)
        K_o *= o
        K_o *= P
        np.square(P, out=P)
        np.subtract(1.0, P, out=P)
        P *= o
        # The recurrence, back through time
        W_h_T = np.ascontiguousarray(self._params["W_h"].T)  # BLAS: twice as fast as the view
        dH[-1] = dZ[:, -1] if self.return_sequences else dZ
        for t in range(T - 1, -1, -1):
            if t < T - 1:
                np.matmul(dG[t + 1], W_h_T, out=dH[t])
                if self.return_sequences:
                    dH[t] += dZ[:, t]
            np.multiply(dH[t], P[t], out=dC[t])
            if t < T - 1:
                np.multiply(dC[t + 1], f[t + 1], out=tmp)
                dC[t] += tmp
            np.multiply(dG4[t, :, :3], dC[t][:, None, :], out=dG4[t, :, :3])
            np.multiply(dG4[t, :, 3], dH[t], out=dG4[t, :, 3])
        # The parameter gradients: one product over all steps each (dW_h pairs h_{t-1}
        # with dG_t; h_0 = 0 adds nothing, so the first step is left out).
        dG_flat = dG.reshape(T * N, 4 * h)
        np.matmul(Xt.reshape(T * N, self.n_in).T, dG_flat, out=self._grads["W_x"])
        np.matmul(H[:-1].reshape(-1, h).T, dG[1:].reshape(-1, 4 * h), out=self._grads["W_h"])
        if self._ones.shape[0] < T * N:
            self._ones = np.ones(T * N, self.dtype)
        np.dot(self._ones[: T * N], dG_flat, out=self._grads["b"])
        if not input_grad:
            return None
        dX = np.matmul(dG_flat, self._params["W_x"].T)
        return dX.reshape(T, N, self.n_in).transpose(1, 0, 2)

    def _work_buffers(self, T: int, N: int) -> tuple[np.ndarray, ...]:
        """``dL/dh_t``, ``dL/dc_t``, ``dL/dG_t`` and the factor ``P`` for all steps, reused
        when the shape repeats (they never leave the layer)."""
        shape = (T, N, self.n_hidden)
        if self._dH is None or self._dH.shape != shape:
            self._dH = np.empty(shape, self.dtype)
            self._dC = np.empty(shape, self.dtype)
            self._P = np.empty(shape, self.dtype)
            self._dG = np.empty((T, N, 4 * self.n_hidden), self.dtype)
        return self._dH, self._dC, self._dG, self._P

    def _jvp(self, X, dX, dflat):
        # Along the tangent: dG_t = dx_t W_x + x_t dW_x + db + dh_{t-1} W_h + h_{t-1} dW_h;
        # each gate moves by its derivative times its block of dG_t, then
        # dc_t = df c_{t-1} + f dc_{t-1} + di g + i dg, dh_t = do tanh(c_t) + o (1 - tanh^2) dc_t
        Z, (Xt, A, C, H) = self._forward(X, False)
        T, h = H.shape[0], self.n_hidden
        t_ = self.param_tangents(dflat)
        W_x, W_h = self._params["W_x"], self._params["W_h"]
        dXt = dX.transpose(1, 0, 2)
        dA = dXt @ W_x  # (T, N, 4h), the tangents of the pre-activations, then of the gates
        if dflat is not None:
            dA += Xt @ t_["W_x"] + t_["b"]
            dA[1:] += H[:-1] @ t_["W_h"]
        slope = A * (1.0 - A)  # s' = s (1 - s) on the sigmoid blocks
        slope[:, :, 2 * h : 3 * h] = 1.0 - A[:, :, 2 * h : 3 * h] ** 2  # tanh' on g
        TC = np.tanh(C)
        dC, dH = np.empty_like(C), np.empty_like(H)
        for s in range(T):
            if s > 0:
                dA[s] += dH[s - 1] @ W_h
            dA[s] *= slope[s]
            a, da = A[s], dA[s]
            dC[s] = da[:, :h] * a[:, 2 * h : 3 * h] + a[:, :h] * da[:, 2 * h : 3 * h]
            if s > 0:
                dC[s] += da[:, h : 2 * h] * C[s - 1] + a[:, h : 2 * h] * dC[s - 1]
            dH[s] = da[:, 3 * h :] * TC[s] + a[:, 3 * h :] * (1.0 - TC[s] ** 2) * dC[s]
        return Z, (dH.transpose(1, 0, 2) if self.return_sequences else dH[-1])

    def _flops(self, n, shape):
        # See the class Notes for what each term counts.
        T, n_in, h = self._steps(shape), self.n_in, self.n_hidden
        products = 8 * n * T * n_in * h
        recurrent = 8 * n * (T - 1) * h * h
        E, E1 = n * T * h, n * (T - 1) * h
        add_dY = E1 if self.return_sequences else 0
        return {
            "forward": products + recurrent + 20 * E + 6 * E1,
            "backward_dW": products + 2 * recurrent + 22 * E + 5 * E1 + add_dY,
            "backward_dX": products,
        }
