"""Exercise on moving a network to PyTorch by hand (chapter from-nnlab-to-pytorch).

- :func:`check_port_to_torch`: the learner writes ``port(net) -> torch.nn.Module`` for an nnlab
  ``Sequential`` of ``Dense`` and ``Tanh`` layers, copying the weights by hand; the reference is
  the network itself (its output) and :func:`nnlab.torch.to_torch`.

PyTorch is imported only when the checker runs.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..activations import Tanh
from ..layers import Dense
from ..network import Sequential
from ._feedback import Feedback, Raised, kind, quiet, safe_call

TODO = (
    "implement fn(net) returning a torch.nn.Sequential of nn.Linear and nn.Tanh layers that "
    "computes what net computes, with a copy of its weights."
)
TITLE = "Port to PyTorch"


def port_solution(net: Sequential):
    """Reference solution: ``nn.Linear`` stores ``weight`` as ``(n_out, n_in)``, so it gets
    ``W.T``; ``torch.tensor`` copies, so the two libraries never share an array."""
    import torch
    from torch import nn

    modules = []
    for layer in net.layers:
        if isinstance(layer, Dense):
            linear = nn.Linear(layer.n_in, layer.n_out, dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.tensor(layer.W.T))
                linear.bias.copy_(torch.tensor(layer.b))
            modules.append(linear)
        else:
            modules.append(nn.Tanh())
    return nn.Sequential(*modules)


def _cases() -> list[tuple[str, Sequential, np.ndarray]]:
    rng = np.random.default_rng(20261207)
    cases = [
        ("a 3-4-2 tanh network", [3, 4, 2], 5),
        ("a square 3-3-3 tanh network (W and W.T have the same shape)", [3, 3, 3], 4),
        ("a deeper 2-5-5-1 tanh network", [2, 5, 5, 1], 3),
    ]
    out = []
    for k, (label, sizes, n) in enumerate(cases):
        layers = []
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            dense = Dense(a, b, init="xavier", rng=100 * k + i)
            dense.b = rng.normal(scale=0.5, size=b)
            layers.append(dense)
            if i < len(sizes) - 2:
                layers.append(Tanh())
        out.append((label, Sequential(layers), rng.normal(size=(n, sizes[0]))))
    return out


def _variant_outputs(net: Sequential, X: np.ndarray) -> dict[str, np.ndarray]:
    """What the common mistakes compute, with NumPy alone."""

    def run(transpose=False, act=np.tanh):
        A = X
        for layer in net.layers:
            if isinstance(layer, Dense):
                W = layer.W.T if transpose else layer.W
                A = A @ W + layer.b
            else:
                A = act(A)
        return A

    options = {
        "weights not transposed": dict(transpose=True),
        "no activation": dict(act=lambda a: a),
        "ReLU instead of tanh": dict(act=lambda a: np.maximum(a, 0.0)),
    }
    outputs = {}
    for name, kwargs in options.items():
        if name != "weights not transposed" or all(
            la.W.shape[0] == la.W.shape[1] for la in net.layers if isinstance(la, Dense)
        ):
            outputs[name] = run(**kwargs)
    return outputs


HINTS = {
    "weights not transposed": (
        "your module computes X @ W.T where the network computes X @ W: nn.Linear stores its "
        "weight as (n_out, n_in) and computes x @ weight.T, so copy W.T into linear.weight."
    ),
    "no activation": (
        "your module leaves out the tanh between the layers: put nn.Tanh() after every "
        "nn.Linear but the last, where the network has its Tanh layers."
    ),
    "ReLU instead of tanh": "your module uses ReLU where the network uses tanh: nn.Tanh().",
}


def _outputs(module, X: np.ndarray):
    import torch

    with quiet(), torch.no_grad():
        try:
            Z = module(torch.from_numpy(X))
        except Exception as exc:
            return Raised(exc)
    return Z


def _mistake(module, net, X) -> str | None:
    """The first thing wrong with the learner's module on one network, or None."""
    import torch

    Z = _outputs(module, X)
    if isinstance(Z, Raised):
        text = Z.message()
        if "dtype" in text or "Double" in text or "Float" in text:
            return (
                f"calling your module raised {text}. The network is float64 and nn.Linear "
                "creates float32 weights by default: pass dtype=torch.float64 (or call "
                ".double() on the module)."
            )
        if "shape" in text or "size" in text:
            return (
                f"calling your module raised {text}. nn.Linear(n_in, n_out) stores its weight "
                "as (n_out, n_in): copy W.T, not W."
            )
        return f"calling your module on a batch of shape {X.shape} raised {text}."
    if not isinstance(Z, torch.Tensor):
        return f"your module returned {type(Z).__name__}, not a tensor."
    if Z.dtype != torch.float64:
        return (
            f"your module computes in {Z.dtype} where the network computes in float64: create "
            "the layers with dtype=torch.float64 (or call .double()), so that the two agree "
            "to rounding."
        )
    expected = net.forward(X, cache=False)
    got = Z.numpy()
    if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-10, atol=1e-12):
        return None
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    denses = [la for la in net.layers if isinstance(la, Dense)]
    if len(linears) != len(denses):
        return (
            f"your module has {len(linears)} nn.Linear layers; the network has {len(denses)} "
            "Dense layers, one nn.Linear each."
        )
    if got.shape != expected.shape:
        return f"your module's output has shape {got.shape}; the network's has {expected.shape}."
    for i, (linear, dense) in enumerate(zip(linears, denses, strict=True)):
        weight = linear.weight.detach().numpy()
        if weight.shape == dense.W.shape and np.array_equal(weight, dense.W):
            return HINTS["weights not transposed"]
        if weight.shape != dense.W.T.shape or not np.allclose(weight, dense.W.T, rtol=1e-12):
            return f"the weight of your nn.Linear number {i + 1} is not that Dense layer's W.T."
        if linear.bias is None or not np.allclose(
            linear.bias.detach().numpy(), dense.b, rtol=1e-12
        ):
            return (
                f"the bias of your nn.Linear number {i + 1} is not that Dense layer's b: "
                "nn.Linear starts with random biases; copy b into linear.bias."
            )
    for name, value in _variant_outputs(net, X).items():
        if value.shape == got.shape and np.allclose(got, value, rtol=1e-10, atol=1e-12):
            return HINTS[name]
    worst = float(np.max(np.abs(got - expected)))
    return (
        f"your module's output differs from the network's by up to {worst:.3g}: check each "
        "layer's weight (W.T), bias (b) and the order of the layers."
    )


def check_port_to_torch(fn) -> Feedback:
    """Check ``fn(net) -> torch.nn.Module``, a hand-written port of a Dense/Tanh network.

    Three networks (one with square weight matrices, where a missing transpose raises no
    shape error); the module's output must equal the network's to 1e-10 in float64, and its
    weights must be copies (a step in one library must not move the other's weights).

    Diagnoses: a missing transpose, missing biases, a missing or wrong activation, float32
    layers, a module that shares memory with the network, a wrong return type, exceptions.

    Examples
    --------
    >>> check_port_to_torch(port_solution).passed
    True
    """
    if not callable(fn):
        return Feedback(
            False,
            f"expected your function, got {kind(fn)}: pass the function itself, without "
            "calling it (check(my_function), not check(my_function(...))).",
            TITLE,
        )
    try:
        import torch
    except ImportError:
        return Feedback(False, "this exercise needs PyTorch: pip install torch", TITLE)
    try:
        for label, net, X in _cases():
            problem = _check_case(fn, torch, net, X)
            if problem is not None:
                return Feedback(False, f"on the case '{label}', {problem}", TITLE)
    except NotImplementedError:
        return Feedback.not_attempted(TODO, TITLE)
    except Exception as exc:  # a learner's module can fail in ways no check foresaw
        return Feedback(False, f"running your module raised {type(exc).__name__}: {exc}.", TITLE)
    return Feedback(
        True,
        "your modules compute what the networks compute on 3 cases (to 1e-10, float64), with "
        "copies of their weights.",
        TITLE,
    )


def _check_case(fn, torch, net: Sequential, X: np.ndarray) -> str | None:
    before = net.flat_params.copy()
    module = safe_call(fn, [net])
    if isinstance(module, Raised):
        text = module.message()
        hint = (
            " nn.Linear(n_in, n_out) stores its weight as (n_out, n_in): copy W.T, not W."
            if "size" in text or "shape" in text
            else ""
        )
        return f"your function raised {text}.{hint}"
    if not np.array_equal(net.flat_params, before):
        net.flat_params[...] = before
        return "your function changed the network's weights; it must only read them."
    if not isinstance(module, torch.nn.Module):
        return (
            f"your function returned {kind(module)}, not a torch.nn.Module: return, for "
            "example, nn.Sequential(nn.Linear(...), nn.Tanh(), ...)."
        )
    problem = _mistake(module, net, X)
    if problem is not None:
        return problem
    net.flat_params[...] += 1.0  # a copy must not see this
    moved = _outputs(module, X)
    net.flat_params[...] = before
    if not isinstance(moved, Raised) and not np.allclose(
        moved.numpy(), net.forward(X, cache=False), rtol=1e-10, atol=1e-12
    ):
        return (
            "your module shares memory with the network (torch.from_numpy makes a view): "
            "changing the network's weights changed your module's output, so a training step "
            "in one library would move the other's weights. Copy them: torch.tensor(W.T), or "
            "copy_ into the layer's parameters."
        )
    return None
