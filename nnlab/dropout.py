"""Inverted dropout: a regularizer that is active in training and the identity at inference."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import FLOAT_DTYPES, as_rng, check_input, check_positive_int, check_real
from .layers import Layer


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

    Each training forward draws a new mask, so finite differences of the training pass
    (and :func:`nnlab.gradcheck`, which differentiates the inference pass) do not match
    ``backward`` unless the mask is held fixed: reset ``rng`` to the same seed before every
    forward, or check with ``p = 0``.

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

    def __init__(self, p: float, *, rng=None) -> None:
        super().__init__()
        if isinstance(p, numbers.Real) and not isinstance(p, bool) and p == 1:
            raise ValueError(
                "Dropout: p must be in [0, 1), got 1: dropping every entry leaves nothing to "
                "scale by 1/(1 - p)."
            )
        self.p = check_real(p, "p", owner="Dropout", low=0.0, high=1.0, high_open=True)
        self.rng = as_rng(rng, owner=repr(self))
        self.mask: np.ndarray | None = None
        # the shape and dtype of the last training input, which backward expects of dZ
        self._shape: tuple[int, ...] | None = None
        self._dtype = np.dtype(np.float64)
        self.last_input_shape: tuple[int, ...] | None = None

    def forward(self, X, *, cache: bool = True) -> np.ndarray:
        if not (isinstance(X, np.ndarray) and X.ndim >= 2 and X.dtype in FLOAT_DTYPES):
            X = check_input(X, None, "X", owner=repr(self))
        self.last_input_shape = X.shape[1:]
        if not cache:
            self.mask, self._shape = None, None
            return X
        self._shape, self._dtype = X.shape, X.dtype
        if self.p == 0.0:
            self.mask = None
            return X
        mask = self.rng.random(X.shape, dtype=X.dtype)
        keep = mask >= self.p
        np.multiply(keep, 1.0 / (1.0 - self.p), out=mask)
        self.mask = mask
        return X * mask

    def backward(self, dZ, *, input_grad: bool = True) -> np.ndarray | None:
        if self._shape is None:
            raise self._missing_cache()
        shape, dtype = self._shape, self._dtype
        if not (isinstance(dZ, np.ndarray) and dZ.shape == shape and dZ.dtype == dtype):
            dZ = self._check_grad(dZ, shape, dtype)
        if not input_grad:
            return None
        return dZ if self.mask is None else dZ * self.mask

    def cached_arrays(self) -> list[np.ndarray]:
        return [] if self.mask is None else [self.mask]

    def _astype(self, dtype: np.dtype) -> None:
        self.mask, self._shape = None, None

    def flops(self, batch_size: int, input_shape: tuple | None = None) -> dict[str, int]:
        """Operations for a training batch, per entry of ``X``: forward a comparison, a scaling
        of the mask and a multiply (drawing the random numbers not counted), backward one
        multiply; all 0 when ``p = 0``. ``input_shape`` is one sample's shape, by default the
        last forward's."""
        owner = f"{self!r}.flops"
        n = check_positive_int(batch_size, "batch_size", owner=owner)
        shape = self.last_input_shape if input_shape is None else input_shape
        if shape is None:
            raise ValueError(
                f"{owner} needs one sample's shape: pass input_shape or run a forward pass first."
            )
        if not (
            isinstance(shape, tuple | list)
            and all(
                isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0
                for d in shape
            )
        ):
            raise ValueError(
                f"{owner} expected input_shape as a tuple of non-negative ints, got {shape!r}."
            )
        size = 0 if self.p == 0.0 else n * math.prod(shape)
        return {"forward": 3 * size, "backward_dW": 0, "backward_dX": size}

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"
