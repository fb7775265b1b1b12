"""The PyTorch bridge (``nnlab.torch``): every layer type's forward, parameter and input
gradients and 5 training steps against PyTorch; round trips both ways; every optimizer x loss
for 5 steps; optimizer state moved across mid-training, both ways; clear errors; copies, the
lazy import and torch's random state left alone."""

# ruff: noqa: E402 (the imports after importorskip need PyTorch)
import inspect

import pytest

torch = pytest.importorskip("torch")

import numpy as np
from helpers import loaded_by_import, nnlab_steps, torch_steps
from torch import nn

import nnlab as nl
import nnlab.torch as nt
from nnlab.torch import (
    RNNOutput,
    as_array,
    flat_grads,
    from_torch,
    loss_from_torch,
    loss_to_torch,
    optimizer_from_torch,
    optimizer_to_torch,
    parameter_map,
    to_torch,
)

DTYPES = [np.float64, np.float32]


def tol(dtype, float64=1e-10):
    return 1e-5 if dtype == np.float32 else float64


def assert_close(actual, expected, dtype):
    """max |actual - expected| <= tol * max |expected|: 1e-10 in float64, 1e-5 in float32."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= tol(dtype) * np.abs(expected).max()


def assert_forward_close(actual, expected, dtype):
    np.testing.assert_allclose(actual, expected, rtol=tol(dtype, 1e-12), atol=tol(dtype, 1e-12))


def torch_params(module):
    """A module's parameters in nnlab's order and layout (as ``flat_params``)."""
    parts = [
        (
            as_array(t if rows is None else t[rows]).T
            if tr
            else as_array(t if rows is None else t[rows])
        )
        for t, tr, rows in parameter_map(module)
    ]
    return np.concatenate([p.ravel() for p in parts])


def D(n_in, n_out):
    return nl.Dense(n_in, n_out, rng=n_out)


def seq(*layers):
    return nl.Sequential(list(layers))


def conv(c_in, c_out, kernel, stride=1, padding=0):
    return nl.Conv2D(c_in, c_out, kernel, stride=stride, padding=padding, rng=0)


F = nl.Flatten


def around(layer):
    """Dense, the layer, Dense: a layer without parameters between two that have some."""
    return (4,), lambda: [D(4, 6), layer(), D(6, 3)]


# One small network per layer type (and per path through it): (sample shape, its layers).
LAYERS = {
    "Dense": ((4,), lambda: [D(4, 5), D(5, 3)]),
    "Identity": around(nl.Identity),
    "Sigmoid": around(nl.Sigmoid),
    "Tanh": around(nl.Tanh),
    "ReLU": around(nl.ReLU),
    "LeakyReLU": around(lambda: nl.LeakyReLU(0.2)),
    "Softmax": around(nl.Softmax),
    "Dropout p=0": around(lambda: nl.Dropout(0.0, rng=0)),
    "Conv2D s2 p1": ((2, 8, 8), lambda: [conv(2, 3, 3, stride=2, padding=1), F(), D(48, 3)]),
    "Conv2D 2x3": ((2, 6, 6), lambda: [conv(2, 2, (2, 3), (1, 2), (0, 1)), F(), D(30, 3)]),
    "MaxPool2D": ((1, 6, 6), lambda: [conv(1, 2, 3, 1, 1), nl.MaxPool2D(2), F(), D(18, 3)]),
    "MaxPool2D 3 s2": ((1, 6, 6), lambda: [conv(1, 2, 3, 1, 1), nl.MaxPool2D(3, 2), F(), D(8, 3)]),
    "RNN": ((4, 3), lambda: [nl.RNN(3, 5, rng=0), D(5, 2)]),
    "RNN sequences": ((5, 3), lambda: [nl.RNN(3, 4, return_sequences=True, rng=0), F(), D(20, 2)]),
    "nested Sequential": (
        (3,),
        lambda: [
            D(3, 4),
            nl.Tanh(),
            seq(D(4, 5), nl.LeakyReLU(0.2), seq(nl.Dropout(0.0), D(5, 4))),
        ],
    ),
}
EVAL_ONLY = {"Dropout p=0.5": around(lambda: nl.Dropout(0.5, rng=0))}


def setup(case, dtype, n=5, seed=0):
    """The network in ``dtype`` with every parameter nudged off its initial value (biases not
    0), an input and a float target of the output's shape."""
    sample_shape, layers = case
    net = nl.Sequential(layers()).astype(dtype)
    rng = np.random.default_rng(seed)
    net.flat_params += 0.1 * rng.normal(size=net.flat_params.shape)
    X = rng.normal(size=(n, *sample_shape)).astype(dtype)
    return net, X, rng.normal(size=net.forward(X, cache=False).shape).astype(dtype)


# -- every layer type: forward, gradients, input gradient, 5 steps -----------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", LAYERS)
def test_forward_and_gradients_agree(name, dtype):
    """Training forward, dL/dparams (in flat_grads order) and dL/dX after one backward."""
    net, X, y = setup(LAYERS[name], dtype)
    module, loss = to_torch(net), nl.MSELoss()
    assert module.training
    Xt = torch.tensor(X, requires_grad=True)
    out, out_t = net.forward(X), module(Xt)
    assert as_array(out_t).dtype == dtype
    assert_forward_close(as_array(out_t), out, dtype)
    loss(out, y)
    dX = net.backward(loss.backward())
    loss_to_torch(loss)(out_t, torch.tensor(y)).backward()
    assert_close(flat_grads(module), net.flat_grads, dtype)
    assert_close(as_array(Xt.grad), dX, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", [*LAYERS, *EVAL_ONLY])
def test_inference_forward_agrees(name, dtype):
    """``forward(X, cache=False)`` is ``module.eval()``'s forward (Dropout p > 0 included)."""
    net, X, _ = setup({**LAYERS, **EVAL_ONLY}[name], dtype)
    with torch.no_grad():
        out_t = as_array(to_torch(net).eval()(torch.tensor(X)))
    assert_forward_close(out_t, net.forward(X, cache=False), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", LAYERS)
def test_five_steps_agree(name, dtype):
    """5 steps of SGD with momentum: the losses and the final parameters."""
    net, X, y = setup(LAYERS[name], dtype)
    module, loss = to_torch(net), nl.MSELoss()
    opt = nl.SGD(net.parameters(), lr=0.05, momentum=0.9)
    torch_opt = optimizer_to_torch(opt, module)
    ours = nnlab_steps(net, opt, loss, X, y, 5)
    theirs = torch_steps(module, torch_opt, loss_to_torch(loss), X, y, 5)
    assert_close(theirs, ours, dtype)
    assert_close(torch_params(module), net.flat_params, dtype)


# -- round trips ------------------------------------------------------------------------

HYPER = ("n_in", "n_out", "n_hidden", "return_sequences", "in_channels", "out_channels")
HYPER += ("kernel_size", "stride", "padding", "p", "alpha")


def describe(layer):
    """Type and hyperparameters of a layer, recursively for a Sequential."""
    if isinstance(layer, nl.Sequential):
        return [describe(la) for la in layer.layers]
    return type(layer).__name__, {k: getattr(layer, k) for k in HYPER if hasattr(layer, k)}


ROUND_TRIP = {
    "MLP": lambda: [
        *[D(4, 6), nl.LeakyReLU(0.2), nl.Dropout(0.3, rng=0)],
        *[seq(D(6, 5), nl.Sigmoid(), nl.Identity()), D(5, 3), nl.Softmax()],
    ],
    "CNN": lambda: [
        *[conv(2, 3, (3, 2), (2, 1), (1, 0)), nl.ReLU()],
        *[nl.MaxPool2D(2, stride=(2, 1)), nl.Flatten(), D(18, 3), nl.Tanh()],
    ],
    "RNN": lambda: [nl.RNN(3, 4, return_sequences=True, rng=0), nl.RNN(4, 5, rng=1)],
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ROUND_TRIP)
def test_round_trip_is_exact(name, dtype):
    net = nl.Sequential(ROUND_TRIP[name]()).astype(dtype)
    net.flat_params += np.random.default_rng(0).normal(size=net.flat_params.shape)
    back = from_torch(to_torch(net))
    assert back.dtype == net.dtype == dtype
    assert np.array_equal(back.flat_params, net.flat_params)
    assert describe(back) == describe(net)


def test_single_layer_and_single_module():
    assert isinstance(to_torch(nl.Dense(3, 2, rng=0)), nn.Linear)
    assert describe(from_torch(nn.Conv2d(1, 2, 3, stride=2))) == describe(seq(conv(1, 2, 3, 2)))


def test_torch_model_to_nnlab_and_back():
    """Models built in torch (an RNN with both biases non-zero): the same forward in nnlab,
    and to_torch of that gives the same outputs again."""
    X = np.random.default_rng(0).normal(size=(5, 4, 3))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        mlp = nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.ReLU(), nn.Linear(6, 2))
        rnn = nn.Sequential(RNNOutput(nn.RNN(3, 4, batch_first=True)), nn.Linear(4, 2))
    for model, dtype in [(mlp, np.float32), (mlp.double, np.float64), (rnn.double, np.float64)]:
        model = model if isinstance(model, nn.Module) else model()  # .double() is in place
        net, Xd = from_torch(model), X.astype(dtype)
        assert net.dtype == dtype
        with torch.no_grad():
            expected = as_array(model(torch.tensor(Xd)))
            again = as_array(to_torch(net)(torch.tensor(Xd)))
        assert_forward_close(net.forward(Xd, cache=False), expected, dtype)
        assert_forward_close(again, expected, dtype)


def test_float32_model_with_parameter_free_block():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.ReLU(), nn.Identity()), nn.Linear(4, 2))
    assert from_torch(model).dtype == np.float32


@pytest.mark.parametrize("kind", [nl.MSELoss, nl.SoftmaxCrossEntropy, nl.BinaryCrossEntropy])
def test_loss_round_trip(kind):
    assert type(loss_from_torch(loss_to_torch(kind()))) is kind


# -- every optimizer x every loss: 5 steps; settings both ways ---------------------------

OPTIMIZERS = {  # class name (the same in nnlab and torch.optim) and settings
    "SGD": ("SGD", dict(lr=0.1)),
    "SGD momentum": ("SGD", dict(lr=0.1, momentum=0.9)),
    "SGD nesterov wd": ("SGD", dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.05)),
    "Adam": ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    "Adam weight_decay": ("Adam", dict(lr=0.01, weight_decay=0.1)),
    "AdamW": ("AdamW", dict(lr=0.01, weight_decay=0.2)),
}


def nnlab_opt(name, params):
    kind, settings = OPTIMIZERS[name]
    return getattr(nl, kind)(params, **settings)


def torch_opt_of(name, params):
    kind, settings = OPTIMIZERS[name]
    return getattr(torch.optim, kind)(params, **settings)


def mlp_problem(loss_name, dtype):
    """A Dense-Tanh-Dense network, an input and a target for the loss: int labels (int64 in
    torch), 0/1 floats of the output's shape, or normal floats."""
    net, X, y = setup(((4,), lambda: [D(4, 6), nl.Tanh(), D(6, 3)]), dtype, n=6, seed=1)
    rng = np.random.default_rng(2)
    if loss_name == "SoftmaxCrossEntropy":
        y = rng.integers(0, 3, size=6)
    elif loss_name == "BinaryCrossEntropy":
        y = rng.integers(0, 2, size=y.shape).astype(dtype)
    return net, X, y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss_name", ["MSELoss", "SoftmaxCrossEntropy", "BinaryCrossEntropy"])
@pytest.mark.parametrize("opt_name", OPTIMIZERS)
def test_optimizer_and_loss_five_steps(opt_name, loss_name, dtype):
    net, X, y = mlp_problem(loss_name, dtype)
    loss, module = getattr(nl, loss_name)(), to_torch(net)
    opt = nnlab_opt(opt_name, net.parameters())
    torch_opt = optimizer_to_torch(opt, module)
    ours = nnlab_steps(net, opt, loss, X, y, 5)
    theirs = torch_steps(module, torch_opt, loss_to_torch(loss), X, y, 5)
    assert_close(theirs, ours, dtype)
    assert_close(torch_params(module), net.flat_params, dtype)


@pytest.mark.parametrize("opt_name", OPTIMIZERS)
def test_optimizer_settings_both_ways(opt_name):
    """optimizer_to_torch builds what torch would; optimizer_from_torch reads every setting."""
    net = seq(D(3, 2))
    module = to_torch(net)
    mine = optimizer_to_torch(nnlab_opt(opt_name, net.parameters()), module)
    reference = torch_opt_of(opt_name, module.parameters())
    keys = ("lr", "momentum", "dampening", "nesterov", "weight_decay", "betas", "eps", "amsgrad")
    pick = [{k: o.param_groups[0].get(k) for k in (*keys, "maximize")} for o in (mine, reference)]
    assert type(mine) is type(reference) and pick[0] == pick[1]
    back = optimizer_from_torch(reference, module, net)
    expected = nnlab_opt(opt_name, seq(D(3, 2)).parameters())
    assert type(back) is type(expected) and repr(back) == repr(expected)


# -- optimizer state moved mid-training ---------------------------------------------------

RNN_NET = ((4, 3), lambda: [nl.RNN(3, 4, rng=0), D(4, 3)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("opt_name", OPTIMIZERS)
@pytest.mark.parametrize("start_in", ["nnlab", "torch"])
def test_state_moves_across(start_in, opt_name, dtype):
    """3 steps in one library, the optimizer moved (state and step count included) to the
    other, then 3 more steps in each from there: the same steps."""
    net, X, y = setup(RNN_NET, dtype)
    loss, module = nl.MSELoss(), to_torch(net)
    if start_in == "nnlab":
        opt = nnlab_opt(opt_name, net.parameters())
        nnlab_steps(net, opt, loss, X, y, 3)
        module = to_torch(net)
        torch_opt = optimizer_to_torch(opt, module)
    else:  # torch's own optimizer, not one optimizer_to_torch made
        torch_opt = torch_opt_of(opt_name, module.parameters())
        torch_steps(module, torch_opt, nn.MSELoss(), X, y, 3)
        net = from_torch(module)
        opt = optimizer_from_torch(torch_opt, module, net)
        assert opt.updates(net.flat_params) and getattr(opt, "t", 3) == 3
    theirs = torch_steps(module, torch_opt, loss_to_torch(loss), X, y, 3)
    ours = nnlab_steps(net, opt, loss, X, y, 3)
    assert_close(theirs, ours, dtype)
    assert_close(torch_params(module), net.flat_params, dtype)


def test_adam_with_decoupled_weight_decay_from_torch():
    if "decoupled_weight_decay" not in inspect.signature(torch.optim.Adam).parameters:
        pytest.skip("this torch's Adam has no decoupled_weight_decay")
    net, X, y = setup(RNN_NET, np.float64)
    module = to_torch(net)
    torch_opt = torch.optim.Adam(
        module.parameters(), lr=0.01, weight_decay=0.2, decoupled_weight_decay=True
    )
    opt = optimizer_from_torch(torch_opt, module, net)
    ours = nnlab_steps(net, opt, nl.MSELoss(), X, y, 3)
    assert_close(torch_steps(module, torch_opt, nn.MSELoss(), X, y, 3), ours, np.float64)


# -- clear errors ---------------------------------------------------------------------------


class Twice(nl.Identity):
    """A subclass of a supported layer: not silently exported as its parent."""


@pytest.mark.parametrize(
    "obj, match",
    [
        ("a network", "to_torch expected an nnlab layer"),
        (np.zeros(3), "to_torch expected an nnlab layer"),
        (seq(D(2, 2), Twice()), "no PyTorch counterpart for Twice; supported layers"),
    ],
)
def test_to_torch_refuses(obj, match):
    with pytest.raises(TypeError, match=match):
        to_torch(obj)


def rnn(**kwargs):
    return RNNOutput(nn.RNN(3, 4, **{"batch_first": True, **kwargs}))


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: "a model", TypeError, "expected a torch.nn.Module"),
        (nn.GELU, TypeError, "no nnlab layer for GELU; supported modules: .*nn.Linear"),
        (lambda: nn.Sequential(nn.Linear(3, 3), nn.GroupNorm(1, 3)), TypeError, "GroupNorm;"),
        (lambda: nn.RNN(3, 4, batch_first=True), TypeError, "RNN .wrap it: nnlab.torch.RNNOutput"),
        (lambda: nn.Linear(3, 2, bias=False), ValueError, "no bias"),
        (lambda: nn.Conv2d(1, 2, 3, dilation=2), ValueError, "dilation"),
        (lambda: nn.Conv2d(2, 2, 3, groups=2), ValueError, "groups"),
        (lambda: nn.Conv2d(1, 2, 3, padding="same"), ValueError, "string padding"),
        (lambda: nn.MaxPool2d(2, ceil_mode=True), ValueError, "ceil_mode"),
        (lambda: nn.MaxPool2d(2, padding=1), ValueError, "padding"),
        (lambda: nn.Flatten(start_dim=2), ValueError, "start_dim"),
        (lambda: nn.Softmax(dim=0), ValueError, "dim other than 1"),
        (lambda: rnn(bidirectional=True), ValueError, "two directions"),
        (lambda: rnn(num_layers=2), ValueError, "more than one layer"),
        (lambda: rnn(nonlinearity="relu"), ValueError, "non-tanh"),
        (lambda: rnn(batch_first=False), ValueError, "batch_first=False"),
        (lambda: nn.Linear(3, 2).half(), TypeError, "float32 or float64.*float16"),
    ],
)
def test_from_torch_refuses(make, error, match):
    with pytest.raises(error, match=match):
        from_torch(make())


@pytest.mark.parametrize(
    "convert, loss, error, match",
    [
        (loss_to_torch, nl.ReLU(), TypeError, "loss_to_torch expected one of MSELoss"),
        (loss_to_torch, "mse", TypeError, "got str"),
        (loss_from_torch, nn.MSELoss(reduction="sum"), ValueError, "sets reduction"),
        (loss_from_torch, nn.CrossEntropyLoss(label_smoothing=0.1), ValueError, "label_smoothing"),
        (loss_from_torch, nn.CrossEntropyLoss(weight=torch.ones(3)), ValueError, "sets weight"),
        (loss_from_torch, nn.BCEWithLogitsLoss(pos_weight=torch.ones(1)), ValueError, "pos_weight"),
        (loss_from_torch, nn.L1Loss(), TypeError, "loss_from_torch expected.*got L1Loss"),
        (loss_from_torch, nn.BCELoss(), TypeError, "got BCELoss"),  # on probabilities, not logits
        (loss_from_torch, nn.CrossEntropyLoss(ignore_index=0), ValueError, "ignore_index"),
    ],
)
def test_loss_conversion_refuses(convert, loss, error, match):
    with pytest.raises(error, match=match):
        convert(loss)


def test_optimizer_to_torch_refuses():
    net = seq(D(3, 2))
    opt = nl.Adam(net.parameters())
    with pytest.raises(ValueError, match="updates 8 numbers but the module's parameters hold 6"):
        optimizer_to_torch(opt, nn.Linear(2, 2).double())
    with pytest.raises(TypeError, match="optimizer_to_torch expected an nnlab SGD, Adam or AdamW"):
        optimizer_to_torch("adam", to_torch(net))


def test_optimizer_to_torch_refuses_another_dtype():
    net, X, y = setup(RNN_NET, np.float64)
    opt = nl.Adam(net.parameters())
    nnlab_steps(net, opt, nl.MSELoss(), X, y, 1)
    with pytest.raises(ValueError, match="dtype"):
        optimizer_to_torch(opt, to_torch(net.astype(np.float32)))


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda p: torch.optim.SGD(p, 0.1, momentum=0.9, dampening=0.5), ValueError, "dampening="),
        (lambda p: torch.optim.Adam(p, amsgrad=True), ValueError, "amsgrad=True"),
        (lambda p: torch.optim.SGD(p, lr=0.1, maximize=True), ValueError, "maximize=True"),
        (
            lambda p: torch.optim.SGD([{"params": p[:1]}, {"params": p[1:], "lr": 0.2}], lr=0.1),
            ValueError,
            "groups differ in lr",
        ),
        (lambda p: torch.optim.RMSprop(p), TypeError, "expected torch.optim.SGD.*got RMSprop"),
        (lambda p: torch.optim.SGD(p[:1], lr=0.1), ValueError, "not those of the module"),
    ],
)
def test_optimizer_from_torch_refuses(make, error, match):
    net = seq(D(3, 2))
    module = to_torch(net)
    with pytest.raises(error, match=match):
        optimizer_from_torch(make(list(module.parameters())), module, net)


def test_trainable_rnn_bias_hh_is_refused():
    """nnlab has one RNN bias: an optimizer that also trains bias_hh cannot move across."""
    module = nn.Sequential(rnn()).double()
    with pytest.raises(ValueError, match="bias_hh"):
        optimizer_from_torch(
            torch.optim.SGD(module.parameters(), lr=0.1), module, from_torch(module)
        )


def test_flat_grads_before_backward():
    with pytest.raises(ValueError, match=r"no gradient yet; call loss\.backward"):
        flat_grads(to_torch(seq(D(3, 2))))


@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda n: {"m": np.ones(n)}, "expected the keys"),
        (lambda n: {"m": np.ones(n), "v": np.ones(n), "velocity": np.ones(n)}, "expected the keys"),
        (lambda n: {"m": np.ones(n), "v": np.ones(n + 1)}, "'v' must be a real vector"),
        (lambda n: {"m": np.ones(n), "v": np.full(n, np.nan)}, "'v' must be finite"),
        (lambda n: [np.ones(n), np.ones(n)], "expected the keys"),
    ],
)
def test_load_state_vectors_refuses_and_changes_nothing(bad, match):
    net, X, y = mlp_problem("MSELoss", np.float64)
    opt = nl.Adam(net.parameters(), lr=0.01)
    nnlab_steps(net, opt, nl.MSELoss(), X, y, 2)
    before = opt.state_vectors()
    with pytest.raises(ValueError, match=match):
        opt.load_state_vectors(bad(opt.n_params))
    np.testing.assert_equal(opt.state_vectors(), before)
    assert opt.t == 2


# -- copies, the lazy import, torch's random state ----------------------------------------


def test_conversions_copy():
    net = nl.Sequential(ROUND_TRIP["RNN"]())
    params = net.flat_params.copy()
    module = to_torch(net)
    with torch.no_grad():
        for p, _, _ in parameter_map(module):
            p.add_(1.0)
    assert np.array_equal(net.flat_params, params)
    in_torch = torch_params(module)
    net.flat_params += 1.0
    assert np.array_equal(torch_params(module), in_torch)
    back = from_torch(module)
    with torch.no_grad():
        for p, _, _ in parameter_map(module):
            p.mul_(2.0)
    assert np.array_equal(back.flat_params, in_torch)


def test_flat_grads_is_a_copy():
    module = to_torch(seq(D(3, 2)))
    module(torch.ones(4, 3, dtype=torch.float64)).sum().backward()
    flat_grads(module)[:] = 0.0
    assert np.array_equal(flat_grads(module)[-2:], [4.0, 4.0])  # d(sum)/db: the batch size


def test_import_nnlab_does_not_import_torch():
    assert loaded_by_import("nnlab", ["torch"]) == []
    assert nl.torch is nt and nl.torch.to_torch is to_torch


def test_to_torch_leaves_torch_rng_alone():
    state = torch.get_rng_state()
    to_torch(seq(conv(1, 2, 3), nl.Flatten(), D(8, 3), nl.Sigmoid()))
    to_torch(seq(nl.RNN(3, 4, return_sequences=True, rng=0), nl.RNN(4, 2, rng=1)))
    assert torch.equal(torch.get_rng_state(), state)


def test_optimizer_from_torch_refuses_partial_state():
    net, X, y = setup(RNN_NET, np.float64)
    module = to_torch(net)
    torch_opt = torch.optim.Adam(module.parameters(), lr=0.01)
    first = next(module.parameters())
    first.requires_grad_(False)  # frozen for a step: it gets no state
    torch_steps(module, torch_opt, nn.MSELoss(), X, y, 1)
    first.requires_grad_(True)
    with pytest.raises(ValueError, match="some have none"):
        optimizer_from_torch(torch_opt, module, from_torch(module))
