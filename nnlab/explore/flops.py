"""Forward and backward FLOPs of an MLP, layer by layer (chapter book/at-a-glance).

Compute (:func:`flops_table`) -> figure (:func:`plot_flops`) -> widget
(:func:`flops_explorer`).
"""

from __future__ import annotations

import itertools

import numpy as np

from .._validation import check_positive_int
from ..activations import get_activation
from ..viz import BACKWARD_COLOR, FORWARD_COLOR, SKIPPED_COLOR, pyplot
from ._widgets import explorer, ipywidgets


def flops_table(sizes, batch_size: int, activation: str = "relu", *, input_grad: bool = False):
    """FLOPs of each block of ``mlp(sizes, activation)``: a dense layer and its activation.

    Computed from the widths alone (no network is built) with the counting rules of
    :func:`nnlab.flops`, against which the tests check it.

    Parameters
    ----------
    sizes : list of int
        Layer widths, input first, as for :func:`nnlab.mlp`.
    batch_size : int
    activation : str, default "relu"
        Activation after every dense layer but the last.
    input_grad : bool, default False
        Whether backward computes the first layer's ``dX`` (training skips it).

    Returns
    -------
    dict
        ``"labels"`` (``"784→256"``...); per-block int arrays ``"forward"``,
        ``"backward_dW"`` (``dW`` and ``db``), ``"backward_dX"``, ``"backward_act"`` and
        ``"backward"`` (their sum); the totals ``"total_forward"``, ``"total_backward"`` and
        their ``"ratio"`` (backward over forward).

    Examples
    --------
    >>> t = flops_table([784, 256, 10], 128, input_grad=True)
    >>> round(t["ratio"], 2)
    2.0
    """
    if not isinstance(sizes, list | tuple) or len(sizes) < 2:
        raise ValueError(f"flops_table: sizes must list at least 2 layer widths, got {sizes!r}.")
    sizes = [check_positive_int(s, "every size", owner="flops_table") for s in sizes]
    n = check_positive_int(batch_size, "batch_size", owner="flops_table")
    act_f, act_b = get_activation(activation).flops_per_entry
    rows = []
    for k, (a, b) in enumerate(itertools.pairwise(sizes)):
        matmul, bias = 2 * n * a * b, n * b
        act = k < len(sizes) - 2  # no activation after the output layer
        rows.append(
            (
                matmul + bias + act * act_f * n * b,  # forward
                matmul + bias,  # dW and db
                matmul if (k > 0 or input_grad) else 0,  # dX
                act * act_b * n * b,  # activation backward
            )
        )
    cols = np.array(rows, dtype=np.int64).T
    table = {"labels": [f"{a}→{b}" for a, b in itertools.pairwise(sizes)]}
    table.update(zip(("forward", "backward_dW", "backward_dX", "backward_act"), cols, strict=True))
    table["backward"] = cols[1:].sum(axis=0)
    table["total_forward"] = int(cols[0].sum())
    table["total_backward"] = int(cols[1:].sum())
    table["ratio"] = table["total_backward"] / table["total_forward"]
    return table


def plot_flops(table, ax=None, *, title: bool = True):
    """Bar chart of a :func:`flops_table`: forward and backward FLOPs per layer.

    Each layer gets a forward bar (blue) and a stacked backward bar: ``dW`` and ``db`` (red),
    ``dX`` (light red) and the activation's backward (grey). A dashed tick marks twice the
    forward count, the rule of thumb; the title gives the total backward/forward ratio.
    """
    plt = pyplot()
    from matplotlib.ticker import EngFormatter

    ax = ax or plt.gca()
    x = np.arange(len(table["labels"]))
    w = 0.38
    ax.bar(x - w / 2, table["forward"], w, color=FORWARD_COLOR, label="forward")
    bottom = np.zeros(len(x))
    for key, color, label in (
        ("backward_dW", BACKWARD_COLOR, "backward: dW, db"),
        ("backward_dX", "#f4a3a3", "backward: dX"),
        ("backward_act", SKIPPED_COLOR, "backward: activation"),
    ):
        ax.bar(x + w / 2, table[key], w, bottom=bottom, color=color, label=label)
        bottom = bottom + table[key]
    twice = 2 * np.asarray(table["forward"])
    dashed = {"colors": "black", "linestyles": "--", "lw": 1, "label": "2 × forward"}
    ax.hlines(twice, x + 0.02, x + w - 0.02, **dashed)
    for i in np.flatnonzero(np.asarray(table["backward_dX"]) == 0):
        ax.text(x[i] + w / 2, bottom[i], "dX\nskipped", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, [f"layer {i + 1}\n{s}" for i, s in enumerate(table["labels"])])
    ax.yaxis.set_major_formatter(EngFormatter())
    ax.set_ylabel("FLOPs per batch")
    ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(f"backward / forward FLOPs = {table['ratio']:.2f}")
    return ax


HIDDEN_WIDTHS = (16, 32, 64, 128, 256, 512, 1024, 2048)


def flops_explorer(n_in: int = 784, n_out: int = 10, *, width: int = 256, depth: int = 2):
    """Sliders for the hidden width, the number of hidden layers and the batch size of an
    MLP, a checkbox for the first layer's input gradient, and a live bar chart of its forward
    and backward FLOPs per layer (:func:`plot_flops` of :func:`flops_table`).

    Returns the widget: display it, or make it the last line of a cell.
    """
    w = ipywidgets()
    plt = pyplot()
    controls = {
        "width": w.SelectionSlider(options=HIDDEN_WIDTHS, value=width, description="hidden width"),
        "depth": w.IntSlider(value=depth, min=1, max=6, description="hidden layers"),
        "batch_size": w.SelectionSlider(
            options=(1, 8, 32, 128, 512), value=128, description="batch size"
        ),
        "input_grad": w.Checkbox(value=False, description="compute dX of layer 1"),
    }
    for control in controls.values():
        control.style.description_width = "100px"

    def draw(width, depth, batch_size, input_grad):
        sizes = [n_in, *[width] * depth, n_out]
        fig, ax = plt.subplots(figsize=(7, 3.4))
        plot_flops(flops_table(sizes, batch_size, input_grad=input_grad), ax=ax)
        fig.tight_layout()
        return fig

    c = list(controls.values())
    return explorer(controls, draw, rows=[w.HBox([w.VBox(c[:2]), w.VBox(c[2:])])])
