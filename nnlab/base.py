"""The layer contract: what a layer defines (its maths, its parameters, its FLOPs) and what the
base class does for it (checks, cache, parameter storage, dtype, copies)."""

from __future__ import annotations

import copy
import math
import weakref
from collections.abc import Iterator

import numpy as np

from ._arrays import aligned_zeros, read_only
from ._validation import (
    as_float_array,
    batch_fits,
    check_dtype,
    check_input,
    check_positive_int,
    check_sample_shape,
    check_tangent,
)
from .param import Param

__all__ = ["Layer", "Param"]


class Layer:
    """Base class of every layer, and the contract a layer fulfils.

    **What a layer defines.** Its maths and nothing else:

    - ``_forward(X, cache) -> (Z, saved)``: the output, and a tuple of what backward needs
      (arrays, shapes; ``()`` when nothing). ``cache`` is False for inference, so a layer
      whose training pass differs (dropout) can tell.
    - ``_backward(dZ, *saved, input_grad) -> dX or None``: overwrite each parameter's
      gradient in place (``self.dW[...] = ...`` or ``out=self.dW``) and return ``dX``, or
      None when ``input_grad`` is False.
    - its parameters, declared on the class with :class:`Param` and created in ``__init__``
      with ``self._init_param(name, value, shape)`` (after ``super().__init__(dtype)``);
    - its FLOPs, ``_flops(n, sample_shape) -> {"forward", "backward_dW", "backward_dX"}``,
      or only ``flops_per_entry = (forward, backward)`` for an element-wise layer;
    - its forward-mode rule, ``_jvp(X, dX, dflat) -> (Z, dZ)``: the output and its
      derivative along the input tangent ``dX`` and the parameter tangent ``dflat`` (None
      when the parameters stay fixed; split it with ``param_tangents``), for
      :func:`nnlab.jvp`;
    - optionally ``input_shape`` (one sample's shape, see Shapes), ``output_shape``, and
      ``_check_sample(X)`` for a check the shape cannot express.

    **What it gets.** ``forward(X, cache=True)`` checks ``X`` (type, dtype, shape) once,
    records ``last_input_shape``, runs ``_forward`` and keeps ``saved`` for a training pass
    (an output that is also kept comes back read-only). ``backward(dZ, input_grad=True)``
    raises before a training forward, checks ``dZ`` against the last output's shape and
    dtype, and runs ``_backward``. ``cached_arrays()`` and ``clear_cache()`` see exactly
    ``saved``. Parameters live in one contiguous buffer, ``flat_params`` (gradients in
    ``flat_grads``), of which ``W``, ``b`` are views; ``parameters()`` lists them as
    ``(name, param, grad)``; assignment is validated and a failing one changes nothing.
    ``flops(batch_size, input_shape=None)`` validates the sample shape (by default the last
    forward's) and calls ``_flops``. ``astype(dtype)`` returns a converted copy;
    ``copy.deepcopy`` and pickling give an independent layer. A layer belongs to at most
    one :class:`nnlab.Sequential` (``parent``), which moves its parameters into its own
    buffer. A layer that draws random numbers in its training pass (dropout) exposes
    ``get_random_state``/``set_random_state``, so that tools can replay a pass exactly.

    Shapes
    ------
    Batch first: ``X`` is ``(N, *sample)``. ``input_shape`` has one entry per axis of a
    sample: an int is a size the layer requires, a str any size, named for messages
    (``(n_in,)`` for Dense, ``(C_in, "height", "width")`` for Conv2D); None (the default)
    accepts any sample of at least one axis. ``output_shape(input_shape)`` gives one output
    sample's shape (the default: unchanged), so that :class:`nnlab.Sequential` can check
    that layers fit before any data flows.

    The cache holds references, not copies: do not modify your own ``X`` between ``forward``
    and ``backward``.
    """

    input_shape: tuple[int | str, ...] | None = None
    dtype: np.dtype | None = None  # None: any float dtype, the output's is the input's
    min_ndim = 2  # the fewest axes an input may have when input_shape is None
    outputs_probabilities = False  # True when every output is a probability (a sigmoid's)
    checks_dZ = True  # False: a container whose last layer checks dZ itself
    input_kind = "f"  # "i": the layer takes integer arrays (token ids), checked by check_tokens
    flops_per_entry: tuple[int, int] = (0, 0)

    def __init__(self, dtype=...) -> None:
        if dtype is not ...:  # a layer with parameters names its dtype; others take X's
            self.dtype = check_dtype(dtype, owner=type(self).__name__)
        self._params: dict[str, np.ndarray] = {}
        self._grads: dict[str, np.ndarray] = {}
        self._saved: tuple | None = None
        self._parent: weakref.ref | None = None
        self._io: tuple = (None, None, None)  # the last forward's X.shape, Z.shape, Z.dtype
        self._pack()

    # -- the two passes ------------------------------------------------------------------

    def forward(self, X, *, cache: bool = True) -> np.ndarray:
        """The layer's output; with ``cache=False`` (inference) nothing is kept."""
        # Runs for every layer of every step, so the common case costs three comparisons: an
        # array of the layer's dtype, of the shape of the last input (which passed the checks).
        dtype = self.dtype
        if not (
            type(X) is np.ndarray
            and (X.dtype is dtype if dtype is not None else X.dtype.kind == "f")
            and X.shape == self._io[0]
        ):
            X = self._checked_input(X)
        Z, saved = self._forward(X, cache)
        self._io = (X.shape, Z.shape, Z.dtype)
        if not cache:
            self._saved = None
            return Z
        self._saved = saved
        owner = Z.base is None  # then only Z itself or a view of it (base Z) shares its memory
        for a in saved:
            if a is Z or (
                isinstance(a, np.ndarray) and (a.base is Z if owner else np.may_share_memory(Z, a))
            ):
                return read_only(Z)
        return Z

    def __call__(self, X, *, cache: bool = True) -> np.ndarray:
        return self.forward(X, cache=cache)

    @property
    def last_input_shape(self) -> tuple | None:
        """One sample's shape in the last forward (None before any)."""
        shape = self._io[0]
        return None if shape is None else shape[1:]

    def backward(self, dZ, *, input_grad: bool = True) -> np.ndarray | None:
        """Overwrite the parameter gradients and return dLoss/dX (None if not wanted)."""
        if self._saved is None:
            raise RuntimeError(
                f"{self.label()}: backward() called before forward(); run a forward pass with "
                "cache=True first."
            )
        _, shape, dtype = self._io
        if self.checks_dZ and not (
            type(dZ) is np.ndarray and dZ.dtype is dtype and dZ.shape == shape
        ):
            dZ = as_float_array(dZ, "dZ", owner=self.label())
            if dZ.shape != shape:
                raise ValueError(
                    f"{self.label()} expected dZ of shape {shape} (the shape of its last output), "
                    f"got {dZ.shape}."
                )
            dZ = dZ.astype(dtype, copy=False)
        return self._backward(dZ, *self._saved, input_grad=input_grad)

    def _forward(self, X: np.ndarray, cache: bool) -> tuple[np.ndarray, tuple]:
        raise NotImplementedError(f"{type(self).__name__} defines no _forward")

    def _backward(self, dZ: np.ndarray, *saved, input_grad: bool) -> np.ndarray | None:
        raise NotImplementedError(f"{type(self).__name__} defines no _backward")

    def _checked_input(self, X) -> np.ndarray:
        """``X`` as an array of the layer's dtype and sample shape, or a clear error."""
        spec, dtype = self.input_shape, self.dtype
        if self.input_kind == "i":
            return self.check_tokens(X)
        if not (
            isinstance(X, np.ndarray)
            and (X.dtype == dtype if dtype is not None else X.dtype.kind == "f")
            and (X.ndim >= self.min_ndim if spec is None else batch_fits(X.shape, spec))
        ):
            if spec is None and self.min_ndim < 2:
                X = as_float_array(X, "X", owner=self.label(), dtype=dtype)
            else:
                X = check_input(X, spec, "X", owner=self.label(), dtype=dtype)
        if self._check_sample is not None:
            self._check_sample(X)
        return X

    # Optional: a method ``_check_sample(X)`` raising ValueError, for what shapes cannot say.
    _check_sample = None

    def check_tokens(self, X) -> np.ndarray:
        """For a layer with ``input_kind = "i"``: ``X`` as an integer array, or a clear error."""
        raise TypeError(f"{self.label()} takes float arrays, not token ids.")

    # -- forward mode ----------------------------------------------------------------------

    def jvp(self, X, dX=None, dparams=None) -> tuple[np.ndarray, np.ndarray]:
        """The output at ``X`` and its derivative along ``(dX, dparams)``: see :func:`nnlab.jvp`.

        One pass, nothing cached, no state changed."""
        X = self._checked_input(X)
        dtype = self.dtype or X.dtype
        dX = check_tangent(dX, X.shape, dtype, "dX", owner=self.label())
        if dparams is not None:  # None: the parameters stay fixed (no zeros are made)
            shape = (self.n_params,)
            dparams = check_tangent(dparams, shape, dtype, "dparams", owner=self.label())
        return self._jvp(X, dX, dparams)

    def param_tangents(self, dflat: np.ndarray | None) -> dict[str, np.ndarray | None]:
        """A ``flat_params``-sized array as one view per parameter, shaped like it (all None
        for None: no parameter moves)."""
        views, offset = {}, 0
        for name, p in self._params.items():
            views[name] = (
                None if dflat is None else dflat[offset : offset + p.size].reshape(p.shape)
            )
            offset += p.size
        return views

    def _jvp(self, X: np.ndarray, dX: np.ndarray, dflat: np.ndarray):
        raise NotImplementedError(f"{self.label()} defines no forward-mode rule (_jvp).")

    # -- the cache -----------------------------------------------------------------------

    def cached_arrays(self) -> list[np.ndarray]:
        """The arrays the last training forward keeps for backward (none after inference)."""
        return [a for a in self._saved or () if isinstance(a, np.ndarray)]

    def clear_cache(self) -> None:
        """Forget what forward kept: memory is freed, and backward raises until the next one."""
        self._saved = None

    # -- parameters ----------------------------------------------------------------------

    def _init_param(self, name: str, value, shape: tuple[int, ...]) -> None:
        """Create parameter ``name`` from ``value`` (an initializer's result): checked to have
        ``shape`` and finite entries, stored in the layer's dtype, with a zero gradient."""
        what = f"{name} (returned by init)"
        value = as_float_array(value, what, owner=self.label())
        if value.shape != tuple(shape):
            raise ValueError(
                f"{self.label()}: init returned shape {value.shape}, expected {shape}."
            )
        if not np.isfinite(value).all():
            raise ValueError(f"{self.label()}: init returned nan or inf weights for {name}.")
        self._params[name] = value.astype(self.dtype or np.float64)
        self._grads[name] = np.zeros_like(self._params[name])
        self._pack()

    def parameter(self, name: str) -> np.ndarray:
        """The parameter array ``name`` (a view of ``flat_params``)."""
        return self._params[name]

    def gradient(self, name: str) -> np.ndarray:
        """The gradient of parameter ``name`` (a view of ``flat_grads``)."""
        return self._grads[name]

    def assign(self, name: str, value) -> None:
        """Copy ``value`` into parameter ``name``, after checking its shape and values."""
        target = self._params[name]
        value = as_float_array(value, name, owner=self.label())
        if value.shape != target.shape:
            raise ValueError(
                f"{self.label()}: {name} must have shape {target.shape}, got {value.shape}."
            )
        with np.errstate(over="ignore"):  # a float32 overflow becomes inf, reported just below
            value = value.astype(target.dtype, copy=False)
        if not np.isfinite(value).all():
            bad = value.size - int(np.isfinite(value).sum())
            raise ValueError(
                f"{self.label()}: {name} must be finite in {target.dtype}, got {bad} nan or inf "
                f"value{'s' if bad > 1 else ''}."
            )
        target[...] = value

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """``[(name, param, grad), ...]``: the same array objects on every call."""
        return [(k, self._params[k], self._grads[k]) for k in self._params]

    @property
    def n_params(self) -> int:
        """Number of trainable scalars."""
        return int(self.flat_params.size)

    def _pack(self) -> None:
        """Move the parameters (and gradients) into one fresh contiguous buffer each."""
        dtype = self.dtype or np.float64
        total = sum(p.size for p in self._params.values())
        self.rebind(aligned_zeros(total, dtype), aligned_zeros(total, dtype))

    def rebind(self, flat_params: np.ndarray, flat_grads: np.ndarray, offset: int = 0) -> int:
        """Move this layer's parameters and gradients into ``flat_params[offset:]`` and
        ``flat_grads[offset:]`` (views, values kept); return the offset after them."""
        start = offset
        for name, p in list(self._params.items()):
            end = offset + p.size
            param = flat_params[offset:end].reshape(p.shape)
            grad = flat_grads[offset:end].reshape(p.shape)
            param[...], grad[...] = p, self._grads[name]
            self._params[name], self._grads[name] = param, grad
            offset = end
        self.flat_params, self.flat_grads = flat_params[start:offset], flat_grads[start:offset]
        return offset

    # -- belonging to a network, copies and dtypes ---------------------------------------

    @property
    def parent(self):
        """The network this layer belongs to, or None."""
        return self._parent() if self._parent is not None else None

    def attach(self, parent) -> None:
        """Make ``parent`` (a :class:`nnlab.Sequential`) this layer's network."""
        if self.parent is not None and self.parent is not parent:
            raise ValueError(
                f"{self.label()} already belongs to another Sequential. Sharing it would let each "
                "network overwrite the other's cache and gradients (and would move its weights "
                "out of the other network's flat_params), giving wrong gradients. Use "
                "copy.deepcopy(layer) for an independent copy."
            )
        self._parent = weakref.ref(parent)

    def detach(self) -> None:
        """Release this layer from its network (which must then repack its buffer)."""
        self._parent = None

    def sublayers(self) -> list[Layer]:
        """The layers this one is made of: none for a layer that computes by itself."""
        return []

    def leaves(self) -> Iterator[Layer]:
        """The layers that compute, in order: this one (a network yields its layers')."""
        yield self

    def set_dtype(self, dtype) -> None:
        """Convert this free layer, in place, to another float dtype (its cache is dropped)."""
        dtype = check_dtype(dtype, owner=f"{self.label()}.set_dtype")
        if self.parent is not None:
            raise ValueError(
                f"{self.label()}.set_dtype: the layer belongs to a Sequential; convert the "
                "network (net.astype) instead."
            )
        self._params = {k: v.astype(dtype) for k, v in self._params.items()}
        self._grads = {k: v.astype(dtype) for k, v in self._grads.items()}
        if self.dtype is not None:
            self.dtype = dtype
        self.clear_cache()
        self._reset_buffers()
        self._pack()

    def _reset_buffers(self) -> None:
        """Drop work arrays kept between calls (after a dtype change)."""

    def astype(self, dtype) -> Layer:
        """A converted, independent deep copy in another float dtype."""
        clone = copy.deepcopy(self)
        clone.set_dtype(dtype)
        return clone

    def get_random_state(self):
        """The state of the random numbers the training pass draws (None: it draws none)."""
        return None

    def set_random_state(self, state) -> None:
        """Restore a state from :meth:`get_random_state`, to replay a training pass exactly."""

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for key in ("_parent", "flat_params", "flat_grads"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._parent = None
        self._pack()

    # -- FLOPs ---------------------------------------------------------------------------

    def flops(self, batch_size: int, input_shape: tuple | None = None) -> dict[str, int]:
        """Floating-point operations for a batch: ``forward``, and backward split into
        ``backward_dW`` (the parameter gradients) and ``backward_dX`` (the input gradient).

        A multiply-add counts as 2. ``input_shape`` is one sample's shape; by default the
        last forward's, or the declared ``input_shape`` when it fixes every size.
        """
        owner = f"{self.label()}.flops"
        n = check_positive_int(batch_size, "batch_size", owner=owner)
        shape = check_sample_shape(input_shape, self.input_shape, self.last_input_shape, owner)
        return self._flops(n, shape)

    def _flops(self, n: int, shape: tuple[int, ...]) -> dict[str, int]:
        per_forward, per_backward = self.flops_per_entry
        size = n * math.prod(shape)
        return {
            "forward": per_forward * size,
            "backward_dW": 0,
            "backward_dX": per_backward * size,
        }

    def output_shape(self, input_shape: tuple | None) -> tuple | None:
        """One output sample's shape given one input sample's (see Shapes): unchanged here."""
        return input_shape

    def label(self) -> str:
        """How messages name this layer: its repr (a network: one short word)."""
        return repr(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
