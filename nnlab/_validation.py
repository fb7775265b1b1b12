"""Private helpers shared by nnlab's modules: argument checks, error messages, and buffers.

This is the one module whose names every other module of nnlab may import.
"""

from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def contiguous_base(arrays: list[np.ndarray]) -> np.ndarray | None:
    """A flat view over ``arrays`` if they tile one buffer in order, end to end, else None.

    The arrays must be C-contiguous views of the same C-contiguous base, of one dtype, each
    starting where the previous one ends (as a Sequential's parameters and gradients do). The
    view then covers exactly their elements: one NumPy call on it updates them all. None for
    an empty list, an array that owns its data, a gap, a different order, or mixed dtypes.
    """
    if not arrays:
        return None
    base, dtype = arrays[0].base, arrays[0].dtype
    if base is None or not base.flags.c_contiguous:
        return None
    address = start = arrays[0].ctypes.data
    for a in arrays:
        if a.base is not base or a.dtype != dtype or not a.flags.c_contiguous:
            return None
        if a.ctypes.data != address:
            return None
        address += a.nbytes
    flat = base.reshape(-1).view(np.uint8)
    offset = start - flat.ctypes.data
    return flat[offset : offset + address - start].view(dtype)


def as_rng(rng, *, owner: str) -> np.random.Generator:
    """Turn ``rng`` (None, int or Generator) into a ``np.random.Generator``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:
            raise ValueError(f"{owner}: an int seed rng must be non-negative, got {rng}.")
        return np.random.default_rng(rng)
    raise TypeError(
        f"{owner}: rng must be None, an int seed or a np.random.Generator, "
        f"got {type(rng).__name__}."
    )


def check_dtype(dtype, *, owner: str) -> np.dtype:
    """Return ``dtype`` as a NumPy float dtype, or raise ``TypeError``."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    # `None in FLOAT_DTYPES` is True (np.dtype(None) is float64), so test for None first.
    if dt is None or dt not in FLOAT_DTYPES:
        raise TypeError(f"{owner}: dtype must be float32 or float64, got {dtype!r}.")
    return dt


def check_positive_int(value, name: str, *, owner: str) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be a positive int, got {value!r}.")
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value}.")
    return int(value)


def check_int_pair(value, name: str, *, owner: str, zero_ok: bool = False) -> tuple[int, int]:
    """``value``, a positive (or with ``zero_ok``, non-negative) int or a pair of them, as a
    pair ``(a, b)``."""
    pair = tuple(value) if isinstance(value, tuple | list) else (value, value)
    low, kind = (0, "non-negative int") if zero_ok else (1, "positive int")
    message = f"{owner}: {name} must be a {kind} or a pair of them, got {value!r}."
    if len(pair) != 2 or any(
        isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in pair
    ):
        raise TypeError(message)
    if min(pair) < low:
        raise ValueError(message)
    return int(pair[0]), int(pair[1])


def check_real(
    value, name: str, *, owner: str, low=None, high=None, low_open=False, high_open=False
) -> float:
    """Return ``value`` as a float after checking it lies in the given interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r}.")
    value = float(value)
    bad = not np.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value >= high if high_open else value > high
    if bad:
        lo = "(-inf" if low is None else ("(" if low_open else "[") + f"{low:g}"
        hi = "inf)" if high is None else f"{high:g}" + (")" if high_open else "]")
        raise ValueError(f"{owner}: {name} must be in {lo}, {hi}, got {value:g}.")
    return value


def as_float_array(X, name: str, *, owner: str, dtype=None) -> np.ndarray:
    """Convert ``X`` to a float array (of ``dtype`` if given) or raise ``TypeError``.

    A ragged nested sequence (rows of different lengths) raises ``ValueError`` naming ``name``.
    """
    try:
        arr = np.asarray(X)
    except ValueError:
        raise ValueError(
            f"{owner} expected {name} to be a rectangular numeric array, got a ragged nested "
            "sequence (rows of different lengths)."
        ) from None
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{owner} expected {name} to be a numeric array, got dtype {arr.dtype}.")
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if arr.dtype not in FLOAT_DTYPES:
        arr = arr.astype(np.float64)
    return arr


def check_2d(X, n_cols: int | None, name: str, *, owner: str, dtype=None) -> np.ndarray:
    """Check that ``X`` is a 2-D numeric array with ``n_cols`` columns."""
    arr = as_float_array(X, name, owner=owner, dtype=dtype)
    want = f"(n_samples, {n_cols if n_cols is not None else 'n_features'})"
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = f" For a single sample use {name}.reshape(1, -1)."
        raise ValueError(
            f"{owner} expected {name} of shape {want}, got a {arr.ndim}-D array of shape "
            f"{arr.shape}.{hint}"
        )
    if n_cols is not None and arr.shape[1] != n_cols:
        raise ValueError(f"{owner} expected {name} of shape {want}, got {arr.shape}.")
    return arr


def format_shape(sample_shape: tuple | None) -> str:
    """``(n_samples, 1, height, width)``: a batch of samples of ``sample_shape``.

    Entries of ``sample_shape`` are ints (a fixed size) or strs (any size, by name); None
    stands for samples of any shape.
    """
    if sample_shape is None:
        return "(n_samples, ...)"
    return (
        "(" + ", ".join(["n_samples", *("..." if d is ... else str(d) for d in sample_shape)]) + ")"
    )


def spec_text(spec: tuple) -> str:
    """One sample's shape as code would write it: ``(2, height, width)``, ``(3,)``."""
    text = ", ".join("..." if d is ... else str(d) for d in spec)
    return "(" + text + ("," if len(spec) == 1 else "") + ")"


def batch_fits(shape: tuple, spec: tuple) -> bool:
    """Whether a batch of ``shape`` matches the sample spec (str entries: any size; a leading
    ``...``: any number of sample axes before the others, as ``Dense``'s ``(..., n_in)``)."""
    if spec and spec[0] is ...:
        spec = spec[1:]
        if len(shape) < len(spec) + 1:
            return False
        shape = shape[:1] + shape[len(shape) - len(spec) :]
    if len(shape) != len(spec) + 1:
        return False
    for got, want in zip(shape[1:], spec, strict=True):
        if got != want and not isinstance(want, str):
            return False
    return True


def check_sample_shape(given, declared: tuple | None, last: tuple | None, owner: str) -> tuple:
    """One sample's shape for a FLOP count: ``given``, else the ``last`` forward's, else the
    ``declared`` input shape when it fixes every size; checked to be non-negative ints."""
    shape = given if given is not None else last
    leading = bool(declared) and declared[0] is ...
    if leading:
        declared = declared[1:]
    if shape is None and declared is not None and all(isinstance(d, int) for d in declared):
        shape = declared
    if shape is None:
        want = "one sample's shape" if declared is None else spec_text(declared)
        raise ValueError(
            f"{owner} needs the input's size: pass input_shape={want} or run a forward pass first."
        )
    if not (
        isinstance(shape, tuple | list)
        and all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0 for d in shape
        )
        and (
            declared is None
            or len(shape) == len(declared)
            or (leading and len(shape) > len(declared))
        )
    ):
        want = "a tuple" if declared is None else spec_text(declared)
        raise ValueError(
            f"{owner} expected input_shape {want} of non-negative ints, got {shape!r}."
        )
    return tuple(int(d) for d in shape)


def check_tangent(tangent, shape: tuple, dtype, name: str, *, owner: str) -> np.ndarray:
    """A forward-mode tangent: zeros for None, else a real array of ``shape`` in ``dtype``."""
    if tangent is None:
        return np.zeros(shape, dtype)
    tangent = as_float_array(tangent, name, owner=owner)
    if tangent.shape != tuple(shape):
        raise ValueError(f"{owner} expected {name} of shape {tuple(shape)}, got {tangent.shape}.")
    return tangent.astype(dtype, copy=False)


def check_input(X, sample_shape: tuple | None, name: str, *, owner: str, dtype=None):
    """Check that ``X`` is a batch of samples of ``sample_shape`` (see ``Layer.input_shape``).

    A one-entry ``sample_shape`` is :func:`check_2d` (same messages). None accepts any batch
    of at least 2 dimensions (samples and features).
    """
    if sample_shape is not None and len(sample_shape) == 1:
        n_cols = sample_shape[0] if isinstance(sample_shape[0], int) else None
        return check_2d(X, n_cols, name, owner=owner, dtype=dtype)
    if sample_shape and sample_shape[0] is ... and len(sample_shape) == 2:
        try:
            ndim = X.ndim if isinstance(X, np.ndarray) else np.ndim(X)
        except (ValueError, TypeError):  # ragged or odd: check_2d names what is wrong
            ndim = 2
        if ndim <= 2:  # the usual (N, n_in), with check_2d's messages
            return check_input(X, sample_shape[1:], name, owner=owner, dtype=dtype)
    arr = as_float_array(X, name, owner=owner, dtype=dtype)
    if sample_shape and sample_shape[0] is ...:  # (..., n_in): a batch of any rank >= 2
        trailing = sample_shape[1:]
        if arr.ndim < len(trailing) + 1 or not batch_fits(arr.shape, sample_shape):
            hint = (
                f" For a single sample use {name}[np.newaxis]." if arr.ndim == len(trailing) else ""
            )
            raise ValueError(
                f"{owner} expected {name} of shape {format_shape(sample_shape)}, got "
                f"{arr.shape}.{hint}"
            )
        return arr
    ndim = 2 if sample_shape is None else len(sample_shape) + 1
    if (arr.ndim < 2) if sample_shape is None else (arr.ndim != ndim):
        hint = ""
        if arr.ndim == ndim - 1:
            hint = f" For a single sample use {name}[np.newaxis]."
        raise ValueError(
            f"{owner} expected {name} of shape {format_shape(sample_shape)}, got a "
            f"{arr.ndim}-D array of shape {arr.shape}.{hint}"
        )
    if sample_shape is not None and any(
        isinstance(want, int) and got != want
        for got, want in zip(arr.shape[1:], sample_shape, strict=True)
    ):
        raise ValueError(
            f"{owner} expected {name} of shape {format_shape(sample_shape)}, got {arr.shape}."
        )
    return arr


def as_numeric_array(X, name: str, *, owner: str) -> np.ndarray:
    """``np.asarray(X)`` if it holds real numbers (bool, int or float), without casting.

    Raises ``ValueError`` for a ragged nested sequence and ``TypeError`` for complex values
    (never cast to float: that would silently drop the imaginary part), strings or objects.
    """
    if isinstance(X, np.ndarray):
        arr = X
    else:
        try:
            arr = np.asarray(X)
        except ValueError:  # NumPy's message for rows of different lengths names no argument
            raise ValueError(
                f"{owner} expected {name} to be a rectangular numeric array, got a ragged "
                "nested sequence (rows of different lengths)."
            ) from None
    if arr.dtype.kind == "c":
        raise TypeError(
            f"{owner} expected {name} to hold real numbers, got complex values (dtype "
            f"{arr.dtype}); pass {name}.real if dropping the imaginary part is intended."
        )
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{owner} expected {name} to be a numeric array, got dtype {arr.dtype}.")
    return arr


def nonfinite_rows(arr: np.ndarray) -> np.ndarray:
    """Indices of the rows (entries along the first axis) of ``arr`` holding NaN or inf."""
    if arr.dtype.kind != "f":
        return np.zeros(0, dtype=np.intp)
    bad = ~np.isfinite(arr.reshape(len(arr), -1))
    return np.flatnonzero(bad.any(axis=1))


def check_class_labels(T: np.ndarray, k: int, *, owner: str, name: str = "target") -> np.ndarray:
    """Check that 1-D ``T`` holds class labels in ``[0, k)``; return them as integers.

    Floats that are whole numbers (``1.0``) are accepted and converted; NaN, inf and
    fractions are not, and neither are booleans.
    """
    kind = T.dtype.kind
    if kind in "iu":
        if T.size and (T.min() < 0 or T.max() >= k):
            raise ValueError(
                f"{owner} expected {name} labels in [0, {k}) for {k} outputs, got values in "
                f"[{T.min()}, {T.max()}]."
            )
        return T
    if kind != "f":
        raise TypeError(f"{owner} expected {name} as integer class labels, got dtype {T.dtype}.")
    # One pass on the happy path; the checks below only run to explain a failure.
    if T.size and not (np.all(T == np.round(T)) and T.min() >= 0 and T.max() < k):
        bad = nonfinite_rows(T)
        if bad.size:
            raise ValueError(
                f"{owner} expected {name} as class labels in [0, {k}), got {T[bad[0]]} at "
                f"index {bad[0]} ({len(bad)} NaN or inf label(s) in all)."
            )
        frac = np.flatnonzero(T != np.round(T))
        if frac.size:
            raise TypeError(
                f"{owner} expected {name} as integer class labels, got dtype {T.dtype} with "
                f"the non-integral value {T[frac[0]]:g} at index {frac[0]}."
            )
        raise ValueError(
            f"{owner} expected {name} labels in [0, {k}) for {k} outputs, got values in "
            f"[{int(T.min())}, {int(T.max())}]."
        )
    return T.astype(np.int64)
