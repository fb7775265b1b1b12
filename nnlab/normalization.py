"""Normalization layers: :class:`LayerNorm` (each sample over its features) and
:class:`BatchNorm` (each channel over the batch, with running statistics for inference).
Both standardize over some axes, which is what :func:`_standardize` and its tangent share."""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_float_array, check_positive_int, check_real
from .base import Layer, Param

__all__ = ["BatchNorm", "LayerNorm"]


def _standardize(X: np.ndarray, axes, m: int, eps: float):
    """``(x_hat, mean, var, inv_std)`` of ``X`` over ``axes`` (``m`` entries each; the
    statistics keep their axes). ``m = 0``: zero statistics, no division by zero."""
    k = 1.0 / max(m, 1)
    mean = X.sum(axis=axes, keepdims=True) * k
    x_hat = X - mean
    var = np.square(x_hat).sum(axis=axes, keepdims=True) * k  # biased: divided by m
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat *= inv_std
    return x_hat, mean, var, inv_std


def _standardize_jvp(x_hat, inv_std, dX, axes, m: int) -> np.ndarray:
    """The tangent of ``x_hat`` along ``dX``: ``inv_std (dc - x_hat mean(x_hat dc))`` with
    ``dc = dX - mean(dX)`` (the derivation is in the classes' Notes)."""
    k = 1.0 / max(m, 1)
    dc = dX - dX.sum(axis=axes, keepdims=True) * k
    dc -= x_hat * ((x_hat * dc).sum(axis=axes, keepdims=True) * k)
    dc *= inv_std
    return dc


class _Normalization(Layer):
    """What both layers share: ``gamma``, ``beta``, ``Z = x_hat gamma + beta`` and its
    tangent. A subclass says which axes its statistics are over (``_stats``)."""

    gamma = Param("Scale, shape (n_features,).")
    beta = Param("Shift, shape (n_features,).")
    min_ndim = 2

    def __init__(self, n_features, eps, dtype, owner: str) -> None:
        self.n_features = check_positive_int(n_features, "n_features", owner=owner)
        self.eps = check_real(eps, "eps", owner=owner, low=0.0, low_open=True)
        super().__init__(dtype)
        self._init_param("gamma", np.ones(self.n_features), (self.n_features,))
        self._init_param("beta", np.zeros(self.n_features), (self.n_features,))

    def _stats(self, X) -> tuple:
        """The axes the statistics are over, and their number of entries m."""
        raise NotImplementedError

    def _channel(self, v: np.ndarray, ndim: int) -> np.ndarray:
        """A ``(n_features,)`` array shaped to broadcast against an input of ``ndim`` axes."""
        return v

    def _affine(self, x_hat: np.ndarray) -> np.ndarray:
        Z = x_hat * self._channel(self._params["gamma"], x_hat.ndim)
        Z += self._channel(self._params["beta"], x_hat.ndim)
        return Z

    def _jvp(self, X, dX, dflat):
        axes, m = self._stats(X)
        x_hat, _, _, inv_std = _standardize(X, axes, m, self.eps)
        dZ = _standardize_jvp(x_hat, inv_std, dX, axes, m)
        dZ *= self._channel(self._params["gamma"], X.ndim)
        if dflat is not None:  # the product rule: d(x_hat gamma + beta)
            t = self.param_tangents(dflat)
            dZ += x_hat * self._channel(t["gamma"], X.ndim)
            dZ += self._channel(t["beta"], X.ndim)
        return self._affine(x_hat), dZ

    def _options(self) -> str:
        eps = "" if self.eps == 1e-5 else f", eps={self.eps:g}"
        return eps + ("" if self.dtype == np.float64 else f", dtype={self.dtype.name}")


class LayerNorm(_Normalization):
    """Layer normalization: each sample standardized over its last axis, then scaled and
    shifted, ``Z = (X - mean) / sqrt(var + eps) * gamma + beta``.

    The statistics are one sample's (one row, or one position of a sequence): training and
    inference are the same pass. ``torch.nn.LayerNorm(n_features, eps=eps)`` with ``weight =
    gamma``, ``bias = beta``.

    Parameters
    ----------
    n_features : int
        Size of the last axis, the one normalized over.
    eps : float, default 1e-5
        Added to the variance, > 0: keeps ``1 / sqrt(var + eps)`` finite for constant rows.
    dtype : np.float32 or np.float64, default np.float64
        Dtype of the parameters, the outputs and the gradients.

    Attributes
    ----------
    gamma, beta : ndarray
        Scale (ones at the start) and shift (zeros), ``(n_features,)``.
    dgamma, dbeta : ndarray
        Their gradients, summed over every leading axis, overwritten by each ``backward``.

    Raises
    ------
    TypeError
        If an argument is of the wrong kind, or ``X``/``dZ`` is not a real numeric array.
    ValueError
        If ``n_features`` is not positive, ``eps <= 0``, ``X`` is not ``(N, ...,
        n_features)``, or ``dZ`` not the last output's shape. A failing call changes nothing.
    RuntimeError
        If ``backward`` comes before a ``forward`` with ``cache=True``.

    Shapes
    ------
    X ``(N, ..., n_features)`` -> Z, the same shape; backward: dZ (that shape) -> dX.

    Notes
    -----
    Per row (all axes but the last), with F = n_features and means over the F entries::

        mu = mean(X),   var = mean((X - mu)^2),   s = 1 / sqrt(var + eps)
        x_hat = (X - mu) s,   Z = x_hat gamma + beta

    Backward: ``dgamma = sum(dZ x_hat)``, ``dbeta = sum(dZ)`` over the rows. With
    ``g = dZ gamma = dL/dx_hat``, ``d mu/dX_j = 1/F`` and ``d var/dX_j = 2 (X_j - mu)/F``,
    so ``ds/dX_j = -s^2 x_hat_j / F`` and ``d x_hat_i/dX_j = s (delta_ij - 1/F - x_hat_i
    x_hat_j / F)``; summing ``g_i`` against it::

        dX = s (g - mean(g) - x_hat mean(g x_hat))

    Along a tangent ``dX`` (forward mode): ``d x_hat = s (dc - x_hat mean(x_hat dc))`` with
    ``dc = dX - mean(dX)``. Forward keeps ``x_hat`` and ``s``.

    FLOPs per entry of X (the few per row, on the statistics, not counted): forward 7 (sum
    for mu, subtract, square and sum for var, scale by s, multiply-add with gamma, beta);
    backward_dW 3 (``dZ x_hat`` and its sum, the sum of dZ); backward_dX 8 (``g``, its sum,
    ``g x_hat`` and its sum, two subtractions, ``x_hat`` times a mean, the scaling by s).

    Examples
    --------
    >>> ln = LayerNorm(4)
    >>> ln
    LayerNorm(4)
    >>> Z = ln.forward(np.array([[1.0, 2.0, 3.0, 4.0]]))
    >>> bool(abs(Z.mean()) < 1e-12 and abs(Z.var() - 1) < 1e-4)
    True
    """

    def __init__(self, n_features: int, *, eps: float = 1e-5, dtype=np.float64) -> None:
        super().__init__(n_features, eps, dtype, "LayerNorm")

    def _check_sample(self, X) -> None:
        if X.shape[-1] != self.n_features:
            raise ValueError(
                f"{self!r} expected X of shape (n_samples, ..., {self.n_features}) (normalized "
                f"over the last axis), got {X.shape}."
            )

    def _stats(self, X) -> tuple:
        return -1, self.n_features

    def _forward(self, X, cache):
        x_hat, _, _, inv_std = _standardize(X, -1, self.n_features, self.eps)
        return self._affine(x_hat), (x_hat, inv_std)

    def _backward(self, dZ, x_hat, inv_std, *, input_grad):
        rows = tuple(range(dZ.ndim - 1))  # every axis but the features'
        np.sum(dZ * x_hat, axis=rows, out=self._grads["gamma"])
        np.sum(dZ, axis=rows, out=self._grads["beta"])
        if not input_grad:
            return None
        g = dZ * self._params["gamma"]  # dL/dx_hat
        dX = g - g.mean(axis=-1, keepdims=True)
        g *= x_hat
        dX -= x_hat * g.mean(axis=-1, keepdims=True)
        dX *= inv_std
        return dX

    def _flops(self, n, shape):
        if len(shape) < 1 or shape[-1] != self.n_features:
            raise ValueError(
                f"{self!r}.flops expected input_shape (..., {self.n_features}), got {shape}."
            )
        size = n * math.prod(shape)
        return {"forward": 7 * size, "backward_dW": 3 * size, "backward_dX": 8 * size}

    def __repr__(self) -> str:
        return f"LayerNorm({self.n_features}{self._options()})"


class BatchNorm(_Normalization):
    """Batch normalization: each channel standardized over the batch (and the image), then
    scaled and shifted, ``Z = (X - mean) / sqrt(var + eps) * gamma + beta``.

    * ``forward(X)`` (``cache=True``, training) uses the statistics of the batch (biased
      variance) and moves the running statistics toward them:
      ``running = (1 - momentum) running + momentum batch``, with the unbiased variance;
    * ``forward(X, cache=False)`` (inference) uses the running statistics and changes nothing.

    PyTorch's ``BatchNorm1d`` / ``BatchNorm2d`` with their defaults.

    Parameters
    ----------
    n_features : int
        Number of features F of an ``(N, F)`` input, or channels C of an ``(N, C, H, W)`` one.
    momentum : float, default 0.1
        Weight of the batch in each update of the running statistics, in ``[0, 1]``.
    eps : float, default 1e-5
        Added to the variance, > 0.
    dtype : np.float32 or np.float64, default np.float64
        Dtype of the parameters, the running statistics, the outputs and the gradients.

    Attributes
    ----------
    gamma, beta : ndarray
        Scale (ones) and shift (zeros), ``(n_features,)``.
    dgamma, dbeta : ndarray
        Their gradients, overwritten by each ``backward``.
    running_mean, running_var : ndarray
        ``(n_features,)``, from 0 and 1: state, not parameters (not in ``flat_params``).
        Assignment is checked (shape, finite, variance >= 0) and copied in place.

    Raises
    ------
    TypeError
        If an argument is of the wrong kind, or ``X``/``dZ`` is not a real numeric array.
    ValueError
        If ``n_features`` is not positive, ``eps <= 0``, ``momentum`` is outside ``[0, 1]``,
        ``X`` is not ``(N, n_features)`` or ``(N, n_features, H, W)``, a training batch has
        one value per channel (no variance; PyTorch raises too), or ``dZ`` is not the last
        output's shape. A failing call changes nothing.
    RuntimeError
        If ``backward`` comes before a ``forward`` with ``cache=True``.

    Shapes
    ------
    X ``(N, F)`` or ``(N, C, H, W)`` -> Z, the same shape; backward: dZ -> dX, that shape.
    Statistics over the ``m = N`` (or ``N H W``) entries of a channel. An empty training
    batch (m = 0) leaves the running statistics as they were (as PyTorch).

    Notes
    -----
    Per channel, with means over its m entries (training)::

        mu = mean(X),   var = mean((X - mu)^2),   s = 1 / sqrt(var + eps)
        x_hat = (X - mu) s,   Z = x_hat gamma + beta

    Backward: ``dbeta = sum(dZ)``, ``dgamma = sum(dZ x_hat)`` over the m entries. Every
    ``x_hat_i`` depends on every ``X_j`` of its channel through ``mu`` and ``s``, as in
    :class:`LayerNorm` with m for F: ``d x_hat_i/dX_j = s (delta_ij - 1/m - x_hat_i x_hat_j
    / m)``. Summing ``dZ_i gamma`` (gamma is constant over the channel) against it gives the
    three terms, of which the last two are the parameter gradients over m::

        dX = (gamma s) (dZ - mean(dZ) - x_hat mean(dZ x_hat))
           = (gamma s) (dZ - dbeta / m - x_hat dgamma / m)

    ``_jvp`` differentiates the training pass and updates nothing. The running variance is
    unbiased, ``var m / (m - 1)``, as PyTorch's. A training pass changes the running
    statistics: ``get_random_state``/``set_random_state`` (the base class's hook for the
    state a training pass changes) save and restore them, so ``nl.gradcheck(...,
    training=True)`` and ``nl.checkpointed_backward`` replay a training pass exactly.

    FLOPs per entry of X (the few per channel not counted): forward 7 (the training pass:
    sum for mu, subtract, square and sum for var, scale by s, multiply-add with gamma,
    beta; inference takes 3); backward_dW 3 (``dZ x_hat`` and its sum, the sum of dZ);
    backward_dX 4 (two subtractions, ``x_hat`` times ``dgamma / m``, the scaling).

    Examples
    --------
    >>> bn = BatchNorm(2)
    >>> bn
    BatchNorm(2, momentum=0.1)
    >>> Z = bn.forward(np.array([[1.0, 10.0], [3.0, 30.0]]))  # training: batch statistics
    >>> np.round(Z, 3)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> bn.running_mean, bn.running_var
    (array([0.2, 2. ]), array([ 1.1, 20.9]))
    """

    def __init__(
        self, n_features: int, *, momentum: float = 0.1, eps: float = 1e-5, dtype=np.float64
    ) -> None:
        self.momentum = check_real(momentum, "momentum", owner="BatchNorm", low=0.0, high=1.0)
        super().__init__(n_features, eps, dtype, "BatchNorm")
        self._running_mean = np.zeros(self.n_features, self.dtype)
        self._running_var = np.ones(self.n_features, self.dtype)

    running_mean = property(
        lambda self: self._running_mean,
        lambda self, v: self.set_random_state((v, self._running_var)),
        doc="The running mean per channel, ``(n_features,)``: what inference subtracts.",
    )
    running_var = property(
        lambda self: self._running_var,
        lambda self, v: self.set_random_state((self._running_mean, v)),
        doc="The running (unbiased) variance per channel, ``(n_features,)``.",
    )

    def _checked_stat(self, value, name: str) -> np.ndarray:
        value = as_float_array(value, name, owner=self.label())
        if value.shape != (self.n_features,):
            raise ValueError(
                f"{self.label()}: {name} must have shape ({self.n_features},), got {value.shape}."
            )
        with np.errstate(over="ignore"):  # a float32 overflow becomes inf, reported below
            value = value.astype(self.dtype)
        is_var = name == "running_var"
        if not np.isfinite(value).all() or (is_var and (value < 0).any()):
            raise ValueError(
                f"{self.label()}: {name} must be finite{' and >= 0' if is_var else ''} in "
                f"{self.dtype}, got {value}."
            )
        return value

    def get_random_state(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of ``(running_mean, running_var)``: the state the next training pass
        changes (the base class's hook, named after Dropout's random draws)."""
        return self._running_mean.copy(), self._running_var.copy()

    def set_random_state(self, state) -> None:
        """Restore ``(running_mean, running_var)`` from :meth:`get_random_state`, so that a
        training pass can be replayed exactly (both are checked before either is set)."""
        mean = self._checked_stat(state[0], "running_mean")
        var = self._checked_stat(state[1], "running_var")
        self._running_mean[...], self._running_var[...] = mean, var

    def set_dtype(self, dtype) -> None:
        """Convert this free layer, its running statistics included, to another float dtype."""
        super().set_dtype(dtype)
        self._running_mean = self._running_mean.astype(self.dtype)
        self._running_var = self._running_var.astype(self.dtype)

    def _check_sample(self, X) -> None:
        if X.ndim not in (2, 4) or X.shape[1] != self.n_features:
            c = self.n_features
            raise ValueError(
                f"{self!r} expected X of shape (n_samples, {c}) or (n_samples, {c}, height, "
                f"width), got {X.shape}."
            )

    def _channel(self, v, ndim):
        return v if ndim == 2 else v.reshape(-1, 1, 1)

    def _stats(self, X) -> tuple:
        m = X.size // self.n_features
        if m == 1:
            raise ValueError(
                f"{self!r}: a training pass needs more than one value per channel for the "
                f"batch variance, got X of shape {X.shape}; use a larger batch, or "
                "forward(X, cache=False) to use the running statistics."
            )
        return ((0,) if X.ndim == 2 else (0, 2, 3)), m

    def _forward(self, X, cache):
        if not cache:
            c = self._channel
            Z = X - c(self._running_mean, X.ndim)
            Z *= c(self._params["gamma"] / np.sqrt(self._running_var + self.eps), X.ndim)
            Z += c(self._params["beta"], X.ndim)
            return Z, ()
        axes, m = self._stats(X)
        x_hat, mean, var, inv_std = _standardize(X, axes, m, self.eps)
        if m > 0:  # an empty batch has no statistics to move toward
            mom = self.momentum
            self._running_mean *= 1.0 - mom
            self._running_mean += mom * mean.reshape(-1)
            self._running_var *= 1.0 - mom
            self._running_var += (mom * m / (m - 1)) * var.reshape(-1)
        return self._affine(x_hat), (x_hat, inv_std)

    def _backward(self, dZ, x_hat, inv_std, *, input_grad):
        axes, m = self._stats(dZ)
        db = np.sum(dZ, axis=axes, out=self._grads["beta"])
        dg = np.sum(dZ * x_hat, axis=axes, out=self._grads["gamma"])
        if not input_grad:
            return None
        k = 1.0 / max(m, 1)
        dX = dZ - self._channel(db * k, dZ.ndim)
        dX -= x_hat * self._channel(dg * k, dZ.ndim)
        dX *= self._channel(self._params["gamma"], dZ.ndim) * inv_std
        return dX

    def _flops(self, n, shape):
        if len(shape) not in (1, 3) or shape[0] != self.n_features:
            c = self.n_features
            raise ValueError(
                f"{self!r}.flops expected input_shape ({c},) or ({c}, height, width), got {shape}."
            )
        size = n * math.prod(shape)
        return {"forward": 7 * size, "backward_dW": 3 * size, "backward_dX": 4 * size}

    def __repr__(self) -> str:
        return f"BatchNorm({self.n_features}, momentum={self.momentum:g}{self._options()})"
