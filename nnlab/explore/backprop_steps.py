"""The forward and backward pass of a small network, one recorded step at a time (chapter
book/step-by-step-backprop).

Compute (:class:`Step`, :func:`backprop_steps`) -> figure (:func:`~.draw_step` and
:func:`~.steps_animation`, in :mod:`nnlab.explore.backprop_frames`, on the diagram
of :mod:`nnlab.explore.network_drawing`) -> widget (:func:`~.step_through`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .._validation import check_real
from ..activations import Activation, Sigmoid
from ..layers import Dense
from ..network import Sequential

_ACT_TEX = {
    "Sigmoid": r"\sigma",
    "Tanh": r"\tanh",
    "ReLU": r"\mathrm{ReLU}",
    "LeakyReLU": r"\mathrm{LReLU}",
    "Identity": r"\mathrm{id}",
    "Softmax": r"\mathrm{softmax}",
}
_LOSS_TEX = {
    "MSELoss": (
        r"$L = \frac{1}{k}\sum_j\,(a_j - y_j)^2,\quad "
        r"\partial L/\partial a_j = \frac{2}{k}\,(a_j - y_j)$"
    ),
    "SoftmaxCrossEntropy": (
        r"$L = -\sum_j\, y_j \log\,\mathrm{softmax}(z)_j,\quad "
        r"\partial L/\partial z = \mathrm{softmax}(z) - y$"
    ),
    "BinaryCrossEntropy": (
        r"$L = -y\log\sigma(z) - (1-y)\log(1-\sigma(z)),\quad "
        r"\partial L/\partial z = \sigma(z) - y$"
    ),
}


@dataclass(frozen=True)
class Step:
    """One frame of a forward and backward pass through a small network.

    Made by :func:`backprop_steps` and drawn by :func:`~.draw_step`. Node layer ``l``
    is the input for ``l = 0`` and the output of the ``l``-th Dense layer otherwise; edge layer
    ``l`` joins node layer ``l`` to node layer ``l + 1`` (the weights of Dense layer ``l + 1``).

    Attributes
    ----------
    key : str
        Short name: ``"input"``, ``"z1"``, ``"a1"``, ..., ``"loss"``, ``"delta2"``, ``"dA1"``,
        ``"grad2"``, ..., ``"update"``.
    phase : str
        ``"forward"``, ``"loss"``, ``"backward"`` or ``"update"``.
    title : str
        A short heading.
    formula : str
        The equation of the step, in matplotlib mathtext.
    description : str
        One or two sentences with the numbers of the step.
    node_values : list of ndarray
        Forward quantity in each unit (``x``, then ``z`` or ``a``); NaN where not yet computed.
    node_grads : list of ndarray
        Backward quantity of each unit (``dL/da``, then ``delta = dL/dz``); NaN where not yet
        computed.
    edge_values : list of ndarray
        Per Dense layer: the weights, or their gradients once computed.
    bias_values : list of ndarray
        Per Dense layer: the biases, or their gradients once computed.
    edge_kinds : list of str
        Per Dense layer, ``"weight"`` or ``"grad"``: what ``edge_values`` and ``bias_values``
        hold.
    highlight_nodes : tuple of int
        Node layers that this step computes.
    highlight_edges : tuple of int
        Edge layers that this step uses or computes.
    loss : float or None
        The loss of the network drawn, from the ``"loss"`` step on (after the update for the
        ``"update"`` step).

    Shapes
    ------
    ``node_values[l]``, ``node_grads[l]``: ``(layer_sizes[l],)``; ``edge_values[l]``:
    ``(layer_sizes[l], layer_sizes[l + 1])``; ``bias_values[l]``: ``(layer_sizes[l + 1],)``.
    """

    key: str
    phase: str
    title: str
    formula: str
    description: str
    node_values: list
    node_grads: list
    edge_values: list
    bias_values: list
    edge_kinds: list
    highlight_nodes: tuple = ()
    highlight_edges: tuple = ()
    loss: float | None = None

    @property
    def layer_sizes(self) -> list[int]:
        """Number of units in each node layer, input first."""
        return [len(v) for v in self.node_values]

    def __repr__(self) -> str:
        return f"Step({self.key!r}, {self.title!r})"


def _vec(v) -> str:
    return "[" + ", ".join(f"{float(x):.4f}" for x in np.ravel(v)) + "]"


def _mat(M) -> str:
    return "[" + ", ".join(_vec(row) for row in np.atleast_2d(M)) + "]"


def _dense_blocks(net) -> list[tuple[Dense, Activation | None]]:
    """Split ``net.layers`` into ``(Dense, activation or None)`` pairs."""
    layers = getattr(net, "layers", None)
    if not isinstance(layers, list) or not layers:
        raise TypeError(f"backprop_steps expected a Sequential, got {type(net).__name__}.")
    blocks: list[tuple[Dense, Activation | None]] = []
    i = 0
    while i < len(layers):
        layer = layers[i]
        if not isinstance(layer, Dense):
            after = f" after {layers[i - 1]!r}" if i else ""
            raise ValueError(
                "backprop_steps expected Dense layers, each followed by at most one "
                f"activation; layer {i} is {layer!r}{after}."
            )
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        act = nxt if isinstance(nxt, Activation) else None
        blocks.append((layer, act))
        i += 2 if act is not None else 1
    return blocks


def backprop_steps(net, x, y, loss, lr: float | None = None) -> list[Step]:
    """Record a forward pass, the loss and a backward pass on one sample, step by step.

    Runs ``net``'s layers one at a time (forward with caching, then backward in reverse), so
    afterwards every layer's ``dW`` and ``db`` hold the gradients, exactly as after
    ``net.backward(loss.backward())``. With ``lr`` a last step shows the weights after one SGD
    step; the parameters of ``net`` are not changed.

    Parameters
    ----------
    net : Sequential
        Dense layers, each followed by at most one activation layer.
    x : array_like
        One sample.
    y : array_like
        Its target, in any form ``loss`` accepts for one sample (a vector for
        :class:`nnlab.MSELoss`, a label for :class:`nnlab.SoftmaxCrossEntropy`).
    loss : Loss
        An nnlab loss; its cache is overwritten.
    lr : float, optional
        Learning rate of an extra ``"update"`` step.

    Returns
    -------
    list of Step
        For ``m`` Dense layers, each with an activation: 1 input step, ``2 m`` forward steps,
        1 loss step, ``m`` delta steps, ``m - 1`` steps sending the error to the layer below,
        ``m`` gradient steps, and the update step if ``lr`` is given: ``5 m + 1`` (+1) steps.
        A Dense layer without activation has no ``a`` step, and no ``delta`` step either.

    Raises
    ------
    TypeError
        If ``net`` is not a Sequential.
    ValueError
        If ``net`` has another layout, ``x`` holds more than one sample, or ``lr <= 0``.

    Shapes
    ------
    x ``(n_in,)`` or ``(1, n_in)``; y ``(n_out,)``, ``(1, n_out)`` or a label.

    Examples
    --------
    >>> import nnlab as nl
    >>> net = nl.Sequential([nl.Dense(2, 2, rng=0), nl.Sigmoid(), nl.Dense(2, 1, rng=0)])
    >>> steps = backprop_steps(net, [1.0, 0.5], [1.0], nl.MSELoss(), lr=0.1)
    >>> [s.key for s in steps][:5]
    ['input', 'z1', 'a1', 'z2', 'loss']
    """
    blocks = _dense_blocks(net)
    if lr is not None:
        lr = check_real(lr, "lr", owner="backprop_steps", low=0.0, low_open=True)
    n_in = blocks[0][0].n_in
    X = np.asarray(x, dtype=net.dtype)
    if X.size != n_in or X.ndim > 2 or (X.ndim == 2 and X.shape[0] != 1):
        raise ValueError(
            f"backprop_steps expected one sample x of shape ({n_in},) or (1, {n_in}), "
            f"got {X.shape}."
        )
    X = X.reshape(1, n_in)
    Y = np.asarray(y)
    Y = Y.reshape(1) if Y.ndim == 0 else Y
    n_out = blocks[-1][0].n_out
    if Y.ndim == 1 and Y.size == n_out:  # one target row (labels come as a scalar)
        Y = Y.reshape(1, n_out)
    sizes = [n_in] + [dense.n_out for dense, _ in blocks]
    m = len(blocks)

    nodes = [np.full(n, np.nan) for n in sizes]
    grads = [np.full(n, np.nan) for n in sizes]
    edges = [dense.W.copy() for dense, _ in blocks]
    biases = [dense.b.copy() for dense, _ in blocks]
    kinds = ["weight"] * m
    steps: list[Step] = []

    def snap(key, phase, title, formula, text, hl_nodes=(), hl_edges=(), loss_value=None):
        steps.append(
            Step(
                key=key,
                phase=phase,
                title=title,
                formula=formula,
                description=text,
                node_values=[v.copy() for v in nodes],
                node_grads=[v.copy() for v in grads],
                edge_values=[v.copy() for v in edges],
                bias_values=[v.copy() for v in biases],
                edge_kinds=list(kinds),
                highlight_nodes=tuple(hl_nodes),
                highlight_edges=tuple(hl_edges),
                loss=loss_value,
            )
        )

    nodes[0] = X[0].copy()
    snap(
        "input",
        "forward",
        "Input",
        r"$a^{[0]} = x$",
        f"The input x = {_vec(X[0])} enters on the left. Each edge carries a weight; the "
        "edges leaving the units marked 1 carry the biases.",
        [0],
    )
    A = X
    for k, (dense, act) in enumerate(blocks, start=1):
        Z = dense.forward(A)
        nodes[k] = Z[0].copy()
        snap(
            f"z{k}",
            "forward",
            f"Forward, layer {k}: weighted sums",
            rf"$z^{{[{k}]}} = a^{{[{k - 1}]}}\,W^{{[{k}]}} + b^{{[{k}]}}$",
            f"Each unit of layer {k} adds up the values arriving on its edges, each times the "
            f"edge's weight, plus its bias: z[{k}] = {_vec(Z[0])}.",
            [k],
            [k - 1],
        )
        A = Z
        if act is not None:
            A = act.forward(Z)
            nodes[k] = A[0].copy()
            f = _ACT_TEX.get(type(act).__name__, r"f")
            last = " This is the prediction." if k == m else ""
            snap(
                f"a{k}",
                "forward",
                f"Forward, layer {k}: activations",
                rf"$a^{{[{k}]}} = {f}(z^{{[{k}]}})$",
                f"The activation {act!r} acts on each unit: a[{k}] = {_vec(A[0])}.{last}",
                [k],
            )

    value = loss.forward(A, Y)
    G = loss.backward()
    grads[m] = G[0].copy()
    wrt = f"a[{m}]" if blocks[-1][1] is not None else f"z[{m}] (the delta of the output layer)"
    snap(
        "loss",
        "loss",
        "Loss",
        _LOSS_TEX.get(type(loss).__name__, r"$L(\hat{y}, y)$"),
        f"{loss!r} compares the prediction {_vec(A[0])} with the target {_vec(Y)}: "
        f"L = {value:.4f}. Its gradient dL/d{wrt} = {_vec(G[0])} (red) starts the backward "
        "pass.",
        [m],
        (),
        value,
    )

    for k in range(m, 0, -1):
        dense, act = blocks[k - 1]
        if act is not None:
            G = act.backward(G)
            grads[k] = G[0].copy()
            f = _ACT_TEX.get(type(act).__name__, r"f")
            snap(
                f"delta{k}",
                "backward",
                f"Backward, layer {k}: deltas",
                rf"$\delta^{{[{k}]}} = \partial L/\partial a^{{[{k}]}} \odot {f}'(z^{{[{k}]}})$",
                f"Through the activation: each unit's dL/da times the slope of {act!r} at "
                f"its z gives delta[{k}] = dL/dz[{k}] = {_vec(G[0])}.",
                [k],
                (),
                value,
            )
        dA = dense.backward(G)
        if k > 1:
            grads[k - 1] = dA[0].copy()
            snap(
                f"dA{k - 1}",
                "backward",
                f"Backward, layer {k - 1}: error sent back",
                rf"$\partial L/\partial a^{{[{k - 1}]}} = \delta^{{[{k}]}}\,W^{{[{k}]\top}}$",
                f"Each unit of layer {k - 1} collects the deltas of the units it feeds, weighted "
                f"by the same edges as on the way forward: dL/da[{k - 1}] = {_vec(dA[0])}.",
                [k - 1],
                [k - 1],
                value,
            )
        edges[k - 1] = dense.dW.copy()
        biases[k - 1] = dense.db.copy()
        kinds[k - 1] = "grad"
        snap(
            f"grad{k}",
            "backward",
            f"Backward, layer {k}: gradients",
            rf"$\partial L/\partial W^{{[{k}]}} = a^{{[{k - 1}]\top}}\,\delta^{{[{k}]}},\quad "
            rf"\partial L/\partial b^{{[{k}]}} = \delta^{{[{k}]}}$",
            f"Each weight's gradient is the value that entered its edge times the delta at the "
            f"edge's end: dL/dW[{k}] = {_mat(dense.dW)}; dL/db[{k}] = {_vec(dense.db)}.",
            [],
            [k - 1],
            value,
        )
        G = dA

    if lr is not None:
        # Evaluate the updated weights on a copy: net keeps its parameters and caches.
        trial = copy.deepcopy(net)
        for (dense, _), (new, _) in zip(blocks, _dense_blocks(trial), strict=True):
            new.W = dense.W - lr * dense.dW
            new.b = dense.b - lr * dense.db
        after = copy.deepcopy(loss).forward(trial.forward(X, cache=False), Y)
        edges[:] = [new.W.copy() for new, _ in _dense_blocks(trial)]
        biases[:] = [new.b.copy() for new, _ in _dense_blocks(trial)]
        kinds[:] = ["weight"] * m
        snap(
            "update",
            "update",
            "Update: one gradient-descent step",
            rf"$W \leftarrow W - \eta\,\partial L/\partial W,\quad "
            rf"b \leftarrow b - \eta\,\partial L/\partial b,\quad \eta = {lr:g}$",
            f"Every weight and bias moves against its gradient (new values on the edges). The "
            f"loss on this sample falls from {value:.4f} to {after:.4f}.",
            [],
            range(m),
            after,
        )
    return steps


def worked_example():
    """The worked example of step-by-step-backprop: ``(net, x, t, eta)``.

    ``net`` is the 2-2-2 sigmoid network with the chapter's hand-picked weights (input ``i``
    to hidden ``j`` in ``net[0].W[i, j]``, hidden ``j`` to output ``k`` in ``net[2].W[j,
    k]``), ``x = (1, 0.5)`` the input, ``t = (0.1, 0.9)`` its target, ``eta = 0.5`` the
    learning rate. A new network on every call.
    """
    net = Sequential([Dense(2, 2, init="zeros"), Sigmoid(), Dense(2, 2, init="zeros"), Sigmoid()])
    net[0].W, net[0].b = [[0.4, -0.3], [0.2, 0.6]], [0.1, -0.1]
    net[2].W, net[2].b = [[0.7, -0.5], [-0.2, 0.8]], [0.0, 0.2]
    return net, np.array([1.0, 0.5]), np.array([0.1, 0.9]), 0.5
