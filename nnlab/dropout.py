"""Inverted dropout: a regularizer that is active in training and the identity at inference."""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_rng, check_real
from .base import Layer


class Dropout(Layer):
    """Inverted dropout: zero each entry with probability ``p``, scale the rest by ``1/(1-p)``.

    nnlab tells training from inference by ``forward``'s ``cache`` argument, so this layer
    does too:

    * ``forward(X)`` (``cache=True``, the training pass that :func:`nnlab.fit` runs) draws a
      new mask, returns ``X * mask`` and keeps the mask for ``backward``;
    * ``forward(X, cache=False)`` (inference: :func:`nnlab.predict`, :func:`nnlab.accuracy`,
      the validation loss of ``fit``) returns ``X`` itself, unchanged, and draws nothing.

    Build the network once and train and predict with it: no mode to switch.

    Parameters
    ----------
    p : float
        Probability of dropping an entry, in ``[0, 1)``. With 0 the layer is the identity
        in training too (``forward`` returns ``X`` itself, ``backward`` ``dZ``).
    rng : None, int or np.random.Generator
        Seeds the layer's own generator, ``rng``, which draws every mask.

    Attributes
    ----------
    p : float
    rng : np.random.Generator
        Draws the masks, one call per training forward. Reassign it (say
        ``np.random.default_rng(seed)`` before each forward) to replay the same masks.
    mask : ndarray or None
        The scaled mask of the last training forward (entries 0 or ``1/(1-p)``, the shape
        and dtype of its input); None after an inference forward or when ``p = 0``.
    last_input_shape : tuple or None
        One sample's shape in the last forward, for :meth:`flops`.

    Raises
    ------
    TypeError
        If ``p`` is not a real number, ``rng`` is not None, an int or a Generator, or
        ``X``/``dZ`` is not a real numeric array.
    ValueError
        If ``p`` is outside ``[0, 1)``, ``X`` has fewer than 2 dimensions, or ``dZ`` is not the
        shape of the last output. A failing call changes nothing.
    RuntimeError
        If ``backward`` comes before a training forward (``cache=True``).

    Shapes
    ------
    X ``(N, ...)`` (any sample shape: ``(N, n_l)`` after a Dense layer, ``(N, C, H, W)``
    after a Conv2D) -> Z, the same shape and dtype; backward: dZ (that shape) -> dX.

    Notes
    -----
    With ``M_ij ~ Bernoulli(1 - p)`` drawn independently for every entry (book eq.
    ``dropout``)::

        Z = X * M / (1 - p),        dX = dZ * M / (1 - p)

    Scaling the kept entries at training time makes ``E[Z] = X``, so the network needs no
    change at inference, where ``Z = X``. Backward multiplies by the same scaled mask as
    forward: the dropped entries receive no gradient. The mask is drawn in ``X``'s dtype
    with one vectorized call, ``rng.random(X.shape, dtype=X.dtype) >= p``.

    Each training forward draws a new mask, so finite differences of the training pass match
    ``backward`` only with the mask held fixed: ``get_random_state``/``set_random_state``
    replay it, which ``nl.gradcheck(..., training=True)`` and ``nl.checkpointed_backward``
    do.

    Examples
    --------
    >>> drop = Dropout(0.5, rng=0)
    >>> drop
    Dropout(p=0.5)
    >>> Z = drop.forward(np.ones((2, 4)))  # training: entries are 0 or 1 / (1 - 0.5) = 2
    >>> sorted(set(Z.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    >>> drop.forward(np.ones((2, 4)), cache=False)  # inference: the identity
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    """

    flops_per_entry = (3, 1)

    def __init__(self, p: float, *, rng=None) -> None:
        if isinstance(p, numbers.Real) and not isinstance(p, bool) and p == 1:
            raise ValueError(
                "Dropout: p must be in [0, 1), got 1: dropping every entry leaves nothing to "
                "scale by 1/(1 - p)."
            )
        self.p = check_real(p, "p", owner="Dropout", low=0.0, high=1.0, high_open=True)
        super().__init__()
        self.rng = as_rng(rng, owner=repr(self))

    @property
    def mask(self) -> np.ndarray | None:
        """The scaled mask ``M / (1 - p)`` of the last training forward (None: none drawn)."""
        return self._saved[0] if self._saved else None

    def _forward(self, X, cache):
        if not cache or self.p == 0.0:
            return X, (None,)
        mask = self.rng.random(X.shape, dtype=X.dtype)
        keep = mask >= self.p
        np.multiply(keep, 1.0 / (1.0 - self.p), out=mask)
        return X * mask, (mask,)

    def _backward(self, dZ, mask, *, input_grad):
        if not input_grad:
            return None
        return dZ if mask is None else dZ * mask

    def _jvp(self, X, dX, dflat):
        if self.p > 0.0:
            raise ValueError(
                f"{self!r}: forward mode differentiates one fixed function, and a training pass "
                "of dropout draws a new random mask each time; use p=0 (or remove the layer) "
                "for jvp."
            )
        return X.copy(), dX.copy()

    def _flops(self, n, shape):
        # Per entry of X: forward a comparison, a scaling of the mask and a multiply (drawing
        # the random numbers not counted), backward one multiply; all 0 when p = 0.
        flops = super()._flops(n, shape)
        return {k: 0 if self.p == 0.0 else v for k, v in flops.items()}

    def get_random_state(self):
        """The state of ``rng`` (a dict), from which the next training pass draws its mask."""
        return self.rng.bit_generator.state

    def set_random_state(self, state) -> None:
        """Set ``rng`` back to ``state``: the next training pass draws the same mask again."""
        self.rng.bit_generator.state = state

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"
