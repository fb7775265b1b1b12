"""Deep MLPs with and without residual connections and normalisation: the size of the signal
and of the gradient block by block, and whether a deep network trains (for the chapter on
networks that train when deep).

A *stack* is an input layer ``Dense(n_in, width)``, then ``depth`` blocks of
``Dense(width, width)`` and an activation, then ``Dense(width, n_out)``. Its ``kind`` says what
surrounds each block:

- ``"plain"``: nothing, ``x -> f(x W + b)``;
- ``"layernorm"``: a LayerNorm before each block's Dense;
- ``"residual"``: the identity path, ``x -> x + f(x W + b)``;
- ``"residual+layernorm"``: both, ``x -> x + f(LN(x) W + b)`` (the pre-norm block of modern
  transformers).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int
from ..activations import get_activation
from ..data import load_digits
from ..layers import Dense
from ..losses import SoftmaxCrossEntropy
from ..network import Sequential
from ..normalization import LayerNorm
from ..optim import Adam
from ..residual import Residual
from ..train import accuracy, fit
from ..viz import plot_band, pyplot
from ._widgets import FULL_LABEL, explorer, ipywidgets

KINDS = ("plain", "layernorm", "residual", "residual+layernorm")


def deep_stack(
    depth: int,
    width: int,
    kind: str,
    *,
    n_in: int = 64,
    n_out: int = 10,
    activation: str = "relu",
    init: str = "he",
    rng=None,
) -> Sequential:
    """The stack of ``depth`` blocks described in the module docstring (``kind`` one of
    :data:`KINDS`); every Dense layer drawn with ``init`` from one generator."""
    depth = check_positive_int(depth, "depth", owner="deep_stack")
    width = check_positive_int(width, "width", owner="deep_stack")
    if kind not in KINDS:
        raise ValueError(f"deep_stack: kind must be one of {KINDS}, got {kind!r}.")
    gen = np.random.default_rng(rng)
    layers = [Dense(n_in, width, init=init, rng=gen)]
    for _ in range(depth):
        block = [Dense(width, width, init=init, rng=gen), get_activation(activation)]
        if "layernorm" in kind:
            block.insert(0, LayerNorm(width))
        inner = Sequential(block)
        layers.append(Residual(inner) if kind.startswith("residual") else inner)
    layers.append(Dense(width, n_out, init=init, rng=gen))
    return Sequential(layers)


def block_profile(net: Sequential, X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """One forward and backward pass of softmax cross-entropy through a :func:`deep_stack`.

    Returns ``signal`` (the root mean square of each block's output, input layer first) and
    ``gradient`` (the root mean square of ``dL/dA`` reaching each block's output), both
    ``(depth + 1,)``, and ``loss``.
    """
    outputs, A = [], X
    for layer in net.layers[:-1]:
        A = layer.forward(A)
        outputs.append(A)
    loss = SoftmaxCrossEntropy()
    value = loss.forward(net.layers[-1].forward(A), y)
    grads, dA = [], net.layers[-1].backward(loss.backward())
    for layer in reversed(net.layers[:-1]):
        grads.append(dA)
        dA = layer.backward(dA)
    rms = [float(np.sqrt(np.mean(a * a))) for a in outputs]
    return {
        "signal": np.array(rms),
        "gradient": np.array([float(np.sqrt(np.mean(g * g))) for g in reversed(grads)]),
        "loss": value,
    }


def depth_profiles(
    depth: int = 100, width: int = 64, *, kinds=KINDS, seeds=range(5), batch: int = 128
) -> dict[str, dict[str, np.ndarray]]:
    """:func:`block_profile` of a fresh stack of each kind on one batch of the digits, for
    every seed: ``{kind: {"signal": (n_seeds, depth + 1), "gradient": ...}}``."""
    X_train, _, y_train, _ = load_digits(rng=0)
    X, y = X_train[:batch], y_train[:batch]
    out = {}
    for kind in kinds:
        runs = [block_profile(deep_stack(depth, width, kind, rng=s), X, y) for s in seeds]
        out[kind] = {k: np.array([r[k] for r in runs]) for k in ("signal", "gradient")}
    return out


def train_stacks(
    depth: int = 50,
    width: int = 32,
    *,
    kinds=KINDS,
    seeds=range(5),
    epochs: int = 10,
    lr: float = 1e-3,
    batch_size: int = 64,
) -> dict[str, dict[str, np.ndarray]]:
    """Train a stack of each kind on the digits with Adam from each seed; per kind the
    training-loss curves ``(n_seeds, epochs)``, the validation accuracies ``(n_seeds,)`` (the
    last fifth of the training split: what a learning rate is chosen on) and the test
    accuracies ``(n_seeds,)`` (the test split, for reporting only)."""
    X_train, X_test, y_train, y_test = load_digits(rng=0)
    cut = len(X_train) * 4 // 5
    (X_fit, y_fit), (X_val, y_val) = (X_train[:cut], y_train[:cut]), (X_train[cut:], y_train[cut:])
    out = {}
    for kind in kinds:
        curves, accs, tests = [], [], []
        for s in seeds:
            net = deep_stack(depth, width, kind, rng=s)
            opt = Adam(net.parameters(), lr=lr)
            history = fit(
                net,
                SoftmaxCrossEntropy(),
                opt,
                X_fit,
                y_fit,
                epochs=epochs,
                batch_size=batch_size,
                rng=s,
                progress=False,
            )
            curves.append(history["loss"])
            accs.append(accuracy(net, X_val, y_val))
            tests.append(accuracy(net, X_test, y_test))
        out[kind] = {
            "loss": np.array(curves),
            "val_accuracy": np.array(accs),
            "test_accuracy": np.array(tests),
        }
    return out


def plot_profiles(profiles: dict, key: str = "gradient", ax=None):
    """Median and band over seeds of ``key`` block by block, one line per kind (log scale)."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.4))
    for i, (kind, p) in enumerate(profiles.items()):
        plot_band(ax, np.arange(p[key].shape[1]), p[key], color=f"C{i}", label=kind)
    ax.set_yscale("log")
    what = "dL/dA (rms)" if key == "gradient" else "block output (rms)"
    ax.set(xlabel="block (input layer = 0)", ylabel=what)
    ax.legend(frameon=False, fontsize=8)
    return ax


def depth_explorer(max_depth: int = 100):
    """Choose the depth, the width and the kinds; shows the signal and the gradient block by
    block, median and band over 3 seeds (needs ipywidgets)."""
    w = ipywidgets()
    plt = pyplot()
    controls = {
        "depth": w.IntSlider(
            value=50, min=5, max=max_depth, step=5, description="depth", style=FULL_LABEL
        ),
        "width": w.IntSlider(
            value=32, min=8, max=128, step=8, description="width", style=FULL_LABEL
        ),
    }

    def draw(depth: int, width: int):
        profiles = depth_profiles(depth, width, seeds=range(3), batch=64)
        fig, ax = plt.subplots(1, 2, figsize=(9.0, 3.2))
        plot_profiles(profiles, "signal", ax=ax[0])
        plot_profiles(profiles, "gradient", ax=ax[1])
        fig.tight_layout()
        return fig

    return explorer(controls, draw)
