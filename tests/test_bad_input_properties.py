"""Property tests (issue 11): random bad input never crashes nnlab, and a failing call changes
nothing.

For every public entry point, hypothesis builds a valid call and spoils up to two of its
arguments with inputs a new user might pass by mistake: wrong shapes, dtypes (str, object,
complex, bool, float16), NaN and inf, empty arrays, None, lists (often ragged), dicts, zero or
negative sizes. Two properties:

1. The only exceptions that escape are ``ValueError``, ``TypeError``, ``RuntimeError``,
   ``FloatingPointError`` and ``OverflowError``, and each message names the object or the
   argument (a class, function or parameter name): no raw NumPy or Python message, and no
   warning (pytest turns warnings into errors) reaches the user.
2. A call on a network that raises leaves ``net.flat_params`` bit-for-bit unchanged.
"""

from __future__ import annotations

import copy
import operator
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnlab as nl
from nnlab.graph import Value

ALLOWED = (ValueError, TypeError, RuntimeError, FloatingPointError, OverflowError)

LAYER_NAMES = ("Sequential", "Dense", "ReLU", "Tanh", "Sigmoid", "Softmax", "LeakyReLU", "Identity")
LOSS_NAMES = ("MSELoss", "SoftmaxCrossEntropy", "BinaryCrossEntropy")
OPTIMIZER_NAMES = ("SGD", "Adam", "AdamW", "Optimizer")


def outcome(call, *names):
    """Run ``call()``; return ``(True, result)``, or ``(False, error)`` for an allowed error.

    Any other exception propagates (and fails the test); an allowed one must name one of
    ``names`` as a whole word. NumPy's floating-point warnings are silenced: NaN or inf data
    legitimately gives NaN through a forward pass, which does not scan its input (that would
    cost a pass per step). Every other warning (complex parts discarded, deprecations) is
    still an error.
    """
    try:
        with np.errstate(all="ignore"):
            return True, call()
    except ALLOWED as err:
        message = str(err)
        pattern = r"(?<![A-Za-z_])(?:" + "|".join(map(re.escape, names)) + r")(?![A-Za-z_])"
        assert re.search(pattern, message), (
            f"{type(err).__name__} names none of {names}: {message!r}"
        )
        return False, err


def unchanged(net, before: bytes, ok: bool) -> None:
    """Property 2: a call that raised left the weights as they were."""
    if not ok:
        assert net.flat_params.tobytes() == before, "a failing call changed the weights"


def spoil(data, valid: dict, bad: dict, most: int = 2) -> dict:
    """Draw every argument from ``valid``, except up to ``most`` drawn from ``bad``."""
    spoilt = data.draw(st.sets(st.sampled_from(list(valid)), max_size=most), label="spoilt")
    return {k: data.draw(bad[k] if k in spoilt else valid[k], label=k) for k in valid}


# ---- strategies ----------------------------------------------------------------------------

DTYPES = ["f8", "f4", "f2", "i8", "i1", "u1", "?", "c16", "O", "U3"]


def elements_for(dtype: np.dtype, bound: float | None):
    if dtype.kind == "f":
        finite = (
            st.floats(-bound, bound, width=8 * dtype.itemsize)
            if bound
            else st.floats(width=8 * dtype.itemsize, allow_nan=False, allow_infinity=False)
        )
        return st.one_of(finite, st.sampled_from([np.nan, np.inf, -np.inf, 0.0]))
    if dtype.kind == "c":
        return st.complex_numbers(max_magnitude=bound or 1e6, allow_nan=False)
    if dtype.kind == "O":
        return st.one_of(st.none(), st.integers(-3, 3), st.floats(-3, 3), st.text(max_size=2))
    if dtype.kind == "U":
        return st.text(alphabet="ab1.", max_size=3)
    return None  # hypothesis' defaults for integers and booleans


@st.composite
def arrays(draw, shape=None, bound: float | None = 10.0):
    """An array of any dtype; of ``shape`` about half the time, else of any small shape."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
    if shape is not None:
        shapes = st.one_of(st.just(shape), shapes)
    return draw(hnp.arrays(dtype, draw(shapes), elements=elements_for(dtype, bound)))


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -1.0, 1e308]),
    st.text(max_size=3),
    st.complex_numbers(max_magnitude=3, allow_nan=False),
    st.dictionaries(st.text(max_size=1), st.integers(), max_size=2),
    st.lists(st.lists(st.floats(-3, 3), max_size=3), max_size=3),  # often ragged
    st.lists(st.one_of(st.integers(-2, 2), st.text(max_size=1)), max_size=3),
    st.builds(object),
)
BAD_RNG = st.one_of(st.floats(-1, 1), JUNK)
NUMBER = st.one_of(st.floats(allow_nan=True), st.integers(-5, 5), JUNK)


def bad(shape=None, bound: float | None = 10.0):
    """Junk of any kind, or an array that is perhaps of the wrong shape, dtype or values."""
    return st.one_of(JUNK, arrays(shape, bound), st.builds(np.ndarray.tolist, arrays(shape)))


def floats(shape, lo=-3.0, hi=3.0, dtype=np.float64):
    return hnp.arrays(dtype, shape, elements=st.floats(lo, hi, width=np.dtype(dtype).itemsize * 8))


def labels(n, k):
    return hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1))


def targets(kind: str, n: int, k: int):
    """Valid targets of ``n`` rows for ``k`` outputs and the loss ``kind``."""
    if kind == "SoftmaxCrossEntropy":
        return st.one_of(labels(n, k), labels(n, k).map(lambda y: np.eye(k)[y]))
    if kind == "BinaryCrossEntropy":
        return floats((n, k), 0.0, 1.0)
    return floats((n, k))


LOSSES = {cls.__name__: cls for cls in (nl.MSELoss, nl.SoftmaxCrossEntropy, nl.BinaryCrossEntropy)}


def make_loss(name):
    """A loss from its class name; anything else (junk) is passed through."""
    return LOSSES[name]() if isinstance(name, str) and name in LOSSES else name


def tiny_net(sizes=(2, 3, 2), activation="tanh", dtype=np.float64):
    return nl.mlp(list(sizes), activation, rng=0, dtype=dtype)


NETS = st.sampled_from(["layer", "none", "list", "dict", "float32-net"])


def pass_as(kind: str, net):
    """What is passed as ``net``: the network itself, or a mistake."""
    return {
        "net": net,
        "layer": net.layers[0],
        "none": None,
        "list": net.layers,
        "dict": {"layers": net.layers},
        "float32-net": net.astype(np.float32),
    }[kind]


# ---- layers and networks -------------------------------------------------------------------


@settings(max_examples=80)
@given(data=st.data())
def test_dense_construction(data):
    args = spoil(
        data,
        valid={
            "n_in": st.integers(1, 5),
            "n_out": st.integers(1, 5),
            "init": st.sampled_from(["he", "xavier", "normal", "zeros"]),
            "rng": st.integers(0, 5),
            "dtype": st.sampled_from([np.float32, "float64"]),
        },
        bad={
            "n_in": st.one_of(st.integers(-2, 0), NUMBER),
            "n_out": st.one_of(st.integers(-2, 0), NUMBER),
            "init": st.one_of(
                st.just("kaiming"), JUNK, st.builds(lambda W: lambda a, b, rng: W, bad((2, 3)))
            ),
            "rng": BAD_RNG,
            "dtype": st.one_of(st.sampled_from([np.int32, "f2", "c16", "U3", object]), JUNK),
        },
    )
    n_in, n_out = args.pop("n_in"), args.pop("n_out")
    ok, layer = outcome(lambda: nl.Dense(n_in, n_out, **args), "Dense", *args, "n_in", "n_out")
    if ok:
        assert layer.W.shape == (n_in, n_out) and np.isfinite(layer.W).all()


@settings(max_examples=100)
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64]))
def test_dense_forward_backward(data, dtype):
    args = spoil(
        data,
        valid={"X": floats((5, 3)), "dZ": floats((5, 4)), "cache": st.just(True)},
        bad={"X": bad((5, 3)), "dZ": bad((5, 4)), "cache": st.just(False)},
    )
    layer = nl.Dense(3, 4, rng=0, dtype=dtype)
    W = layer.W.copy()
    ok, Z = outcome(lambda: layer.forward(args["X"], cache=args["cache"]), "Dense")
    if ok:
        assert Z.shape == (len(Z), 4) and Z.dtype == dtype
    ok, dX = outcome(lambda: layer.backward(args["dZ"]), "Dense")
    if ok:
        assert dX.shape == (len(args["dZ"]), 3)
    np.testing.assert_array_equal(layer.W, W)


@settings(max_examples=100)
@given(
    data=st.data(),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "identity", "leaky_relu"]),
    softmax=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_sequential_forward_backward(data, activation, softmax, dtype):
    args = spoil(
        data,
        valid={"X": floats((5, 3)), "dZ": floats((5, 2)), "input_grad": st.booleans()},
        bad={"X": bad((5, 3)), "dZ": bad((5, 2)), "input_grad": JUNK},
    )
    layers = [
        nl.Dense(3, 4, rng=0, dtype=dtype),
        copy.deepcopy(nl.get_activation(activation)),
        nl.Dense(4, 2, rng=1, dtype=dtype),
    ]
    net = nl.Sequential([*layers, nl.Softmax()] if softmax else layers)
    before = net.flat_params.tobytes()
    ok, Z = outcome(lambda: net.forward(args["X"]), *LAYER_NAMES)
    unchanged(net, before, ok)
    if ok:
        assert Z.ndim == 2 and Z.shape[1] == 2 and Z.dtype == dtype
    ok, dX = outcome(
        lambda: net.backward(args["dZ"], input_grad=args["input_grad"]),
        *LAYER_NAMES,
        "input_grad",
    )
    unchanged(net, before, ok)
    if ok and dX is not None:
        assert dX.shape == (len(args["dZ"]), 3)


# ---- losses ---------------------------------------------------------------------------------


@settings(max_examples=100)
@given(data=st.data(), name=st.sampled_from(sorted(LOSSES)), backward_first=st.booleans())
def test_losses(data, name, backward_first):
    args = spoil(
        data,
        valid={"prediction": floats((4, 3)), "target": targets(name, 4, 3)},
        bad={
            "prediction": st.one_of(bad((4, 3), bound=None), floats((4, 3), dtype=np.float16)),
            "target": st.one_of(bad((4,)), bad((4, 3))),
        },
    )
    loss = LOSSES[name]()
    if backward_first:
        ok, _ = outcome(loss.backward, name)
        assert not ok
    ok, value = outcome(lambda: loss(args["prediction"], args["target"]), name)
    if ok:
        assert isinstance(value, float)
        assert loss.backward().shape == np.shape(args["prediction"])


# ---- training, prediction, accuracy --------------------------------------------------------


@st.composite
def validation_sets(draw, loss_name):
    return (draw(floats((3, 2))), draw(targets(loss_name, 3, 2)))


@settings(max_examples=100)
@given(data=st.data(), loss_name=st.sampled_from(sorted(LOSSES)))
def test_fit(data, loss_name):
    args = spoil(
        data,
        valid={
            "net": st.just("net"),
            "loss": st.just(loss_name),
            "optimizer": st.sampled_from(["SGD", "Adam", "AdamW"]),
            "X": floats((6, 2)),
            "y": targets(loss_name, 6, 2),
            "epochs": st.integers(1, 2),
            "batch_size": st.integers(1, 7),
            "rng": st.integers(0, 3),
            "validation_data": st.one_of(st.none(), validation_sets(loss_name)),
        },
        bad={
            "net": NETS,
            "loss": st.one_of(st.sampled_from(sorted(LOSSES)), JUNK),
            "optimizer": st.one_of(st.just("other-net"), JUNK),
            "X": bad((6, 2)),
            "y": st.one_of(bad((6,)), bad((6, 2)), bad((6, 1))),
            "epochs": st.one_of(st.integers(-1, 0), NUMBER),
            "batch_size": st.one_of(st.integers(-1, 0), NUMBER),
            "rng": BAD_RNG,
            "validation_data": st.one_of(
                st.tuples(bad((3, 2)), st.one_of(bad((3,)), bad((3, 2)))),
                st.tuples(floats((3, 2))),
                st.tuples(floats((4, 2)), labels(3, 2)),
                JUNK,
            ),
        },
    )
    net = tiny_net()
    loss = make_loss(args["loss"])
    optimizer = {
        "SGD": lambda: nl.SGD(net.parameters(), 0.1, momentum=0.5),
        "Adam": lambda: nl.Adam(net.parameters(), 0.01),
        "AdamW": lambda: nl.AdamW(net.parameters(), 0.01),
        "other-net": lambda: nl.SGD(tiny_net().parameters(), 0.1),
    }.get(
        args["optimizer"] if isinstance(args["optimizer"], str) else "", lambda: args["optimizer"]
    )()
    before = net.flat_params.tobytes()
    ok, history = outcome(
        lambda: nl.fit(
            pass_as(args["net"], net),
            loss,
            optimizer,
            args["X"],
            args["y"],
            epochs=args["epochs"],
            batch_size=args["batch_size"],
            rng=args["rng"],
            validation_data=args["validation_data"],
            progress=False,
        ),
        "fit",
        *args,
        *LAYER_NAMES,
        *LOSS_NAMES,
        *OPTIMIZER_NAMES,
    )
    unchanged(net, before, ok)
    if ok:
        # An optimizer of another network, or a copy of net, would train nothing: silently.
        assert args["optimizer"] != "other-net" and args["net"] != "float32-net"
        assert history.epochs == args["epochs"]
        assert np.isfinite(net.flat_params).all()


@settings(max_examples=100)
@given(data=st.data(), n_out=st.sampled_from([1, 3]))
def test_predict_and_accuracy(data, n_out):
    args = spoil(
        data,
        valid={
            "net": st.just("net"),
            "X": floats((5, 2)),
            "y": st.one_of(
                labels(5, max(n_out, 2)), labels(5, n_out).map(lambda y: np.eye(n_out)[y])
            ),
            "threshold": st.one_of(st.none(), st.floats(-1, 1)),
        },
        bad={
            "net": NETS,
            "X": bad((5, 2)),
            "y": st.one_of(bad((5,)), bad((5, n_out)), bad((5, 2))),
            "threshold": NUMBER,
        },
    )
    net = tiny_net((2, 3, n_out))
    passed = pass_as(args["net"], net)
    before = net.flat_params.tobytes()
    ok, out = outcome(lambda: nl.predict(passed, args["X"]), "predict", "net", "X", *LAYER_NAMES)
    unchanged(net, before, ok)
    if ok:
        assert out.ndim == 2 and len(out) == len(args["X"])
    ok, acc = outcome(
        lambda: nl.accuracy(passed, args["X"], args["y"], threshold=args["threshold"]),
        "accuracy",
        *args,
        *LAYER_NAMES,
    )
    unchanged(net, before, ok)
    if ok:
        assert 0.0 <= acc <= 1.0
    assert net.flat_params.tobytes() == before  # neither ever changes the weights


# ---- gradient checking ----------------------------------------------------------------------


@settings(max_examples=60)
@given(data=st.data(), loss_name=st.sampled_from(sorted(LOSSES)))
def test_gradcheck(data, loss_name):
    args = spoil(
        data,
        valid={
            "net": st.just("net"),
            "loss": st.just(loss_name),
            "X": floats((3, 2)),
            "y": targets(loss_name, 3, 2),
            "eps": st.floats(1e-7, 1e-3),
            "order": st.sampled_from([2, 4]),
        },
        bad={
            "net": NETS,
            "loss": st.one_of(st.sampled_from(sorted(LOSSES)), JUNK),
            "X": bad((3, 2)),
            "y": st.one_of(bad((3,)), bad((3, 2))),
            "eps": st.one_of(st.floats(-1, 0), NUMBER),
            "order": st.one_of(st.integers(-1, 6), JUNK),
        },
    )
    net = tiny_net()
    loss = make_loss(args["loss"])
    before = net.flat_params.tobytes()
    ok, errors = outcome(
        lambda: nl.gradcheck(
            pass_as(args["net"], net), loss, args["X"], args["y"], args["eps"], order=args["order"]
        ),
        "gradcheck",
        *args,
        *LAYER_NAMES,
        *LOSS_NAMES,
    )
    assert net.flat_params.tobytes() == before  # gradcheck works on a copy, pass or fail
    if ok:
        assert all(0.0 <= e <= 1.0 for e in errors.values())


@settings(max_examples=100)
@given(data=st.data())
def test_numerical_gradient(data):
    args = spoil(
        data,
        valid={
            "x": floats(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)),
            "returns": st.floats(-10, 10),
            "eps": st.floats(1e-6, 1e-2),
            "order": st.sampled_from([2, 4]),
        },
        bad={
            "x": st.one_of(JUNK, arrays()),
            "returns": st.one_of(JUNK, arrays()),
            "eps": st.one_of(st.floats(-1, 0), NUMBER),
            "order": st.one_of(st.integers(-1, 6), JUNK),
        },
    )
    returns = args.pop("returns")
    ok, grad = outcome(
        lambda: nl.numerical_gradient(
            lambda _: returns, args["x"], args["eps"], order=args["order"]
        ),
        "numerical_gradient",
        "f",
        *args,
    )
    if ok:
        assert grad.shape == np.shape(args["x"]) and grad.dtype == np.float64


# ---- optimizers -----------------------------------------------------------------------------


@st.composite
def spoilt_parameters(draw, net):
    """``net.parameters()`` with one entry spoilt, or junk instead of the list."""
    params = net.parameters()
    how = draw(
        st.sampled_from(
            ["junk", "duplicate", "grad-shape", "int", "transposed", "entry", "read-only", "net"]
        )
    )
    k = draw(st.integers(0, len(params) - 1))
    name, p, g = params[k]
    if how == "junk":
        return draw(JUNK)
    if how == "net":
        return net
    if how == "duplicate":
        params.append(params[k])
    elif how == "grad-shape":
        params[k] = (name, p, np.zeros(p.size + 1))
    elif how == "int":
        params[k] = (name, p.astype(np.int64), g)
    elif how == "transposed":
        params[k] = (name, p.T, g.T)
    elif how == "entry":
        params[k] = draw(st.one_of(JUNK, st.tuples(st.just(name), bad(p.shape), bad(g.shape))))
    elif how == "read-only":
        p.flags.writeable = False  # the network's own view: only this entry is read-only
    return params


BAD_HYPER = st.one_of(st.floats(-1, 0, exclude_max=True), st.floats(1, 2), NUMBER)


@settings(max_examples=100)
@given(data=st.data(), cls=st.sampled_from([nl.SGD, nl.Adam, nl.AdamW]))
def test_optimizers(data, cls):
    net = tiny_net()
    args = spoil(
        data,
        valid={
            "params": st.just(net.parameters()),
            "lr": st.floats(1e-4, 1.0),
            "a": st.floats(0, 0.99),
            "b": st.floats(0, 0.99),
            "flag": st.booleans(),
        },
        bad={
            "params": spoilt_parameters(net),
            "lr": st.one_of(st.floats(-1, 0), NUMBER),
            "a": BAD_HYPER,
            "b": BAD_HYPER,
            "flag": JUNK,
        },
    )
    params, lr, a, b = args["params"], args["lr"], args["a"], args["b"]
    if cls is nl.SGD:
        make = lambda: cls(params, lr, momentum=a, weight_decay=b, nesterov=args["flag"])  # noqa: E731
    else:
        make = lambda: cls(params, lr, betas=(a, b), weight_decay=a)  # noqa: E731
    before = net.flat_params.tobytes()
    ok, opt = outcome(
        make, cls.__name__, "lr", "momentum", "weight_decay", "nesterov", "betas", "params"
    )
    unchanged(net, before, ok)
    if ok:
        net.flat_grads[:] = 1.0
        opt.step()
        assert np.isfinite(net.flat_params).all()


# ---- data sets ------------------------------------------------------------------------------

GENERATORS = [nl.make_xor, nl.make_moons, nl.make_circles, nl.make_spirals, nl.make_sine]


@settings(max_examples=100)
@given(data=st.data(), make=st.sampled_from(GENERATORS))
def test_data_generators(data, make):
    args = spoil(
        data,
        valid={
            "n_samples": st.integers(3, 40),
            "noise": st.floats(0, 1),
            "rng": st.integers(0, 5),
            "extra": st.floats(0.1, 0.9) if make is nl.make_circles else st.integers(1, 3),
        },
        bad={
            "n_samples": st.one_of(st.integers(-2, 2), NUMBER),
            "noise": st.one_of(st.floats(-1, 0, exclude_max=True), st.floats(1e300), NUMBER),
            "rng": BAD_RNG,
            "extra": st.one_of(st.integers(-1, 0), st.floats(1, 2), NUMBER),
        },
    )
    extra = args.pop("extra")
    name = make.__name__
    kwargs = {"make_circles": {"factor": extra}, "make_spirals": {"n_classes": extra}}
    ok, out = outcome(
        lambda: make(args["n_samples"], args["noise"], args["rng"], **kwargs.get(name, {})),
        name,
        *args,
        "factor",
        "n_classes",
    )
    if ok:
        X, y = out
        assert len(X) == len(y) == args["n_samples"]
        assert np.isfinite(X).all() and np.isfinite(y).all()


def test_load_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    bunch = datasets.load_digits()  # read once: the arguments are what is under test

    @settings(max_examples=20)
    @given(data=st.data())
    def check(data):
        args = spoil(
            data,
            valid={"test_size": st.floats(0.05, 0.95), "rng": st.integers(0, 5)},
            bad={"test_size": st.one_of(st.floats(0.9999, 2), NUMBER), "rng": BAD_RNG},
        )
        ok, split = outcome(lambda: nl.load_digits(**args), "load_digits", *args)
        if ok:
            assert len(split.X_train) and len(split.X_test)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datasets, "load_digits", lambda: bunch)
        check()


# ---- scalar autodiff ------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-3, 3),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 710.0, 1e-310, 1e308]),
    st.integers(-(10**400), 10**400),  # mostly beyond float64
    st.integers(-3, 3),
)
UNARY = ["exp", "log", "tanh", "sigmoid", "relu", "__neg__"]
BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@settings(max_examples=150)
@given(
    x=st.one_of(NUMBERS, JUNK),
    other=st.one_of(NUMBERS, JUNK, NUMBERS.map(lambda v: ("Value", v))),
    op=st.sampled_from(UNARY + BINARY),
    reflected=st.booleans(),
)
def test_value_operations(x, other, op, reflected):
    def run():
        a = Value(x)
        if isinstance(op, str):
            out = getattr(a, op)()
        else:
            b = Value(other[1]) if isinstance(other, tuple) else other
            # Value ** Value and number ** Value are not supported: exponents are constants.
            out = op(b, a) if reflected and op is not operator.pow else op(a, b)
        out.backward()
        return out

    ok, out = outcome(run, "Value")
    if ok:
        assert np.isfinite(out.data) and np.isfinite(out.grad)


# ---- cases the draws above reach only by chance, pinned -----------------------------------


@pytest.mark.parametrize("dtype", ["nonsense", False, 3, [], {}])
def test_dense_uninterpretable_dtype(dtype):
    ok, _ = outcome(lambda: nl.Dense(2, 3, dtype=dtype), "Dense", "dtype")
    assert not ok


@pytest.mark.parametrize("returns", [[[], [0.0]], [[1.0], [1.0, 2.0]], [1.0, "a"]])
def test_numerical_gradient_f_returns_a_ragged_list(returns):
    ok, _ = outcome(
        lambda: nl.numerical_gradient(lambda _: returns, np.zeros(2)), "numerical_gradient", "f"
    )
    assert not ok


@pytest.mark.parametrize(
    "call",
    [
        lambda: Value(10**400),
        lambda: Value(1.0) + 10**400,
        lambda: Value(2.0) * -(10**400),
        lambda: 10**400 - Value(1.0),
        lambda: Value(2.0) ** 10**400,
    ],
)
def test_value_from_a_huge_int(call):
    ok, _ = outcome(call, "Value")
    assert not ok


def fit_setup():
    net = tiny_net()
    return net, nl.MSELoss(), nl.SGD(net.parameters(), 0.1), np.zeros((4, 2)), np.zeros((4, 2))


@pytest.mark.parametrize(
    "owner, call",
    [
        ("Dense", lambda: nl.Dense(2, 3, rng=-1)),
        ("mlp", lambda: nl.mlp([2, 3], rng=-1)),
        ("make_moons", lambda: nl.make_moons(10, rng=-1)),
        ("fit", lambda: nl.fit(*fit_setup(), epochs=1, rng=-1, progress=False)),
    ],
    ids=["Dense", "mlp", "make_moons", "fit"],
)
def test_negative_seed(owner, call):
    ok, _ = outcome(call, owner, "rng")
    assert not ok


@pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)
def test_noise_that_overflows_the_data(make):
    ok, out = outcome(lambda: make(200, 1e308, 0), make.__name__, "noise")
    assert not ok or all(np.isfinite(a).all() for a in out), "inf in the data, with no error"
