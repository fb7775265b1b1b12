"""Loss functions. ``loss(prediction, target)`` returns the batch mean as a Python float;
``backward()`` returns dLoss/dprediction with the 1/n of the mean already included.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array


class Loss:
    """Base class: ``forward`` caches what ``backward`` needs."""

    def __init__(self) -> None:
        self._cache: tuple | None = None

    def __call__(self, prediction, target) -> float:
        return self.forward(prediction, target)

    def forward(self, prediction, target) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def _cached(self) -> tuple:
        if self._cache is None:
            raise RuntimeError(f"{self!r}: backward() called before forward().")
        return self._cache

    def _prediction(self, P) -> np.ndarray:
        if isinstance(P, np.ndarray) and P.dtype.kind == "f" and P.ndim == 2:
            return P
        P = as_float_array(P, "prediction", owner=repr(self))
        if P.ndim != 2:
            raise ValueError(
                f"{self!r} expected prediction of shape (n_samples, n_outputs), got {P.shape}."
            )
        return P

    def _same_shape_target(self, target, P: np.ndarray) -> np.ndarray:
        """Targets as a float array shaped like ``P``; ``(n,)`` is accepted for ``(n, 1)``."""
        T = as_float_array(target, "target", owner=repr(self), dtype=P.dtype)
        if T.shape == P.shape:
            return T
        if T.ndim == 1 and P.shape == (T.shape[0], 1):
            return T.reshape(-1, 1)
        raise ValueError(
            f"{self!r} expected target of shape {P.shape} (the prediction's), got {T.shape}."
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSELoss(Loss):
    """Mean squared error over all elements (as PyTorch's ``MSELoss``).

    Shapes
    ------
    prediction ``(n, k)``, target ``(n, k)`` (or ``(n,)`` when k = 1) -> float.

    Notes
    -----
    ``L = mean((P - T)^2)``, ``dL/dP = 2 (P - T) / P.size``.
    """

    def forward(self, prediction, target) -> float:
        P = self._prediction(prediction)
        T = self._same_shape_target(target, P)
        diff = P - T
        self._cache = (diff,)
        return float(np.vdot(diff, diff)) / diff.size

    def backward(self) -> np.ndarray:
        (diff,) = self._cached()
        return diff * (2.0 / diff.size)


def _class_targets(loss: Loss, target, n: int, k: int, dtype):
    """Targets as ``(labels, None)`` for integer labels or ``(None, Y)`` for ``(n, k)`` rows."""
    T = np.asarray(target)
    if T.ndim == 2 and T.shape == (n, k):
        return None, as_float_array(T, "target", owner=repr(loss), dtype=dtype)
    if T.ndim == 1 and T.shape[0] == n:
        if T.dtype.kind not in "iu":
            if T.dtype.kind == "f" and np.all(T == np.round(T)):
                T = T.astype(np.int64)
            else:
                raise TypeError(f"{loss!r} expected integer class labels, got dtype {T.dtype}.")
        if n and (T.min() < 0 or T.max() >= k):
            raise ValueError(
                f"{loss!r} expected labels in [0, {k}) for {k} outputs, got values in "
                f"[{T.min()}, {T.max()}]."
            )
        return T, None
    raise ValueError(
        f"{loss!r} expected target as labels of shape ({n},) or one-hot of shape ({n}, {k}), "
        f"got {T.shape}."
    )


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, on logits, computed stably.

    Targets are integer labels ``(n,)`` or one-hot (or any probability) rows ``(n, k)``.

    Shapes
    ------
    logits ``(n, k)``, target ``(n,)`` or ``(n, k)`` -> float; backward -> ``(n, k)``.

    Notes
    -----
    ``L = mean_i(logsumexp(Z_i) - sum_j Y_ij Z_ij)``. Subtracting the row maximum before
    exponentiating changes nothing mathematically and prevents overflow. The fused gradient is
    ``dL/dZ = (softmax(Z) - Y) / n`` (book eq. ``bp-softmax-ce``).
    """

    def forward(self, prediction, target) -> float:
        Z = self._prediction(prediction)
        n, k = Z.shape
        labels, Y = _class_targets(self, target, n, k, Z.dtype)
        shifted = Z - Z.max(axis=1, keepdims=True)
        E = np.exp(shifted)
        s = E.sum(axis=1, keepdims=True)
        log_s = np.log(s)
        if labels is not None:  # -log p_i[y_i] = log s_i - shifted_i[y_i]: no one-hot matrix
            loss = float(np.sum(log_s) - np.sum(shifted[np.arange(n), labels])) / n
        else:
            loss = float(np.sum(Y * (log_s - shifted))) / n
        E /= s
        self._cache = (E, labels, Y)
        return loss

    def backward(self) -> np.ndarray:
        probs, labels, Y = self._cached()
        n = probs.shape[0]
        if labels is not None:
            dZ = probs.copy()
            dZ[np.arange(n), labels] -= 1.0
        else:
            dZ = probs - Y
        dZ *= 1.0 / n
        return dZ


class BinaryCrossEntropy(Loss):
    """Sigmoid followed by binary cross-entropy, on logits, computed stably.

    Shapes
    ------
    logits ``(n, k)`` (usually k = 1), target of the same shape or ``(n,)`` when k = 1,
    with values in [0, 1] -> float.

    Notes
    -----
    ``L = mean(softplus(z) - y z)`` with ``softplus(z) = max(z, 0) + log1p(exp(-|z|))``;
    ``dL/dz = (sigmoid(z) - y) / N`` with N the number of elements.
    """

    def forward(self, prediction, target) -> float:
        Z = self._prediction(prediction)
        T = self._same_shape_target(target, Z)
        if T.size and (T.min() < 0 or T.max() > 1):
            raise ValueError(
                f"{self!r} expected targets in [0, 1], got values in [{T.min()}, {T.max()}]."
            )
        e = np.exp(-np.abs(Z))
        loss = float(np.sum(np.maximum(Z, 0) - Z * T + np.log1p(e))) / Z.size
        self._cache = (Z, T, e)
        return loss

    def backward(self) -> np.ndarray:
        Z, T, e = self._cached()
        sig = np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return ((sig - T) * (1.0 / Z.size)).astype(Z.dtype, copy=False)


LOSSES: dict[str, type[Loss]] = {
    "mse": MSELoss,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "binary_cross_entropy": BinaryCrossEntropy,
}
