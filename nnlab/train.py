"""The training loop (``fit``), its ``History``, and the ``predict``/``accuracy`` helpers."""

from __future__ import annotations

import warnings

import numpy as np

from ._validation import as_rng, check_2d, check_positive_int
from .activations import Sigmoid
from .losses import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy


class History:
    """Per-epoch metrics recorded by :func:`fit`.

    ``history["loss"]`` (also ``history.history["loss"]``) lists the mean training loss of
    each epoch; ``"accuracy"`` is recorded for classification losses, and ``"val_loss"``,
    ``"val_accuracy"`` when validation data is given.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}

    def append(self, **metrics: float) -> None:
        for key, value in metrics.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.history.get("loss", []))

    def last(self) -> dict[str, float]:
        """The metrics of the last epoch."""
        return {k: v[-1] for k, v in self.history.items() if v}

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v:.4f}" for k, v in self.last().items())
        return f"History(epochs={self.epochs}{', ' + last if last else ''})"


def predict(net, X) -> np.ndarray:
    """Forward pass in inference mode (nothing is cached for backward).

    Shapes
    ------
    X ``(n, n_in)`` -> outputs ``(n, n_out)``.
    """
    return net.forward(X, cache=False)


def _labels(scores: np.ndarray, threshold: float) -> np.ndarray:
    if scores.shape[1] == 1:
        return (scores[:, 0] > threshold).astype(np.int64)
    return scores.argmax(axis=1)


def _target_labels(y, owner: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    y = y.reshape(len(y))
    if y.dtype.kind == "f":
        return np.rint(y).astype(np.int64)
    if y.dtype.kind not in "iub":
        raise TypeError(f"{owner} expected integer labels or one-hot targets, got {y.dtype}.")
    return y.astype(np.int64, copy=False)


def accuracy(net, X, y, *, threshold: float | None = None) -> float:
    """Fraction of samples whose predicted class equals ``y`` (labels or one-hot).

    Several outputs: the class is the argmax. One output: it is ``output > threshold``, with
    ``threshold`` 0.5 after a final ``Sigmoid`` layer and 0 (logits) otherwise.
    """
    scores = predict(net, X)
    if threshold is None:
        threshold = 0.5 if isinstance(net.layers[-1], Sigmoid) else 0.0
    y = _target_labels(y, "accuracy")
    if len(y) != len(scores):
        raise ValueError(f"accuracy: X has {len(scores)} samples but y has {len(y)}.")
    return float(np.mean(_labels(scores, threshold) == y))


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        warnings.warn(
            "fit: progress=True needs tqdm (pip install tqdm); training without a progress bar.",
            stacklevel=3,
        )
        return None
    return tqdm(total=total, desc="fit", unit="epoch")


def fit(
    net,
    loss: Loss,
    optimizer,
    X,
    y,
    *,
    epochs: int,
    batch_size: int = 32,
    rng=None,
    validation_data=None,
    progress: bool = True,
) -> History:
    """Train ``net`` with mini-batch gradient descent.

    Each epoch visits the samples in a fresh random order, in batches of ``batch_size`` (the
    last one may be smaller): forward, loss, backward, ``optimizer.step()``.

    Parameters
    ----------
    net : Sequential
    loss : Loss
    optimizer : Optimizer built on ``net.parameters()``
    X : array ``(n, n_in)``; y : targets for ``loss`` (labels, one-hot or values)
    epochs, batch_size : int
    rng : None, int or Generator
        Shuffling order.
    validation_data : (X_val, y_val), optional
        Evaluated (loss, and accuracy for classification) at the end of each epoch.
    progress : bool
        Show a progress bar over epochs (tqdm; notebook-aware).

    Returns
    -------
    History

    Raises
    ------
    FloatingPointError
        If the data holds NaN/inf, or the loss or gradients stop being finite (divergence):
        the failing batch is named and the weights are left as they were before that step.
    """
    owner = "fit"
    epochs = check_positive_int(epochs, "epochs", owner=owner)
    batch_size = check_positive_int(batch_size, "batch_size", owner=owner)
    if not isinstance(loss, Loss):
        raise TypeError(f"fit: loss must be an nnlab loss, got {type(loss).__name__}.")
    if not hasattr(optimizer, "step"):
        raise TypeError(
            f"fit: optimizer must have a step() method, got {type(optimizer).__name__}."
        )
    X = check_2d(X, net.n_in, "X", owner=owner, dtype=net.dtype)
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"fit: X has {len(X)} samples but y has {len(y)}.")
    if not np.all(np.isfinite(X)):
        bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
        raise FloatingPointError(
            f"fit: X holds NaN or inf in {len(bad)} row(s), the first at row {bad[0]}; "
            "clean or impute the data before training."
        )
    classify = isinstance(loss, SoftmaxCrossEntropy | BinaryCrossEntropy)
    val = None
    if validation_data is not None:
        X_val, y_val = validation_data
        val = (check_2d(X_val, net.n_in, "X_val", owner=owner, dtype=net.dtype), np.asarray(y_val))
    gen = as_rng(rng, owner=owner)
    n = len(X)
    history = History()
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(1, epochs + 1):
            total_loss, correct = _train_epoch(
                net, loss, optimizer, X, y, gen.permutation(n), batch_size, epoch, classify
            )
            metrics = {"loss": total_loss / n}
            if classify:
                metrics["accuracy"] = correct / n
            if val is not None:
                out = net.forward(val[0], cache=False)
                metrics["val_loss"] = loss.forward(out, val[1])
                if classify:
                    metrics["val_accuracy"] = float(
                        np.mean(_labels(out, 0.0) == _target_labels(val[1], owner))
                    )
            history.append(**metrics)
            if bar is not None:
                bar.set_postfix({k: f"{v:.4f}" for k, v in metrics.items()}, refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return history


def _train_epoch(net, loss, optimizer, X, y, order, batch_size, epoch, classify):
    """One pass over the data; returns the summed loss and the number of correct guesses."""
    total_loss, correct = 0.0, 0
    # Divergence is detected and reported below; NumPy's overflow warnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        for batch, start in enumerate(range(0, len(X), batch_size), start=1):
            idx = order[start : start + batch_size]
            yb = y[idx]
            out = net.forward(X[idx])
            value = loss.forward(out, yb)
            if not np.isfinite(value):
                _diverged(epoch, batch, f"the loss is {value}", optimizer)
            net.backward(loss.backward(), input_grad=False)
            if not np.isfinite(net.flat_grads).all():
                _diverged(epoch, batch, "a gradient is NaN or inf", optimizer)
            optimizer.step()
            total_loss += value * len(idx)
            if classify:
                correct += int(np.sum(_labels(out, 0.0) == _target_labels(yb, "fit")))
    return total_loss, correct


def _diverged(epoch: int, batch: int, what: str, optimizer) -> None:
    lr = getattr(optimizer, "lr", None)
    hint = f" (lr={lr:g})" if lr is not None else ""
    raise FloatingPointError(
        f"fit diverged at epoch {epoch}, batch {batch}: {what}. The weights are left as they "
        f"were before this step. Try a smaller learning rate{hint}."
    )
