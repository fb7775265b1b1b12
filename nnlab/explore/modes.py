"""Forward mode and reverse mode compared (chapter book/forward-reverse-modes).

Compute (:func:`gradient_cost`, :func:`jacobian_both_ways`, :func:`mode_memory`,
:func:`slowdown_runs`) -> figures (:func:`plot_gradient_cost`, :func:`plot_modes`,
:func:`plot_slowdown`) -> widget (:func:`modes_explorer`).

Forward mode (:func:`nnlab.jvp`) pushes one tangent through the network with the values: one
pass gives the derivative of every output along one input direction. Reverse mode (a
forward pass that keeps its cache, then :meth:`nnlab.Sequential.backward`) pulls one
cotangent back: one backward pass gives the derivative of one output along every input
direction. Pass counts are exact; times are measured with ``time.perf_counter`` (the best of
a few repeats) and vary from machine to machine.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from .._validation import check_positive_int
from ..activations import Sigmoid
from ..forward_mode import forward_mode_gradient
from ..layers import Dense
from ..losses import BinaryCrossEntropy, MSELoss, SoftmaxCrossEntropy
from ..network import Sequential, mlp
from ..profile import cached_bytes
from ..viz import plot_band, pyplot
from ._widgets import FULL_LABEL, explorer, ipywidgets


def _best_time(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def gradient_cost(
    widths, *, n_in: int = 8, n_out: int = 4, batch: int = 16, seed: int = 0, repeats: int = 3
) -> dict:
    """The gradient of one loss both ways, for ``mlp([n_in, h, h, n_out], "tanh")`` per ``h``.

    Forward mode is :func:`nnlab.forward_mode_gradient` (one JVP pass per parameter); reverse
    mode one training forward and one backward. Softmax cross-entropy on a seeded batch.

    Returns
    -------
    dict of ndarray, one entry per width
        ``"n_params"``; ``"passes_forward"`` (= n_params) and ``"passes_reverse"`` (= 2);
        ``"seconds_forward"``, ``"seconds_reverse"`` (best of ``repeats``; forward mode runs
        once when it takes over a second); ``"max_difference"`` between the two gradients.
    """
    gen = np.random.default_rng(seed)
    X, y = gen.normal(size=(batch, n_in)), gen.integers(0, n_out, size=batch)
    loss = SoftmaxCrossEntropy()
    rows = []
    for h in widths:
        net = mlp([n_in, h, h, n_out], "tanh", rng=seed)

        def reverse(net=net) -> np.ndarray:
            loss.forward(net.forward(X), y)
            net.backward(loss.backward(), input_grad=False)
            return net.flat_grads

        start = time.perf_counter()
        g_forward = forward_mode_gradient(net, loss, X, y)
        t_forward = time.perf_counter() - start
        if t_forward < 1.0:
            t_forward = min(
                t_forward,
                _best_time(
                    lambda net=net: forward_mode_gradient(net, loss, X, y), repeats - 1 or 1
                ),
            )
        t_reverse = _best_time(reverse, max(repeats, 5))
        diff = float(np.max(np.abs(g_forward - reverse())))
        rows.append((net.n_params, net.n_params, 2, t_forward, t_reverse, diff))
    keys = (
        "n_params",
        "passes_forward",
        "passes_reverse",
        "seconds_forward",
        "seconds_reverse",
        "max_difference",
    )
    return {k: np.array(col) for k, col in zip(keys, zip(*rows, strict=True), strict=True)}


def jacobian_both_ways(
    n_in: int, n_out: int, *, hidden: int = 32, seed: int = 0, repeats: int = 5
) -> dict:
    """The Jacobian ``dZ/dx`` (``n_out x n_in``) of ``mlp([n_in, hidden, n_out], "tanh")`` at
    one seeded input, by forward mode (one JVP per input direction: its columns) and by
    reverse mode (one training forward, then one backward per output: its rows).

    Returns
    -------
    dict
        ``"jacobian"`` (from reverse mode), ``"max_difference"`` between the two;
        ``"passes_forward"`` (n_in JVP passes), ``"passes_reverse"`` (1 forward + n_out
        backward), ``"seconds_forward"``, ``"seconds_reverse"`` (best of ``repeats``).
    """
    n_in = check_positive_int(n_in, "n_in", owner="jacobian_both_ways")
    n_out = check_positive_int(n_out, "n_out", owner="jacobian_both_ways")
    net = mlp([n_in, hidden, n_out], "tanh", rng=seed)
    x = np.random.default_rng(seed).normal(size=(1, n_in))
    basis_in, basis_out = np.eye(n_in), np.eye(n_out)

    def by_columns() -> np.ndarray:
        return np.stack([net.jvp(x, basis_in[i : i + 1])[1][0] for i in range(n_in)], axis=1)

    def by_rows() -> np.ndarray:
        net.forward(x)
        return np.stack([net.backward(basis_out[k : k + 1])[0] for k in range(n_out)])

    J_forward, J_reverse = by_columns(), by_rows()
    return {
        "jacobian": J_reverse,
        "max_difference": float(np.max(np.abs(J_forward - J_reverse))),
        "passes_forward": n_in,
        "passes_reverse": 1 + n_out,
        "seconds_forward": _best_time(by_columns, repeats),
        "seconds_reverse": _best_time(by_rows, repeats),
    }


def mode_memory(sizes, batch: int, *, seed: int = 0) -> dict:
    """What each mode holds for ``mlp(sizes, "tanh")`` on a seeded batch (float64 bytes).

    Returns
    -------
    dict
        ``"reverse_kept"``: what a training forward keeps for backward
        (:func:`nnlab.cached_bytes`); ``"forward_kept"``: what a JVP pass leaves behind (0);
        ``"reverse_peak"``, ``"forward_peak"``: the largest amount of memory newly allocated
        during a training forward pass and during a JVP pass (tracemalloc, which sees NumPy's
        arrays), the output included.
    """
    net = mlp(sizes, "tanh", rng=seed)
    X = np.random.default_rng(seed).normal(size=(batch, sizes[0]))
    dX = np.ones_like(X)
    peaks = {}
    for name, run in (("reverse", lambda: net.forward(X)), ("forward", lambda: net.jvp(X, dX))):
        net.clear_cache()
        tracemalloc.start()
        out = run()
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        peaks[f"{name}_kept"] = cached_bytes(net)
        del out
    return {
        "reverse_kept": peaks["reverse_kept"],
        "forward_kept": peaks["forward_kept"],
        "reverse_peak": peaks["reverse"],
        "forward_peak": peaks["forward"],
    }


def slowdown_runs(seeds, *, steps: int = 400, lr: float = 0.5, bias: float = 5.0) -> dict:
    """The 2-2-2 sigmoid network from saturated wrong starts, trained on one sample by MSE and
    by cross-entropy.

    For each seed the weights are drawn normal with standard deviation 0.5, then the bias of
    output 1 is set to ``bias``, so ``o_1`` starts near 1 while its target is 0.1 (input
    ``(1, 0.5)``, target ``(0.1, 0.9)``, as in step-by-step-backprop). One run trains
    ``Sequential([Dense, Sigmoid, Dense, Sigmoid])`` with :class:`nnlab.MSELoss`, the other
    the same weights without the last Sigmoid with :class:`nnlab.BinaryCrossEntropy` on the
    logits (the same function ``o = σ(u)``), both by plain gradient descent at ``lr``.

    Returns
    -------
    dict
        ``"o1"``: ``{"mse": (n_seeds, steps + 1), "cross_entropy": ...}``, ``o_1`` before each
        step; ``"steps_to_fix"``: per loss, the first step at which ``|o_1 - 0.1| < 0.2``
        (``steps + 1`` if never); ``"delta_ratio"``: per seed, the first step's output delta
        under MSE divided by the one under cross-entropy, for output 1.
    """
    x, t = np.array([[1.0, 0.5]]), np.array([[0.1, 0.9]])
    o1 = {"mse": [], "cross_entropy": []}
    ratios = []
    for seed in seeds:
        gen = np.random.default_rng(seed)
        weights = [gen.normal(0, 0.5, size=s) for s in ((2, 2), (2,), (2, 2), (2,))]
        weights[3][0] = bias
        deltas = {}
        for name, loss in (("mse", MSELoss()), ("cross_entropy", BinaryCrossEntropy())):
            layers = [Dense(2, 2), Sigmoid(), Dense(2, 2)]
            for layer, (W, b) in zip(layers[::2], (weights[:2], weights[2:]), strict=True):
                layer.W, layer.b = W, b
            net = Sequential([*layers, Sigmoid()] if name == "mse" else layers)
            track = np.empty(steps + 1)
            for step in range(steps + 1):
                out = net.forward(x)
                track[step] = out[0, 0] if name == "mse" else 1 / (1 + np.exp(-out[0, 0]))
                loss.forward(out, t)
                dZ = loss.backward()
                if step == 0:  # the delta of output 1, at its pre-activation u_1
                    dU = net.layers[-1].backward(dZ) if name == "mse" else dZ
                    deltas[name] = dU[0, 0]
                net.backward(dZ, input_grad=False)
                net.flat_params -= lr * net.flat_grads
            o1[name].append(track)
        ratios.append(deltas["mse"] / deltas["cross_entropy"])
    o1 = {k: np.array(v) for k, v in o1.items()}
    fixed = {
        k: np.array([_first(np.abs(run - 0.1) < 0.2, steps + 1) for run in v])
        for k, v in o1.items()
    }
    return {"o1": o1, "steps_to_fix": fixed, "delta_ratio": np.array(ratios)}


def _first(mask: np.ndarray, default: int) -> int:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else default


# -- figures ----------------------------------------------------------------------------------


def plot_gradient_cost(cost: dict, ax=None):
    """Seconds for one gradient by each mode against the number of parameters (log-log)."""
    plt = pyplot()
    ax = ax if ax is not None else plt.subplots(figsize=(5.5, 3.4))[1]
    ax.loglog(cost["n_params"], cost["seconds_forward"], "o-", label="forward mode (P passes)")
    ax.loglog(cost["n_params"], cost["seconds_reverse"], "s-", label="reverse mode (2 passes)")
    ax.set_xlabel("number of parameters P")
    ax.set_ylabel("seconds per gradient")
    ax.legend(frameon=False)
    return ax


def plot_modes(n_in: int, n_out: int, result: dict, ax=None):
    """Passes and seconds for a Jacobian by each mode, as two pairs of bars."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(6.4, 2.6))
    names = ["forward", "reverse"]
    ax[0].bar(names, [result["passes_forward"], result["passes_reverse"]], color=["C0", "C3"])
    ax[0].set_ylabel("passes")
    ax[1].bar(
        names,
        [1e3 * result["seconds_forward"], 1e3 * result["seconds_reverse"]],
        color=["C0", "C3"],
    )
    ax[1].set_ylabel("milliseconds")
    ax[0].set_title(f"Jacobian of f: R^{n_in} → R^{n_out}", loc="left", fontsize=10)
    return ax


def plot_slowdown(runs: dict, ax=None):
    """``o_1`` over the steps from saturated starts: median and band over the seeds, by loss."""
    plt = pyplot()
    ax = ax if ax is not None else plt.subplots(figsize=(5.5, 3.2))[1]
    steps = np.arange(runs["o1"]["mse"].shape[1])
    plot_band(ax, steps, runs["o1"]["mse"], label="squared error (sigmoid output)")
    plot_band(ax, steps, runs["o1"]["cross_entropy"], label="cross-entropy", style="--")
    ax.axhline(0.1, color="0.4", lw=0.8)
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("output $o_1$ (target 0.1)")
    ax.legend(frameon=False)
    return ax


# -- widget -----------------------------------------------------------------------------------


def modes_explorer(max_size: int = 64):
    """Sliders for a network's input and output sizes; shows the passes and seconds of the
    Jacobian by each mode, and the memory each keeps for a batch of 32 (needs ipywidgets)."""
    w = ipywidgets()
    plt = pyplot()
    controls = {
        "n_in": w.IntSlider(value=4, min=1, max=max_size, description="inputs n", style=FULL_LABEL),
        "n_out": w.IntSlider(
            value=32, min=1, max=max_size, description="outputs m", style=FULL_LABEL
        ),
    }

    def draw(n_in: int, n_out: int):
        result = jacobian_both_ways(n_in, n_out, repeats=3)
        memory = mode_memory([n_in, 32, n_out], 32)
        fig, ax = plt.subplots(1, 3, figsize=(9.0, 2.6))
        plot_modes(n_in, n_out, result, ax=ax[:2])
        ax[2].bar(
            ["forward", "reverse"],
            [memory["forward_kept"], memory["reverse_kept"]],
            color=["C0", "C3"],
        )
        ax[2].set_ylabel("bytes kept between layers")
        fig.tight_layout()
        return fig

    return explorer(controls, draw)
