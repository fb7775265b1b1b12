"""The training loop (``fit``), its ``History``, and the ``predict``/``accuracy`` helpers."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ._validation import (
    as_numeric_array,
    as_rng,
    check_class_labels,
    check_input,
    check_positive_int,
    check_real,
    nonfinite_rows,
)
from .base import Layer
from .losses import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy
from .optim import Optimizer


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


def _check_net(net, owner: str) -> None:
    if not isinstance(net, Layer):
        raise TypeError(
            f"{owner}: net must be an nnlab layer or network, got {type(net).__name__}."
        )


def _inputs(net, X, name: str, owner: str) -> np.ndarray:
    """``X`` as a non-empty ``(n, *net.input_shape)`` array of the network's dtype."""
    if getattr(net, "input_kind", "f") == "i":  # token ids for an Embedding
        X = net.check_tokens(X)
    else:
        X = as_numeric_array(X, name, owner=owner)
        X = check_input(X, net.input_shape, name, owner=owner, dtype=getattr(net, "dtype", None))
    if len(X) == 0:
        raise ValueError(f"{owner} expected {name} with at least one sample, got 0 samples.")
    return X


def predict(net, X) -> np.ndarray:
    """Forward pass in inference mode (nothing is cached for backward).

    ``net`` is a network or a single layer.

    Shapes
    ------
    X ``(N, n_in)`` -> outputs ``(N, n_out)``; X is ``(N, *net.input_shape)`` in general,
    e.g. ``(N, C, H, W)`` for a network that starts with a Conv2D.

    Raises
    ------
    TypeError
        If ``net`` is not an nnlab layer or network, or ``X`` is not a real numeric array.
    ValueError
        If ``X`` is not ``(N, n_in)`` (``(N, *net.input_shape)``) with N >= 1, or is ragged.
    """
    _check_net(net, "predict")
    return net.forward(_inputs(net, X, "X", "predict"), cache=False)


def _labels(scores: np.ndarray, threshold: float) -> np.ndarray:
    if scores.ndim == 2 and scores.shape[1] == 1:
        return (scores[:, 0] > threshold).astype(np.int64)
    return scores.argmax(axis=-1)  # (N, K) -> (N,); a sequence's (N, T, K) -> (N, T)


def _target_labels(y, n: int, k: int, owner: str) -> np.ndarray:
    """Class labels from ``y`` (labels ``(n,)`` or ``(n, 1)``, one-hot rows) for k outputs."""
    y = as_numeric_array(y, "y", owner=owner)
    if y.ndim == 0:
        raise ValueError(f"{owner} expected y with one label per sample, got a scalar.")
    if len(y) != n:
        raise ValueError(f"{owner}: X has {n} samples but y has {len(y)}.")
    n_classes = max(k, 2)  # one output: two classes, by threshold
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    elif y.ndim == 2 and y.shape[1] == n_classes:
        if (bad := nonfinite_rows(y)).size:
            raise ValueError(
                f"{owner} expected finite y values, got NaN or inf in {len(bad)} row(s), the "
                f"first at row {bad[0]}."
            )
        y = y.argmax(axis=1)
    elif y.ndim != 1:
        raise ValueError(
            f"{owner} expected y as labels of shape ({n},) or one-hot of shape ({n}, "
            f"{n_classes}) for {k} output(s), got {y.shape}."
        )
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    return check_class_labels(y, n_classes, owner=owner, name="y")


def accuracy(net, X, y, *, threshold: float | None = None) -> float:
    """Fraction of samples whose predicted class equals ``y`` (labels or one-hot).

    Several outputs: the class is the argmax. One output: it is ``output > threshold``, with
    ``threshold`` 0.5 after a final ``Sigmoid`` layer and 0 (logits) otherwise.

    Raises
    ------
    ValueError
        For empty ``X``, a length mismatch, one-hot rows of another width than the outputs,
        NaN/inf labels or labels outside ``[0, n_classes)``.
    TypeError
        For labels that are not whole numbers, or inputs that are not real numeric arrays.
    """
    _check_net(net, "accuracy")
    if threshold is None:
        *_, last = net.leaves()
        threshold = 0.5 if last.outputs_probabilities else 0.0
    else:
        threshold = check_real(threshold, "threshold", owner="accuracy")
    scores = net.forward(_inputs(net, X, "X", "accuracy"), cache=False)
    if scores.ndim == 3:  # one class per position: labels (N, T)
        y = check_class_labels(
            as_numeric_array(y, "y", owner="accuracy"), scores.shape[-1], owner="accuracy", name="y"
        )
        if y.shape != scores.shape[:2]:
            raise ValueError(f"accuracy expected y of shape {scores.shape[:2]}, got {y.shape}.")
        return float(np.mean(_labels(scores, 0.0) == y))
    y = _target_labels(y, len(scores), scores.shape[1], "accuracy")
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


def _fit_data(net, loss: Loss, X, y, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Validate a whole data set once, before training: the batches are then slices of it."""
    xname, yname = names
    X = _inputs(net, X, xname, "fit")
    if (bad := nonfinite_rows(X)).size:
        raise FloatingPointError(
            f"fit: {xname} holds NaN or inf in {len(bad)} row(s), the first at row {bad[0]}; "
            "clean or impute the data before training."
        )
    y = as_numeric_array(y, yname, owner="fit")
    if y.ndim == 0:
        raise ValueError(f"fit expected {yname} with one target per sample, got a scalar.")
    if len(y) != len(X):
        raise ValueError(f"fit: {xname} has {len(X)} samples but {yname} has {len(y)}.")
    if (bad := nonfinite_rows(y)).size:
        raise FloatingPointError(
            f"fit: {yname} holds NaN or inf in {len(bad)} row(s), the first at row {bad[0]}; "
            "clean or impute the data before training."
        )
    out = net.forward(X[:1], cache=False)  # the output width and dtype the loss will see
    y = loss.check_target(y, (len(X), *out.shape[1:]), out.dtype, yname)
    return X, y


def _label_vector(T: np.ndarray) -> np.ndarray:
    """The class of each row (or position) of validated targets, for the accuracy metric."""
    if T.ndim == 1 or T.dtype.kind in "iu":  # labels (N,), or a sequence's (N, T)
        return T
    if T.ndim == 3:
        return T.argmax(axis=-1)
    if T.shape[1] > 1:
        return T.argmax(axis=1)
    return (T[:, 0] > 0.5).astype(np.int64)


def _check_optimizer(net, optimizer) -> None:
    if isinstance(optimizer, Optimizer) and not optimizer.updates(net.flat_params):
        raise ValueError(
            "fit: the optimizer updates none of net's parameters; build it from "
            "net.parameters() of this Sequential (building a Sequential moves its layers' "
            "weights into one buffer, so an optimizer built before holds stale copies)."
        )


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
    on_batch=None,
    on_epoch=None,
) -> History:
    """Train ``net`` with mini-batch gradient descent.

    Each epoch visits the samples in a fresh random order, in batches of ``batch_size`` (the
    last one may be smaller): forward, loss, backward, ``optimizer.step()``. Every argument
    and the whole data set are checked before the first update, so a call that raises for
    bad input leaves the weights unchanged.

    Parameters
    ----------
    net : Layer
        A network (a Sequential, nested ones included) or a single layer.
    loss : Loss
    optimizer : Optimizer built on ``net.parameters()``
    X : array ``(N_train, n_in)``, or ``(N_train, *net.input_shape)``; y : targets for
        ``loss`` (labels, one-hot or values)
    epochs, batch_size : int
    rng : None, int or Generator
        Shuffling order.
    validation_data : (X_val, y_val), optional
        Evaluated (loss, and accuracy for classification) at the end of each epoch.
    progress : bool
        Show a progress bar over epochs (tqdm; notebook-aware).
    on_batch : callable, optional
        ``on_batch(epoch, batch, loss)``, called after each batch's backward pass and before
        its update (epochs and batches count from 1; ``loss`` is the batch's): the place to
        record or change the gradients, e.g. to clip them.
    on_epoch : callable, optional
        ``on_epoch(epoch, metrics)``, called at the end of each epoch with the metrics that
        ``History`` records for it.

    Returns
    -------
    History

    Raises
    ------
    TypeError, ValueError
        For bad arguments or data (shapes, lengths, dtypes, label range, an empty data set,
        ``validation_data`` that is not a pair),
        before any update.
    FloatingPointError
        If X, y, X_val or y_val hold NaN/inf (before any update; the row is named), or if
        training diverges: the loss or the gradients stop being finite, or an update
        overflows the weights. The failing batch is named and the weights are left as they
        were before that step.
    """
    owner = "fit"
    _check_net(net, owner)
    epochs = check_positive_int(epochs, "epochs", owner=owner)
    batch_size = check_positive_int(batch_size, "batch_size", owner=owner)
    if not isinstance(loss, Loss):
        raise TypeError(f"fit: loss must be an nnlab loss, got {type(loss).__name__}.")
    if not hasattr(optimizer, "step"):
        raise TypeError(
            f"fit: optimizer must have a step() method, got {type(optimizer).__name__}."
        )
    _check_optimizer(net, optimizer)
    for name, callback in (("on_batch", on_batch), ("on_epoch", on_epoch)):
        if callback is not None and not callable(callback):
            raise TypeError(
                f"fit: {name} must be a function or None, got {type(callback).__name__}."
            )
    gen = as_rng(rng, owner=owner)
    X, y = _fit_data(net, loss, X, y, ("X", "y"))
    val = None
    if validation_data is not None:
        if not (isinstance(validation_data, tuple | list) and len(validation_data) == 2):
            got = type(validation_data).__name__
            if isinstance(validation_data, tuple | list):
                got = f"a {got} of {len(validation_data)} items"
            raise TypeError(f"fit: validation_data must be a pair (X_val, y_val), got {got}.")
        val = _fit_data(net, loss, *validation_data, ("X_val", "y_val"))
    classify = isinstance(loss, SoftmaxCrossEntropy | BinaryCrossEntropy)
    labels = _label_vector(y) if classify else None
    val_labels = _label_vector(val[1]) if classify and val is not None else None
    n = len(X)
    backup = np.empty_like(net.flat_params)
    history = History()
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(1, epochs + 1):
            total_loss, correct = _train_epoch(
                net,
                loss,
                optimizer,
                (X, y, labels),
                gen.permutation(n),
                (batch_size, epoch, backup, on_batch),
            )
            metrics = {"loss": total_loss / n}
            if classify:
                metrics["accuracy"] = correct / labels.size
            if val is not None:
                out = net.forward(val[0], cache=False)
                metrics["val_loss"] = loss.forward(out, val[1])
                if classify:
                    metrics["val_accuracy"] = float(np.mean(_labels(out, 0.0) == val_labels))
            history.append(**metrics)
            if on_epoch is not None:
                on_epoch(epoch, metrics)
            if bar is not None:
                bar.set_postfix({k: f"{v:.4f}" for k, v in metrics.items()}, refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return history


def _train_epoch(net, loss, optimizer, data, order, step):
    """One pass over the data; returns the summed loss and the number of correct guesses.

    ``step`` is ``(batch_size, epoch, backup, on_batch)``; ``backup`` receives the weights
    before each update, to undo one that overflows them.
    """
    X, y, labels = data
    batch_size, epoch, backup, on_batch = step
    params, grads = net.flat_params, net.flat_grads
    total_loss, correct = 0.0, 0
    # Divergence is detected and reported below; NumPy's overflow warnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        for batch, start in enumerate(range(0, len(X), batch_size), start=1):
            idx = order[start : start + batch_size]
            out = net.forward(X[idx])
            value = float(loss.forward(out, y[idx]))
            if not math.isfinite(value):
                _diverged(epoch, batch, f"the loss is {value}", optimizer)
            net.backward(loss.backward(), input_grad=False)
            # A sum is NaN or inf when any entry is (or when finite entries near the float
            # limit overflow it, which is divergence too): one pass, no temporary array.
            if not math.isfinite(grads.sum()):
                _diverged(epoch, batch, "a gradient is NaN or inf", optimizer)
            if on_batch is not None:
                on_batch(epoch, batch, value)
            np.copyto(backup, params)
            optimizer.step()
            if not math.isfinite(params.sum()):
                np.copyto(params, backup)
                _diverged(
                    epoch, batch, "the update overflowed the weights to inf or NaN", optimizer
                )
            total_loss += value * len(idx)
            if labels is not None:
                correct += int(np.count_nonzero(_labels(out, 0.0) == labels[idx]))
    return total_loss, correct


def _diverged(epoch: int, batch: int, what: str, optimizer) -> None:
    lr = getattr(optimizer, "lr", None)
    hint = f" (lr={lr:g})" if lr is not None else ""
    raise FloatingPointError(
        f"fit diverged at epoch {epoch}, batch {batch}: {what}. The weights are left as they "
        f"were before this step. Try a smaller learning rate{hint}."
    )
