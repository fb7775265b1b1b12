"""Loss functions. ``loss(prediction, target)`` returns the batch mean as a Python float;
``backward()`` returns dLoss/dprediction with the 1/N of the mean already included.

Losses compute in the prediction's dtype when it is float32 or float64; other predictions are
promoted (float16 to float32, whose sums do not overflow at 65504; integers to float64).
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import (
    as_numeric_array,
    check_class_labels,
    check_positive_int,
    check_tangent,
    nonfinite_rows,
)


class Loss:
    """Base class: ``forward`` caches what ``backward`` needs.

    A subclass overrides :meth:`check_target`, which validates a target for predictions of
    ``shape`` and returns it in the form ``forward`` uses: ``fit`` calls it once on the whole
    data set, so bad targets fail before any update.
    """

    flops_per_entry: tuple[int, int] = (0, 0)  # (forward, backward) per prediction entry

    def __init__(self) -> None:
        self._cache: tuple | None = None

    def flops(self, batch_size: int, input_shape: tuple) -> dict[str, int]:
        """Floating-point operations of ``forward`` and ``backward`` on a batch of
        predictions, one sample of shape ``input_shape`` (``(n_outputs,)``): a few
        element-wise operations per entry (``flops_per_entry``), a transcendental counting
        as one."""
        owner = f"{type(self).__name__}.flops"
        n = check_positive_int(batch_size, "batch_size", owner=owner)
        if not (
            isinstance(input_shape, tuple | list)
            and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in input_shape)
        ):
            raise ValueError(
                f"{owner} expected input_shape as a tuple of non-negative ints, got "
                f"{input_shape!r}."
            )
        size = n * math.prod(input_shape)
        per_forward, per_backward = self.flops_per_entry
        return {"forward": per_forward * size, "backward": per_backward * size}

    def __call__(self, prediction, target) -> float:
        return self.forward(prediction, target)

    def forward(self, prediction, target) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def jvp(self, prediction, target, dprediction) -> tuple[float, float]:
        """Forward mode: the loss and its derivative along ``dprediction`` (same shape as
        ``prediction``; None is zero). Nothing is cached."""
        P = self._prediction(prediction)
        T = self.check_target(target, P.shape, P.dtype)
        dP = check_tangent(dprediction, P.shape, P.dtype, "dprediction", owner=repr(self))
        return self._jvp(P, T, dP)

    def _jvp(self, P: np.ndarray, T, dP: np.ndarray) -> tuple[float, float]:
        raise NotImplementedError(f"{self!r} defines no forward-mode rule (_jvp).")

    def check_target(self, target, shape: tuple[int, int], dtype, name: str = "target"):
        """Validate ``target`` for predictions of ``shape``; return it as ``forward`` uses it.

        ``forward`` runs the same check on every batch; calling it once on a whole data set
        (as ``fit`` does) makes bad targets fail before any update, with the same message.

        Parameters
        ----------
        target : array_like
            The targets, in any form the loss accepts (see the subclass).
        shape : (int, int)
            The predictions' shape ``(n_samples, n_outputs)``.
        dtype : dtype
            The predictions' dtype; float targets are converted to it.
        name : str
            What to call ``target`` in error messages (``"y"`` in ``fit``).

        Returns
        -------
        ndarray
            The validated target. The base class returns ``target`` unchanged.

        Raises
        ------
        ValueError, TypeError
            As ``forward`` would for this target (see the subclass), naming ``name``.
        """
        return target

    def _cached(self) -> tuple:
        if self._cache is None:
            raise RuntimeError(f"{self!r}: backward() called before forward().")
        return self._cache

    sequences = False  # True: also takes (N, T, K) predictions, one per position

    def _prediction(self, P) -> np.ndarray:
        if isinstance(P, np.ndarray) and P.ndim == 2 and P.size and P.dtype in _COMPUTE_DTYPES:
            return P
        P = as_numeric_array(P, "prediction", owner=repr(self))
        if P.ndim == 3 and self.sequences and P.size:
            return P if P.dtype in _COMPUTE_DTYPES else P.astype(np.float64)
        if P.ndim != 2:
            raise ValueError(
                f"{self!r} expected prediction of shape (n_samples, n_outputs), got {P.shape}."
            )
        if P.shape[0] == 0:
            raise ValueError(
                f"{self!r} expected prediction with at least one sample, got 0 samples."
            )
        if P.shape[1] == 0:
            raise ValueError(
                f"{self!r} expected prediction with at least one output, got shape {P.shape}."
            )
        if P.dtype in _COMPUTE_DTYPES:
            return P
        return P.astype(np.float32 if P.dtype == np.float16 else np.float64)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


_COMPUTE_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _nonfinite_error(loss: Loss, T: np.ndarray, name: str) -> ValueError | None:
    """The error for NaN or inf in a target (bad data, not divergence), or None."""
    rows = nonfinite_rows(T)
    if not rows.size:
        return None
    return ValueError(
        f"{loss!r} expected finite {name} values, got NaN or inf in {len(rows)} row(s), the "
        f"first at row {rows[0]}."
    )


def _same_shape_target(loss: Loss, target, shape, dtype, name: str) -> np.ndarray:
    """Targets as a float array of ``shape``; ``(N,)`` is accepted for ``(N, 1)``."""
    T = as_numeric_array(target, name, owner=repr(loss))
    if T.shape != shape:
        if not (T.ndim == 1 and shape == (T.shape[0], 1)):
            raise ValueError(
                f"{loss!r} expected {name} of shape {shape} (the prediction's), got {T.shape}."
            )
        T = T.reshape(-1, 1)
    return T.astype(dtype, copy=False)


class MSELoss(Loss):
    """Mean squared error over all elements (as PyTorch's ``MSELoss``).

    Shapes
    ------
    prediction ``(N, n_out)``, target ``(N, n_out)`` (or ``(N,)`` when n_out = 1) -> float.

    Raises
    ------
    ValueError
        For an empty prediction, a target of another shape, or NaN/inf in the target.

    Notes
    -----
    ``L = mean((P - T)^2)``, ``dL/dP = 2 (P - T) / P.size``.
    """

    flops_per_entry = (3, 2)  # subtract, square, sum; subtract and scale

    def check_target(self, target, shape, dtype, name="target"):
        return _same_shape_target(self, target, shape, dtype, name)

    def forward(self, prediction, target) -> float:
        P = self._prediction(prediction)
        T = self.check_target(target, P.shape, P.dtype)
        diff = P - T
        loss = float(np.vdot(diff, diff)) / diff.size
        if not math.isfinite(loss) and (err := _nonfinite_error(self, T, "target")):
            raise err  # a NaN target is bad data; a NaN prediction is left for fit to report
        self._cache = (diff,)
        return loss

    def backward(self) -> np.ndarray:
        (diff,) = self._cached()
        return diff * (2.0 / diff.size)

    def _jvp(self, P, T, dP):
        diff = P - T  # L = sum(diff^2) / size, so dL = 2 sum(diff * dP) / size
        return float(np.vdot(diff, diff)) / diff.size, 2.0 * float(np.vdot(diff, dP)) / diff.size


def _probability_rows(loss: Loss, Y: np.ndarray, name: str) -> np.ndarray:
    """Check that the rows of ``Y`` are probabilities: the fused gradient assumes they are."""
    tol = max(1e-6, math.sqrt(np.finfo(Y.dtype).eps))
    sums = Y.sum(axis=1)
    if Y.min() >= 0 and np.abs(sums - 1).max() <= tol:  # NaN fails both comparisons
        return Y
    if err := _nonfinite_error(loss, Y, name):
        raise err
    what = "rows of probabilities (non-negative, summing to 1)"
    neg = np.flatnonzero((Y < 0).any(axis=1))
    if neg.size:
        raise ValueError(
            f"{loss!r} expected {name} as {what}, got the negative value {Y[neg[0]].min():g} "
            f"in row {neg[0]}."
        )
    i = int(np.argmax(np.abs(sums - 1)))
    raise ValueError(
        f"{loss!r} expected {name} as {what}, got a row summing to {sums[i]:g} at row {i} "
        f"(tolerance {tol:g}); otherwise backward() would not be the gradient of the loss. "
        f"Pass class labels of shape ({len(Y)},), or normalise: Y / Y.sum(axis=1, keepdims=True)."
    )


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, on logits, computed stably.

    Targets are integer labels ``(N,)`` or one-hot (or any probability) rows ``(N, n_out)``.

    Shapes
    ------
    logits ``(N, n_out)``, target ``(N,)`` or ``(N, n_out)`` -> float; backward -> ``(N, n_out)``.

    Raises
    ------
    ValueError
        For an empty prediction, labels outside ``[0, n_out)``, NaN or inf in the target, or
        target rows that are not probabilities (a negative entry, or a sum other than 1).
    TypeError
        For labels that are not whole numbers.

    Notes
    -----
    ``L = mean_i(logsumexp(Z_i) - sum_j Y_ij Z_ij)``. Subtracting the row maximum before
    exponentiating changes nothing mathematically and prevents overflow. The fused gradient is
    ``dL/dZ = (softmax(Z) - Y) / N`` (book eq. ``bp-softmax-ce``); it needs every row of ``Y``
    to sum to 1, which is why other targets are rejected.
    """

    flops_per_entry = (
        6,
        3,
    )  # max, subtract, exp, sum, log, pick; softmax (kept) minus one-hot, scale

    sequences = True

    def check_target(self, target, shape, dtype, name="target"):
        if len(shape) == 3:  # a sequence: labels (N, T) or probability rows (N, T, K)
            n, t, k = shape
            T = as_numeric_array(target, name, owner=repr(self))
            if T.shape == (n, t, k):
                rows = _probability_rows(self, T.reshape(-1, k).astype(dtype, copy=False), name)
                return rows.reshape(n, t, k)
            if T.shape == (n, t):
                return check_class_labels(T.ravel(), k, owner=repr(self), name=name).reshape(n, t)
            raise ValueError(
                f"{self!r} expected {name} as labels of shape ({n}, {t}) or probabilities of "
                f"shape ({n}, {t}, {k}), got {T.shape}."
            )
        n, k = shape
        T = as_numeric_array(target, name, owner=repr(self))
        if T.ndim == 2 and T.shape == (n, k):
            return _probability_rows(self, T.astype(dtype, copy=False), name)
        if T.ndim == 1 and T.shape[0] == n:
            return check_class_labels(T, k, owner=repr(self), name=name)
        raise ValueError(
            f"{self!r} expected {name} as labels of shape ({n},) or one-hot of shape "
            f"({n}, {k}), got {T.shape}."
        )

    def forward(self, prediction, target) -> float:
        Z = self._prediction(prediction)
        T = self.check_target(target, Z.shape, Z.dtype)
        self._shape = Z.shape
        if Z.ndim == 3:  # the mean over all N T positions: a batch of N T rows
            Z = Z.reshape(-1, Z.shape[-1])
            T = T.reshape(-1) if T.dtype.kind in "iu" else T.reshape(-1, Z.shape[-1])
        n = Z.shape[0]
        labels, Y = (T, None) if T.ndim == 1 else (None, T)
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
        return dZ.reshape(self._shape)

    def _jvp(self, Z, T, dZ):
        if Z.ndim == 3:
            k = Z.shape[-1]
            T = T.reshape(-1) if T.dtype.kind in "iu" else T.reshape(-1, k)
            Z, dZ = Z.reshape(-1, k), dZ.reshape(-1, k)
        # L_i = log s_i - shifted_i[y_i]; along dZ, d(log s_i) = p_i . dZ_i and d(shifted) = dZ
        n = Z.shape[0]
        shifted = Z - Z.max(axis=1, keepdims=True)
        E = np.exp(shifted)
        s = E.sum(axis=1, keepdims=True)
        log_s = np.log(s)
        slope = np.sum(E / s * dZ, axis=1)
        if T.ndim == 1:
            rows = np.arange(n)
            loss = float(np.sum(log_s) - np.sum(shifted[rows, T])) / n
            return loss, float(np.sum(slope) - np.sum(dZ[rows, T])) / n
        loss = float(np.sum(T * (log_s - shifted))) / n
        return loss, float(np.vdot(T.sum(axis=1), slope) - np.vdot(T, dZ)) / n


class BinaryCrossEntropy(Loss):
    """Sigmoid followed by binary cross-entropy, on logits, computed stably.

    Shapes
    ------
    logits ``(N, n_out)`` (usually n_out = 1), target of the same shape or ``(N,)`` when
    n_out = 1,
    with values in [0, 1] -> float.

    Raises
    ------
    ValueError
        For an empty prediction, a target of another shape, or target values outside [0, 1]
        (NaN and inf included).

    Notes
    -----
    ``L = mean(softplus(z) - y z)`` with ``softplus(z) = max(z, 0) + log1p(exp(-|z|))``;
    ``dL/dz = (sigmoid(z) - y) / z.size`` (the mean is over all elements).
    """

    flops_per_entry = (
        6,
        3,
    )  # a stable log-sigmoid (max, abs, exp, log1p) and the product; sigmoid minus target, scale

    def check_target(self, target, shape, dtype, name="target"):
        T = _same_shape_target(self, target, shape, dtype, name)
        lo, hi = T.min(), T.max()
        if not (lo >= 0 and hi <= 1):  # NaN fails both comparisons
            if err := _nonfinite_error(self, T, name):
                raise err
            raise ValueError(
                f"{self!r} expected targets in [0, 1], got {name} with values in [{lo:g}, {hi:g}]."
            )
        return T

    def forward(self, prediction, target) -> float:
        Z = self._prediction(prediction)
        T = self.check_target(target, Z.shape, Z.dtype)
        e = np.exp(-np.abs(Z))
        loss = float(np.sum(np.maximum(Z, 0) - Z * T + np.log1p(e))) / Z.size
        self._cache = (Z, T, e)
        return loss

    def backward(self) -> np.ndarray:
        Z, T, e = self._cached()
        sig = np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return ((sig - T) * (1.0 / Z.size)).astype(Z.dtype, copy=False)

    def _jvp(self, Z, T, dZ):
        e = np.exp(-np.abs(Z))
        loss = float(np.sum(np.maximum(Z, 0) - Z * T + np.log1p(e))) / Z.size
        sig = np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # dL/dZ = (sigmoid(Z) - T) / size
        return loss, float(np.vdot(sig - T, dZ)) / Z.size


LOSSES: dict[str, type[Loss]] = {
    "mse": MSELoss,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "binary_cross_entropy": BinaryCrossEntropy,
}
