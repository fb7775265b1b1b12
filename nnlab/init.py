"""Weight initializers: functions ``(n_in, n_out, rng) -> W`` of shape ``(n_in, n_out)``.

Notes
-----
He initialization draws from N(0, 2 / n_in), which keeps the variance of ReLU activations
constant from layer to layer (He et al., 2015, "Delving Deep into Rectifiers").
Xavier (Glorot) initialization draws from N(0, 2 / (n_in + n_out)), which balances the
variance of activations and of gradients for tanh-like units (Glorot and Bengio, 2010).
``fan_in_uniform`` draws from U(-1/sqrt(n_in), 1/sqrt(n_in)), PyTorch's default for its
Linear layers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Initializer = Callable[[int, int, np.random.Generator], np.ndarray]


def he(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """He (Kaiming) normal: N(0, 2 / n_in). The default, suited to ReLU networks."""
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def xavier(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """Xavier (Glorot) normal: N(0, 2 / (n_in + n_out)). Suited to tanh and sigmoid."""
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))


def fan_in_uniform(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """U(-1/sqrt(n_in), 1/sqrt(n_in)), variance 1 / (3 n_in): PyTorch's default for Linear.

    Smaller than He and Xavier. :func:`nnlab.mlp` uses it for the layers next to the data and
    to the output (small initial logits), where the book's digits measurements found it
    learns more reliably (chapter common-challenges); between ReLU layers it would shrink the
    signal by a factor of 6 in variance per layer.
    """
    bound = 1.0 / np.sqrt(n_in)
    return rng.uniform(-bound, bound, size=(n_in, n_out))


def normal(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """Small random numbers, N(0, 0.01^2), independent of the layer's size."""
    return rng.normal(0.0, 0.01, size=(n_in, n_out))


def zeros(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """All zeros. Every unit of the layer then stays identical: useful only to show why."""
    return np.zeros((n_in, n_out))


INITIALIZERS: dict[str, Initializer] = {
    "he": he,
    "xavier": xavier,
    "fan_in_uniform": fan_in_uniform,
    "normal": normal,
    "zeros": zeros,
}


def get_initializer(init: str | Initializer, *, owner: str = "init") -> Initializer:
    """Look up an initializer by name, or accept a callable ``(n_in, n_out, rng)``."""
    if callable(init):
        return init
    if not isinstance(init, str):
        raise TypeError(f"{owner}: init must be a name or a callable, got {type(init).__name__}.")
    try:
        return INITIALIZERS[init]
    except KeyError:
        names = ", ".join(repr(n) for n in INITIALIZERS)
        raise ValueError(f"{owner}: unknown init {init!r}; expected one of {names}.") from None
