"""One network trained twice, in nnlab and in PyTorch, from the same weights on the same
batches (chapter from-nnlab-to-pytorch): the losses step by step, how far the two sets of
weights drift apart, and an explorer over the optimizer and the dtype.

PyTorch is imported only when a function here runs (through :mod:`nnlab.torch`).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int
from ..data import load_digits
from ..losses import SoftmaxCrossEntropy
from ..network import mlp
from ..optim import SGD, Adam, AdamW
from ..viz import pyplot
from ._widgets import FULL_LABEL, explorer, ipywidgets

# The optimizer settings of the chapter: each as nnlab builds it; the bridge maps it.
BRIDGE_OPTIMIZERS = {
    "SGD": lambda params: SGD(params, lr=0.1),
    "SGD + momentum": lambda params: SGD(params, lr=0.05, momentum=0.9),
    "Adam": lambda params: Adam(params, lr=0.003),
    "AdamW": lambda params: AdamW(params, lr=0.003, weight_decay=0.01),
}
SIZES = [64, 32, 10]  # the digits MLP of the chapter


def train_both(
    optimizer: str = "Adam",
    dtype: str = "float64",
    steps: int = 100,
    *,
    batch: int = 32,
    seed: int = 0,
) -> dict:
    """Train ``mlp(SIZES, "tanh")`` on the digits for ``steps`` minibatch steps in nnlab and,
    from a copy of the same initial weights (``to_torch``), in PyTorch, on the same batches
    with the same optimizer (``optimizer_to_torch``) and loss (``loss_to_torch``).

    Returns a dict of arrays over the steps ``1 .. steps``: ``loss_nnlab`` and ``loss_torch``
    (each step's minibatch loss, before its update), ``gap`` (the largest difference between
    the two sets of weights after the update, relative to the largest weight), and the
    scalars ``eps`` (the dtype's machine epsilon), ``test_acc_nnlab`` and ``test_acc_torch``
    (accuracy on the test split at the end).
    """
    import torch

    from ..torch import from_torch, loss_to_torch, optimizer_to_torch, to_torch

    if optimizer not in BRIDGE_OPTIMIZERS:
        raise ValueError(
            f"train_both: optimizer must be one of {list(BRIDGE_OPTIMIZERS)}, got {optimizer!r}."
        )
    if dtype not in ("float32", "float64"):
        raise ValueError(f"train_both: dtype must be 'float32' or 'float64', got {dtype!r}.")
    steps = check_positive_int(steps, "steps", owner="train_both")
    X_train, X_test, y_train, y_test = load_digits(rng=seed)
    X_train, X_test = X_train.astype(dtype), X_test.astype(dtype)
    net = mlp(SIZES, "tanh", rng=seed, dtype=np.dtype(dtype).type)
    module = to_torch(net)
    loss, opt = SoftmaxCrossEntropy(), BRIDGE_OPTIMIZERS[optimizer](net.parameters())
    torch_loss, torch_opt = loss_to_torch(loss), optimizer_to_torch(opt, module)
    order = np.random.default_rng(seed).permutation(
        np.tile(np.arange(len(X_train)), 1 + steps * batch // len(X_train))
    )
    out = {k: np.empty(steps) for k in ("loss_nnlab", "loss_torch", "gap")}
    for i in range(steps):
        idx = order[i * batch : (i + 1) * batch]
        X, y = X_train[idx], y_train[idx]
        out["loss_nnlab"][i] = loss.forward(net.forward(X), y)
        net.backward(loss.backward(), input_grad=False)
        opt.step()
        torch_opt.zero_grad()
        value = torch_loss(module(torch.from_numpy(X)), torch.from_numpy(y))
        value.backward()
        torch_opt.step()
        out["loss_torch"][i] = float(value.item())
        theirs = from_torch(module).flat_params
        out["gap"][i] = float(np.max(np.abs(theirs - net.flat_params)) / np.max(np.abs(theirs)))
    with torch.no_grad():
        scores = module(torch.from_numpy(X_test)).numpy()
    out["test_acc_torch"] = float(np.mean(scores.argmax(axis=1) == y_test))
    out["test_acc_nnlab"] = float(
        np.mean(net.forward(X_test, cache=False).argmax(axis=1) == y_test)
    )
    out["eps"] = float(np.finfo(dtype).eps)
    return out


def plot_both(result: dict, ax=None, title: str = ""):
    """Two panels: both libraries' minibatch losses over the steps, and the relative gap
    between their weights (log scale, with the dtype's epsilon for reference)."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(8.0, 2.8))
    steps = np.arange(1, len(result["gap"]) + 1)
    ax[0].plot(steps, result["loss_nnlab"], color="C0", lw=2.5, label="nnlab")
    ax[0].plot(steps, result["loss_torch"], color="C1", lw=1.2, ls="--", label="PyTorch")
    ax[0].set(xlabel="step", ylabel="minibatch loss", title=title or "the same training twice")
    ax[0].legend(frameon=False)
    ax[1].semilogy(steps, np.maximum(result["gap"], result["eps"] / 10), color="C2")
    ax[1].axhline(result["eps"], color="0.4", ls=":", label="machine epsilon")
    ax[1].set(xlabel="step", ylabel="weight gap (relative)", title="largest weight difference")
    ax[1].legend(frameon=False)
    return ax


def bridge_explorer():
    """Choose the optimizer, the dtype and the number of steps; shows both trainings' losses
    and how far their weights drift apart (needs ipywidgets and PyTorch)."""
    w = ipywidgets()
    plt = pyplot()
    controls = {
        "optimizer": w.Dropdown(
            options=list(BRIDGE_OPTIMIZERS), value="Adam", description="optimizer"
        ),
        "dtype": w.ToggleButtons(
            options=["float64", "float32"], value="float64", description="dtype"
        ),
        "steps": w.IntSlider(
            value=100, min=10, max=300, step=10, description="steps", style=FULL_LABEL
        ),
    }

    def draw(optimizer: str, dtype: str, steps: int):
        result = train_both(optimizer, dtype, steps)
        fig, ax = plt.subplots(1, 2, figsize=(8.0, 2.8))
        plot_both(result, ax=ax, title=f"{optimizer}, {dtype}")
        fig.tight_layout()
        return fig

    return explorer(controls, draw)
