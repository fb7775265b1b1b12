"""nnlab and PyTorch: the same network, the same numbers, in either library.

``to_torch(net)`` builds a ``torch.nn.Sequential`` of standard modules holding a copy of the
network's weights, in the same dtype; ``from_torch(module)`` builds the nnlab network back.
``loss_to_torch``/``loss_from_torch`` and ``optimizer_to_torch``/``optimizer_from_torch`` map
the losses and optimizers with every hyperparameter and, for an optimizer that has already
stepped, its state, so training can go on in the other library where it stopped.
``flat_grads(module)`` reads a module's gradients in the order of ``net.flat_grads``.

PyTorch is an optional extra (``pip install 'nnlab[torch]'``); this module imports it and is
imported only when used (``import nnlab.torch`` or ``nl.torch``).

Layouts
-------
==============================  ==================================================================
nnlab                           PyTorch
==============================  ==================================================================
``Dense(n_in, n_out)``          ``nn.Linear(n_in, n_out)``, ``weight = W.T``, ``bias = b``
``Conv2D``                      ``nn.Conv2d`` (same ``(C_out, C_in, kh, kw)`` kernel layout)
``MaxPool2D``, ``Flatten``      ``nn.MaxPool2d``, ``nn.Flatten()``
``RNN(n_in, n_hidden)``         :class:`RNNOutput` around ``nn.RNN(batch_first=True)``:
                                ``weight_ih = W_xh.T``, ``weight_hh = W_hh.T``, ``bias_ih = b``
                                and ``bias_hh`` zero and frozen (nnlab has one bias)
``Dropout(p)``                  ``nn.Dropout(p)`` (the masks differ: each library draws its own)
activations                     ``nn.Identity``, ``nn.Sigmoid``, ``nn.Tanh``, ``nn.ReLU``,
                                ``nn.LeakyReLU``, ``nn.Softmax(dim=1)``
``LayerNorm``, ``BatchNorm``    ``nn.LayerNorm``; ``nn.BatchNorm1d`` (``BatchNorm2d`` after image
                                inputs), ``weight = gamma``, ``bias = beta``, running statistics
``Embedding``                   ``nn.Embedding``, ``weight = W``
``PositionalEmbedding``         :class:`PositionAdd`, ``x + weight[:T]``, ``weight = P``
``LSTM``                        :class:`LSTMOutput` around ``nn.LSTM(batch_first=True)``:
                                ``weight_ih = W_x.T``, ``weight_hh = W_h.T``, ``bias_ih = b``,
                                ``bias_hh`` zero and frozen
``MultiHeadAttention``          :class:`SelfAttention` around ``nn.MultiheadAttention``:
                                ``in_proj_weight = [W_q.T; W_k.T; W_v.T]``, ``out_proj = W_o.T``
``Residual(block)``             :class:`ResidualBlock`, ``x + block(x)``
``Sequential``                  ``nn.Sequential`` (nested as nested)
==============================  ==================================================================
"""

try:
    import torch  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised only without PyTorch
    raise ImportError(
        "nnlab.torch needs PyTorch, which nnlab does not install by itself: "
        "pip install 'nnlab[torch]' (or pip install torch)."
    ) from error

from .modern import LSTMOutput, PositionAdd, ResidualBlock, SelfAttention
from .modules import RNNOutput, as_array, from_torch, parameter_map, to_torch
from .training import (
    flat_grads,
    loss_from_torch,
    loss_to_torch,
    optimizer_from_torch,
    optimizer_to_torch,
)

__all__ = [
    "LSTMOutput",
    "PositionAdd",
    "RNNOutput",
    "ResidualBlock",
    "SelfAttention",
    "as_array",
    "flat_grads",
    "from_torch",
    "loss_from_torch",
    "loss_to_torch",
    "optimizer_from_torch",
    "optimizer_to_torch",
    "parameter_map",
    "to_torch",
]
