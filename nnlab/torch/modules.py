"""Conversion of nnlab layers to PyTorch modules and back (see :mod:`nnlab.torch`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from .. import activations as act
from ..conv import Conv2D
from ..dropout import Dropout
from ..layers import Dense
from ..network import Sequential
from ..pooling import Flatten, MaxPool2D
from ..recurrent import RNN

__all__ = ["RNNOutput", "as_array", "from_torch", "parameter_map", "to_torch"]

_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


class RNNOutput(nn.Module):
    """``nn.RNN`` as nnlab's :class:`~nnlab.RNN` uses it: zero initial state, one layer, and
    the last state ``(N, n_hidden)`` or every state ``(N, T, n_hidden)`` as the output (an
    ``nn.RNN`` alone returns a pair, which ``nn.Sequential`` cannot pass on)."""

    def __init__(self, rnn: nn.RNN, return_sequences: bool = False) -> None:
        super().__init__()
        self.rnn = rnn
        self.return_sequences = bool(return_sequences)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, h_n = self.rnn(x)
        return out if self.return_sequences else h_n[-1]

    def extra_repr(self) -> str:
        return f"return_sequences={self.return_sequences}"


def _tensor(value: np.ndarray) -> nn.Parameter:
    return nn.Parameter(torch.from_numpy(np.array(value, order="C")))  # a copy, never a view


def as_array(tensor: torch.Tensor) -> np.ndarray:
    """A NumPy copy of a tensor (detached, on the CPU)."""
    return tensor.detach().cpu().numpy().copy()


# ----------------------------------------------------------------------------- nnlab -> torch

_SIMPLE_TO_TORCH: dict[type, Callable] = {
    act.Identity: lambda la: nn.Identity(),
    act.Sigmoid: lambda la: nn.Sigmoid(),
    act.Tanh: lambda la: nn.Tanh(),
    act.ReLU: lambda la: nn.ReLU(),
    act.LeakyReLU: lambda la: nn.LeakyReLU(la.alpha),
    act.Softmax: lambda la: nn.Softmax(dim=1),
    Flatten: lambda la: nn.Flatten(),
    MaxPool2D: lambda la: nn.MaxPool2d(la.kernel_size, la.stride),
    Dropout: lambda la: nn.Dropout(la.p),
}


def _module(layer) -> nn.Module:
    if type(layer) is Sequential:
        return nn.Sequential(*(_module(la) for la in layer.layers))
    kind = type(layer)
    if kind in _SIMPLE_TO_TORCH:
        return _SIMPLE_TO_TORCH[kind](layer)
    dtype = _DTYPES[np.dtype(layer.dtype)] if layer.dtype is not None else None
    if kind is Dense:
        module = nn.utils.skip_init(nn.Linear, layer.n_in, layer.n_out, dtype=dtype)
        module.weight, module.bias = _tensor(layer.W.T), _tensor(layer.b)
        return module
    if kind is Conv2D:
        module = nn.utils.skip_init(
            nn.Conv2d,
            layer.in_channels,
            layer.out_channels,
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding,
            dtype=dtype,
        )
        module.weight, module.bias = _tensor(layer.W), _tensor(layer.b)
        return module
    if kind is RNN:
        with torch.random.fork_rng(devices=[]):  # nn.RNN draws weights: keep torch's RNG
            rnn = nn.RNN(
                layer.n_in, layer.n_hidden, nonlinearity="tanh", batch_first=True, dtype=dtype
            )
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(torch.from_numpy(layer.W_xh.T.copy()))
            rnn.weight_hh_l0.copy_(torch.from_numpy(layer.W_hh.T.copy()))
            rnn.bias_ih_l0.copy_(torch.from_numpy(layer.b.copy()))
            rnn.bias_hh_l0.zero_()
        rnn.bias_hh_l0.requires_grad_(False)  # nnlab's RNN has one bias: this one stays 0
        return RNNOutput(rnn, layer.return_sequences)
    from . import modern

    module = modern.to_module(layer, dtype, _module)
    if module is not None:
        return module
    names = ", ".join(sorted(t.__name__ for t in (*_SIMPLE_TO_TORCH, Dense, Conv2D, RNN)))
    names += ", LayerNorm, BatchNorm, Embedding, PositionalEmbedding, LSTM, MultiHeadAttention"
    names += ", Residual"
    raise TypeError(
        f"to_torch: no PyTorch counterpart for {type(layer).__name__}; supported layers: "
        f"{names} and Sequential."
    )


def to_torch(net) -> nn.Module:
    """A PyTorch module computing what ``net`` computes, from a copy of its weights.

    A :class:`~nnlab.Sequential` becomes an ``nn.Sequential`` (nested as nested), a single
    layer its module. Parameters keep their dtype; the module is in training mode, as
    ``net.forward(X)`` (``cache=True``) is nnlab's training pass: call ``.eval()`` for
    ``cache=False``. Its forward equals nnlab's to rounding (1e-12 in float64).

    Raises
    ------
    TypeError
        If ``net`` is not an nnlab layer, or contains a layer with no PyTorch counterpart
        (named, with the supported list).

    Examples
    --------
    >>> import numpy as np, nnlab as nl
    >>> from nnlab.torch import to_torch
    >>> net = nl.mlp([2, 3, 1], rng=0)
    >>> to_torch(net)
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): ReLU()
      (2): Linear(in_features=3, out_features=1, bias=True)
    )
    """
    from ..base import Layer

    if not isinstance(net, Layer):
        raise TypeError(
            f"to_torch expected an nnlab layer or Sequential, got {type(net).__name__}."
        )
    return _module(net)


# ----------------------------------------------------------------------------- torch -> nnlab


def _require(ok: bool, module: nn.Module, what: str) -> None:
    if not ok:
        raise ValueError(f"from_torch: {module!r} has {what}, which nnlab cannot express.")


def _dtype(module: nn.Module):
    dtypes = {p.dtype for p in module.parameters()}
    wrong = dtypes - set(_DTYPES.values())
    if wrong or len(dtypes) != 1:
        raise TypeError(
            f"from_torch: {module!r} must hold float32 or float64 parameters of one dtype, got "
            f"{sorted(str(d) for d in dtypes)}."
        )
    return {v: k for k, v in _DTYPES.items()}[dtypes.pop()].type


def _linear(m: nn.Linear) -> Dense:
    _require(m.bias is not None, m, "no bias")
    layer = Dense(m.in_features, m.out_features, dtype=_dtype(m), rng=0)
    layer.assign("W", as_array(m.weight).T)
    layer.assign("b", as_array(m.bias))
    return layer


def _conv(m: nn.Conv2d) -> Conv2D:
    _require(m.bias is not None, m, "no bias")
    _require(m.groups == 1 and m.dilation == (1, 1), m, "groups or dilation other than 1")
    _require(m.padding_mode == "zeros" and not isinstance(m.padding, str), m, "string padding")
    layer = Conv2D(
        m.in_channels,
        m.out_channels,
        m.kernel_size,
        stride=m.stride,
        padding=m.padding,
        dtype=_dtype(m),
        rng=0,
    )
    layer.assign("W", as_array(m.weight))
    layer.assign("b", as_array(m.bias))
    return layer


def _rnn(m: RNNOutput) -> RNN:
    r = m.rnn
    _require(
        isinstance(r, nn.RNN) and r.nonlinearity == "tanh" and r.num_layers == 1,
        r,
        "a non-tanh unit or more than one layer",
    )
    _require(
        r.batch_first and not r.bidirectional and r.bias,
        r,
        "batch_first=False, two directions or no bias",
    )
    _require(getattr(r, "proj_size", 0) == 0, r, "a projection")
    layer = RNN(
        r.input_size, r.hidden_size, return_sequences=m.return_sequences, dtype=_dtype(r), rng=0
    )
    layer.assign("W_xh", as_array(r.weight_ih_l0).T)
    layer.assign("W_hh", as_array(r.weight_hh_l0).T)
    layer.assign("b", as_array(r.bias_ih_l0) + as_array(r.bias_hh_l0))  # b_ih + b_hh = nnlab's b
    return layer


def _maxpool(m: nn.MaxPool2d) -> MaxPool2D:
    _require(
        m.padding in (0, (0, 0)) and m.dilation in (1, (1, 1)) and not m.ceil_mode,
        m,
        "padding, dilation or ceil_mode",
    )
    _require(not m.return_indices, m, "return_indices=True")
    return MaxPool2D(m.kernel_size, m.stride if m.stride is not None else m.kernel_size)


def _flatten(m: nn.Flatten) -> Flatten:
    _require(m.start_dim == 1 and m.end_dim == -1, m, "start_dim other than 1 or end_dim not -1")
    return Flatten()


def _softmax(m: nn.Softmax) -> act.Softmax:
    _require(m.dim in (1, -1), m, "dim other than 1 (the class axis of (N, K) logits)")
    return act.Softmax()


_FROM_TORCH: dict[type, Callable] = {
    nn.Linear: _linear,
    nn.Conv2d: _conv,
    RNNOutput: _rnn,
    nn.MaxPool2d: _maxpool,
    nn.Flatten: _flatten,
    nn.Softmax: _softmax,
    nn.Dropout: lambda m: Dropout(m.p),
    nn.Identity: lambda m: act.Identity(),
    nn.Sigmoid: lambda m: act.Sigmoid(),
    nn.Tanh: lambda m: act.Tanh(),
    nn.ReLU: lambda m: act.ReLU(),
    nn.LeakyReLU: lambda m: act.LeakyReLU(m.negative_slope),
}


def _layer(module: nn.Module, dtype=None):
    if type(module) is nn.Sequential:
        net = Sequential([_layer(m, dtype) for m in module])
        if dtype is not None and net.n_params == 0:
            net.set_dtype(dtype)  # a block without parameters takes the model's dtype
        return net
    convert = _FROM_TORCH.get(type(module))
    if convert is None:
        from . import modern

        layer = modern.to_layer(module, _dtype, lambda m: _layer(m, dtype))
        if layer is not None:
            return layer
        hint = " (wrap it: nnlab.torch.RNNOutput(rnn))" if isinstance(module, nn.RNN) else ""
        names = ", ".join(sorted(f"nn.{t.__name__}" for t in _FROM_TORCH if t is not RNNOutput))
        raise TypeError(
            f"from_torch: no nnlab layer for {type(module).__name__}{hint}; supported modules: "
            f"{names}, nn.LayerNorm, nn.BatchNorm1d/2d, nn.Embedding, nnlab.torch.RNNOutput, "
            "PositionAdd, LSTMOutput, SelfAttention, ResidualBlock and nn.Sequential."
        )
    return convert(module)


def from_torch(module) -> Sequential:
    """An nnlab :class:`~nnlab.Sequential` from a PyTorch module of the supported types.

    The inverse of :func:`to_torch`: ``from_torch(to_torch(net))`` has every parameter of
    ``net`` exactly. An ``nn.Sequential`` keeps its nesting; a single module becomes a
    one-layer network. An RNN's two biases add up to nnlab's one (``b = b_ih + b_hh``).

    Raises
    ------
    TypeError
        If ``module`` is not a ``torch.nn.Module``, or holds a module type nnlab has no layer
        for (named, with the supported list), or parameters that are not float32/float64.
    ValueError
        If a supported module uses an option nnlab cannot express (no bias, dilation,
        ``ceil_mode``, a bidirectional RNN, ...), named.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"from_torch expected a torch.nn.Module, got {type(module).__name__}.")
    dtype = _dtype(module) if any(True for _ in module.parameters()) else None
    layer = _layer(module, dtype)
    return layer if isinstance(layer, Sequential) else Sequential([layer])


def parameter_map(module: nn.Module) -> list[tuple[torch.Tensor, bool, slice | None]]:
    """Where each nnlab parameter of ``from_torch(module)`` lives in the module, in
    ``flat_params`` order: ``(tensor, transposed, rows)``, with ``rows`` the slice of a tensor
    that holds several (``nn.MultiheadAttention``'s ``in_proj_weight`` holds W_q, W_k, W_v),
    else None."""
    if type(module) is nn.Sequential:
        return [entry for m in module for entry in parameter_map(m)]
    if isinstance(module, nn.Linear):
        return [(module.weight, True, None), (module.bias, False, None)]
    if isinstance(module, nn.Conv2d):
        return [(module.weight, False, None), (module.bias, False, None)]
    if isinstance(module, RNNOutput):
        r = module.rnn
        return [
            (r.weight_ih_l0, True, None),
            (r.weight_hh_l0, True, None),
            (r.bias_ih_l0, False, None),
        ]
    from . import modern

    found = modern.entries(module, parameter_map)
    if found is not None:
        return found
    _layer(module)  # a clear error for a module from_torch would refuse
    return []
