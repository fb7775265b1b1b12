"""Multi-head self-attention over sequences, with its backward pass written out by hand.

Sequences are batch first, ``X`` is ``(N, T, d_model)``. Inside, the heads are a batch axis:
each ``(N, T, d_model)`` projection is viewed as ``(N, n_heads, T, d_k)``, so every product of
every head and sample is one ``np.matmul`` call.
"""

from __future__ import annotations

import numpy as np

from ._arrays import read_only
from ._validation import as_rng, check_positive_int
from .base import Layer, Param
from .init import get_initializer

__all__ = ["MultiHeadAttention"]


class MultiHeadAttention(Layer):
    """Multi-head self-attention: ``Z = concat_h(softmax(Q_h K_h^T / sqrt(d_k)) V_h) W_o + b_o``.

    Parameters
    ----------
    d_model : int
        Features per time step, in and out.
    n_heads : int
        Number of heads; must divide ``d_model``. Head h uses the columns
        ``h*d_k:(h+1)*d_k`` of Q, K and V, with ``d_k = d_model // n_heads``.
    causal : bool, default False
        Let position t attend only to the keys ``0 .. t`` (a decoder's mask).
    init : str or callable, default "xavier"
        Initializer of ``W_q``, ``W_k``, ``W_v`` and ``W_o``, as in :class:`nnlab.Dense`: a
        name from :mod:`nnlab.init` or a callable ``(d_model, d_model, rng) -> W``. The biases
        start at zero.
    rng : None, int or np.random.Generator
        Source of randomness: ``W_q``, ``W_k``, ``W_v``, ``W_o`` are drawn in that order.
    dtype : np.float32 or np.float64, default np.float64
        Dtype of the parameters, the outputs, the attention weights and the gradients.

    Attributes
    ----------
    W_q, W_k, W_v, W_o : ndarray
        Query, key, value and output weights, each ``(d_model, d_model)``.
    b_q, b_k, b_v, b_o : ndarray
        Their biases, each ``(d_model,)``.
    dW_q, ..., db_o : ndarray
        Their gradients, overwritten by each ``backward``.
    attention_weights : ndarray or None
        ``P``, ``(N, n_heads, T, T)``, of the last forward (training or inference), read-only;
        row ``P[n, h, t]`` is how position t of sample n shares out its attention over the
        keys in head h. None before any forward and after a dtype change.
    input_shape : tuple
        One sample's shape, ``("n_steps", d_model)``.

    Raises
    ------
    TypeError
        If ``d_model`` or ``n_heads`` is not an int, ``causal`` not a bool, ``init`` neither a
        name nor a callable, ``rng`` or ``dtype`` of the wrong kind, or ``X``/``dZ`` not a
        real numeric array.
    ValueError
        If a size is not positive, ``n_heads`` does not divide ``d_model``, ``init`` is an
        unknown name, ``X`` is not ``(N, T, d_model)`` with ``T >= 1``, or ``dZ`` is not the
        shape of the last output. A failing call changes nothing.
    RuntimeError
        If ``backward`` comes before a ``forward`` with ``cache=True``.

    Shapes
    ------
    X ``(N, T, d_model)`` -> Z ``(N, T, d_model)``; backward: dZ ``(N, T, d_model)`` -> dX
    ``(N, T, d_model)``. Per head: Q_h, K_h, V_h, O_h ``(N, T, d_k)``; S_h, P_h ``(N, T, T)``.

    Notes
    -----
    Forward, with the projections applied to all N T rows at once::

        Q = X W_q + b_q,    K = X W_k + b_k,    V = X W_v + b_v
        S_h = Q_h K_h^T / sqrt(d_k),    P_h = softmax(S_h),    O_h = P_h V_h
        O = concat(O_1, ..., O_H),    Z = O W_o + b_o

    The softmax runs along the keys (the last axis), after subtracting each row's maximum.
    With ``causal=True`` the scores of future keys (``s > t``) are set to ``-inf`` before it,
    so their weights come out as exact zeros; the diagonal is never masked, so every row
    keeps a finite maximum. The equality with ``torch.nn.MultiheadAttention`` is:
    ``in_proj_weight = concat(W_q.T, W_k.T, W_v.T)``, ``in_proj_bias = concat(b_q, b_k, b_v)``,
    ``out_proj.weight = W_o.T``, ``out_proj.bias = b_o``.

    Backward, from ``dZ = dL/dZ`` (sums run over the N T rows):

    - The output projection is a dense layer on each row: ``dW_o = O^T dZ``,
      ``db_o = sum dZ``, ``dO = dZ W_o^T``; ``dO_h`` is its columns of head h.
    - ``O_h = P_h V_h`` is a product: ``dV_h = P_h^T dO_h`` and ``dP_h = dO_h V_h^T``.
    - The softmax acts on each row p of P, with Jacobian ``dp_i/ds_j = p_i (delta_ij - p_j)``,
      so ``dS_h = P_h * (dP_h - sum(dP_h * P_h, axis=-1, keepdims=True))``. A masked entry
      has ``p = 0``, hence ``dS = 0`` there: the mask is a constant, and needs no case of
      its own.
    - ``S_h = Q_h K_h^T / sqrt(d_k)``: ``dQ_h = dS_h K_h / sqrt(d_k)`` and
      ``dK_h = dS_h^T Q_h / sqrt(d_k)``.
    - The heads are gathered back into ``dQ, dK, dV`` ``(N, T, d_model)``, and each input
      projection is a dense layer again: ``dW_q = X^T dQ``, ``db_q = sum dQ`` (likewise for
      k and v), and X feeds all three, so ``dX = dQ W_q^T + dK W_k^T + dV W_v^T``.

    ``db_k`` is zero in exact arithmetic: ``b_k`` adds ``q_t . b_k`` to every score of row t,
    a shift the softmax ignores. Backward returns it as rounding noise (about 1e-16 of the
    other gradients), so a relative error against finite differences (``nl.gradcheck``)
    means nothing for it.

    ``forward`` keeps ``X``, ``Q``, ``K``, ``V``, ``O`` (``(N, T, d_model)`` each) and ``P``
    (``(N, n_heads, T, T)``): memory grows as ``T^2`` per head, which dominates once
    ``T > 5 d_model / n_heads``. An inference forward keeps nothing for backward, but
    ``attention_weights`` still holds its ``P`` until the next forward. Backward reuses its
    work arrays from call to call.

    FLOPs, a multiply-add counting as 2, with ``d = d_model``, ``H = n_heads`` (the causal
    mask is not counted, and the masked entries are computed like the others): forward
    ``4 (2 N T d^2)`` (projections) ``+ 4 N T d`` (biases) ``+ N T d`` (scaling Q)
    ``+ 2 (2 N T^2 d)`` (``Q_h K_h^T`` and ``P_h V_h``, each ``2 N H T^2 d_k``)
    ``+ 5 N H T^2`` (softmax: max, subtract, exp, sum, divide). ``backward_dW``:
    ``2 N T d^2`` (dO) ``+ 4 (2 N T^2 d)`` (dV, dP, dQ, dK) ``+ 4 N H T^2`` (dS: a product,
    a sum, a difference, a product) ``+ 2 N T d`` (the two scalings)
    ``+ 4 (2 N T d^2 + N T d)`` (the four ``dW`` and ``db``). ``backward_dX``:
    ``3 (2 N T d^2) + 2 N T d``.

    Examples
    --------
    >>> mha = MultiHeadAttention(8, 2, causal=True, rng=0)
    >>> mha
    MultiHeadAttention(d_model=8, n_heads=2, causal=True, init='xavier')
    >>> mha.forward(np.ones((4, 5, 8))).shape
    (4, 5, 8)
    >>> mha.attention_weights.shape
    (4, 2, 5, 5)
    """

    W_q = Param("Query weights, shape (d_model, d_model).")
    W_k = Param("Key weights, shape (d_model, d_model).")
    W_v = Param("Value weights, shape (d_model, d_model).")
    W_o = Param("Output weights, shape (d_model, d_model).")
    b_q = Param("Query bias, shape (d_model,).")
    b_k = Param("Key bias, shape (d_model,).")
    b_v = Param("Value bias, shape (d_model,).")
    b_o = Param("Output bias, shape (d_model,).")

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        *,
        causal: bool = False,
        init="xavier",
        rng=None,
        dtype=np.float64,
    ):
        owner = "MultiHeadAttention"
        self.d_model = check_positive_int(d_model, "d_model", owner=owner)
        self.n_heads = check_positive_int(n_heads, "n_heads", owner=owner)
        if self.d_model % self.n_heads:
            raise ValueError(
                f"{owner}: d_model must be divisible by n_heads (each head takes d_model / "
                f"n_heads columns), got d_model={self.d_model}, n_heads={self.n_heads}."
            )
        self.d_k = self.d_model // self.n_heads
        if not isinstance(causal, bool | np.bool_):
            raise TypeError(f"{owner}: causal must be True or False, got {causal!r}.")
        self.causal = bool(causal)
        self.init = init
        self.input_shape = ("n_steps", self.d_model)
        super().__init__(dtype)
        initializer = get_initializer(init, owner=repr(self))
        gen, d = as_rng(rng, owner=repr(self)), self.d_model
        for name in ("W_q", "W_k", "W_v", "W_o"):
            self._init_param(name, initializer(d, d, gen), (d, d))
        for name in ("b_q", "b_k", "b_v", "b_o"):
            self._init_param(name, np.zeros(d), (d,))
        self._reset_buffers()

    def _reset_buffers(self) -> None:
        """Forget the work arrays and the attention weights (after a dtype change, at creation)."""
        self._weights: np.ndarray | None = None  # read-only view of the last forward's P
        self._dP: np.ndarray | None = None  # (N, H, T, T): dL/dP, then dL/dS, reused
        self._G: np.ndarray | None = None  # (3, N, T, d_model): dQ, dK, dV, reused
        self._ones = np.ones(0, self.dtype)

    @property
    def attention_weights(self) -> np.ndarray | None:
        """``P`` of the last forward, ``(N, n_heads, T, T)``, read-only (None before any)."""
        return self._weights

    def _check_sample(self, X) -> None:
        if X.shape[1] == 0:
            raise ValueError(
                f"{self!r} expected X with at least one time step, got X of shape {X.shape}."
            )

    # -- helpers: the head layout ----------------------------------------------------------

    def _heads(self, A: np.ndarray) -> np.ndarray:
        """``(N, T, d_model)`` as ``(N, H, T, d_k)``: a view, head h = columns of head h."""
        N, T, _ = A.shape
        return A.reshape(N, T, self.n_heads, self.d_k).transpose(0, 2, 1, 3)

    def _merge(self, A: np.ndarray) -> np.ndarray:
        """``(N, H, T, d_k)`` back to ``(N, T, d_model)``, the heads side by side (a copy, or a
        view when ``H = 1`` or ``T = 1`` already give that layout)."""
        N, _, T, _ = A.shape
        return A.transpose(0, 2, 1, 3).reshape(N, T, self.d_model)

    def _project(self, X2: np.ndarray, W: str, b: str, shape: tuple) -> np.ndarray:
        A = X2 @ self._params[W]
        A += self._params[b]
        return A.reshape(shape)

    def _attend(self, X: np.ndarray):
        """The whole forward computation, changing nothing: ``Z, Q, K, V, P, O``."""
        N, T, d = X.shape
        X2 = X.reshape(N * T, d)
        Q, K, V = (self._project(X2, f"W_{c}", f"b_{c}", X.shape) for c in "qkv")
        # S = (Q_h / sqrt(d_k)) K_h^T: scaling Q costs N T d, scaling S N H T^2
        S = np.matmul(self._heads(Q) * self.d_k**-0.5, self._heads(K).swapaxes(2, 3))
        if self.causal:
            np.copyto(S, -np.inf, where=np.triu(np.ones((T, T), bool), 1))
        S -= S.max(axis=-1, keepdims=True)  # stable: every exponent <= 0
        P = np.exp(S, out=S)
        P /= P.sum(axis=-1, keepdims=True)
        Oc = self._merge(np.matmul(P, self._heads(V)))  # O of the Notes (ruff rejects "O")
        Z = self._project(Oc.reshape(N * T, d), "W_o", "b_o", X.shape)
        return Z, Q, K, V, P, Oc

    # -- the two passes --------------------------------------------------------------------

    def _forward(self, X, cache):
        Z, Q, K, V, P, Oc = self._attend(X)
        self._weights = read_only(P.view())
        return Z, (X, Q, K, V, P, Oc)

    def _backward(self, dZ, X, Q, K, V, P, Oc, *, input_grad):
        N, T, d = X.shape
        rows, g, W = N * T, self._grads, self._params
        scale = self.d_k**-0.5
        dP, G = self._work_buffers(N, T)
        if self._ones.shape[0] < rows:
            self._ones = np.ones(rows, self.dtype)
        ones = self._ones[:rows]
        # Z = O W_o + b_o: a dense layer on the N T rows
        dZ2 = dZ.reshape(rows, d)
        np.matmul(Oc.reshape(rows, d).T, dZ2, out=g["W_o"])
        np.dot(ones, dZ2, out=g["b_o"])
        dO = self._heads((dZ2 @ W["W_o"].T).reshape(N, T, d))
        # O_h = P_h V_h, then the softmax: dS = P * (dP - rowsum(dP * P)), in place in dP
        Qh, Kh, Vh = self._heads(Q), self._heads(K), self._heads(V)
        np.matmul(dO, Vh.swapaxes(2, 3), out=dP)
        dP -= np.einsum("nhts,nhts->nht", dP, P)[..., None]
        dP *= P
        # S = Q_h K_h^T / sqrt(d_k); the heads land side by side in G's (N, T, d) slices
        dQh, dKh, dVh = (self._heads(G[i]) for i in range(3))
        np.matmul(dP, Kh, out=dQh)
        np.matmul(dP.swapaxes(2, 3), Qh, out=dKh)
        np.matmul(P.swapaxes(2, 3), dO, out=dVh)
        G[:2] *= scale
        # the input projections: three dense layers sharing X
        X2, G2 = X.reshape(rows, d), G.reshape(3, rows, d)
        for i, c in enumerate("qkv"):
            np.matmul(X2.T, G2[i], out=g[f"W_{c}"])
            np.dot(ones, G2[i], out=g[f"b_{c}"])
        if not input_grad:
            return None
        dX = G2[0] @ W["W_q"].T
        dX += G2[1] @ W["W_k"].T
        dX += G2[2] @ W["W_v"].T
        return dX.reshape(N, T, d)

    def _work_buffers(self, N: int, T: int) -> tuple[np.ndarray, np.ndarray]:
        """dL/dP ``(N, H, T, T)`` and dQ, dK, dV ``(3, N, T, d_model)``, reused when the shape
        repeats (they never leave the layer)."""
        shape = (N, self.n_heads, T, T)
        if self._dP is None or self._dP.shape != shape:
            self._dP = np.empty(shape, self.dtype)
            self._G = np.empty((3, N, T, self.d_model), self.dtype)
        return self._dP, self._G

    def _jvp(self, X, dX, dflat):
        # The product rule through every step: dQ = dX W_q + X dW_q + db_q (and k, v),
        # dS = (dQ_h K_h^T + Q_h dK_h^T) / sqrt(d_k), dP = P * (dS - rowsum(dS * P)),
        # dO_h = dP V_h + P dV_h, dZ = dO W_o + O dW_o + db_o.
        t, W = self.param_tangents(dflat), self._params
        N, T, d = X.shape
        Z, Q, K, V, P, Oc = self._attend(X)
        X2, dX2 = X.reshape(N * T, d), dX.reshape(N * T, d)
        tangents = []
        for c in "qkv":
            dA = dX2 @ W[f"W_{c}"]
            if dflat is not None:
                dA += X2 @ t[f"W_{c}"] + t[f"b_{c}"]
            tangents.append(self._heads(dA.reshape(N, T, d)))
        dQh, dKh, dVh = tangents
        Qh, Kh, Vh = self._heads(Q), self._heads(K), self._heads(V)
        dS = np.matmul(dQh, Kh.swapaxes(2, 3))
        dS += np.matmul(Qh, dKh.swapaxes(2, 3))
        dS *= self.d_k**-0.5
        dS -= np.einsum("nhts,nhts->nht", dS, P)[..., None]
        dP = np.multiply(P, dS, out=dS)  # masked entries: P = 0, so dP = 0
        dO = self._merge(np.matmul(dP, Vh) + np.matmul(P, dVh)).reshape(N * T, d)
        dZ = dO @ W["W_o"]
        if dflat is not None:
            dZ += Oc.reshape(N * T, d) @ t["W_o"] + t["b_o"]
        return Z, dZ.reshape(N, T, d)

    def _flops(self, n, shape):
        # The counts of the class Notes.
        (T, d_in), d, H = shape, self.d_model, self.n_heads
        if T < 1 or d_in != d:
            raise ValueError(f"{self!r}.flops expected input_shape (T, {d}), got {shape}.")
        proj, rows = 2 * n * T * d * d, n * T * d
        products, entries = 2 * n * T * T * d, n * H * T * T
        forward = 4 * proj + 4 * rows + rows + 2 * products + 5 * entries
        backward_dW = proj + 4 * products + 4 * entries + 2 * rows + 4 * (proj + rows)
        return {"forward": forward, "backward_dW": backward_dW, "backward_dX": 3 * proj + 2 * rows}

    def __repr__(self) -> str:
        init = self.init if isinstance(self.init, str) else getattr(self.init, "__name__", "?")
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return (
            f"MultiHeadAttention(d_model={self.d_model}, n_heads={self.n_heads}, "
            f"causal={self.causal}, init={init!r}{dt})"
        )
