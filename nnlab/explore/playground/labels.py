"""What the figure and the maths call the output and the loss, for each ``config.output``.

* classification, ``"nnlab"``: ``sigma(z)``, P(class 1), decided at 0.5; cross-entropy.
* classification, ``"playground"``: ``tanh(z)`` in (-1, 1), class 1 if > 0; half squared
  error (the TensorFlow Playground's "Training loss" and "Test loss").
* regression: ``z``, the prediction; squared error (``"nnlab"``) or half squared error
  (``"playground"``).

:data:`FORMULAS` writes each of them out for "show the maths" (:mod:`~.explain`): the output
``y_hat`` from the last pre-activation ``Z^[m]``, the one-sample loss ``ell`` and the output
delta ``d ell / d Z^[m]``, exactly what :func:`~.model.output_of`, :func:`~.model.sample_loss`
and :func:`~.model.sample_deltas` compute. The ``"playground"`` classifier's loss compares
``y_hat`` with ``t = 2y - 1``, the label 0/1 taken as -1/+1.
"""

from __future__ import annotations

from typing import NamedTuple

from .model import tanh_output


class Formulas(NamedTuple):
    """One output's formulas, in LaTeX and in plain text; ``[m]`` stands for the last layer."""

    output: tuple[str, str]
    loss: tuple[str, str]
    delta: tuple[str, str]


FORMULAS = {
    ("classification", "nnlab"): Formulas(
        (r"\hat y = \sigma\left(Z^{[m]}\right)", "y_hat = sigmoid(Z[m])"),
        (
            r"\ell = -\left(y \log \hat y + (1 - y) \log(1 - \hat y)\right)",
            "loss = -(y log y_hat + (1 - y) log(1 - y_hat))",
        ),
        (r"\hat y - y", "y_hat - y"),
    ),
    ("regression", "nnlab"): Formulas(
        (r"\hat y = Z^{[m]}", "y_hat = Z[m]"),
        (r"\ell = (\hat y - y)^2", "loss = (y_hat - y)^2"),
        (r"2(\hat y - y)", "2 (y_hat - y)"),
    ),
    ("classification", "playground"): Formulas(
        (r"\hat y = \tanh\left(Z^{[m]}\right)", "y_hat = tanh(Z[m])"),
        (r"\ell = \tfrac{1}{2}(\hat y - t)^2", "loss = 0.5 (y_hat - t)^2"),
        (r"(\hat y - t)\left(1 - \hat y^2\right)", "(y_hat - t) (1 - y_hat^2)"),
    ),
    ("regression", "playground"): Formulas(
        (r"\hat y = Z^{[m]}", "y_hat = Z[m]"),
        (r"\ell = \tfrac{1}{2}(\hat y - y)^2", "loss = 0.5 (y_hat - y)^2"),
        (r"\hat y - y", "y_hat - y"),
    ),
}


def _output(task) -> str:
    return getattr(task, "output", "nnlab")


def formulas(task) -> Formulas:
    """The formulas of ``task`` (a :class:`~.model.Task`, which names its output)."""
    return FORMULAS[str(task), _output(task)]


def output_name(task) -> str:
    """The output map's name: ``"P(class 1)"``, ``"tanh output, class 1 if > 0"`` or
    ``"prediction"``."""
    if tanh_output(task):
        return "tanh output, class 1 if > 0"
    return "P(class 1)" if task == "classification" else "prediction"


def loss_name(task) -> str:
    """The loss: ``"cross-entropy"`` or ``"squared error"`` (``"nnlab"``), ``"half squared
    error"`` (``"playground"``: the TensorFlow Playground's training and test loss)."""
    if _output(task) == "playground":
        return "half squared error"
    return "cross-entropy" if task == "classification" else "squared error"
