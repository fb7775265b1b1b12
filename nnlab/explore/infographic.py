"""Forward propagation vs backpropagation on one page: a poster figure and its table (the
source's closing section, *Forward Propagation vs Backpropagation Infographic*).

Compute (:func:`infographic_numbers`) -> figure (:func:`draw_infographic`, drawn by the
private module ``_infographic_draw``; :func:`save_infographic` writes it as SVG, PNG and an
A3 PDF) -> words (:func:`infographic_alt`, :func:`infographic_table`). Every number shown is
an entry of ``numbers["printed"]``, made by :func:`fmt` from a measured value; the figure's
other digits are only the index offsets of its equations (``l−1``, ``l+1``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .._validation import check_positive_int
from ..counting import flops
from ..losses import SoftmaxCrossEntropy
from ..network import mlp
from ..optim import SGD, Adam
from ..profile import cached_bytes, time_passes
from ._infographic_draw import (
    BLUE,
    GREEN,
    PALETTE,
    PURPLE,
    RULE,
    RUNS_IN,
    SKY,
    VERMILLION,
    draw_infographic,
    min_text_px,
)
from ._threads import one_blas_thread

__all__ = [
    "BLUE",
    "EQUATIONS",
    "GREEN",
    "MODES",
    "PALETTE",
    "PRINTED",
    "PURPLE",
    "SKY",
    "VERMILLION",
    "draw_infographic",
    "fmt",
    "infographic_alt",
    "infographic_numbers",
    "infographic_table",
    "min_text_px",
    "save_infographic",
]

_PREFIXES = {-9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T"}


def fmt(value, unit: str = "") -> str:
    """The one way the infographic prints a value.

    Text stays as it is; a sequence of widths is joined by hyphens (``"784-256-10"``); a ratio
    (``unit="×"``) gets two decimals (``"1.25×"``); a count without a unit gets thousands
    separators (``"269,322"``); a quantity with a unit gets three significant digits and an
    SI prefix (``"34.5 MFLOP"``, ``"664 kB"``, ``"1.26 ms"``; 1 kB = 1000 B).

    Examples
    --------
    >>> fmt(34472576, "FLOP"), fmt(663552, "B"), fmt(0, "B"), fmt(1.2528, "×"), fmt((4, 3))
    ('34.5 MFLOP', '664 kB', '0 B', '1.25×', '4-3')
    """
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "-".join(fmt(v) for v in value)
    if unit == "×":
        return f"{value:.2f}×"
    if not unit:
        return f"{int(value):,}"
    if value == 0:
        return f"0 {unit}"
    exp = min(max(3 * math.floor(math.log10(abs(value)) / 3), -9), 12)
    mant = float(f"{value / 10**exp:.3g}")
    if abs(mant) >= 1000 and exp < 12:  # 999.7 rounds up to the next prefix
        exp += 3
        mant = float(f"{value / 10**exp:.3g}")
    decimals = 0 if abs(mant) >= 100 else 1 if abs(mant) >= 10 else 2
    return f"{mant:.{decimals}f} {_PREFIXES[exp]}{unit}"


MODES = ("inference", "sgd", "momentum", "adam")  # the memory bars, top to bottom
PRINTED = {  # printed key: (where in the numbers, unit for fmt)
    "network": (("network", "sizes"), ""), "activation": (("network", "activation"), ""),
    "dtype": (("network", "dtype"), ""), "batch_size": (("network", "batch_size"), ""),
    "n_params": (("network", "n_params"), ""),
    "flops_forward": (("flops", "forward"), "FLOP"),
    "flops_backward": (("flops", "backward"), "FLOP"),
    "flops_ratio": (("flops", "ratio"), "×"), "flops_ratio_full": (("flops", "ratio_full"), "×"),
    "bytes_params": (("memory", "parameters"), "B"), "bytes_grads": (("memory", "gradients"), "B"),
    "bytes_kept": (("memory", "training_cache"), "B"),
    "bytes_kept_inference": (("memory", "inference_cache"), "B"),
    **{f"state_{m}": (("memory", "optimizer_state", m), "B") for m in MODES[1:]},
    **{f"total_{m}": (("memory", "totals", m), "B") for m in MODES},
    "time_forward": (("timing", "forward"), "s"), "time_backward": (("timing", "backward"), "s"),
    "time_ratio": (("timing", "ratio"), "×"), "repeats": (("timing", "repeats"), ""),
}  # fmt: skip

EQUATIONS = {  # the book's equations in plain text (no small super- or subscripts)
    "forward": (
        "Z[l] = A[l−1] W[l] + b[l]", "A[l] = f(Z[l])", "Ŷ = softmax(Z[m])",
        "L = mean cross-entropy(Ŷ, Y)",
    ),
    "backward": (
        "δ[m] = (Ŷ − Y)/N", "δ[l] = (δ[l+1] W[l+1]ᵀ) ⊙ f′(Z[l])", "∂L/∂W[l] = A[l−1]ᵀ δ[l]",
        "∂L/∂b[l] = 1ᵀ δ[l]",
    ),
    "update": ("W[l] ← W[l] − η ∂L/∂W[l]", "b[l] ← b[l] − η ∂L/∂b[l]"),
}  # fmt: skip


def _lookup(numbers: dict, path: tuple):
    for key in path:
        if numbers is None:
            return None
        numbers = numbers[key]
    return numbers


def _state_bytes(optimizer) -> int:
    return sum(v.nbytes for v in optimizer.state_vectors().values())


def infographic_numbers(
    sizes=(784, 256, 256, 10),
    batch_size: int = 64,
    activation: str = "relu",
    *,
    rng=0,
    time_it: bool = True,
) -> dict:
    """Measure everything the infographic shows, on ``mlp(sizes, activation)`` and a batch.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, as for :func:`nnlab.mlp`.
    batch_size : int
    activation : str, default "relu"
    rng : int, Generator or None
        Seeds the weights, the random batch and its labels.
    time_it : bool, default True
        Also time the passes with :func:`nnlab.time_passes` (30 interleaved repeats, on one
        BLAS thread when threadpoolctl is installed: steadier on a busy machine).

    Returns
    -------
    dict
        ``"network"``: ``sizes``, ``activation``, ``dtype``, ``batch_size``, ``n_params``.
        ``"layers"``: per dense layer, ``n_in``, ``n_out`` and ``params`` (``W.size + b.size``).
        ``"flops"``, summed from :func:`nnlab.flops`: ``forward``, ``backward`` (as in
        training: no ``dX`` for the first layer), ``backward_full`` (with it), ``ratio`` and
        ``ratio_full`` (backward over forward). ``"memory"``, in bytes: ``parameters``
        (``net.flat_params.nbytes``), ``gradients`` (``net.flat_grads.nbytes``),
        ``training_cache`` (:func:`nnlab.cached_bytes` after ``forward(X)``),
        ``inference_cache`` (after ``forward(X, cache=False)``: 0), ``optimizer_state`` (the
        bytes of ``state_vectors()`` after one step of SGD, of SGD with momentum 0.9 and of
        Adam: keys ``sgd``, ``momentum``, ``adam``), ``modes`` (for each of :data:`MODES`, its
        segments ``parameters``, ``gradients``, ``activations``, ``optimizer_state``) and
        their ``totals``. ``"timing"``: median seconds ``forward``, ``backward``, their
        ``ratio`` (all vary per run), ``repeats``, ``one_blas_thread``; None without
        ``time_it``. ``"equations"``: :data:`EQUATIONS`. ``"printed"``: every :data:`PRINTED`
        key as :func:`fmt` prints it, ``size_0``, ``size_1``... (the widths), ``layer_1``...
        (the layer numbers) and ``params_1``... (each layer's parameters).

    Notes
    -----
    In float64 the training cache is ``8 N (n_0 + n_1 + ... + n_{m-1})`` bytes (equation
    kd-memory of book/key-differences): the input and every hidden activation.

    Examples
    --------
    >>> n = infographic_numbers((4, 6, 3), 10, "tanh", time_it=False)
    >>> n["memory"]["training_cache"], n["memory"]["optimizer_state"]["adam"]
    (800, 816)
    >>> n["printed"]["flops_ratio"], n["printed"]["total_adam"]
    ('1.48×', '2.43 kB')
    """
    if not isinstance(sizes, list | tuple) or len(sizes) < 2:
        raise ValueError(
            f"infographic_numbers: sizes must list at least 2 layer widths, got {sizes!r}."
        )
    sizes = [check_positive_int(s, "every size", owner="infographic_numbers") for s in sizes]
    n = check_positive_int(batch_size, "batch_size", owner="infographic_numbers")
    gen = np.random.default_rng(rng)
    net = mlp(sizes, activation, rng=gen)
    X = gen.normal(size=(n, sizes[0]))
    y = gen.integers(0, sizes[-1], size=n)
    fwd, bwd = (sum(r[k] for r in flops(net, n, input_grad=False)) for k in ("forward", "backward"))
    bwd_full = sum(r["backward"] for r in flops(net, n, input_grad=True))
    net.forward(X)
    kept = cached_bytes(net)
    net.forward(X, cache=False)  # drops what the training forward kept
    kept_inference = cached_bytes(net)
    loss = SoftmaxCrossEntropy()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward(), input_grad=False)  # fills the gradients
    params, grads = net.flat_params.nbytes, net.flat_grads.nbytes
    weights = net.flat_params.copy()
    state = {}
    for mode, make in (
        ("sgd", lambda p: SGD(p, lr=0.01)),
        ("momentum", lambda p: SGD(p, lr=0.01, momentum=0.9)),
        ("adam", lambda p: Adam(p, lr=1e-3)),
    ):
        optimizer = make(net.parameters())
        optimizer.step()
        state[mode] = _state_bytes(optimizer)
        net.flat_params[...] = weights  # each optimizer steps from the same weights
    inference = {"gradients": 0, "activations": kept_inference, "optimizer_state": 0}
    modes = {"inference": {"parameters": params, **inference}}
    for mode in MODES[1:]:
        training = {"gradients": grads, "activations": kept, "optimizer_state": state[mode]}
        modes[mode] = {"parameters": params, **training}
    timing = None
    if time_it:
        limit, one_thread = one_blas_thread()
        with limit:
            t = time_passes(net, SoftmaxCrossEntropy(), X, y, repeats=30, input_grad=False)
        tf, tb = t["forward"]["median"], t["backward"]["median"]
        timing = {"forward": tf, "backward": tb, "ratio": tb / tf, "repeats": 30}
        timing["one_blas_thread"] = one_thread
    dense = [layer for layer in net.sublayers() if hasattr(layer, "W")]
    network = {"sizes": tuple(sizes), "activation": str(activation), "dtype": str(net.dtype)}
    network.update(batch_size=n, n_params=net.n_params)
    numbers = {
        "network": network,
        "layers": [
            {"n_in": d.W.shape[0], "n_out": d.W.shape[1], "params": d.W.size + d.b.size}
            for d in dense
        ],
        "flops": {"forward": fwd, "backward": bwd, "backward_full": bwd_full},
        "memory": {
            "parameters": params,
            "gradients": grads,
            "training_cache": kept,
            "inference_cache": kept_inference,
            "optimizer_state": state,
            "modes": modes,
            "totals": {mode: sum(segments.values()) for mode, segments in modes.items()},
        },
        "timing": timing,
        "equations": EQUATIONS,
    }
    numbers["flops"].update(ratio=bwd / fwd, ratio_full=bwd_full / fwd)
    printed = {}
    for key, (path, unit) in PRINTED.items():
        value = _lookup(numbers, path)
        if value is not None:
            printed[key] = fmt(value, unit)
    printed.update({f"size_{i}": fmt(s) for i, s in enumerate(sizes)})
    for i, layer in enumerate(numbers["layers"], start=1):
        printed.update({f"layer_{i}": fmt(i), f"params_{i}": fmt(layer["params"])})
    numbers["printed"] = printed
    return numbers


# (aspect, forward, backward): the page's table and the alt text. Fields are keys of
# numbers["printed"]; RUNS_IN and RULE are the figure's own words.
_ROWS = (
    ("Direction", "first layer to last: X → Z[1] → A[1] → … → Ŷ → L",
     "last layer to first: from the starting delta δ[m] = (Ŷ − Y)/N, one delta"
     " δ[l] = ∂L/∂Z[l] per layer"),
    ("Computes", None, None),  # EQUATIONS
    ("Stores", "in training, what backward reads: the input X and every hidden activation"
     " A[l], {bytes_kept}; an inference forward keeps {bytes_kept_inference}",
     "one gradient per parameter, ∂L/∂W[l] and ∂L/∂b[l] ({bytes_grads}), each computed from"
     " the kept A[l−1]; then the update W[l] ← W[l] − η ∂L/∂W[l]"),
    ("Memory held", "an inference pass (forward only): {total_inference}, the parameters"
     " ({bytes_params}); no gradients, nothing kept",
     "a training step (forward, backward, update): {total_sgd} with SGD (state {state_sgd}),"
     " {total_momentum} with momentum (velocity {state_momentum}), {total_adam} with Adam"
     " (moments {state_adam})"),
    ("FLOPs per batch", "{flops_forward}",
     "{flops_backward} = {flops_ratio} the forward on this network (the first layer's ∂L/∂X"
     " skipped; with it: {flops_ratio_full}); the rule: {rule}"),
    ("Time", "{time_forward}",
     "{time_backward} = {time_ratio} the forward (medians of {repeats} runs on this machine:"
     " they vary)"),
    ("Runs in", "{runs_forward}", "{runs_backward}"),
)  # fmt: skip
_TITLE = "Forward propagation vs backpropagation"
_FOOTER = (
    "Network {network} ({activation}), batch N = {batch_size}, {dtype}, {n_params} parameters."
    " Every number is measured by nnlab: nl.flops (exact FLOP counts), nl.cached_bytes (bytes"
    " kept for backward), the arrays' nbytes (parameters, gradients, optimizer state after one"
    " step){timed}."
)


def _words(numbers: dict) -> dict:
    words = {k: " ".join(v.split()) for k, v in RUNS_IN.items()}
    timed = numbers.get("timing") is not None
    words["timed"] = ", nl.time_passes (median times)" if timed else ""
    return {**numbers["printed"], **words, "rule": " ".join(RULE.split()).rstrip(".")}


def infographic_table(numbers: dict) -> list[tuple[str, str, str]]:
    """The figure's content as ``(aspect, forward, backward)`` strings, for the page's table."""
    table, words = [], _words(numbers)
    for aspect, fwd, bwd in _ROWS:
        if aspect == "Time" and numbers.get("timing") is None:
            continue
        if fwd is None:
            eq = numbers["equations"]
            fwd = "; ".join(eq["forward"])
            bwd = "; ".join(eq["backward"]) + "; update: " + "; ".join(eq["update"])
        table.append((aspect, fwd.format(**words), bwd.format(**words)))
    return table


def infographic_alt(numbers: dict) -> str:
    """Alt text for the figure: what it shows, and every number in it."""
    words = _words(numbers)
    head = (
        f"Infographic, {_TITLE.lower()}, on one training step of the {words['network']}"
        f" {words['activation']} network on a batch of N = {words['batch_size']}. The network is"
        " drawn once as labelled blocks, one per layer with its weight shape and parameter"
        " count; above it a blue forward lane runs left to right from X to the loss L, with the"
        " kept activations in green; below it a vermillion backward lane runs right to left"
        " from the starting delta, with one green arrow from each kept activation down to the"
        " weight gradient that reads it, and purple update arrows from each gradient back to"
        " its layer. Below the network: stacked memory bars, the cost of each pass beside the"
        " general rule, and when each pass runs."
    )
    rows = [f"{a}: forward, {f}; backpropagation, {b}." for a, f, b in infographic_table(numbers)]
    return " ".join([head, *rows, _FOOTER.format(**words)])


def save_infographic(fig, stem) -> tuple[Path, Path, Path]:
    """Write ``fig`` to ``<stem>.svg``, ``<stem>.png`` and ``<stem>.pdf``; return the paths.

    The SVG draws its text as paths (it needs no font); the PNG has twice the figure's pixel
    width (sharp when shown or zoomed); the PDF keeps the figure's size, A3 for the default
    :func:`draw_infographic`, with its fonts embedded. The three files are byte-reproducible:
    the SVG's ids come from a fixed hash salt, and none records a date or the software that
    wrote it.
    """
    import matplotlib

    svg, png, pdf = (Path(f"{stem}.{ext}") for ext in ("svg", "png", "pdf"))
    rc = {"svg.hashsalt": "nnlab-infographic", "svg.fonttype": "path", "pdf.fonttype": 42}
    with matplotlib.rc_context(rc):
        fig.savefig(svg, format="svg", dpi=fig.dpi, metadata={"Date": None, "Creator": None})
        fig.savefig(png, format="png", dpi=2 * fig.dpi, metadata={"Software": None})
        meta = {"CreationDate": None, "Creator": None, "Producer": None}
        fig.savefig(pdf, format="pdf", metadata=meta)
    return svg, png, pdf
