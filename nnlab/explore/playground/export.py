"""The playground's run as a few lines of nnlab code: same data, same seeds, same weights."""

from __future__ import annotations

from .config import ACTIVATIONS
from .model import Playground


def _q(name: str) -> str:
    return f'"{name}"'  # names of datasets, features and so on: no quotes inside


def _fit(epochs: int, batch_size: int) -> list[str]:
    return [
        "nl.fit(",
        "    net, loss, opt, X_train, data.y_train,",
        f"    epochs={epochs}, batch_size={batch_size}, rng=shuffle, progress=False,",
        ")",
    ]


def export_code(pg: Playground) -> str:
    """Python code that rebuilds the playground's data and network and replays its training.

    Running it gives the same weights at initialization, and after the same epochs the same
    weights and losses, bit for bit: the data, the split, the weights and the batch order
    come from the same seeds, and training is :func:`nnlab.fit` on the same arrays, one call
    per stretch of epochs run with one learning rate, L2 strength and batch size. The code
    ends with ``train_loss`` and ``test_loss``, and the optimizer set to the current
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
    lines = [
        "import numpy as np",
        "",
        "import nnlab as nl",
        "from nnlab.explore.playground import features, load_dataset, split_dataset",
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
    lr, l2 = (pg.segments[0][1:3]) if pg.segments else (c.lr, c.l2)
    lines += [
        f"names = [{', '.join(_q(f) for f in c.features)}]",
        "X_train, X_test = features(data.X_train, names), features(data.X_test, names)",
        f"net = nl.mlp({c.sizes!r}, {_q(ACTIVATIONS[c.activation])}{init}, rng={c.seed})",
        f"loss = nl.{type(pg.loss).__name__}()",
        f"opt = nl.SGD(net.parameters(), lr={lr!r}, weight_decay={l2!r})",
        f"shuffle = np.random.default_rng({c.seed + 1})  # the order of the batches",
    ]
    for epochs, seg_lr, seg_l2, batch_size in pg.segments:
        if (seg_lr, seg_l2) != (lr, l2):
            lr, l2 = seg_lr, seg_l2
            lines.append(f"opt.lr, opt.weight_decay = {lr!r}, {l2!r}")
        lines += _fit(epochs, batch_size)
    if (c.lr, c.l2) != (lr, l2):
        lines.append(f"opt.lr, opt.weight_decay = {c.lr!r}, {c.l2!r}  # the current settings")
    lines += [
        "train_loss = loss(nl.predict(net, X_train), data.y_train)",
        "test_loss = loss(nl.predict(net, X_test), data.y_test)",
        f'print(f"epoch {pg.epoch}: train loss {{train_loss:.4f}}, test loss {{test_loss:.4f}}")',
    ]
    return "\n".join(lines) + "\n"
