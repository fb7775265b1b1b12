"""The layer base class and the fully connected (dense) layer."""

from __future__ import annotations

import weakref

import numpy as np

from ._validation import as_float_array, as_rng, check_2d, check_dtype, check_positive_int
from .init import get_initializer


def read_only(A):
    """Mark ``A`` read-only and return it: an output that ``forward`` also keeps for backward.

    Writing into it would silently change the next backward pass; now it raises instead.
    Array scalars (from 0-d inputs) cannot be flagged and need not be: they are immutable.
    """
    if isinstance(A, np.ndarray):
        A.flags.writeable = False
    return A


class Layer:
    """Base class of every layer: ``forward`` caches what ``backward`` needs.

    A layer with parameters keeps them in ``self._params`` and their gradients, of the same
    shapes, in ``self._grads`` (both dicts keyed by name). Both are allocated once and updated
    in place, so optimizers may hold on to them.

    The cache holds references, not copies, so forward stays fast. An output that forward
    returns and also keeps (an activation's ``A``) comes back read-only: copy it
    (``A.copy()``) to modify it. The one remaining contract is on the caller's side: do not
    modify your own input ``X`` between ``forward`` and ``backward``, since a layer may keep it
    (a Dense layer needs it for ``dW = X.T @ dZ``).

    A layer belongs to at most one :class:`nnlab.Sequential`, once (see there).

    Shapes
    ------
    Batch first: a layer maps ``X`` of shape ``(N, *input_shape)`` to ``Z`` of shape
    ``(N, *output_shape(input_shape))``, and ``backward`` maps ``dZ`` (the shape of ``Z``) to
    ``dX`` (the shape of ``X``). Two hooks describe one sample's shape (the batch axis left
    out), so that :class:`nnlab.Sequential`, :func:`nnlab.fit`, :func:`nnlab.predict`,
    :func:`nnlab.accuracy` and :func:`nnlab.gradcheck` can check inputs before any work:

    ``input_shape``
        A tuple with one entry per axis of a sample: an int is a size the layer requires, a
        str is any size, named for error messages (``"height"``, ``"n_steps"``). None (the
        default) accepts any shape. Dense: ``(n_in,)``; Conv2D: ``(C_in, "height",
        "width")``; a recurrent layer on ``(N, T, n_in)`` would declare
        ``("n_steps", n_in)``. A network checks its input against the first layer that
        declares one, if no layer before it changes shapes, and raises
        ``"... expected X of shape (n_samples, 3, height, width), got (5, 64)."``.
    ``output_shape(input_shape)``
        One output sample's shape, in the same notation, given one input sample's
        (None: unknown). The default returns ``input_shape`` itself: a layer that keeps
        shapes (activations, dropout) need not override it. A layer that changes shapes
        must, and must return a tuple even for None (use str entries for sizes it cannot
        know, e.g. Flatten's ``("n_features",)``). Sequential uses it to check, when it
        builds, that each layer declaring an ``input_shape`` fits what comes before it
        (Dense widths across activations), but not across sizes it cannot know.

    ``cached_arrays()`` lists the arrays a training forward keeps for backward, which
    :func:`nnlab.cached_bytes` counts; the default is the ``_cache`` attribute, if any.
    """

    input_shape: tuple[int | str, ...] | None = None

    # The Sequential that packed this layer's parameters, as a weak reference (None: free).
    # Left out of copies and pickles, so ``copy.deepcopy(layer)`` is a free, independent layer.
    _owner: weakref.ref | None = None

    def __init__(self) -> None:
        self._params: dict[str, np.ndarray] = {}
        self._grads: dict[str, np.ndarray] = {}

    def forward(self, X: np.ndarray, *, cache: bool = True) -> np.ndarray:
        """Compute the layer's output; with ``cache=False`` keep nothing for backward."""
        raise NotImplementedError

    def backward(self, dZ: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Overwrite parameter gradients and return dLoss/dinput (None if not wanted)."""
        raise NotImplementedError

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """``[(name, param, grad), ...]``: the same array objects on every call."""
        return [(k, self._params[k], self._grads[k]) for k in self._params]

    @property
    def n_params(self) -> int:
        """Number of trainable scalars in this layer."""
        return sum(p.size for p in self._params.values())

    def output_shape(self, input_shape: tuple | None) -> tuple | None:
        """One output sample's shape given one input sample's (see Shapes): unchanged here."""
        return input_shape

    def cached_arrays(self) -> list[np.ndarray]:
        """The arrays kept for backward by the last forward (none after ``cache=False``)."""
        cache = getattr(self, "_cache", None)
        return [cache] if isinstance(cache, np.ndarray) else []

    def _astype(self, dtype: np.dtype) -> None:
        """Turn this layer (a private copy made by ``Sequential.astype``) to another dtype."""
        self._params = {k: v.astype(dtype) for k, v in self._params.items()}
        self._grads = {k: v.astype(dtype) for k, v in self._grads.items()}
        if hasattr(self, "dtype"):
            self.dtype = dtype

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_owner", None)
        return state

    def _set_param(self, name: str, value) -> None:
        target = self._params[name]
        value = as_float_array(value, name, owner=repr(self))
        if value.shape != target.shape:
            raise ValueError(f"{self!r}: {name} must have shape {target.shape}, got {value.shape}.")
        with np.errstate(over="ignore"):  # a float32 overflow becomes inf, reported just below
            value = value.astype(target.dtype, copy=False)
        if not np.isfinite(value).all():
            bad = value.size - int(np.isfinite(value).sum())
            raise ValueError(
                f"{self!r}: {name} must be finite in {target.dtype}, got {bad} nan or inf "
                f"value{'s' if bad > 1 else ''}."
            )
        target[...] = value

    def _rebind(self, name: str, param: np.ndarray, grad: np.ndarray) -> None:
        """Move a parameter and its gradient into new storage (used by Sequential)."""
        param[...] = self._params[name]
        grad[...] = self._grads[name]
        self._params[name] = param
        self._grads[name] = grad

    def _missing_cache(self) -> RuntimeError:
        return RuntimeError(
            f"{self!r}: backward() called before forward(); run a forward pass with "
            "cache=True first."
        )

    def _check_grad(self, dZ, shape: tuple[int, ...], dtype) -> np.ndarray:
        dZ = as_float_array(dZ, "dZ", owner=repr(self))
        if dZ.shape != shape:
            raise ValueError(
                f"{self!r} expected dZ of shape {shape} (the shape of its last output), "
                f"got {dZ.shape}."
            )
        return dZ.astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Dense(Layer):
    """Fully connected layer: ``Z = X @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Number of inputs and outputs.
    init : {"he", "xavier", "normal", "zeros"} or callable, default "he"
        Weight initializer; a callable gets ``(n_in, n_out, rng)`` and returns ``W``.
        The bias starts at zero.
    rng : None, int or np.random.Generator
        Source of randomness for the initializer.
    dtype : np.float32 or np.float64, default np.float64
        Dtype of the parameters, the outputs and the gradients.

    Attributes
    ----------
    W, b : ndarray
        Weights ``(n_in, n_out)`` and bias ``(n_out,)``.
    dW, db : ndarray
        Their gradients, overwritten by each ``backward``.

    Raises
    ------
    TypeError
        If ``X``, ``dZ`` or an assigned ``W``/``b`` is not a real numeric array (complex,
        strings, objects).
    ValueError
        If one of them has the wrong shape or is ragged, or an assigned ``W``/``b`` holds nan
        or inf.
    RuntimeError
        If ``backward`` comes before a ``forward`` with ``cache=True``.

    Shapes
    ------
    X ``(N, n_in)`` -> Z ``(N, n_out)``; backward: dZ ``(N, n_out)`` -> dX ``(N, n_in)``, for a
    batch of N samples (the book's notation). ``N = 0`` is allowed: the outputs are empty and
    ``dW``, ``db`` become zeros.

    Notes
    -----
    ``forward`` keeps a reference to ``X`` (no copy), so ``X`` must not be modified before
    ``backward``. Backward (book eq. ``bp-dense``): ``dW = X.T @ dZ``, ``db = dZ.sum(axis=0)``,
    ``dX = dZ @ W.T``. The batch mean (the 1/n) is already inside ``dZ``.

    Examples
    --------
    >>> layer = Dense(3, 2, rng=0)
    >>> layer.forward(np.ones((4, 3))).shape
    (4, 2)
    """

    def __init__(self, n_in: int, n_out: int, *, init="he", rng=None, dtype=np.float64):
        super().__init__()
        owner = "Dense"
        self.n_in = check_positive_int(n_in, "n_in", owner=owner)
        self.n_out = check_positive_int(n_out, "n_out", owner=owner)
        self.dtype = check_dtype(dtype, owner=owner)
        self.init = init
        initializer = get_initializer(init, owner=repr(self))
        W = initializer(self.n_in, self.n_out, as_rng(rng, owner=repr(self)))
        W = as_float_array(W, "W (returned by init)", owner=repr(self))
        if W.shape != (self.n_in, self.n_out):
            raise ValueError(
                f"{self!r}: init returned shape {W.shape}, expected {(self.n_in, self.n_out)}."
            )
        if not np.isfinite(W).all():
            raise ValueError(f"{self!r}: init returned nan or inf weights.")
        self._params = {"W": W.astype(self.dtype), "b": np.zeros(self.n_out, self.dtype)}
        self._grads = {k: np.zeros_like(v) for k, v in self._params.items()}
        self._X: np.ndarray | None = None
        self._ones = np.ones(0, dtype=self.dtype)

    W = property(
        lambda self: self._params["W"],
        lambda self, v: self._set_param("W", v),
        doc="Weights, shape (n_in, n_out).",
    )
    b = property(
        lambda self: self._params["b"],
        lambda self, v: self._set_param("b", v),
        doc="Bias, shape (n_out,).",
    )
    dW = property(lambda self: self._grads["W"], doc="dLoss/dW, shape (n_in, n_out).")
    db = property(lambda self: self._grads["b"], doc="dLoss/db, shape (n_out,).")
    input_shape = property(lambda self: (self.n_in,), doc="One sample's shape: ``(n_in,)``.")

    def output_shape(self, input_shape: tuple | None) -> tuple:
        return (self.n_out,)

    def cached_arrays(self) -> list[np.ndarray]:
        return [] if self._X is None else [self._X]

    def _astype(self, dtype: np.dtype) -> None:
        super()._astype(dtype)
        self._X = None
        self._ones = self._ones.astype(dtype)

    def forward(self, X, *, cache: bool = True) -> np.ndarray:
        if not (
            isinstance(X, np.ndarray)
            and X.ndim == 2
            and X.shape[1] == self.n_in
            and X.dtype == self.dtype
        ):
            X = check_2d(X, self.n_in, "X", owner=repr(self), dtype=self.dtype)
        Z = np.dot(X, self._params["W"])
        Z += self._params["b"]
        self._X = X if cache else None
        return Z

    def backward(self, dZ, *, input_grad: bool = True) -> np.ndarray | None:
        X = self._X
        if X is None:
            raise self._missing_cache()
        if not (
            isinstance(dZ, np.ndarray)
            and dZ.shape == (X.shape[0], self.n_out)
            and dZ.dtype == self.dtype
        ):
            dZ = self._check_grad(dZ, (X.shape[0], self.n_out), self.dtype)
        # The column sums for db are a matrix-vector product with a vector of ones: BLAS,
        # and several times cheaper than np.sum(axis=0) on small batches.
        n = X.shape[0]
        if self._ones.shape[0] < n:
            self._ones = np.ones(n, dtype=self.dtype)
        np.matmul(X.T, dZ, out=self._grads["W"])
        np.dot(self._ones[:n], dZ, out=self._grads["b"])
        return np.dot(dZ, self._params["W"].T) if input_grad else None

    def flops(self, batch_size: int) -> dict[str, int]:
        """Floating-point operations for a batch: forward, and backward split by product.

        A multiply-add counts as 2 FLOPs. Forward: ``2 n n_in n_out`` (matmul) ``+ n n_out``
        (bias). Backward: ``dW`` and ``dX`` cost ``2 n n_in n_out`` each, ``db`` costs
        ``n n_out``.
        """
        batch_size = check_positive_int(batch_size, "batch_size", owner=f"{self!r}.flops")
        mm = 2 * batch_size * self.n_in * self.n_out
        bias = batch_size * self.n_out
        return {"forward": mm + bias, "backward_dW": mm + bias, "backward_dX": mm}

    def __repr__(self) -> str:
        init = self.init if isinstance(self.init, str) else getattr(self.init, "__name__", "?")
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return f"Dense({self.n_in} -> {self.n_out}, init={init!r}{dt})"
