"""The bridge for the layers of deep networks: LayerNorm, BatchNorm, Embedding,
PositionalEmbedding, LSTM, MultiHeadAttention and Residual (see :mod:`nnlab.torch`)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..attention import MultiHeadAttention
from ..embedding import Embedding
from ..lstm import LSTM
from ..normalization import BatchNorm, LayerNorm
from ..positional import PositionalEmbedding
from ..residual import Residual

__all__ = ["LSTMOutput", "PositionAdd", "ResidualBlock", "SelfAttention"]


class LSTMOutput(nn.Module):
    """``nn.LSTM`` as nnlab's :class:`~nnlab.LSTM` uses it: zero initial states, one layer,
    the last state ``(N, n_hidden)`` or every state ``(N, T, n_hidden)`` as the output."""

    def __init__(self, lstm: nn.LSTM, return_sequences: bool = False) -> None:
        super().__init__()
        self.lstm = lstm
        self.return_sequences = bool(return_sequences)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, (h_n, _) = self.lstm(x)
        return out if self.return_sequences else h_n[-1]

    def extra_repr(self) -> str:
        return f"return_sequences={self.return_sequences}"


class SelfAttention(nn.Module):
    """``nn.MultiheadAttention(batch_first=True)`` as self-attention, ``attn(x, x, x)``, with
    the causal mask when ``causal`` (position t sees keys 0..t)."""

    def __init__(self, attention: nn.MultiheadAttention, causal: bool = False) -> None:
        super().__init__()
        self.attention = attention
        self.causal = bool(causal)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = None
        if self.causal:
            T = x.shape[1]
            mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), 1)
        out, _ = self.attention(x, x, x, need_weights=False, attn_mask=mask)
        return out

    def extra_repr(self) -> str:
        return f"causal={self.causal}"


class PositionAdd(nn.Module):
    """nnlab's :class:`~nnlab.PositionalEmbedding`: ``x + weight[:T]`` for ``x`` of shape
    ``(N, T, d_model)`` (the learned positions of BERT and GPT-2; PyTorch has no module of
    its own for them)."""

    def __init__(self, max_len: int, d_model: int, dtype=None) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(max_len, d_model, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.weight[: x.shape[1]]

    def extra_repr(self) -> str:
        return f"max_len={self.weight.shape[0]}, d_model={self.weight.shape[1]}"


class ResidualBlock(nn.Module):
    """``x + block(x)``, nnlab's :class:`~nnlab.Residual`."""

    def __init__(self, block: nn.Module) -> None:
        super().__init__()
        self.block = block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


def _set(param: torch.Tensor, value: np.ndarray) -> None:
    with torch.no_grad():
        param.copy_(torch.from_numpy(np.array(value, order="C")))


def to_module(layer, dtype, convert):
    """The PyTorch module for one of this file's layers, or None (``convert`` converts a
    nested block)."""
    kind = type(layer)
    if kind is Residual:
        return ResidualBlock(convert(layer.block))
    with torch.random.fork_rng(devices=[]):  # the constructors draw weights: keep torch's RNG
        if kind is LayerNorm:
            m = nn.LayerNorm(layer.n_features, eps=layer.eps, dtype=dtype)
            _set(m.weight, layer.gamma)
            _set(m.bias, layer.beta)
            return m
        if kind is BatchNorm:
            images = layer.last_input_shape is not None and len(layer.last_input_shape) == 3
            make = nn.BatchNorm2d if images else nn.BatchNorm1d
            m = make(layer.n_features, eps=layer.eps, momentum=layer.momentum, dtype=dtype)
            _set(m.weight, layer.gamma)
            _set(m.bias, layer.beta)
            m.running_mean.copy_(torch.from_numpy(layer.running_mean.copy()))
            m.running_var.copy_(torch.from_numpy(layer.running_var.copy()))
            return m
        if kind is Embedding:
            m = nn.Embedding(layer.n_tokens, layer.d_model, dtype=dtype)
            _set(m.weight, layer.W)
            return m
        if kind is PositionalEmbedding:
            m = PositionAdd(layer.max_len, layer.d_model, dtype=dtype)
            _set(m.weight, layer.P)
            return m
        if kind is LSTM:
            r = nn.LSTM(layer.n_in, layer.n_hidden, batch_first=True, dtype=dtype)
            _set(r.weight_ih_l0, layer.W_x.T)
            _set(r.weight_hh_l0, layer.W_h.T)
            _set(r.bias_ih_l0, layer.b)
            _set(r.bias_hh_l0, np.zeros_like(layer.b))
            r.bias_hh_l0.requires_grad_(False)  # nnlab's LSTM has one bias: this one stays 0
            return LSTMOutput(r, layer.return_sequences)
        if kind is MultiHeadAttention:
            d = layer.d_model
            a = nn.MultiheadAttention(d, layer.n_heads, batch_first=True, dtype=dtype)
            _set(a.in_proj_weight, np.concatenate([layer.W_q.T, layer.W_k.T, layer.W_v.T]))
            _set(a.in_proj_bias, np.concatenate([layer.b_q, layer.b_k, layer.b_v]))
            _set(a.out_proj.weight, layer.W_o.T)
            _set(a.out_proj.bias, layer.b_o)
            return SelfAttention(a, layer.causal)
    return None


def _refuse(ok: bool, module, what: str) -> None:
    if not ok:
        raise ValueError(f"from_torch: {module!r} has {what}, which nnlab cannot express.")


def to_layer(module, dtype_of, convert):
    """The nnlab layer for one of this file's modules, or None (``dtype_of(module)`` gives the
    dtype of its parameters, ``convert`` converts a nested block)."""
    array = _array
    if type(module) is ResidualBlock:
        return Residual(convert(module.block))
    if type(module) not in _KNOWN:
        return None
    _check_options(module)
    dtype = dtype_of(module)
    if type(module) is nn.LayerNorm:
        layer = LayerNorm(module.normalized_shape[0], eps=module.eps, dtype=dtype)
        layer.assign("gamma", array(module.weight))
        layer.assign("beta", array(module.bias))
        return layer
    if type(module) in (nn.BatchNorm1d, nn.BatchNorm2d):
        layer = BatchNorm(
            module.num_features, momentum=module.momentum, eps=module.eps, dtype=dtype
        )
        layer.assign("gamma", array(module.weight))
        layer.assign("beta", array(module.bias))
        layer.set_random_state((array(module.running_mean), array(module.running_var)))
        return layer
    if type(module) is nn.Embedding:
        layer = Embedding(module.num_embeddings, module.embedding_dim, dtype=dtype, rng=0)
        layer.assign("W", array(module.weight))
        return layer
    if type(module) is PositionAdd:
        layer = PositionalEmbedding(*module.weight.shape, dtype=dtype, rng=0)
        layer.assign("P", array(module.weight))
        return layer
    if type(module) is LSTMOutput:
        r = module.lstm
        _refuse(r.num_layers == 1 and r.batch_first and not r.bidirectional, r, "options")
        _refuse(r.bias and r.proj_size == 0, r, "no bias or a projection")
        layer = LSTM(
            r.input_size,
            r.hidden_size,
            return_sequences=module.return_sequences,
            dtype=dtype,
            rng=0,
        )
        layer.assign("W_x", array(r.weight_ih_l0).T)
        layer.assign("W_h", array(r.weight_hh_l0).T)
        layer.assign("b", array(r.bias_ih_l0) + array(r.bias_hh_l0))
        return layer
    if type(module) is SelfAttention:
        a = module.attention
        _refuse(
            a.batch_first and a.kdim == a.vdim == a.embed_dim and a.in_proj_bias is not None,
            a,
            "batch_first=False, other key/value sizes or no bias",
        )
        _refuse(a.bias_k is None and not a.add_zero_attn and a.dropout == 0, a, "extra options")
        d = a.embed_dim
        layer = MultiHeadAttention(d, a.num_heads, causal=module.causal, dtype=dtype, rng=0)
        w, b = array(a.in_proj_weight), array(a.in_proj_bias)
        for i, name in enumerate("qkv"):
            layer.assign(f"W_{name}", w[i * d : (i + 1) * d].T)
            layer.assign(f"b_{name}", b[i * d : (i + 1) * d])
        layer.assign("W_o", array(a.out_proj.weight).T)
        layer.assign("b_o", array(a.out_proj.bias))
        return layer
    return None


def entries(module, convert_map):
    """``(tensor, transposed, rows)`` for each nnlab parameter of one of this file's modules,
    in ``flat_params`` order (``rows``: the slice of a tensor that holds several); None for
    another module."""
    if type(module) is ResidualBlock:
        return convert_map(module.block)
    if type(module) in (nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d):
        return [(module.weight, False, None), (module.bias, False, None)]
    if type(module) in (nn.Embedding, PositionAdd):
        return [(module.weight, False, None)]
    if type(module) is LSTMOutput:
        r = module.lstm
        return [
            (r.weight_ih_l0, True, None),
            (r.weight_hh_l0, True, None),
            (r.bias_ih_l0, False, None),
        ]
    if type(module) is SelfAttention:
        a, d = module.attention, module.attention.embed_dim
        rows = [slice(i * d, (i + 1) * d) for i in range(3)]
        return (
            [(a.in_proj_weight, True, r) for r in rows]
            + [(a.out_proj.weight, True, None)]
            + [(a.in_proj_bias, False, r) for r in rows]
            + [(a.out_proj.bias, False, None)]
        )
    return None


def _check_options(module) -> None:
    """Refuse, before anything else, the options nnlab's layers do not have."""
    if type(module) is nn.LayerNorm:
        _refuse(module.elementwise_affine and module.bias is not None, module, "no affine part")
        _refuse(len(module.normalized_shape) == 1, module, "more than one normalised axis")
    elif type(module) in (nn.BatchNorm1d, nn.BatchNorm2d):
        _refuse(module.affine and module.track_running_stats, module, "no affine part or stats")
        _refuse(module.momentum is not None, module, "momentum=None (a cumulative average)")
    elif type(module) is nn.Embedding:
        plain = module.padding_idx is None and module.max_norm is None
        _refuse(
            plain and not module.sparse and not module.scale_grad_by_freq,
            module,
            "padding_idx, max_norm, sparse gradients or scale_grad_by_freq",
        )


def _array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


_KNOWN = (
    nn.LayerNorm,
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.Embedding,
    PositionAdd,
    LSTMOutput,
    SelfAttention,
)
