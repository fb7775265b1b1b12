"""Interactive widgets for the book. Each keeps its computation in plain functions (unit
tested) apart from the ipywidgets wiring; ipywidgets and matplotlib are imported lazily.

In Jupyter a widget recomputes live; the static book has no kernel, so every widget cell is
paired with a static counterpart (a figure or a ``to_jshtml`` animation).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ._validation import check_real
from .activations import Activation
from .layers import Dense
from .optim import SGD, Adam


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError:
        raise ImportError(
            "nnlab.widgets needs ipywidgets: pip install ipywidgets "
            "(or pip install 'nnlab[widgets]')."
        ) from None
    return ipywidgets


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
    import itertools

    import numpy as np

    from ._validation import check_positive_int
    from .activations import get_activation
    from .cost import ELEMENTWISE_OPS

    if not isinstance(sizes, list | tuple) or len(sizes) < 2:
        raise ValueError(f"flops_table: sizes must list at least 2 layer widths, got {sizes!r}.")
    sizes = [check_positive_int(s, "every size", owner="flops_table") for s in sizes]
    n = check_positive_int(batch_size, "batch_size", owner="flops_table")
    act_f, act_b = ELEMENTWISE_OPS.get(type(get_activation(activation)), (1, 1))
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


HIDDEN_WIDTHS = (16, 32, 64, 128, 256, 512, 1024, 2048)


def flops_explorer(n_in: int = 784, n_out: int = 10, *, width: int = 256, depth: int = 2):
    """Sliders for the hidden width, the number of hidden layers and the batch size of an
    MLP, a checkbox for the first layer's input gradient, and a live bar chart of its forward
    and backward FLOPs per layer (:func:`nnlab.viz.plot_flops` of :func:`flops_table`).

    Returns the widget: display it, or make it the last line of a cell.
    """
    w = _ipywidgets()
    from IPython.display import display

    from . import viz

    plt = viz._plt()
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
        viz.plot_flops(flops_table(sizes, batch_size, input_grad=input_grad), ax=ax)
        fig.tight_layout()
        display(fig)
        plt.close(fig)

    c = list(controls.values())
    out = w.interactive_output(draw, controls)
    return w.VBox([w.HBox([w.VBox(c[:2]), w.VBox(c[2:])]), out])


# --- Step-by-step backpropagation (chapter book/step-by-step-backprop) -----------------------

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

    Made by :func:`backprop_steps` and drawn by :func:`nnlab.viz.draw_step`. Node layer ``l``
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


def step_through(net, x, y, loss, lr: float | None = None, *, figsize=(6.4, 3.6)):
    """A widget that steps through the forward and backward pass drawn on the network.

    A slider, a Play button and back/next buttons choose a step of
    :func:`backprop_steps`; below them, a sentence with the step's numbers and the drawing of
    :func:`nnlab.viz.draw_step`. The steps are computed once, when the widget is built.

    Parameters
    ----------
    net, x, y, loss, lr
        As in :func:`backprop_steps`.
    figsize : tuple of float
        Size of the drawing in inches.

    Returns
    -------
    ipywidgets.VBox
        The widget; its ``steps`` attribute holds the list of :class:`Step`.

    Shapes
    ------
    x ``(n_in,)`` or ``(1, n_in)``; y as in :func:`backprop_steps`.
    """
    import html

    from IPython.display import display

    from . import viz

    w = _ipywidgets()
    plt = viz._plt()
    steps = backprop_steps(net, x, y, loss, lr)
    last = len(steps) - 1
    play = w.Play(min=0, max=last, interval=1500, description="Play")
    slider = w.IntSlider(min=0, max=last, description="step", readout=True)
    w.jslink((play, "value"), (slider, "value"))
    back = w.Button(description="back", icon="chevron-left", layout=w.Layout(width="80px"))
    nxt = w.Button(description="next", icon="chevron-right", layout=w.Layout(width="80px"))
    text = w.HTML()
    out = w.Output()

    def show(_change=None) -> None:
        step = steps[slider.value]
        text.value = (
            f"<b>{slider.value + 1}/{last + 1}. {html.escape(step.title)}.</b> "
            f"{html.escape(step.description)}"
        )
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=figsize)
            viz.draw_step(step, ax=ax, description=False)
            display(fig)
            plt.close(fig)

    slider.observe(show, names="value")
    back.on_click(lambda _: setattr(slider, "value", max(slider.value - 1, 0)))
    nxt.on_click(lambda _: setattr(slider, "value", min(slider.value + 1, last)))
    show()
    box = w.VBox([w.HBox([play, slider, back, nxt]), text, out])
    box.steps = steps
    return box


def pass_memory(sizes, batch_size: int, *, dtype=np.float64) -> dict:
    """Bytes a training step and an inference pass of ``mlp(sizes)`` keep in memory.

    Computed from the widths alone with nnlab's caching rules: in training, each dense layer
    keeps its input and each hidden activation keeps its output until backward; inference
    (``forward(X, cache=False)``) keeps nothing, and at any moment holds at most a layer's
    input and output.

    Parameters
    ----------
    sizes : list of int
        Layer widths, input first, as for :func:`nnlab.mlp`.
    batch_size : int
    dtype : np.float32 or np.float64

    Returns
    -------
    dict
        ``"parameters"`` and ``"gradients"`` (bytes of W and b, and of dW and db),
        ``"training_cache"`` (kept by a training forward for backward), ``"inference_cache"``
        (always 0) and ``"inference_peak"`` (the largest input + output pair of one layer).

    Examples
    --------
    >>> pass_memory([784, 256, 10], 64)["training_cache"]  # X, then the hidden output twice
    663552
    """
    import itertools

    from ._validation import check_dtype, check_positive_int

    if not isinstance(sizes, list | tuple) or len(sizes) < 2:
        raise ValueError(f"pass_memory: sizes must list at least 2 layer widths, got {sizes!r}.")
    sizes = [check_positive_int(s, "every size", owner="pass_memory") for s in sizes]
    n = check_positive_int(batch_size, "batch_size", owner="pass_memory")
    item = check_dtype(dtype, owner="pass_memory").itemsize
    pairs = list(itertools.pairwise(sizes))
    params = sum((a + 1) * b for a, b in pairs) * item
    dense_inputs = sum(n * a for a in sizes[:-1])
    hidden_outputs = sum(n * b for b in sizes[1:-1])
    return {
        "parameters": params,
        "gradients": params,
        "training_cache": (dense_inputs + hidden_outputs) * item,
        "inference_cache": 0,
        "inference_peak": max(n * (a + b) for a, b in pairs) * item,
    }


def memory_explorer(n_in: int = 784, n_out: int = 10, *, width: int = 256, depth: int = 2):
    """Sliders for hidden width, depth and batch size; bars of what each pass keeps in memory.

    Needs a running kernel; :func:`pass_memory` does the computation.
    """
    widgets = _ipywidgets()
    from .viz import _plt, plot_pass_memory

    plt = _plt()
    w = widgets.IntSlider(value=width, min=16, max=2048, step=16, description="width")
    d = widgets.IntSlider(value=depth, min=1, max=6, description="hidden layers")
    n = widgets.IntSlider(value=128, min=1, max=4096, step=1, description="batch")
    dt = widgets.Dropdown(options=["float32", "float64"], value="float32", description="dtype")
    out = widgets.Output()

    def redraw(_=None):
        sizes = [n_in] + [w.value] * d.value + [n_out]
        memory = pass_memory(sizes, n.value, dtype=np.dtype(dt.value))
        with out:
            out.clear_output(wait=True)
            _, ax = plt.subplots(figsize=(6, 3))
            plot_pass_memory(memory, ax, title=f"{'-'.join(map(str, sizes))}, batch {n.value}")
            plt.show()

    for control in (w, d, n, dt):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([w, d]), widgets.HBox([n, dt]), out])


OPTIMIZERS = {
    "sgd": lambda params, lr: SGD(params, lr),
    "momentum": lambda params, lr: SGD(params, lr, momentum=0.9),
    "adam": lambda params, lr: Adam(params, lr),
}


def train_run(
    optimizer: str = "adam",
    lr: float = 0.01,
    batch_size: int = 32,
    epochs: int = 50,
    *,
    data: str = "spirals",
    hidden: int = 32,
    rng=0,
    progress: bool = False,
):
    """Train a tanh network on a 2-D data set with one optimizer setting: the widget's model.

    Parameters
    ----------
    optimizer : {"sgd", "momentum", "adam"}
        Plain SGD, SGD with momentum 0.9, or Adam.
    lr : float
    batch_size, epochs : int
    data : {"spirals", "moons", "circles", "xor"}
        Generated with 300 samples and ``rng``.
    hidden : int
        Width of the two hidden layers.
    rng : int
        Seeds the data, the weights and the batch order.
    progress : bool
        Show :func:`nnlab.fit`'s progress bar.

    Returns
    -------
    net : Sequential
    history : History
    X : ndarray ``(300, 2)``
    y : ndarray ``(300,)``
    """
    from . import data as datasets
    from .losses import SoftmaxCrossEntropy
    from .network import mlp
    from .train import fit

    makers = {
        "spirals": datasets.make_spirals,
        "moons": datasets.make_moons,
        "circles": datasets.make_circles,
        "xor": datasets.make_xor,
    }
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"train_run: unknown optimizer {optimizer!r}; expected one of "
            + ", ".join(repr(k) for k in OPTIMIZERS)
            + "."
        )
    if data not in makers:
        raise ValueError(
            f"train_run: unknown data {data!r}; expected one of "
            + ", ".join(repr(k) for k in makers)
            + "."
        )
    X, y = makers[data](300, rng=rng)
    k = int(y.max()) + 1
    net = mlp([2, hidden, hidden, k], "tanh", rng=rng)
    opt = OPTIMIZERS[optimizer](net.parameters(), lr)
    history = fit(
        net,
        SoftmaxCrossEntropy(),
        opt,
        X,
        y,
        epochs=epochs,
        batch_size=batch_size,
        rng=rng,
        progress=progress,
    )
    return net, history, X, y


def training_explorer():
    """Choose optimizer, learning rate, batch size and epochs; train live and plot the result.

    Needs a running kernel; :func:`train_run` does the computation.
    """
    widgets = _ipywidgets()
    from .viz import _plt, plot_decision_boundary, plot_history

    plt = _plt()
    opt = widgets.Dropdown(options=list(OPTIMIZERS), value="adam", description="optimizer")
    lr = widgets.FloatLogSlider(value=0.01, base=10, min=-4, max=0, description="lr")
    batch = widgets.Dropdown(options=[1, 8, 32, 128, 300], value=32, description="batch")
    epochs = widgets.IntSlider(value=100, min=10, max=400, step=10, description="epochs")
    data = widgets.Dropdown(
        options=["spirals", "moons", "circles", "xor"], value="spirals", description="data"
    )
    button = widgets.Button(description="Train", button_style="primary")
    status = widgets.Label()
    out = widgets.Output()

    def train(_=None):
        status.value = "training..."
        with out:
            out.clear_output()
            try:  # fit's progress bar shows in the output area while it trains
                net, history, X, y = train_run(
                    opt.value, lr.value, batch.value, epochs.value, data=data.value, progress=True
                )
            except FloatingPointError as err:
                status.value = f"diverged: {err}"
                return
        acc = history["accuracy"][-1]
        status.value = f"final loss {history['loss'][-1]:.4f}, accuracy {acc:.3f}"
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
            plot_history(history, axes[0], keys=("loss",), log=True)
            plot_decision_boundary(net, X, y, axes[1])
            fig.tight_layout()
            plt.show()

    button.on_click(train)
    return widgets.VBox(
        [widgets.HBox([opt, lr, batch]), widgets.HBox([epochs, data, button]), status, out]
    )


def descent_path(grad, start, lr: float, steps: int) -> np.ndarray:
    """Iterates of gradient descent ``x <- x - lr * grad(x)`` from ``start``.

    Parameters
    ----------
    grad : callable
        ``grad(x)`` returns the gradient at ``x`` (same shape as ``x``).
    start : float or array_like
    lr : float
        Learning rate, positive.
    steps : int

    Returns
    -------
    ndarray
        ``(steps + 1, *shape)``: the start, then every iterate. Iterates that overflow are
        inf/nan, so a diverging run still returns its whole path.

    Examples
    --------
    >>> descent_path(lambda x: 2 * x, 1.0, 0.25, 2)[:, 0]
    array([1.  , 0.5 , 0.25])
    """
    from ._validation import check_positive_int

    lr = check_real(lr, "lr", owner="descent_path", low=0.0, low_open=True)
    steps = check_positive_int(steps, "steps", owner="descent_path")
    x = np.atleast_1d(np.asarray(start, dtype=float)).copy()
    path = np.empty((steps + 1, *x.shape))
    path[0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            x = x - lr * np.asarray(grad(x), dtype=float)
            path[t] = x
    return path


def quadratic_regime(lr: float, curvature: float) -> str:
    """What gradient descent does on ``f(x) = curvature * x**2 / 2`` with step ``lr``.

    Each step multiplies ``x`` by ``1 - lr * curvature``: ``"monotone"`` when that factor is
    in [0, 1), ``"oscillates"`` in (-1, 0), ``"stalls"`` at exactly -1 (bounces forever) and
    ``"diverges"`` beyond. So ``lr < 1/curvature`` converges without overshooting,
    ``1/curvature < lr < 2/curvature`` converges while overshooting, ``lr > 2/curvature``
    diverges.
    """
    lr = check_real(lr, "lr", owner="quadratic_regime", low=0.0, low_open=True)
    curvature = check_real(curvature, "curvature", owner="quadratic_regime", low=0.0, low_open=True)
    factor = 1.0 - lr * curvature
    if factor >= 0:
        return "monotone"
    if factor > -1:
        return "oscillates"
    return "stalls" if factor == -1 else "diverges"


BOWL = (1.0, 10.0)  # curvatures of the 2-D quadratic bowl used by descent_explorer


def bowl_loss(p):
    """The 2-D bowl ``(a x^2 + b y^2) / 2`` with the curvatures ``BOWL``; ``p`` is ``(..., 2)``."""
    p = np.asarray(p, dtype=float)
    return 0.5 * (BOWL[0] * p[..., 0] ** 2 + BOWL[1] * p[..., 1] ** 2)


def bowl_grad(p):
    """Gradient of :func:`bowl_loss`."""
    p = np.asarray(p, dtype=float)
    return np.stack([BOWL[0] * p[..., 0], BOWL[1] * p[..., 1]], axis=-1)


def plot_descent(path, ax=None, *, title: str | None = None):
    """Contours of :func:`bowl_loss` and a descent ``path`` of shape ``(steps + 1, 2)``."""
    from .viz import _plt

    plt = _plt()
    ax = ax or plt.gca()
    xs = np.linspace(-3, 3, 121)
    xx, yy = np.meshgrid(xs, xs)
    ax.contour(
        xx, yy, bowl_loss(np.stack([xx, yy], -1)), levels=12, colors="#bbbbbb", linewidths=0.7
    )
    finite = path[np.all(np.isfinite(path), axis=1) & np.all(np.abs(path) < 1e3, axis=1)]
    ax.plot(finite[:, 0], finite[:, 1], "o-", color="#d62728", ms=3, lw=1)
    ax.plot(*path[0], "s", color="black", ms=5)
    ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xlabel="$w_1$", ylabel="$w_2$")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def descent_explorer(steps: int = 30):
    """Learning rate and starting point sliders over gradient descent on a 2-D bowl.

    The bowl has curvatures 1 and 10, so learning rates below 0.1 descend smoothly, between 0.1
    and 0.2 zig-zag across the steep direction, and above 0.2 diverge. Needs a running kernel.
    """
    widgets = _ipywidgets()
    from .viz import _plt

    plt = _plt()
    lr = widgets.FloatSlider(
        value=0.05, min=0.005, max=0.25, step=0.005, description="lr", readout_format=".3f"
    )
    x0 = widgets.FloatSlider(value=-2.5, min=-3, max=3, step=0.1, description="start w1")
    y0 = widgets.FloatSlider(value=2.0, min=-3, max=3, step=0.1, description="start w2")
    out = widgets.Output()

    def redraw(_=None):
        path = descent_path(bowl_grad, [x0.value, y0.value], lr.value, steps)
        regime = quadratic_regime(lr.value, max(BOWL))
        with out:
            out.clear_output(wait=True)
            _, ax = plt.subplots(figsize=(4.2, 4.2))
            plot_descent(path, ax, title=f"lr {lr.value:.3f}: steep direction {regime}")
            plt.show()

    for control in (lr, x0, y0):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([lr, widgets.HBox([x0, y0]), out])


def two_two_one(params, X) -> np.ndarray:
    """Output of a 2-2-1 network with sigmoid units, from its 9 numbers, on points ``X``.

    ``params`` is ``(w11, w12, w21, w22, b1, b2, v1, v2, c)``: ``w_ij`` joins input ``i`` to
    hidden unit ``j``, ``v_j`` joins hidden unit ``j`` to the output. Computed with
    :class:`nnlab.Sequential`, so it is exactly nnlab's forward pass.

    Shapes
    ------
    X ``(n, 2)`` -> output ``(n,)`` in (0, 1).
    """
    from .activations import Sigmoid
    from .network import Sequential

    p = np.asarray(params, dtype=float)
    if p.shape != (9,):
        raise ValueError(f"two_two_one expected 9 parameters, got shape {p.shape}.")
    hidden, out = Dense(2, 2, init="zeros"), Dense(2, 1, init="zeros")
    hidden.W, hidden.b = p[:4].reshape(2, 2), p[4:6]
    out.W, out.b = p[6:8].reshape(2, 1), p[8:]
    net = Sequential([hidden, Sigmoid(), out, Sigmoid()])
    return net.forward(X, cache=False)[:, 0]


XOR_WEIGHTS = (6.0, -6.0, 6.0, -6.0, -3.0, 9.0, 10.0, 10.0, -15.0)
"""Hand-picked weights with which :func:`two_two_one` computes XOR of two 0/1 inputs: hidden
unit 1 fires for "at least one input on" (OR), unit 2 for "not both on" (NAND), and the output
for "both hidden units on" (AND)."""


def plot_two_two_one(params, ax=None, *, title: str | None = None, points=None, labels=None):
    """Colour the square [-0.5, 1.5]^2 by the output of :func:`two_two_one` and draw the
    0.5 contour (the decision boundary)."""
    from .viz import _plt

    plt = _plt()
    ax = ax or plt.gca()
    g = np.linspace(-0.5, 1.5, 101)
    xx, yy = np.meshgrid(g, g)
    zz = two_two_one(params, np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    ax.contourf(xx, yy, zz, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.7)
    ax.contour(xx, yy, zz, levels=[0.5], colors="black", linewidths=1.5)
    if points is not None:
        ax.scatter(
            points[:, 0],
            points[:, 1],
            c=labels,
            cmap="RdBu_r",
            vmin=0,
            vmax=1,
            s=60,
            edgecolors="black",
        )
    ax.set(aspect="equal", xlabel="$x_1$", ylabel="$x_2$")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def weights_explorer(params=XOR_WEIGHTS):
    """Nine sliders for the weights and biases of a 2-2-1 sigmoid network; shows its output
    surface and decision boundary over the XOR points. Needs a running kernel."""
    widgets = _ipywidgets()
    from .viz import _plt

    plt = _plt()
    names = ["w11", "w12", "w21", "w22", "b1", "b2", "v1", "v2", "c"]
    sliders = [
        widgets.FloatSlider(value=v, min=-20, max=20, step=0.5, description=n)
        for n, v in zip(names, params, strict=True)
    ]
    out = widgets.Output()
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)

    def redraw(_=None):
        p = [s.value for s in sliders]
        with out:
            out.clear_output(wait=True)
            _, ax = plt.subplots(figsize=(4, 4))
            plot_two_two_one(p, ax, points=corners, labels=[0, 1, 1, 0])
            plt.show()

    for s in sliders:
        s.observe(redraw, names="value")
    redraw()
    return widgets.HBox([widgets.VBox(sliders), out])


def activation_profile(
    name: str, lo: float = -6.0, hi: float = 6.0, n: int = 241, threshold: float = 0.01
) -> dict:
    """An activation function and its derivative on ``[lo, hi]``, and where gradients vanish.

    Parameters
    ----------
    name : {"sigmoid", "tanh", "relu", "leaky_relu", "identity"}
    lo, hi : float
        Input range, ``lo < hi``.
    n : int
        Number of points.
    threshold : float
        A point is *vanishing* where the derivative is below ``threshold`` times its largest
        possible value (1/4 for sigmoid, 1 for the others).

    Returns
    -------
    dict
        ``"x"``, ``"f"``, ``"df"`` arrays of shape ``(n,)``, the boolean ``"vanishing"`` mask
        and its ``"vanishing_fraction"``.
    """
    from ._validation import check_positive_int
    from .activations import get_activation

    lo = check_real(lo, "lo", owner="activation_profile")
    hi = check_real(hi, "hi", owner="activation_profile")
    if not lo < hi:
        raise ValueError(f"activation_profile: expected lo < hi, got lo={lo:g}, hi={hi:g}.")
    n = check_positive_int(n, "n", owner="activation_profile")
    if name == "softmax":
        raise ValueError("activation_profile: softmax is not element-wise; pick another.")
    act = get_activation(name)
    x = np.linspace(lo, hi, n)
    df = np.asarray(act.df(x), dtype=float)
    peak = 0.25 if name == "sigmoid" else 1.0
    vanishing = df < threshold * peak
    return {
        "x": x,
        "f": np.asarray(act.f(x), dtype=float),
        "df": df,
        "vanishing": vanishing,
        "vanishing_fraction": float(vanishing.mean()),
    }


def plot_activation(profile: dict, ax=None, *, title: str | None = None):
    """Draw :func:`activation_profile`'s function, derivative and vanishing region."""
    from .viz import _plt

    plt = _plt()
    ax = ax or plt.gca()
    x = profile["x"]
    ax.fill_between(
        x,
        -1.2,
        1.2,
        where=profile["vanishing"],
        color="#d62728",
        alpha=0.12,
        label="gradient < 1% of max",
    )
    ax.plot(x, profile["f"], color="#1f77b4", label="f(z)")
    ax.plot(x, profile["df"], color="#ff7f0e", ls="--", label="f'(z)")
    ax.axhline(0, color="#999999", lw=0.5)
    ax.set(xlim=(x[0], x[-1]), ylim=(-1.2, 1.2), xlabel="z")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def activation_explorer():
    """Pick an activation and an input range; see f, f' and where the gradient vanishes.
    Needs a running kernel."""
    widgets = _ipywidgets()
    from .viz import _plt

    plt = _plt()
    name = widgets.Dropdown(
        options=["sigmoid", "tanh", "relu", "leaky_relu", "identity"],
        value="sigmoid",
        description="activation",
    )
    span = widgets.FloatRangeSlider(
        value=(-6, 6), min=-20, max=20, step=0.5, description="input range"
    )
    out = widgets.Output()

    def redraw(_=None):
        prof = activation_profile(name.value, *span.value)
        with out:
            out.clear_output(wait=True)
            _, ax = plt.subplots(figsize=(5, 3))
            plot_activation(
                prof,
                ax,
                title=f"{name.value}: gradient vanishes on "
                f"{prof['vanishing_fraction']:.0%} of the range",
            )
            ax.legend(fontsize=7, loc="upper left")
            plt.show()

    name.observe(redraw, names="value")
    span.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([name, span]), out])
