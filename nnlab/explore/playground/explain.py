"""'Show the maths': the forward and backward pass for one point of the plane, with the
playground's current numbers, as LaTeX (for ``ipywidgets.HTMLMath``) or plain text."""

from __future__ import annotations

import numpy as np

from ...activations import Activation
from .features import feature_label, features
from .labels import formulas
from .maps import nearest_targets
from .model import (
    Playground,
    forward_layers,
    output_of,
    sample_deltas,
    sample_loss,
    tanh_output,
    targets_of,
)

# f'(Z) written through what the forward pass computed, as the book does.
SLOPES = {
    "tanh": (r"1 - \left(A^{[l]}\right)^2", "1 - A[l]^2"),
    "sigmoid": (r"A^{[l]} \odot \left(1 - A^{[l]}\right)", "A[l] * (1 - A[l])"),
    "relu": (r"\mathbf{1}\left[Z^{[l]} > 0\right]", "(Z[l] > 0)"),
    "linear": ("1", "1"),
}
NAMES = {"tanh": r"\tanh", "sigmoid": r"\sigma", "relu": r"\operatorname{relu}", "linear": ""}


def _point(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.shape != (2,) or not np.isfinite(x).all():
        raise ValueError(f"explain_point expected a finite point (x1, x2), got {x.tolist()!r}.")
    return x


def point_numbers(pg: Playground, x, y=None) -> dict:
    """Every number of one forward and backward pass for the single sample ``(x, y)``.

    Parameters
    ----------
    pg : Playground
    x : (x1, x2)
    y : float, optional
        The target: 0 or 1 (classification) or a real value. Default: the target of the
        training point nearest ``x``, as in the delta maps of :func:`playground_maps`.

    Returns
    -------
    dict
        ``x`` (2,), ``y``, ``t`` (what the loss compares the output with: ``y``, or
        ``2y - 1`` for the ``tanh`` output of ``output="playground"``), ``features``
        ``A^[0]`` (n_0,); per layer ``l = 1..m`` (lists,
        input side first): ``W`` (n_{l-1}, n_l), ``b`` (n_l,), ``Z`` (n_l,), ``A`` (n_l,) (the
        last is the output), ``delta`` (n_l,), ``slope`` ``f'(Z^[l])`` (n_l,) for the hidden
        layers, ``dW`` ``A^[l-1]^T delta^[l]`` and ``db`` ``delta^[l]``; ``output`` and
        ``loss`` (floats). The deltas are those of the loss of this one sample (a batch's
        mean loss over N samples gives each sample's delta divided by N).

    Raises
    ------
    ValueError
        For a point that is not two finite numbers, or a classification target other than 0
        or 1.
    """
    x = _point(x)
    if y is None:
        y = nearest_targets(x[None], pg.split.X_train, pg.split.y_train)[0]
    y = float(y)
    if pg.task == "classification" and y not in (0.0, 1.0):
        raise ValueError(f"explain_point: a classification target must be 0 or 1, got {y:g}.")
    if not np.isfinite(y):
        raise ValueError(f"explain_point: the target must be finite, got {y}.")
    A0 = features(x[None], pg.config.features)
    Zs, As = forward_layers(pg.net, A0)
    deltas = sample_deltas(pg.net, pg.task, Zs, np.array([y]))
    out = output_of(pg.task, Zs[-1])
    acts = [la for la in pg.net.layers if isinstance(la, Activation)]
    return {
        "x": x,
        "y": y,
        "t": float(targets_of(pg.task, y)),
        "features": A0[0],
        "W": [la.W.copy() for la in pg.dense],
        "b": [la.b.copy() for la in pg.dense],
        "Z": [Z[0] for Z in Zs],
        "A": [A[0] for A in As[1:]] + [out[0]],
        "slope": [act.df(Z)[0] for act, Z in zip(acts, Zs, strict=False)],
        "delta": [d[0] for d in deltas],
        "dW": [np.outer(A[0], d[0]) for A, d in zip(As, deltas, strict=True)],
        "db": [d[0] for d in deltas],
        "output": float(out[0, 0]),
        "loss": float(sample_loss(pg.task, Zs[-1], y)[0, 0]),
    }


def _num(v: float) -> str:
    return f"{v:.4f}"


def _target(n: dict, pg: Playground, latex: bool) -> str:
    """``y = ...``, and for the ``tanh`` output the ``t = 2y - 1`` its loss compares with."""
    y = str(int(n["y"])) if pg.task == "classification" else _num(n["y"])
    y = f"$y = {y}$" if latex else f"y = {y}"
    if tanh_output(pg.task):
        t = f"t = 2y - 1 = {int(n['t'])}"
        y += f", ${t}$" if latex else f", {t}"
    return y


def _backward_heading(latex: bool) -> str:
    if latex:
        return (
            r"<b>Backward pass</b> (deltas $\delta^{[l]} = \partial \ell / \partial Z^{[l]}$ of "
            r"this one sample; in the mean loss of a batch of $N$ samples, each is divided by $N$):"
        )
    return (
        "Backward pass (delta[l] = d loss / d Z[l] for this one sample; in the mean loss of a "
        "batch of N samples, each is divided by N)"
    )


def _tex(M) -> str:
    rows = np.atleast_2d(M)
    body = r" \\ ".join(" & ".join(_num(v) for v in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def _txt(M) -> str:
    M = np.asarray(M)
    if M.ndim == 1:
        return "[" + ", ".join(_num(v) for v in M) + "]"
    return "[" + ", ".join(_txt(row) for row in M) + "]"


def explain_point(pg: Playground, x, y=None, *, latex: bool = True, weights: bool = True) -> str:
    """The forward equations and the backward deltas at one point, with the current numbers.

    Parameters
    ----------
    pg : Playground
    x : (x1, x2)
    y : float, optional
        The target (default: the nearest training point's; see :func:`point_numbers`).
    latex : bool, default True
        LaTeX in ``$$...$$`` blocks (for ``ipywidgets.HTMLMath`` or Markdown), else plain text.
    weights : bool, default True
        Write out every ``W^[l]`` and ``b^[l]`` in the forward equations (and the gradient
        ``dW^[l]`` in the backward ones), not only the results.

    Returns
    -------
    str

    Notes
    -----
    Forward (book eq. ``fp-layer``): ``Z^[l] = A^[l-1] W^[l] + b^[l]``, ``A^[l] = f(Z^[l])``;
    the output and the loss are those of ``pg.config.output`` (:data:`~.labels.FORMULAS`):
    ``y_hat = sigma(Z^[m])`` and the cross-entropy, or ``y_hat = Z^[m]`` and ``(y_hat - y)^2``
    in regression (``"nnlab"``); ``y_hat = tanh(Z^[m])`` and ``0.5 (y_hat - t)^2`` with
    ``t = 2y - 1``, or ``y_hat = Z^[m]`` and ``0.5 (y_hat - y)^2`` (``"playground"``).
    Backward: ``delta^[m] = d ell / d Z^[m]``, that is ``y_hat - y`` (cross-entropy on the
    logit), ``2 (y_hat - y)`` (squared error), ``(y_hat - t) (1 - y_hat^2)`` (the ``tanh``
    output) or ``y_hat - y`` (half squared error); then ``delta^[l] = (delta^[l+1]
    W^[l+1]^T) * f'(Z^[l])`` (book eq. ``bp-delta``), ``dW^[l] = A^[l-1]^T delta^[l]``,
    ``db^[l] = delta^[l]``, all for this one sample (for a batch's mean loss, divided by N).

    Examples
    --------
    >>> pg = Playground()
    >>> "Z^{[1]}" in explain_point(pg, (0.5, -1.0))
    True
    """
    n = point_numbers(pg, x, y)
    act = pg.config.activation
    m = len(n["Z"])
    if latex:
        return _latex(n, pg, act, m, weights)
    return _text(n, pg, act, m, weights)


def _latex(n: dict, pg: Playground, act: str, m: int, weights: bool) -> str:
    form, f = formulas(pg.task), NAMES[act]
    names = " & ".join(feature_label(s) for s in pg.config.features)
    x1, x2 = n["x"]
    lines = [
        f"<b>Forward pass</b> at $(x_1, x_2) = ({_num(x1)}, {_num(x2)})$, target "
        f"{_target(n, pg, latex=True)}:",
        rf"$$A^{{[0]}} = \begin{{bmatrix}} {names} \end{{bmatrix}} = {_tex(n['features'])}$$",
    ]
    for k in range(m):
        i, prev = k + 1, _tex(n["A"][k - 1] if k else n["features"])
        terms = f" = {prev} {_tex(n['W'][k])} + {_tex(n['b'][k])}" if weights else ""
        z = _tex(n["Z"][k])
        lines.append(rf"$$Z^{{[{i}]}} = A^{{[{k}]}} W^{{[{i}]}} + b^{{[{i}]}}{terms} = {z}$$")
        if k < m - 1:
            lines.append(rf"$$A^{{[{i}]}} = {f}\left(Z^{{[{i}]}}\right) = {_tex(n['A'][k])}$$")
    lines.append(f"$${form.output[0].replace('[m]', f'[{m}]')} = {_num(n['output'])}$$")
    lines.append(f"$${form.loss[0]} = {_num(n['loss'])}$$")
    lines.append(_backward_heading(latex=True))
    lines.append(rf"$$\delta^{{[{m}]}} = {form.delta[0]} = {_tex(n['delta'][-1])}$$")
    slope = SLOPES[act][0]
    for k in range(m - 2, -1, -1):
        i = k + 1
        back = n["delta"][k + 1] @ n["W"][k + 1].T
        lines.append(
            rf"$$\delta^{{[{i}]}} = \left(\delta^{{[{i + 1}]}} W^{{[{i + 1}]\top}}\right) \odot "
            rf"f'\left(Z^{{[{i}]}}\right) = {_tex(back)} \odot {_tex(n['slope'][k])} = "
            rf"{_tex(n['delta'][k])}, \quad f'\left(Z^{{[{i}]}}\right) = "
            + slope.replace("[l]", f"[{i}]")
            + "$$"
        )
    if weights:
        for k in range(m):
            i = k + 1
            lines.append(
                rf"$$\frac{{\partial \ell}}{{\partial W^{{[{i}]}}}} = A^{{[{k}]\top}} "
                rf"\delta^{{[{i}]}} = {_tex(n['dW'][k])}, \quad "
                rf"\frac{{\partial \ell}}{{\partial b^{{[{i}]}}}} = \delta^{{[{i}]}}$$"
            )
    return "\n".join(lines)


def _text(n: dict, pg: Playground, act: str, m: int, weights: bool) -> str:
    form = formulas(pg.task)
    x1, x2 = n["x"]
    lines = [
        f"Forward pass at (x1, x2) = ({_num(x1)}, {_num(x2)}), target {_target(n, pg, False)}",
        f"A[0] = [{', '.join(pg.config.features)}] = {_txt(n['features'])}",
    ]
    for k in range(m):
        i = k + 1
        prev = _txt(n["A"][k - 1] if k else n["features"])
        if weights:
            lines.append(f"  W[{i}] = {_txt(n['W'][k])}, b[{i}] = {_txt(n['b'][k])}")
        lines.append(
            f"Z[{i}] = A[{k}] W[{i}] + b[{i}] = {prev} W[{i}] + b[{i}] = {_txt(n['Z'][k])}"
        )
        if k < m - 1:
            lines.append(f"A[{i}] = {act}(Z[{i}]) = {_txt(n['A'][k])}")
    lines.append(f"{form.output[1].replace('[m]', f'[{m}]')} = {_num(n['output'])}")
    lines.append(f"{form.loss[1]} = {_num(n['loss'])}")
    lines.append(_backward_heading(latex=False))
    lines.append(f"delta[{m}] = {form.delta[1]} = {_txt(n['delta'][-1])}")
    slope = SLOPES[act][1]
    for k in range(m - 2, -1, -1):
        i = k + 1
        back = n["delta"][k + 1] @ n["W"][k + 1].T
        lines.append(
            f"delta[{i}] = (delta[{i + 1}] W[{i + 1}]^T) * f'(Z[{i}]) = {_txt(back)} * "
            f"{_txt(n['slope'][k])} = {_txt(n['delta'][k])}, f'(Z[{i}]) = "
            + slope.replace("[l]", f"[{i}]")
        )
    if weights:
        for k in range(m):
            lines.append(f"dW[{k + 1}] = A[{k}]^T delta[{k + 1}] = {_txt(n['dW'][k])}")
    return "\n".join(lines)
