"""A simple (Elman) recurrent layer, trained by backpropagation through time.

Sequences are batch first: ``X`` is ``(N, T, n_in)``, N sequences of T steps. Inside, the
layer works time major (``(T, N, ...)``), so that each time step is one contiguous block and
the products over all steps are single matrix products.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_rng, check_positive_int
from .base import Layer, Param
from .init import get_initializer


def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal ``(n, n)`` matrix: Q of the QR factorization of a Gaussian matrix.

    The signs of R's diagonal are moved into Q, which makes Q uniformly distributed over the
    orthogonal matrices (Mezzadri, 2007).
    """
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


class Recurrent(Layer):
    """What the recurrent layers (:class:`RNN`, :class:`nnlab.LSTM`) share: their arguments,
    the ``(N, T, n_in)`` input, the output (the last state, or every state with
    ``return_sequences``), the per-step gradient norms, the FLOP count's shape check and the
    repr. A subclass creates its parameters after ``super().__init__``."""

    def __init__(self, n_in, n_hidden, return_sequences, init, dtype) -> None:
        owner = type(self).__name__
        self.n_in = check_positive_int(n_in, "n_in", owner=owner)
        self.n_hidden = check_positive_int(n_hidden, "n_hidden", owner=owner)
        if not isinstance(return_sequences, bool | np.bool_):
            raise TypeError(
                f"{owner}: return_sequences must be True or False, got {return_sequences!r}."
            )
        self.return_sequences = bool(return_sequences)
        self.init = init
        super().__init__(dtype)

    input_shape = property(
        lambda self: ("n_steps", self.n_in), doc='One sample\'s shape: ``("n_steps", n_in)``.'
    )

    def _norms(self, G: np.ndarray | None, name: str) -> np.ndarray:
        """The norm of each step's slice of a ``(T, ...)`` buffer kept by backward."""
        if G is None:
            raise RuntimeError(
                f"{self!r}: {name} is measured by backward(); run forward and backward first."
            )
        G = G.reshape(G.shape[0], -1)
        return np.sqrt(np.einsum("ij,ij->i", G, G))

    def output_shape(self, input_shape: tuple | None) -> tuple:
        if not self.return_sequences:
            return (self.n_hidden,)
        steps = input_shape[0] if input_shape is not None and len(input_shape) == 2 else "n_steps"
        return (steps, self.n_hidden)

    def _check_sample(self, X) -> None:
        if X.shape[1] == 0:
            raise ValueError(
                f"{self!r} expected X with at least one time step, got X of shape {X.shape}."
            )

    def _steps(self, shape) -> int:
        """``T`` of a FLOP count's sample shape ``(T, n_in)``, checked."""
        T, n_in = shape
        if T < 1 or n_in != self.n_in:
            raise ValueError(f"{self!r}.flops expected input_shape (T, {self.n_in}), got {shape}.")
        return T

    def __repr__(self) -> str:
        init = self.init if isinstance(self.init, str) else getattr(self.init, "__name__", "?")
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return (
            f"{type(self).__name__}({self.n_in} -> {self.n_hidden}, "
            f"return_sequences={self.return_sequences}, init={init!r}{dt})"
        )


class RNN(Recurrent):
    """Recurrent layer: ``h_t = tanh(x_t W_xh + h_{t-1} W_hh + b)`` from ``h_0 = 0``.

    Parameters
    ----------
    n_in, n_hidden : int
        Features per time step, and size of the hidden state.
    return_sequences : bool, default False
        Output every state ``h_1 .. h_T`` ``(N, T, n_hidden)`` (to feed another RNN) instead
        of the last one, ``h_T`` ``(N, n_hidden)`` (to feed a Dense layer).
    init : str or callable, default "xavier"
        Initializer of ``W_xh``, as in :class:`nnlab.Dense`: a name from :mod:`nnlab.init`
        (``"xavier"``, ``"he"``, ``"normal"``, ``"zeros"``, ...) or a callable that gets
        ``(n_in, n_hidden, rng)`` and returns ``W_xh``. Xavier suits the tanh units.
        ``W_hh`` always starts as a random orthogonal matrix (see Notes), the bias at zero;
        assign ``layer.W_hh = ...`` for another start.
    rng : None, int or np.random.Generator
        Source of randomness: ``W_xh`` is drawn first, then ``W_hh``.
    dtype : np.float32 or np.float64, default np.float64
        Dtype of the parameters, the outputs and the gradients.

    Attributes
    ----------
    W_xh, W_hh, b : ndarray
        Input weights ``(n_in, n_hidden)``, recurrent weights ``(n_hidden, n_hidden)`` and
        bias ``(n_hidden,)``.
    dW_xh, dW_hh, db : ndarray
        Their gradients, overwritten by each ``backward``.
    grad_norms_by_step : ndarray
        ``(T,)``: after a backward, the norm of ``dL/dh_t`` for ``t = 1 .. T`` (see Notes).
    last_input_shape : tuple or None
        ``(T, n_in)`` of the last forward's input, for :meth:`flops`.

    Raises
    ------
    TypeError
        If an argument is of the wrong kind, or ``X``/``dZ`` (or an assigned parameter) is
        not a real numeric array.
    ValueError
        If a size is not positive, ``X`` is not ``(N, T, n_in)`` with ``T >= 1``, ``dZ`` is
        not the shape of the last output, or an assigned parameter has the wrong shape or
        holds nan or inf. A failing call changes nothing.
    RuntimeError
        If ``backward`` comes before a ``forward`` with ``cache=True``, or
        ``grad_norms_by_step`` is read before any ``backward``.

    Shapes
    ------
    X ``(N, T, n_in)`` -> Z ``(N, n_hidden)`` (``h_T``), or ``(N, T, n_hidden)`` with
    ``return_sequences=True``; backward: dZ (the shape of Z) -> dX ``(N, T, n_in)``.

    Notes
    -----
    Forward (book eq. ``rnn-step``), with ``z_t`` the pre-activation::

        z_t = x_t W_xh + h_{t-1} W_hh + b,    h_t = tanh(z_t),    h_0 = 0

    The input products ``x_t W_xh`` of every step are one matrix product, computed before
    the loop over time; the loop adds the recurrent product and applies tanh.

    Backward is backpropagation through time (book eq. ``bptt``). With ``g_t = dL/dh_t``
    (the gradient reaching ``h_t`` from the output at step t, if any, and from ``h_{t+1}``)
    and ``d_t = dL/dz_t``::

        d_t = g_t * (1 - h_t^2),      g_{t-1} = dY_{t-1} + d_t W_hh^T,      g_T = dY_T
        dW_xh = sum_t x_t^T d_t,      dW_hh = sum_t h_{t-1}^T d_t,      db = sum_t sum_n d_t
        dx_t = d_t W_xh^T

    where ``dY_t`` is the part of ``dZ`` at step t (only ``dY_T = dZ`` without
    ``return_sequences``). Only the recurrence for ``g`` needs a loop over time: the
    deltas ``d_t`` are stacked into a ``(T, N, n_hidden)`` array, and ``dW_xh``, ``dW_hh``
    and ``dX`` are each one matrix product over all steps at once.

    The gradient reaching an early state is a product of factors
    ``diag(1 - h_t^2) W_hh^T``, one per step it travels back. ``grad_norms_by_step[t - 1]``
    is ``||g_t||`` (over the batch and the units), so ``grad_norms_by_step[0] /
    grad_norms_by_step[-1]`` measures how much of the gradient survives ``T - 1`` steps.
    ``W_hh`` starts orthogonal (Saxe et al., 2014) because an orthogonal matrix preserves
    the norm of every vector it multiplies: the recurrent product alone then neither
    shrinks nor blows up the gradient, whatever T, and only the tanh factors (at most 1)
    shrink it. A Gaussian start would scale it by roughly its largest singular value per
    step, which vanishes or explodes over long sequences.

    ``forward`` keeps a time-major copy of ``X`` (no copy when ``X`` already has that
    layout, as the output of an RNN with ``return_sequences=True`` does) and the states;
    an output kept that way comes back read-only. The output with ``return_sequences=True``
    is an ``(N, T, n_hidden)`` view of states stored ``(T, N, n_hidden)``, and ``dX`` is
    likewise an ``(N, T, n_in)`` view. Backward reuses its work arrays from call to call.

    Examples
    --------
    >>> rnn = RNN(8, 64, rng=0)
    >>> rnn
    RNN(8 -> 64, return_sequences=False, init='xavier')
    >>> rnn.forward(np.zeros((32, 20, 8))).shape
    (32, 64)
    >>> RNN(8, 64, return_sequences=True).forward(np.zeros((32, 20, 8))).shape
    (32, 20, 64)
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
        self._init_param("W_xh", initializer(self.n_in, h, gen), (self.n_in, h))
        self._init_param("W_hh", orthogonal(h, gen), (h, h))
        self._init_param("b", np.zeros(h), (h,))
        self._reset_buffers()

    def _reset_buffers(self) -> None:
        """Forget the work arrays (after a dtype change, or at creation)."""
        self._G: np.ndarray | None = None  # (T, N, n_hidden), dL/dh_t of the last backward
        self._D: np.ndarray | None = None  # (T, N, n_hidden), dL/dz_t, reused
        self._step = np.empty((0, self.n_hidden), self.dtype)  # one step's product, reused
        self._ones = np.ones(0, self.dtype)

    W_xh = Param("Input weights, shape (n_in, n_hidden).")
    W_hh = Param("Recurrent weights, shape (n_hidden, n_hidden).")
    b = Param("Bias, shape (n_hidden,).")

    @property
    def grad_norms_by_step(self) -> np.ndarray:
        """``||dL/dh_t||`` for ``t = 1 .. T`` after the last backward, shape ``(T,)``.

        The Frobenius norm over the batch and the hidden units of the gradient reaching each
        state, from the output and from the later states (``g_t`` in the class Notes). A new
        array on each access, computed from a buffer that the next backward overwrites.
        """
        return self._norms(self._G, "grad_norms_by_step")

    def _forward(self, X, cache):
        N, T, _ = X.shape
        Xt = X.transpose(1, 0, 2)
        if not Xt.flags.c_contiguous:
            Xt = np.ascontiguousarray(Xt)  # time major: each step one block
        # A new array for the states on every call: they are the output, which the caller
        # may keep, and the cache. The input products of all steps fill it in one product.
        H = np.empty((T, N, self.n_hidden), self.dtype)
        np.matmul(
            Xt.reshape(T * N, self.n_in), self._params["W_xh"], out=H.reshape(T * N, self.n_hidden)
        )
        H += self._params["b"]
        np.tanh(H[0], out=H[0])  # h_0 = 0: no recurrent term at the first step
        step, W_hh = self._step_buffer(N), self._params["W_hh"]
        for t in range(1, T):
            np.matmul(H[t - 1], W_hh, out=step)
            H[t] += step
            np.tanh(H[t], out=H[t])
        Z = H.transpose(1, 0, 2) if self.return_sequences else H[-1]
        return Z, (Xt, H)

    def _jvp(self, X, dX, dflat):
        # h_t = tanh(a_t), a_t = x_t W_xh + h_{t-1} W_hh + b, and along the tangent
        # da_t = dx_t W_xh + x_t dW_xh + dh_{t-1} W_hh + h_{t-1} dW_hh + db, dh_t = (1 - h_t^2) da_t
        t, T = self.param_tangents(dflat), X.shape[1]
        W_xh, W_hh, b = self._params["W_xh"], self._params["W_hh"], self._params["b"]
        Xt, dXt = X.transpose(1, 0, 2), dX.transpose(1, 0, 2)
        H, dH = Xt @ W_xh + b, dXt @ W_xh  # (T, N, n_hidden)
        if dflat is not None:
            dH += Xt @ t["W_xh"] + t["b"]
        for s in range(T):
            if s > 0:
                H[s] += H[s - 1] @ W_hh
                dH[s] += dH[s - 1] @ W_hh
                if dflat is not None:
                    dH[s] += H[s - 1] @ t["W_hh"]
            np.tanh(H[s], out=H[s])
            dH[s] *= 1.0 - H[s] * H[s]
        if self.return_sequences:
            return H.transpose(1, 0, 2), dH.transpose(1, 0, 2)
        return H[-1], dH[-1]

    def _step_buffer(self, N: int) -> np.ndarray:
        if self._step.shape[0] != N:
            self._step = np.empty((N, self.n_hidden), self.dtype)
        return self._step

    def _backward(self, dZ, Xt, H, *, input_grad):
        T, N, n_h = H.shape
        G, D = self._work_buffers(T, N)
        # dL/dz_t = dL/dh_t * (1 - h_t^2): the tanh factors of all steps first, in one pass
        np.square(H, out=D)
        np.subtract(1.0, D, out=D)
        W_hh_T = np.ascontiguousarray(self._params["W_hh"].T)  # BLAS: faster than the view
        G[-1] = dZ[:, -1] if self.return_sequences else dZ
        for t in range(T - 1, 0, -1):
            D[t] *= G[t]
            np.matmul(D[t], W_hh_T, out=G[t - 1])
            if self.return_sequences:
                G[t - 1] += dZ[:, t - 1]
        D[0] *= G[0]
        # The parameter gradients: one product over all steps each (dW_hh pairs h_{t-1}
        # with d_t; h_0 = 0 adds nothing, so the first step is left out).
        D_flat = D.reshape(T * N, n_h)
        np.matmul(Xt.reshape(T * N, self.n_in).T, D_flat, out=self._grads["W_xh"])
        np.matmul(H[:-1].reshape(-1, n_h).T, D[1:].reshape(-1, n_h), out=self._grads["W_hh"])
        if self._ones.shape[0] < T * N:
            self._ones = np.ones(T * N, self.dtype)
        np.dot(self._ones[: T * N], D_flat, out=self._grads["b"])
        if not input_grad:
            return None
        dX = np.matmul(D_flat, self._params["W_xh"].T)
        return dX.reshape(T, N, self.n_in).transpose(1, 0, 2)

    def _work_buffers(self, T: int, N: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``(T, N, n_hidden)`` arrays for ``dL/dh_t`` and ``dL/dz_t``, reused when the
        shape repeats (they never leave the layer)."""
        shape = (T, N, self.n_hidden)
        if self._G is None or self._G.shape != shape:
            self._G = np.empty(shape, self.dtype)
            self._D = np.empty(shape, self.dtype)
        return self._G, self._D

    def _flops(self, n, shape):
        # A multiply-add counts as 2 and tanh as 1. With h = n_hidden: forward 2 n T n_in h
        # (input products) + 2 n (T - 1) h^2 (recurrent products) + n T h (bias)
        # + n (T - 1) h (adding the two) + n T h (tanh). backward_dW: the tanh factors
        # 3 n T h, the recurrence 2 n (T - 1) h^2 (plus n (T - 1) h to add dZ with
        # return_sequences), dW_xh 2 n T n_in h, dW_hh 2 n (T - 1) h^2, db n T h;
        # backward_dX 2 n T n_in h.
        T, n_in, h = self._steps(shape), self.n_in, self.n_hidden
        inputs = 2 * n * T * n_in * h
        recurrent = 2 * n * (T - 1) * h * h
        elementwise = n * T * h
        forward = inputs + recurrent + 2 * elementwise + n * (T - 1) * h
        add_dZ = n * (T - 1) * h if self.return_sequences else 0
        backward_dW = 3 * elementwise + recurrent + add_dZ + inputs + recurrent + elementwise
        return {"forward": forward, "backward_dW": backward_dW, "backward_dX": inputs}
