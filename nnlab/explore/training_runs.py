"""Training a small network with one optimizer setting (chapter book/backprop-optimizes).

Compute (:func:`train_run`) -> widget (:func:`training_explorer`, which draws with
:func:`nnlab.viz.plot_history` and :func:`nnlab.viz.plot_decision_boundary`).
"""

from __future__ import annotations

from .. import data as datasets
from ..losses import SoftmaxCrossEntropy
from ..network import mlp
from ..optim import SGD, Adam
from ..train import fit
from ..viz import plot_decision_boundary, plot_history, pyplot
from ._widgets import ipywidgets

OPTIMIZERS = {
    "sgd": lambda params, lr: SGD(params, lr),
    "momentum": lambda params, lr: SGD(params, lr, momentum=0.9),
    "adam": lambda params, lr: Adam(params, lr),
}

DATASETS = {
    "spirals": datasets.make_spirals,
    "moons": datasets.make_moons,
    "circles": datasets.make_circles,
    "xor": datasets.make_xor,
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

    Raises
    ------
    ValueError
        If ``optimizer`` or ``data`` is unknown.
    FloatingPointError
        If the training diverges.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"train_run: unknown optimizer {optimizer!r}; expected one of "
            + ", ".join(repr(k) for k in OPTIMIZERS)
            + "."
        )
    if data not in DATASETS:
        raise ValueError(
            f"train_run: unknown data {data!r}; expected one of "
            + ", ".join(repr(k) for k in DATASETS)
            + "."
        )
    X, y = DATASETS[data](300, rng=rng)
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

    While a run trains, the Train button and the controls are disabled, so a click cannot
    queue a second run. Needs a running kernel; :func:`train_run` does the computation.

    Returns
    -------
    ipywidgets.VBox
        The widget; its ``train`` attribute is the Train button's click handler.
    """
    widgets = ipywidgets()
    plt = pyplot()
    opt = widgets.Dropdown(options=list(OPTIMIZERS), value="adam", description="optimizer")
    lr = widgets.FloatLogSlider(value=0.01, base=10, min=-4, max=0, description="lr")
    batch = widgets.Dropdown(options=[1, 8, 32, 128, 300], value=32, description="batch")
    epochs = widgets.IntSlider(value=100, min=10, max=400, step=10, description="epochs")
    data = widgets.Dropdown(options=list(DATASETS), value="spirals", description="data")
    button = widgets.Button(description="Train", button_style="primary")
    status = widgets.Label()
    out = widgets.Output()
    controls = (opt, lr, batch, epochs, data, button)

    def run():
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

    def train(_=None):
        if button.disabled:  # a click that reaches us during a run
            return
        for control in controls:
            control.disabled = True
        try:
            run()
        finally:
            for control in controls:
                control.disabled = False

    button.on_click(train)
    box = widgets.VBox(
        [widgets.HBox([opt, lr, batch]), widgets.HBox([epochs, data, button]), status, out]
    )
    box.train = train
    return box
