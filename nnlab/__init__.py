"""nnlab: a small, vectorized and verified NumPy neural network for learning how forward
propagation and backpropagation work.

>>> import nnlab as nl
>>> net = nl.Sequential([nl.Dense(2, 16, rng=0), nl.Tanh(), nl.Dense(16, 3, rng=0)])
"""

from __future__ import annotations

from . import data, exercises, graph, init
from .activations import (
    ACTIVATIONS,
    Activation,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
)
from .attention import MultiHeadAttention
from .base import Layer, Param
from .checkpoint import checkpointed_backward, optimal_segments
from .clipping import clip_grad_norm, grad_norm
from .conv import Conv2D
from .counting import flops
from .data import load_digits, make_circles, make_moons, make_sine, make_spirals, make_xor
from .dropout import Dropout
from .dual import Dual
from .embedding import Embedding
from .forward_mode import forward_mode_gradient, jvp
from .gradcheck import gradcheck, numerical_gradient, relative_error
from .layers import Dense
from .losses import BinaryCrossEntropy, Loss, MSELoss, SoftmaxCrossEntropy
from .lstm import LSTM
from .network import Sequential, mlp
from .normalization import BatchNorm, LayerNorm
from .optim import SGD, Adam, AdamW, Optimizer
from .pooling import Flatten, MaxPool2D
from .positional import PositionalEmbedding
from .profile import PassEvent, cached_bytes, format_time, time_passes, trace
from .recurrent import RNN
from .residual import Residual
from .train import History, accuracy, fit, predict

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "LSTM",
    "RNN",
    "SGD",
    "Activation",
    "Adam",
    "AdamW",
    "BatchNorm",
    "BinaryCrossEntropy",
    "Conv2D",
    "Dense",
    "Dropout",
    "Dual",
    "Embedding",
    "Flatten",
    "History",
    "Identity",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "Loss",
    "MSELoss",
    "MaxPool2D",
    "MultiHeadAttention",
    "Optimizer",
    "Param",
    "PassEvent",
    "PositionalEmbedding",
    "ReLU",
    "Residual",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "Tanh",
    "__version__",
    "accuracy",
    "cached_bytes",
    "checkpointed_backward",
    "clip_grad_norm",
    "data",
    "exercises",
    "fit",
    "flops",
    "format_time",
    "forward_mode_gradient",
    "get_activation",
    "grad_norm",
    "gradcheck",
    "graph",
    "init",
    "jvp",
    "load_digits",
    "make_circles",
    "make_moons",
    "make_sine",
    "make_spirals",
    "make_xor",
    "mlp",
    "numerical_gradient",
    "optimal_segments",
    "predict",
    "relative_error",
    "time_passes",
    "trace",
]


def __getattr__(name: str):
    # nnlab.torch (the PyTorch bridge) imports PyTorch, an optional extra: load it on first use.
    if name == "torch":
        import importlib

        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module 'nnlab' has no attribute {name!r}")
