"""The PyTorch bridge for the layers of deep networks (``nnlab.torch``): LayerNorm, BatchNorm,
Embedding, LSTM, MultiHeadAttention and Residual against nn.LayerNorm, nn.BatchNorm1d/2d,
nn.Embedding, LSTMOutput, SelfAttention and ResidualBlock. Forward (training and inference),
parameter and input gradients, 5 steps of SGD and Adam, running statistics, exact round trips
both ways, optimizer state moved across, a transformer block, clear errors, torch's RNG."""

# ruff: noqa: E402 (the imports after importorskip need PyTorch)
import pytest

torch = pytest.importorskip("torch")

import numpy as np
from helpers import nnlab_steps, torch_steps
from torch import nn

import nnlab as nl
from nnlab.torch import (
    LSTMOutput,
    ResidualBlock,
    SelfAttention,
    as_array,
    flat_grads,
    from_torch,
    loss_to_torch,
    optimizer_from_torch,
    optimizer_to_torch,
    parameter_map,
    to_torch,
)

DTYPES = [np.float64, np.float32]
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}


def tol(dtype):
    return 1e-5 if dtype == np.float32 else 1e-10


def assert_close(actual, expected, dtype):
    """max |actual - expected| <= tol * max |expected|: 1e-10 in float64, 1e-5 in float32."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= tol(dtype) * np.abs(expected).max()


def torch_params(module):
    """A module's parameters in nnlab's order and layout (as ``flat_params``)."""
    parts = []
    for t, transposed, rows in parameter_map(module):
        a = as_array(t if rows is None else t[rows])
        parts.append((a.T if transposed else a).ravel())
    return np.concatenate(parts)


def D(n_in, n_out):
    return nl.Dense(n_in, n_out, rng=n_out)


def seq(*layers):
    return nl.Sequential(list(layers))


V = 6  # the vocabulary of the token cases
LN, BN, F, MHA = nl.LayerNorm, nl.BatchNorm, nl.Flatten, nl.MultiHeadAttention


def conv():
    return nl.Conv2D(2, 3, 3, padding=1, rng=0)


# One small network per layer type (and per path through it): (sample shape, its layers); a
# sample shape ("tokens", T) means integer token ids of shape (N, T). A Tanh or ReLU comes
# before BatchNorm: the gradient of a bias right before it is exactly 0.
CASES = {
    "LayerNorm": ((4,), lambda: [D(4, 5), LN(5, eps=1e-3), nl.Tanh(), D(5, 3)]),
    "LayerNorm sequences": ((3, 4), lambda: [LN(4), D(4, 2), F()]),
    "BatchNorm": ((4,), lambda: [D(4, 5), nl.Tanh(), BN(5, momentum=0.3, eps=1e-3), D(5, 3)]),
    "BatchNorm images": (
        (2, 4, 4),
        lambda: [conv(), nl.ReLU(), BN(3, momentum=0.2), F(), D(48, 2)],
    ),
    "Embedding": (("tokens", 5), lambda: [nl.Embedding(V, 3, rng=0), F(), D(15, 2)]),
    "PositionalEmbedding": (
        ("tokens", 5),
        lambda: [nl.Embedding(V, 3, rng=0), nl.PositionalEmbedding(7, 3, rng=1), F(), D(15, 2)],
    ),
    "LSTM": ((4, 3), lambda: [nl.LSTM(3, 5, rng=0), D(5, 2)]),
    "LSTM sequences": (
        (4, 3),
        lambda: [nl.LSTM(3, 4, return_sequences=True, rng=0), F(), D(16, 2)],
    ),
    "MultiHeadAttention": ((5, 4), lambda: [MHA(4, 2, rng=0), D(4, 3), F()]),
    "MultiHeadAttention causal": ((5, 4), lambda: [MHA(4, 2, causal=True, rng=0), F(), D(20, 2)]),
    "Residual": ((4,), lambda: [D(4, 5), nl.Residual(seq(D(5, 5), nl.Tanh())), D(5, 3)]),
}


def inputs(sample_shape, dtype, rng, n=6, shift=0.0):
    if sample_shape[0] == "tokens":
        return rng.integers(0, V, size=(n, *sample_shape[1:]))
    return (1 + shift) * rng.normal(size=(n, *sample_shape)).astype(dtype) + shift


def setup(case, dtype, seed=0):
    """The network in ``dtype`` with every parameter nudged off its initial value (no gamma 1,
    no bias 0), an input and a float target of the output's shape."""
    sample_shape, layers = case
    net = nl.Sequential(layers()).astype(dtype)
    rng = np.random.default_rng(seed)
    net.flat_params += 0.1 * rng.normal(size=net.flat_params.shape)
    X = inputs(sample_shape, dtype, rng)
    return net, X, rng.normal(size=net.forward(X, cache=False).shape).astype(dtype)


def warm_up(net, sample_shape, dtype, n=3):
    """A few training forwards, so that BatchNorm's running statistics are not the defaults."""
    rng = np.random.default_rng(99)
    for _ in range(n):
        net.forward(inputs(sample_shape, dtype, rng, shift=0.5))


def batch_norms(net):
    if isinstance(net, nl.Sequential):
        return [b for la in net.layers for b in batch_norms(la)]
    return [net] if isinstance(net, nl.BatchNorm) else []


def torch_batch_norms(module):
    return [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def assert_running_stats_agree(net, module, dtype):
    pairs = list(zip(batch_norms(net), torch_batch_norms(module), strict=True))
    for layer, m in pairs:
        assert_close(as_array(m.running_mean), layer.running_mean, dtype)
        assert_close(as_array(m.running_var), layer.running_var, dtype)
    return len(pairs)


def sequence_ce(out, y):
    """torch's cross-entropy of (N, T, K) logits: the classes second, as (N T, K)."""
    return nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


# -- 1-3: forward, gradients, 5 steps ----------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CASES)
def test_forward_agrees_in_training_and_inference(name, dtype):
    net, X, _ = setup(CASES[name], dtype)
    module = to_torch(net)
    out_t = module(torch.tensor(X))
    assert module.training and out_t.dtype == TORCH_DTYPES[dtype]
    assert_close(as_array(out_t), net.forward(X), dtype)
    assert_running_stats_agree(net, module, dtype)
    warm_up(net, CASES[name][0], dtype)
    module = to_torch(net).eval()
    for layer in batch_norms(net):
        assert not np.allclose(layer.running_mean, 0) and not np.allclose(layer.running_var, 1)
    with torch.no_grad():
        out_t = as_array(module(torch.tensor(X)))
    assert_close(out_t, net.forward(X, cache=False), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CASES)
def test_gradients_agree(name, dtype):
    """dL/dparams in flat_grads order, and dL/dX for a float input, after one backward."""
    net, X, y = setup(CASES[name], dtype)
    module, loss = to_torch(net), nl.MSELoss()
    floats = X.dtype.kind == "f"
    Xt = torch.tensor(X, requires_grad=floats)
    loss(net.forward(X), y)
    dX = net.backward(loss.backward())
    loss_to_torch(loss)(module(Xt), torch.tensor(y)).backward()
    assert_close(flat_grads(module), net.flat_grads, dtype)
    if floats:
        assert_close(as_array(Xt.grad), dX, dtype)


# Adam's eps is large here: MultiHeadAttention's b_k has a gradient of exactly 0 (a softmax
# ignores a shift of a row of scores), and Adam divides each library's rounding noise there
# (1e-16, 1e-7 in float32) by sqrt(v) + eps, which with eps = 1e-8 makes steps that differ.
ADAM = dict(lr=0.01, betas=(0.8, 0.99), eps=1e-2)
OPTIMIZERS = {
    "SGD momentum": lambda p: nl.SGD(p, lr=0.05, momentum=0.9),
    "Adam": lambda p: nl.Adam(p, **ADAM),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("opt_name", OPTIMIZERS)
@pytest.mark.parametrize("name", CASES)
def test_five_steps_agree(name, opt_name, dtype):
    """The losses at each step, the final parameters and BatchNorm's running statistics."""
    net, X, y = setup(CASES[name], dtype)
    module, loss = to_torch(net), nl.MSELoss()
    opt = OPTIMIZERS[opt_name](net.parameters())
    torch_opt = optimizer_to_torch(opt, module)
    ours = nnlab_steps(net, opt, loss, X, y, 5)
    theirs = torch_steps(module, torch_opt, loss_to_torch(loss), X, y, 5)
    assert_close(theirs, ours, dtype)
    assert_close(torch_params(module), net.flat_params, dtype)
    assert assert_running_stats_agree(net, module, dtype) == name.startswith("BatchNorm")


# -- 4: round trips --------------------------------------------------------------------------

HYPER = ("n_in", "n_out", "n_hidden", "n_features", "n_tokens", "d_model", "n_heads")
HYPER += ("eps", "momentum", "causal", "return_sequences")


def describe(layer):
    """Type and hyperparameters of a layer, recursively for a Sequential (and Residual)."""
    if isinstance(layer, nl.Sequential):
        return type(layer).__name__, [describe(la) for la in layer.layers]
    return type(layer).__name__, {k: getattr(layer, k) for k in HYPER if hasattr(layer, k)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CASES)
def test_round_trip_is_exact(name, dtype):
    net, _, _ = setup(CASES[name], dtype)
    warm_up(net, CASES[name][0], dtype)
    back = from_torch(to_torch(net))
    assert back.dtype == net.dtype == dtype
    assert np.array_equal(back.flat_params, net.flat_params)
    assert describe(back) == describe(net)
    for ours, theirs in zip(batch_norms(back), batch_norms(net), strict=True):
        assert np.array_equal(ours.running_mean, theirs.running_mean)
        assert np.array_equal(ours.running_var, theirs.running_var)


def L(n_in, n_hidden):
    return nn.LSTM(n_in, n_hidden, batch_first=True)


def torch_models():
    """Models built in torch (sample shape, model), every parameter nudged off its default."""
    torch.manual_seed(0)
    d, S = 4, nn.Sequential
    mha = nn.MultiheadAttention(d, 2, batch_first=True, dtype=torch.float64)
    lstm = [LSTMOutput(L(d, 5), return_sequences=True), LSTMOutput(L(5, 3))]
    models = {
        "norms": ((3,), S(nn.Linear(3, d), nn.LayerNorm(d, eps=1e-3), nn.BatchNorm1d(d, 0.2))),
        "images": ((2, 4, 4), S(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Flatten())),
        "lstm": (("tokens", 5), S(nn.Embedding(V, d), *lstm)),
        "attention": (
            (5, d),
            S(
                SelfAttention(mha, causal=True),
                ResidualBlock(S(nn.LayerNorm(d), nn.Linear(d, d))),
                SelfAttention(nn.MultiheadAttention(d, 1, batch_first=True)),
            ),
        ),
    }
    with torch.no_grad():
        for _, model in models.values():
            for p in model.double().parameters():
                p.add_(0.2 * torch.randn_like(p))  # LSTM: bias_ih and bias_hh both non-zero
    return models


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_models_to_nnlab(dtype):
    """from_torch gives the same forward (inference and training) and running statistics, and
    to_torch of that the same outputs again."""
    rng = np.random.default_rng(0)
    with torch.random.fork_rng(devices=[]):
        models = torch_models()
    for name, (sample_shape, model) in models.items():
        model.to(TORCH_DTYPES[dtype])
        for _ in range(3):  # training passes: BatchNorm's statistics move
            model(torch.tensor(inputs(sample_shape, dtype, rng, shift=0.5)))
        X = inputs(sample_shape, dtype, rng)
        net = from_torch(model)
        assert net.dtype == dtype, name
        assert assert_running_stats_agree(net, model, dtype) == (name in ("norms", "images"))
        with torch.no_grad():
            expected = as_array(model.eval()(torch.tensor(X)))
        assert_close(net.forward(X, cache=False), expected, dtype)  # BatchNorm sees images
        with torch.no_grad():
            again = as_array(to_torch(net).eval()(torch.tensor(X)))
        assert_close(again, expected, dtype)
        assert_close(as_array(model.train()(torch.tensor(X))), net.forward(X), dtype)


# -- 5: optimizer state moved mid-training, attention's in_proj_weight shared by W_q, W_k, W_v --


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("start_in", ["nnlab", "torch"])
def test_adam_state_moves_across_with_attention(start_in, dtype):
    net, X, y = setup(CASES["MultiHeadAttention"], dtype)
    loss, module = nl.MSELoss(), to_torch(net)
    if start_in == "nnlab":
        opt = nl.Adam(net.parameters(), **ADAM)
        nnlab_steps(net, opt, loss, X, y, 3)
        module = to_torch(net)
        torch_opt = optimizer_to_torch(opt, module)
    else:
        torch_opt = torch.optim.Adam(module.parameters(), **ADAM)
        torch_steps(module, torch_opt, nn.MSELoss(), X, y, 3)
        net = from_torch(module)
        opt = optimizer_from_torch(torch_opt, module, net)
        assert opt.t == 3
    theirs = torch_steps(module, torch_opt, nn.MSELoss(), X, y, 3)
    ours = nnlab_steps(net, opt, loss, X, y, 3)
    assert_close(theirs, ours, dtype)
    assert_close(torch_params(module), net.flat_params, dtype)


# -- 6: a transformer block as one network ------------------------------------------------------


def transformer(dtype, d=4):
    def block(*layers):
        return nl.Residual(seq(nl.LayerNorm(d), *layers))

    net = seq(
        nl.Embedding(V, d, rng=0),
        block(nl.MultiHeadAttention(d, 2, causal=True, rng=1)),
        block(nl.Dense(d, 2 * d, rng=2), nl.ReLU(), nl.Dense(2 * d, d, rng=3)),
        nl.LayerNorm(d),
        nl.Dense(d, V, rng=4),
    ).astype(dtype)
    rng = np.random.default_rng(1)
    net.flat_params += 0.1 * rng.normal(size=net.flat_params.shape)
    return net, rng.integers(0, V, size=(3, 5)), rng.integers(0, V, size=(3, 5))


@pytest.mark.parametrize("dtype", DTYPES)
def test_transformer_block(dtype):
    net, X, y = transformer(dtype)
    module, loss = to_torch(net), nl.SoftmaxCrossEntropy()
    with torch.no_grad():
        assert_close(as_array(module.eval()(torch.tensor(X))), net.forward(X, cache=False), dtype)
    module.train()
    out_t = module(torch.tensor(X))
    assert_close(as_array(out_t), net.forward(X), dtype)
    assert_close(sequence_ce(out_t, torch.tensor(y)).item(), loss(net.forward(X), y), dtype)
    sequence_ce(out_t, torch.tensor(y)).backward()
    net.backward(loss.backward())
    assert_close(flat_grads(module), net.flat_grads, dtype)
    module = to_torch(net)
    opt = nl.Adam(net.parameters(), **ADAM)
    torch_opt = optimizer_to_torch(opt, module)
    ours = nnlab_steps(net, opt, loss, X, y, 5)
    assert_close(torch_steps(module, torch_opt, sequence_ce, X, y, 5), ours, dtype)
    assert_close(torch_params(module), net.flat_params, dtype)


# -- 7: clear errors ------------------------------------------------------------------------------


def lstm(**kwargs):
    return LSTMOutput(nn.LSTM(3, 4, **{"batch_first": True, **kwargs}))


def attention(**kwargs):
    return SelfAttention(nn.MultiheadAttention(4, 2, **{"batch_first": True, **kwargs}))


NO_PARAMETERS = ()  # modules without parameters: refused before their dtype is read


@pytest.mark.parametrize(
    "make, match",
    [
        pytest.param(
            lambda: nn.LayerNorm(4, elementwise_affine=False), "no affine", marks=NO_PARAMETERS
        ),
        (lambda: nn.LayerNorm((3, 4)), "more than one normalised axis"),
        (lambda: nn.LayerNorm(4, bias=False), "no affine part"),
        pytest.param(lambda: nn.BatchNorm1d(4, affine=False), "no affine", marks=NO_PARAMETERS),
        (lambda: nn.BatchNorm2d(4, track_running_stats=False), "no affine part or stats"),
        (lambda: nn.BatchNorm1d(4, momentum=None), "momentum=None"),
        (lambda: nn.Embedding(5, 3, padding_idx=0), "padding_idx"),
        (lambda: nn.Embedding(5, 3, max_norm=1.0), "max_norm"),
        (lambda: lstm(num_layers=2), "LSTM.*options"),
        (lambda: lstm(bidirectional=True), "LSTM.*options"),
        (lambda: lstm(batch_first=False), "LSTM.*options"),
        (lambda: attention(batch_first=False), "batch_first=False"),
        (lambda: attention(kdim=3), "other key/value sizes"),
        (lambda: attention(add_bias_kv=True), "extra options"),
        (lambda: attention(add_zero_attn=True), "extra options"),
        (lambda: attention(dropout=0.1), "extra options"),
        (lambda: attention(bias=False), "no bias"),
    ],
)
def test_from_torch_refuses(make, match):
    with pytest.raises(ValueError, match=f"(?s)from_torch: .*{match}.*which nnlab cannot express"):
        from_torch(make())


def test_from_torch_refuses_scale_grad_by_freq():
    with pytest.raises(ValueError, match="scale_grad_by_freq"):
        from_torch(nn.Embedding(5, 3, scale_grad_by_freq=True))


def test_from_torch_refuses_an_unsupported_module():
    with pytest.raises(TypeError, match="no nnlab layer for GroupNorm; supported modules"):
        from_torch(nn.Sequential(nn.Linear(3, 4), nn.GroupNorm(2, 4)))


# -- 8: torch's RNG, BatchNorm2d ------------------------------------------------------------------


def test_to_torch_leaves_torch_rng_alone():
    net = seq(
        nl.Embedding(V, 4, rng=0),
        nl.Residual(seq(nl.LayerNorm(4), nl.MultiHeadAttention(4, 2, rng=1))),
        nl.LSTM(4, 5, rng=2),
        nl.BatchNorm(5),
    )
    state = torch.get_rng_state()
    module = to_torch(net)
    assert torch.equal(torch.get_rng_state(), state)
    kinds = {type(m) for m in module.modules()}
    assert {nn.Embedding, ResidualBlock, nn.LayerNorm, SelfAttention, LSTMOutput} < kinds
    assert nn.BatchNorm1d in kinds


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_after_images_is_batch_norm_2d(dtype):
    net, X, _ = setup(CASES["BatchNorm images"], dtype)
    module = to_torch(net)
    assert [type(m) for m in torch_batch_norms(module)] == [nn.BatchNorm2d]
    assert [type(m) for m in torch_batch_norms(to_torch(seq(nl.BatchNorm(3))))] == [nn.BatchNorm1d]
    Xb = net.layers[1].forward(net.layers[0].forward(X, cache=False), cache=False)
    out_t = torch_batch_norms(module)[0](torch.tensor(Xb))  # a training pass in both
    assert_close(as_array(out_t), net.layers[2].forward(Xb), dtype)
    assert_running_stats_agree(net, module, dtype)
