"""The playground's run as a few lines of nnlab code: same data, same seeds, same weights."""

from __future__ import annotations

from .config import ACTIVATIONS
from .model import Playground, tanh_output


def _q(name: str) -> str:
    return f'"{name}"'  # names of datasets, features and so on: no quotes inside


def _fit(epochs: int, batch_size: int, y: str, penalty: bool) -> list[str]:
    return [
        "nl.fit(",
        f"    net, loss, opt, X_train, {y},",
        f"    epochs={epochs}, batch_size={batch_size}, rng=shuffle, progress=False,",
        *(["    on_batch=penalty,"] if penalty else []),
        ")",
    ]


# The penalties' gradients, as model.add_penalties adds them: on the weights, not the biases.
PENALTY = [
    "dense = [layer for layer in net.layers if isinstance(layer, nl.Dense)]",
    "",
    "",
    "def penalty(epoch, batch, value):  # fit calls it between backward and the update",
    "    for layer in dense:  # l2 / 2 * sum(W^2) + l1 * sum(|W|): the weights only",
    '        W, dW = layer.parameter("W"), layer.gradient("W")',
    "        if l2:",
    "            dW += l2 * W",
    "        if l1:",
    "            dW += l1 * np.sign(W)",
    "",
    "",
]


def _settings(lr: float, l2: float, l1: float, penalty: bool) -> str:
    return f"opt.lr, l2, l1 = {lr!r}, {l2!r}, {l1!r}" if penalty else f"opt.lr = {lr!r}"


def export_code(pg: Playground) -> str:
    """Python code that rebuilds the playground's data and network and replays its training.

    Running it gives the same weights at initialization, and after the same epochs the same
    weights and losses, bit for bit: the data, the split, the weights and the batch order
    come from the same seeds, and training is :func:`nnlab.fit` on the same arrays, one call
    per stretch of epochs run with one learning rate, L2 and L1 strength and batch size.
    When a penalty is used, a function ``penalty`` adds its gradient to the weights' (not the
    biases') before each update, as the playground does; the losses are the data loss,
    without the penalties. With ``output="playground"`` the loss is
    :class:`~.model.HalfSquaredError` and the labels become targets -1/+1. The code ends with
    ``train_loss`` and ``test_loss``, and ``opt.lr`` (and ``l2``, ``l1``) set to the current
    settings. The learner's own data is written out in full.

    Parameters
    ----------
    pg : Playground

    Returns
    -------
    str
        The code; ``exec`` it, or paste it into a cell.

    Examples
    --------
    >>> pg = Playground().step(3)
    >>> scope = {}
    >>> exec(export_code(pg), scope)
    epoch 3: train loss 0.6888, test loss 0.7068
    >>> scope["test_loss"] == pg.test_loss[-1]
    True
    """
    c = pg.config
    names = "features, load_dataset, split_dataset"
    if c.output == "playground":
        names = "HalfSquaredError, " + names
    lines = [
        "import numpy as np",
        "",
        "import nnlab as nl",
        f"from nnlab.explore.playground import {names}",
        "",
    ]
    if c.dataset == "custom":
        X, y = pg.data
        lines += [
            "# your data",
            f"X = np.array({X.tolist()!r})",
            f"y = np.array({y.tolist()!r})",
            f"data = split_dataset(X, y, train_ratio={c.train_ratio!r}, rng={c.data_seed}, "
            f"task={_q(pg.task)})",
        ]
    else:
        lines.append(
            f"data = load_dataset({_q(c.dataset)}, n_samples={c.n_samples}, noise={c.noise!r}, "
            f"train_ratio={c.train_ratio!r}, rng={c.data_seed})"
        )
    init = "" if c.init == "default" else f", init={_q(c.init)}"
    now = (c.lr, c.l2, c.l1)
    setting = tuple(pg.segments[0][1:4]) if pg.segments else now
    penalty = any(s[2] or s[3] for s in pg.segments) or bool(c.l2 or c.l1)
    signed = tanh_output(pg.task)
    y_train, y_test = ("y_train", "y_test") if signed else ("data.y_train", "data.y_test")
    lines += [
        f"names = [{', '.join(_q(f) for f in c.features)}]",
        "X_train, X_test = features(data.X_train, names), features(data.X_test, names)",
        *(
            ["y_train, y_test = 2 * data.y_train - 1, 2 * data.y_test - 1  # labels -> -1/+1"]
            if signed
            else []
        ),
        f"net = nl.mlp({c.sizes!r}, {_q(ACTIVATIONS[c.activation])}{init}, rng={c.seed})",
        f"loss = {pg.loss!r}  # the TensorFlow Playground's: mean of 0.5 (output - y)^2"
        if c.output == "playground"
        else f"loss = nl.{pg.loss!r}",
        f"opt = nl.SGD(net.parameters(), lr={setting[0]!r})",
        f"shuffle = np.random.default_rng({c.seed + 1})  # the order of the batches",
    ]
    if penalty:
        lines += [f"l2, l1 = {setting[1]!r}, {setting[2]!r}", *PENALTY]
    for epochs, *seg, batch_size in pg.segments:
        if tuple(seg) != setting:
            setting = tuple(seg)
            lines.append(_settings(*setting, penalty))
        lines += _fit(epochs, batch_size, y_train, penalty)
    if now != setting:
        lines.append(_settings(*now, penalty) + "  # the current settings")
    lines += [
        f"train_loss = loss(nl.predict(net, X_train), {y_train})",
        f"test_loss = loss(nl.predict(net, X_test), {y_test})",
        f'print(f"epoch {pg.epoch}: train loss {{train_loss:.4f}}, test loss {{test_loss:.4f}}")',
    ]
    return "\n".join(lines) + "\n"
