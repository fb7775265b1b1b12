"""The residual connection: ``Z = X + F(X)`` around any block whose output has its input's shape."""

from __future__ import annotations

import numpy as np

from .base import Layer
from .network import Sequential

__all__ = ["Residual"]


class Residual(Sequential):
    """A block with an identity path around it: ``Z = X + F(X)`` (He et al., 2016).

    Parameters
    ----------
    block : Layer
        Any layer or :class:`nnlab.Sequential` whose output has the shape of its input. Its
        parameters are the residual's (``parameters()`` names them ``"0.W"``, ...).

    Raises
    ------
    TypeError
        If ``block`` is not an nnlab layer.
    ValueError
        If the block's declared shapes show that its output differs from its input (at
        construction), or if an input gives an output of another shape (at ``forward``).

    Shapes
    ------
    X ``(N, *sample)`` -> Z of the same shape; backward: dZ -> dX of the same shape.

    Notes
    -----
    Backward through ``Z = X + F(X)``: the sum distributes the gradient to both terms, so
    ``dX = dZ + dF/dX^T dZ``, the block's backward plus the identity term. The identity term
    reaches the input unchanged whatever the block's Jacobian: stacked residual blocks give the
    gradient a path from the loss to every layer on which it is never multiplied by a weight
    matrix. The block's parameter gradients are those of the block alone, with ``dZ`` as the
    gradient of its output. Forward mode likewise: ``dZ = dX + J_F dX (+ J_theta dtheta)``.
    FLOPs: the block's, plus one addition per entry each way.

    Examples
    --------
    >>> import nnlab as nl
    >>> block = nl.Sequential([nl.Dense(4, 4, rng=0), nl.Tanh()])
    >>> nl.Residual(block).forward(np.zeros((2, 4))).shape
    (2, 4)
    """

    def __init__(self, block: Layer) -> None:
        if not isinstance(block, Layer):
            raise TypeError(
                f"Residual expected an nnlab layer as block, got {type(block).__name__}."
            )
        shape = block.input_shape
        if shape is not None and shape[:1] == (...,):
            shape = shape[1:]
        out = block.output_shape(shape) if shape is not None else None
        known = (
            shape is not None
            and out is not None
            and all(isinstance(d, int) for d in (*shape, *out))
        )
        if known and tuple(out) != tuple(shape):
            raise ValueError(
                f"Residual: the block maps samples of shape {tuple(shape)} to {tuple(out)}; "
                "X + F(X) needs an output of the input's shape."
            )
        super().__init__([block])

    @property
    def block(self) -> Layer:
        """The block ``F`` of ``X + F(X)``."""
        return self.layers[0]

    checks_dZ = True  # dZ must have the output's shape and dtype: it is added to dX as it is

    def _forward(self, X, cache):
        out = self.block.output_shape(X.shape[1:])
        if out is not None and all(isinstance(d, int) for d in out) and tuple(out) != X.shape[1:]:
            raise ValueError(  # before the block runs: a failing call changes nothing
                f"Residual: the block turns samples of shape {X.shape[1:]} into {tuple(out)}; "
                "X + F(X) needs an output of the input's shape."
            )
        F = self.block.forward(X, cache=cache)
        if F.shape != X.shape:
            self.block.clear_cache()  # never a backward through the rejected input
            raise ValueError(
                f"Residual: the block turned X of shape {X.shape} into {F.shape}; X + F(X) needs "
                "an output of the input's shape."
            )
        return X + F, ()

    def _backward(self, dZ, *, input_grad):
        dF = self.block.backward(dZ, input_grad=input_grad)
        return None if dF is None else dF + dZ  # the identity path adds dZ itself

    def _jvp(self, X, dX, dflat):
        F, dF = self.block.jvp(X, dX, dflat)
        return X + F, dX + dF

    def output_shape(self, input_shape):
        return input_shape

    def _flops(self, n, shape):
        counts = dict(super()._flops(n, shape))
        size = n * int(np.prod(shape)) if shape is not None else 0
        counts["forward"] += size
        counts["backward_dX"] += size
        return counts

    def label(self) -> str:
        return "Residual"

    def __repr__(self) -> str:
        inner = repr(self.block).replace("\n", "\n  ")
        return f"Residual(\n  {inner}\n)"
