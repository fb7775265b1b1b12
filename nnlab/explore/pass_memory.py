"""What a training pass and an inference pass keep in memory (chapter book/key-differences).

Compute (:func:`pass_memory`) -> figure (:func:`plot_pass_memory`) -> widget
(:func:`memory_explorer`).
"""

from __future__ import annotations

import itertools

import numpy as np

from .._validation import check_dtype, check_positive_int
from ..activations import LeakyReLU, get_activation
from ..viz import pyplot
from ._widgets import FULL_LABEL, explorer, ipywidgets

# Arrays of a hidden layer's shape kept per hidden layer. An activation that keeps its output
# keeps the very array the next Dense layer keeps as its input: one array. LeakyReLU keeps its
# input Z, and the next Dense layer its output A: two.
_HIDDEN_ARRAYS = {LeakyReLU: 2}


def pass_memory(sizes, batch_size: int, activation: str = "relu", *, dtype=np.float64) -> dict:
    """Bytes a training step and an inference pass of ``mlp(sizes, activation)`` keep.

    Computed from the widths alone with nnlab's caching rules, counting each array once
    however many layers refer to it. A training forward keeps, for backward, the input ``X``
    (held by the first dense layer) and each hidden layer's output ``A``, which the activation
    keeps and the next dense layer keeps as its input: the same array, so ``n (n_0 + n_1 + ...
    + n_{L-1})`` numbers. An activation that keeps its input instead (leaky ReLU) adds its
    ``Z`` too. Inference (``forward(X, cache=False)``) keeps nothing, and at any moment holds
    at most a layer's input and output.

    Parameters
    ----------
    sizes : list of int
        Layer widths, input first, as for :func:`nnlab.mlp`.
    batch_size : int
    activation : str, default "relu"
        Activation after every dense layer but the last.
    dtype : np.float32 or np.float64

    Returns
    -------
    dict
        ``"parameters"`` and ``"gradients"`` (bytes of W and b, and of dW and db),
        ``"training_cache"`` (kept by a training forward for backward), ``"inference_cache"``
        (always 0) and ``"inference_peak"`` (the largest input + output pair of one layer).

    Raises
    ------
    ValueError
        If ``sizes`` has fewer than 2 widths, a width or ``batch_size`` is not positive, or
        ``activation`` is unknown.
    TypeError
        If ``dtype`` is not float32 or float64.

    Notes
    -----
    With ``n`` the batch size, ``n_l`` the widths and ``s`` the bytes of one number:
    ``training_cache = s n (n_0 + k (n_1 + ... + n_{L-1}))``, with ``k = 2`` for leaky ReLU
    and ``k = 1`` otherwise.

    Examples
    --------
    >>> pass_memory([784, 256, 10], 64)["training_cache"]  # X and the hidden output, once each
    532480
    """
    if not isinstance(sizes, list | tuple) or len(sizes) < 2:
        raise ValueError(f"pass_memory: sizes must list at least 2 layer widths, got {sizes!r}.")
    sizes = [check_positive_int(s, "every size", owner="pass_memory") for s in sizes]
    n = check_positive_int(batch_size, "batch_size", owner="pass_memory")
    item = check_dtype(dtype, owner="pass_memory").itemsize
    per_hidden = _HIDDEN_ARRAYS.get(type(get_activation(activation)), 1)
    pairs = list(itertools.pairwise(sizes))
    params = sum((a + 1) * b for a, b in pairs) * item
    return {
        "parameters": params,
        "gradients": params,
        "training_cache": n * (sizes[0] + per_hidden * sum(sizes[1:-1])) * item,
        "inference_cache": 0,
        "inference_peak": max(n * (a + b) for a, b in pairs) * item,
    }


def plot_pass_memory(memory: dict, ax=None, *, title: str | None = None):
    """Bar chart of :func:`pass_memory`'s result, in MB."""
    plt = pyplot()
    ax = ax or plt.gca()
    keys = ["parameters", "gradients", "training_cache", "inference_peak"]
    labels = ["parameters", "gradients", "kept for\nbackward", "inference\nworking set"]
    colors = ["#7f7f7f", "#bbbbbb", "#d62728", "#1f77b4"]
    values = [memory[k] / 1e6 for k in keys]
    ax.bar(labels, values, color=colors)
    for i, v in enumerate(values):
        ax.text(i, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("MB")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


BATCH_SIZES = tuple(2**k for k in range(13))  # 1, 2, 4, ..., 4096


def memory_explorer(n_in: int = 784, n_out: int = 10, *, width: int = 256, depth: int = 2):
    """Sliders for hidden width, depth and batch size; bars of what each pass keeps in memory.

    The batch size moves in powers of two, from 1 to 4096. Needs a running kernel;
    :func:`pass_memory` does the computation.
    """
    widgets = ipywidgets()
    plt = pyplot()
    w = widgets.IntSlider(
        value=width, min=16, max=2048, step=16, description="width", style=FULL_LABEL
    )
    d = widgets.IntSlider(value=depth, min=1, max=6, description="hidden layers", style=FULL_LABEL)
    n = widgets.SelectionSlider(
        options=BATCH_SIZES, value=128, description="batch", style=FULL_LABEL
    )
    dt = widgets.Dropdown(
        options=["float32", "float64"], value="float32", description="dtype", style=FULL_LABEL
    )

    def draw(width, depth, batch_size, dtype):
        sizes = [n_in] + [width] * depth + [n_out]
        memory = pass_memory(sizes, batch_size, dtype=np.dtype(dtype))
        _, ax = plt.subplots(figsize=(6, 3))
        plot_pass_memory(memory, ax, title=f"{'-'.join(map(str, sizes))}, batch {batch_size}")

    controls = {"width": w, "depth": d, "batch_size": n, "dtype": dt}
    return explorer(controls, draw, rows=[[w, d], [n, dt]])
