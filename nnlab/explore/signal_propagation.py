"""How the signal and the gradient travel through a deep network (chapter book/common-challenges).

Compute (:func:`layer_statistics`, :func:`init_study`) -> figure (:func:`plot_propagation`,
:func:`plot_layer_histograms`) -> widget (:func:`propagation_explorer`).

A study builds an MLP of ``depth`` hidden layers of ``width`` units on the digits (64 inputs,
10 classes), runs one forward and one backward pass of the softmax cross-entropy on a batch,
and records per layer the standard deviation of the activations ``A^[l]``, the root mean
square of the deltas ``delta^[l] = dL/dZ^[l]`` and the Frobenius norm of ``dW^[l]``.
"""

from __future__ import annotations

import numpy as np

from .. import init as initializers
from ..activations import Activation, get_activation
from ..data import load_digits
from ..layers import Dense
from ..losses import SoftmaxCrossEntropy
from ..network import Sequential
from ..optim import SGD
from ..viz import plot_band, pyplot
from ._widgets import FULL_LABEL, explorer, ipywidgets


def _zeros(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    return np.zeros((n_in, n_out))


def _unit_normal(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, 1.0, size=(n_in, n_out))


# The initializations the chapter compares, by the name used in its figures.
INITS = {
    "zeros": _zeros,
    "normal(0.01)": initializers.normal,
    "normal(1)": _unit_normal,
    "xavier": initializers.xavier,
    "he": initializers.he,
}
ACTIVATION_NAMES = ("sigmoid", "tanh", "relu")
# Largest value of f' over the real line, for the activation-level bound.
MAX_SLOPE = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}


_DIGITS: list = []


def digits():
    """The book's digits split (:func:`nnlab.load_digits`), loaded once per process."""
    if not _DIGITS:
        _DIGITS.append(load_digits())
    return _DIGITS[0]


def _check_choice(value, options, name: str) -> str:
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}.")
    return value


def deep_mlp(depth: int, width: int, activation: str, init: str, *, rng=None) -> Sequential:
    """An MLP ``64 -> width x depth -> 10`` for the digits, every layer drawn with ``init``.

    Parameters
    ----------
    depth : int
        Number of hidden layers (each Dense + activation).
    width : int
        Units per hidden layer.
    activation : {"sigmoid", "tanh", "relu"}
    init : one of :data:`INITS`
        Used for every Dense layer, the output layer included; biases start at zero.
    rng : None, int or np.random.Generator
    """
    if not isinstance(depth, int) or depth < 1:
        raise ValueError(f"deep_mlp: depth must be an int >= 1, got {depth!r}.")
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"deep_mlp: width must be an int >= 1, got {width!r}.")
    _check_choice(activation, ACTIVATION_NAMES, "deep_mlp: activation")
    _check_choice(init, INITS, "deep_mlp: init")
    gen = np.random.default_rng(rng)
    sizes = [64] + [width] * depth + [10]
    layers = []
    for k in range(depth + 1):
        layers.append(Dense(sizes[k], sizes[k + 1], init=INITS[init], rng=gen))
        if k < depth:
            layers.append(get_activation(activation))
    return Sequential(layers)


def layer_statistics(
    net: Sequential, X: np.ndarray, y: np.ndarray, *, bound: bool = False
) -> dict[str, np.ndarray]:
    """One forward and backward pass of the softmax cross-entropy; statistics per layer.

    Parameters
    ----------
    net : Sequential
        Dense layers, each but the last followed by one activation (as :func:`deep_mlp`).
    X : ndarray, shape (N, n_0)
    y : ndarray of int, shape (N,)
    bound : bool, default False
        Also compute ``factor`` (one singular value decomposition per layer: the slow part).

    Returns
    -------
    dict
        ``activation_std`` (depth,): std of each hidden ``A^[l]``;
        ``activation_ms`` (depth + 1,): mean square of the input ``X`` and of each hidden
        ``A^[l]`` (the second moments of the variance argument, input first);
        ``delta_rms`` (depth + 1,): root mean square of ``delta^[l]``, the output layer last;
        ``grad_norm`` (depth + 1,): ``||dW^[l]||_F``;
        ``delta_norm`` (depth + 1,): ``||delta^[l]||_F``;
        ``factor`` (depth,), only with ``bound=True``: ``max|f'(Z^[l])| * ||W^[l+1]||_2``,
        the factor that bounds ``||delta^[l]||_F / ||delta^[l+1]||_F`` from above (book eq.
        ``cc-bound``);
        ``loss``: the loss.

    Notes
    -----
    Row-vector convention of the book: ``delta^[l] = (delta^[l+1] W^[l+1]^T) * f'(Z^[l])``,
    so ``||delta^[l]||_F <= max|f'(Z^[l])| ||W^[l+1]||_2 ||delta^[l+1]||_F``.
    """
    layers = net.layers
    pattern_ok = len(layers) % 2 == 1 and all(
        isinstance(la, Dense) if k % 2 == 0 else isinstance(la, Activation)
        for k, la in enumerate(layers)
    )
    if not pattern_ok:
        kinds = ", ".join(type(la).__name__ for la in layers)
        raise ValueError(
            "layer_statistics: expected Dense layers separated by one activation each "
            f"(Dense, activation, ..., Dense), got {kinds}."
        )
    dense, acts = list(layers[0::2]), list(layers[1::2])
    loss = SoftmaxCrossEntropy()
    Zs, As = [], []
    A = X
    for k, layer in enumerate(dense):
        Z = layer.forward(A)
        Zs.append(Z)
        if k < len(acts):
            A = acts[k].forward(Z)
            As.append(A)
    value = loss.forward(Zs[-1], y)
    delta = loss.backward()
    deltas = [delta]
    dense[-1].backward(delta)
    for k in range(len(acts) - 1, -1, -1):
        dA = dense[k + 1].backward(delta)
        delta = acts[k].backward(dA)
        deltas.append(delta)
        dense[k].backward(delta, input_grad=False)
    deltas.reverse()
    stats = {
        "activation_std": np.array([float(a.std()) for a in As]),
        "activation_ms": np.array([float(np.mean(a * a)) for a in [X, *As]]),
        "delta_rms": np.array([float(np.sqrt(np.mean(d * d))) for d in deltas]),
        "grad_norm": np.array([float(np.linalg.norm(la.dW)) for la in dense]),
        "delta_norm": np.array([float(np.linalg.norm(d)) for d in deltas]),
        "loss": float(value),
    }
    if bound:
        stats["factor"] = np.array(
            [
                float(np.max(np.abs(acts[k].df(Zs[k]))) * np.linalg.norm(dense[k + 1].W, 2))
                for k in range(len(acts))
            ]
        )
    return stats


def init_study(
    activation: str,
    init: str,
    *,
    depth: int = 20,
    width: int = 128,
    seeds: int = 5,
    n_samples: int = 256,
    steps: int = 0,
    lr: float = 0.05,
    bound: bool = False,
) -> dict[str, np.ndarray]:
    """:func:`layer_statistics` for ``seeds`` networks (seeds 0, 1, ...), stacked.

    The batch is the first ``n_samples`` training digits. With ``steps > 0`` each network
    first takes that many full-batch SGD steps (learning rate ``lr``) on the batch, so the
    statistics are those after training. ``bound`` is passed to :func:`layer_statistics`.

    Returns
    -------
    dict
        The keys of :func:`layer_statistics`, each of shape ``(seeds, ...)``.
    """
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"init_study: seeds must be an int >= 1, got {seeds!r}.")
    split = digits()
    X, y = split.X_train[:n_samples], split.y_train[:n_samples]
    runs = []
    for seed in range(seeds):
        net = deep_mlp(depth, width, activation, init, rng=seed)
        if steps:
            loss, opt = SoftmaxCrossEntropy(), SGD(net.parameters(), lr=lr)
            with np.errstate(all="ignore"):
                for _ in range(steps):
                    loss.forward(net.forward(X), y)
                    net.backward(loss.backward(), input_grad=False)
                    opt.step()
        with np.errstate(all="ignore"):
            runs.append(layer_statistics(net, X, y, bound=bound))
    return {key: np.array([r[key] for r in runs]) for key in runs[0]}


def plot_propagation(studies: dict, *, activation: str, axes=None, inits=None):
    """Median over seeds (line) and min-max band of activation std and delta rms by layer.

    ``studies`` maps ``(activation, init)`` to :func:`init_study` results. One panel for the
    forward signal, one for the backward deltas, log scale, one line per initialization.
    """
    plt = pyplot()
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    inits = [i for i in (inits or INITS) if (activation, i) in studies]
    colors = dict(zip(INITS, ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7"], strict=True))
    styles = dict(zip(INITS, [":", "--", "-.", "-", "-"], strict=True))
    for ax, key, label in (
        (axes[0], "activation_std", "std of $A^{[l]}$ (forward)"),
        (axes[1], "delta_rms", r"rms of $\delta^{[l]}$ (backward)"),
    ):
        for name in inits:
            values = studies[(activation, name)][key]
            if not np.any(values > 0):
                continue  # zeros everywhere: nothing to draw on a log scale
            layers = np.arange(1, values.shape[1] + 1)
            plot_band(ax, layers, values, label=name, color=colors[name], style=styles[name])
        ax.set_yscale("log")
        ax.set_xlabel("layer l")
        ax.set_title(f"{activation}: {label}", fontsize=10)
    axes[1].legend(fontsize=8, loc="best")
    return axes


def plot_layer_histograms(net: Sequential, X: np.ndarray, ax=None, *, title: str | None = None):
    """Box-and-whisker summary of each hidden layer's activations for the batch ``X``."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    values = []
    A = X
    for layer in net.layers[:-1]:
        A = layer.forward(A, cache=False)
        if isinstance(layer, Activation):
            values.append(np.ravel(A))
    ax.boxplot(values, whis=(1, 99), showfliers=False)
    ax.set_xlabel("hidden layer l")
    ax.set_ylabel("$A^{[l]}$")
    step = max(1, len(values) // 10)
    ticks = list(range(1, len(values) + 1, step))
    ax.set_xticks(ticks, [str(t) for t in ticks])
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def propagation_explorer():
    """Widget: depth, width, activation, initialization and training steps; see the hidden
    activations' spread and the per-layer gradient norms before and after training.

    Needs a running kernel; the chapter's figure grid is its static counterpart.
    """
    w = ipywidgets()
    plt = pyplot()
    controls = {
        "depth": w.IntSlider(
            value=10, min=1, max=30, description="hidden layers", style=FULL_LABEL
        ),
        "width": w.IntSlider(
            value=64, min=8, max=256, step=8, description="width", style=FULL_LABEL
        ),
        "steps": w.IntSlider(
            value=20, min=0, max=200, step=10, description="SGD steps", style=FULL_LABEL
        ),
        "activation": w.Dropdown(
            options=list(ACTIVATION_NAMES), value="relu", description="activation"
        ),
        "init": w.Dropdown(options=list(INITS), value="he", description="init"),
    }
    split = digits()
    X, y = split.X_train[:256], split.y_train[:256]

    def draw(depth, width, steps, activation, init):
        net = deep_mlp(depth, width, activation, init, rng=0)
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), constrained_layout=True)
        with np.errstate(all="ignore"):
            before = layer_statistics(net, X, y)
            plot_layer_histograms(net, X, axes[0], title="activations at initialization")
            loss, opt = SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.05)
            for _ in range(steps):
                loss.forward(net.forward(X), y)
                net.backward(loss.backward(), input_grad=False)
                opt.step()
            after = layer_statistics(net, X, y)
            plot_layer_histograms(net, X, axes[1], title=f"after {steps} SGD steps")
        layers = np.arange(1, len(before["grad_norm"]) + 1)
        axes[2].bar(
            layers - 0.2, before["grad_norm"] + 1e-300, 0.4, label="at init", color="#0072B2"
        )
        axes[2].bar(layers + 0.2, after["grad_norm"] + 1e-300, 0.4, label="after", color="#D55E00")
        axes[2].set_yscale("log")
        axes[2].set_xlabel("layer l")
        axes[2].set_title(r"$\|dW^{[l]}\|_F$", fontsize=10)
        axes[2].legend(fontsize=8)
        return fig

    c = list(controls.values())
    return explorer(controls, draw, rows=[c[:3], c[3:]])
