"""LayerNorm and BatchNorm against references written in HIPS autograd (values and every
gradient), against PyTorch (nn.LayerNorm, nn.BatchNorm1d/2d, running statistics included),
and against central finite differences through nnlab's tools (gradcheck of the training pass,
jvp, checkpointing), plus the contract: dtypes, copies, FLOPs and clear errors."""

import copy
import doctest
import pickle

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from helpers import raises_and_changes_nothing, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlab as nl
from nnlab import normalization
from nnlab.normalization import BatchNorm, LayerNorm

REF_TOL = 1e-10


def assert_close(got, want, tol=REF_TOL):
    """Relative agreement of two arrays (norm-wise), or absolute agreement near zero."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    assert relative_error(got, want) <= tol or np.abs(got - want).max(initial=0.0) <= 1e-13


# -- the references, in autograd.numpy -------------------------------------------------------


def reference_layernorm(X, gamma, beta, eps):
    mu = anp.mean(X, axis=-1, keepdims=True)
    var = anp.mean((X - mu) ** 2, axis=-1, keepdims=True)
    return (X - mu) / anp.sqrt(var + eps) * gamma + beta


def channel_axes(ndim):
    """The axes a channel's statistics are over, and the shape a (C,) array broadcasts as."""
    return ((0,), (1, -1)) if ndim == 2 else ((0, 2, 3), (1, -1, 1, 1))


def reference_batchnorm(X, gamma, beta, eps):
    """The training pass: the batch's statistics, biased variance."""
    axes, shape = channel_axes(X.ndim)
    mu = anp.mean(X, axis=axes, keepdims=True)
    var = anp.mean((X - mu) ** 2, axis=axes, keepdims=True)
    Xhat = (X - mu) / anp.sqrt(var + eps)
    return Xhat * anp.reshape(gamma, shape) + anp.reshape(beta, shape)


def check_against_reference(layer, reference, X, rng):
    """Forward and backward of ``layer`` against ``reference(X, gamma, beta, eps)``."""
    gamma, beta = layer.gamma.copy(), layer.beta.copy()
    Z = layer.forward(X)
    assert_close(Z, reference(X, gamma, beta, layer.eps))
    dZ = rng.normal(size=Z.shape)
    dX = layer.backward(dZ)

    def loss(X, gamma, beta):
        return anp.sum(reference(X, gamma, beta, layer.eps) * dZ)

    for got, argnum in ((dX, 0), (layer.dgamma, 1), (layer.dbeta, 2)):
        assert_close(got, grad(loss, argnum)(X, gamma, beta))


def randomize(layer, rng):
    layer.gamma = rng.normal(size=layer.n_features)
    layer.beta = rng.normal(size=layer.n_features)
    return layer


@settings(max_examples=20, deadline=None)
@given(
    lead=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    N=st.integers(1, 4),
    F=st.integers(1, 6),
    eps=st.sampled_from([1e-5, 1e-3, 0.5]),
    scale=st.sampled_from([0.1, 1.0, 30.0]),
    seed=st.integers(0, 2**16),
)
def test_layernorm_matches_autograd_reference(lead, N, F, eps, scale, seed):
    rng = np.random.default_rng(seed)
    layer = randomize(LayerNorm(F, eps=eps), rng)
    X = scale * rng.normal(size=(N, *lead, F)) + rng.normal()
    check_against_reference(layer, reference_layernorm, X, rng)


@st.composite
def batchnorm_shapes(draw):
    C = draw(st.integers(1, 4))
    if draw(st.booleans()):
        return (draw(st.integers(2, 6)), C)
    N, H, W = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    if N * H * W == 1:
        N = 2
    return (N, C, H, W)


@settings(max_examples=25, deadline=None)
@given(
    shape=batchnorm_shapes(),
    eps=st.sampled_from([1e-5, 1e-2]),
    momentum=st.sampled_from([0.1, 0.0, 1.0, 0.37]),
    seed=st.integers(0, 2**16),
)
def test_batchnorm_matches_autograd_reference(shape, eps, momentum, seed):
    rng = np.random.default_rng(seed)
    layer = randomize(BatchNorm(shape[1], momentum=momentum, eps=eps), rng)
    X = 3.0 * rng.normal(size=shape) + 1.0
    check_against_reference(layer, reference_batchnorm, X, rng)
    # the running statistics moved from (0, 1) toward the batch's, the variance unbiased
    axes, _ = channel_axes(X.ndim)
    m = X.size // shape[1]
    mean, var = X.mean(axis=axes), X.var(axis=axes) * m / (m - 1)
    assert_close(layer.running_mean, momentum * mean)
    assert_close(layer.running_var, (1 - momentum) + momentum * var)
    # inference: the running statistics, nothing kept, nothing changed
    state = layer.get_random_state()
    Z = layer.forward(X, cache=False)
    _, bshape = channel_axes(X.ndim)
    r = {k: v.reshape(bshape) for k, v in zip(("m", "v"), state, strict=True)}
    g, b = layer.gamma.reshape(bshape), layer.beta.reshape(bshape)
    assert_close(Z, (X - r["m"]) / np.sqrt(r["v"] + eps) * g + b)
    np.testing.assert_array_equal(layer.get_random_state(), state)
    assert layer.cached_arrays() == []


# -- PyTorch -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 5), (3, 6, 5), (2, 3, 4, 5), (1, 5)])
def test_layernorm_equals_torch(rng, shape):
    torch = pytest.importorskip("torch")
    layer = randomize(LayerNorm(shape[-1], eps=1e-4), rng)
    ref = torch.nn.LayerNorm(shape[-1], eps=1e-4).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.gamma.copy()))
        ref.bias.copy_(torch.from_numpy(layer.beta.copy()))
    X, dZ = rng.normal(size=shape), rng.normal(size=shape)
    Xt = torch.tensor(X, requires_grad=True)
    Zt = ref(Xt)
    Zt.backward(torch.from_numpy(dZ))
    assert_close(layer.forward(X), Zt.detach().numpy())
    assert_close(layer.backward(dZ), Xt.grad.numpy())
    assert_close(layer.dgamma, ref.weight.grad.numpy())
    assert_close(layer.dbeta, ref.bias.grad.numpy())
    assert_close(layer.forward(X, cache=False), Zt.detach().numpy())


@pytest.mark.parametrize(
    ("shapes", "momentum", "eps"),
    [
        ([(8, 3), (5, 3), (2, 3), (8, 3)], 0.1, 1e-5),  # BatchNorm1d
        ([(4, 2, 3, 3), (1, 2, 4, 2), (3, 2, 1, 1)], 0.1, 1e-5),  # BatchNorm2d
        ([(6, 4), (3, 4)], 0.3, 1e-3),
        ([(2, 3, 2, 2), (5, 3, 3, 1)], 1.0, 0.1),
    ],
)
def test_batchnorm_equals_torch(rng, shapes, momentum, eps):
    torch = pytest.importorskip("torch")
    C = shapes[0][1]
    layer = randomize(BatchNorm(C, momentum=momentum, eps=eps), rng)
    kind = torch.nn.BatchNorm1d if len(shapes[0]) == 2 else torch.nn.BatchNorm2d
    ref = kind(C, momentum=momentum, eps=eps).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.gamma.copy()))
        ref.bias.copy_(torch.from_numpy(layer.beta.copy()))
    for shape in shapes:  # several training steps: the running statistics accumulate
        X, dZ = 2.0 * rng.normal(size=shape) + 0.5, rng.normal(size=shape)
        ref.zero_grad()
        Xt = torch.tensor(X, requires_grad=True)
        Zt = ref(Xt)
        Zt.backward(torch.from_numpy(dZ))
        assert_close(layer.forward(X), Zt.detach().numpy())
        assert_close(layer.backward(dZ), Xt.grad.numpy())
        assert_close(layer.dgamma, ref.weight.grad.numpy())
        assert_close(layer.dbeta, ref.bias.grad.numpy())
        assert_close(layer.running_mean, ref.running_mean.numpy())
        assert_close(layer.running_var, ref.running_var.numpy())
    ref.eval()
    X = rng.normal(size=(3, *shapes[0][1:]))
    with torch.no_grad():
        assert_close(layer.forward(X, cache=False), ref(torch.from_numpy(X)).numpy())


def test_batch_of_one_value_per_channel_is_refused_like_torch(rng):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        torch.nn.BatchNorm1d(3).double()(torch.zeros(1, 3, dtype=torch.float64))
    layer = randomize(BatchNorm(3), rng)
    layer.forward(rng.normal(size=(4, 3)))
    with raises_and_changes_nothing(layer, ValueError, r"BatchNorm\(3, momentum=0.1\).*one value"):
        layer.forward(np.ones((1, 3)))
    conv = BatchNorm(2)
    with raises_and_changes_nothing(conv, ValueError, r"got X of shape \(1, 2, 1, 1\)"):
        conv.forward(np.ones((1, 2, 1, 1)))
    with raises_and_changes_nothing(conv, ValueError, "one value per channel"):
        nl.jvp(conv, np.ones((1, 2, 1, 1)))
    # one sample of an image has H W values per channel; inference needs no batch statistics
    assert conv.forward(rng.normal(size=(1, 2, 2, 2))).shape == (1, 2, 2, 2)
    Z = layer.forward(np.ones((1, 3)), cache=False)
    want = (1 - layer.running_mean) / np.sqrt(layer.running_var + 1e-5) * layer.gamma + layer.beta
    assert_close(Z, want[np.newaxis])


# -- nnlab's tools: gradcheck, jvp, checkpointing ----------------------------------------------


def bn_mlp(seed=0):
    return nl.Sequential(
        [
            nl.Dense(3, 5, rng=seed),
            BatchNorm(5),
            nl.Tanh(),
            nl.Dense(5, 4, rng=seed + 1),
            LayerNorm(4),
            nl.Tanh(),
            nl.Dense(4, 3, rng=seed + 2),
        ]
    )


def bn_cnn(seed=0):
    return nl.Sequential(
        [
            nl.Conv2D(1, 2, 3, padding=1, rng=seed),
            BatchNorm(2, momentum=0.2),
            nl.Tanh(),
            nl.Flatten(),
            nl.Dense(2 * 4 * 4, 3, rng=seed),
        ]
    )


def perturb_affine(net, rng):
    for layer in net.layers:
        if isinstance(layer, BatchNorm | LayerNorm):
            randomize(layer, rng)
    return net


@pytest.mark.parametrize(("make", "shape"), [(bn_mlp, (7, 3)), (bn_cnn, (4, 1, 4, 4))])
def test_gradcheck_of_the_training_pass(rng, make, shape):
    net = perturb_affine(make(), rng)
    X, y = rng.normal(size=shape), rng.integers(0, 3, shape[0])
    before = net.get_random_state()
    errors = nl.gradcheck(net, nl.SoftmaxCrossEntropy(), X, y, training=True)
    assert set(errors) == {name for name, _, _ in net.parameters()}
    # The bias just before a BatchNorm has no effect (the batch mean takes it away): its
    # gradient is zero, and the relative error of two roundoff-sized numbers means nothing.
    redundant = errors.pop("0.b")
    assert max(errors.values()) < 1e-6, errors
    np.testing.assert_equal(net.get_random_state(), before)  # gradcheck works on a copy
    loss = nl.SoftmaxCrossEntropy()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    assert np.abs(net[0].db).max() < 1e-13 * np.abs(net[0].dW).max() or redundant < 1e-6


@pytest.mark.parametrize(("make", "shape"), [(bn_mlp, (6, 3)), (bn_cnn, (3, 1, 4, 4))])
def test_input_gradient_against_finite_differences_of_the_training_pass(rng, make, shape):
    net, loss = perturb_affine(make(), rng), nl.SoftmaxCrossEntropy()
    X, y = rng.normal(size=shape), rng.integers(0, 3, shape[0])
    state = net.get_random_state()
    loss.forward(net.forward(X), y)
    dX = net.backward(loss.backward())

    def value(x):
        net.set_random_state(state)
        return loss.forward(net.forward(x), y)

    assert relative_error(dX, nl.numerical_gradient(value, X.copy())) < 1e-6


@pytest.mark.parametrize(
    "layer_and_shape",
    [(LayerNorm(4), (3, 2, 4)), (BatchNorm(3), (5, 3)), (BatchNorm(2), (2, 2, 3, 2))],
    ids=["layernorm", "batchnorm1d", "batchnorm2d"],
)
def test_jvp_against_central_differences_and_it_changes_no_state(rng, layer_and_shape):
    layer, shape = copy.deepcopy(layer_and_shape[0]), layer_and_shape[1]
    randomize(layer, rng)
    X, dX = rng.normal(size=shape), rng.normal(size=shape)
    dparams = rng.normal(size=layer.n_params)
    Z_train = layer.forward(X)  # a training pass whose cache must survive the jvp
    state = layer.get_random_state()
    Z, dZ = nl.jvp(layer, X, dX, dparams)
    np.testing.assert_array_equal(Z, Z_train)
    np.testing.assert_equal(layer.get_random_state(), state)  # no running update
    assert layer.cached_arrays() and layer.backward(np.ones(shape)).shape == shape
    theta, h = layer.flat_params.copy(), 1e-6

    def f(t):
        layer.flat_params[...] = theta + t * dparams
        out = layer.forward(X + t * dX)  # the training pass (batch statistics)
        layer.set_random_state(state)
        return out

    numeric = (f(h) - f(-h)) / (2 * h)
    layer.flat_params[...] = theta
    assert relative_error(dZ, numeric) < 1e-6
    _, dZ_inputs_only = nl.jvp(layer, X, dX)  # fixed parameters
    _, dZ_params_only = nl.jvp(layer, X, None, dparams)
    assert_close(dZ_inputs_only + dZ_params_only, dZ, 1e-12)


def test_jvp_of_a_network_matches_finite_differences(rng):
    net = perturb_affine(bn_mlp(), rng)
    X, dX = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    dparams = rng.normal(size=net.n_params)
    state = net.get_random_state()
    _, dZ = nl.jvp(net, X, dX, dparams)
    np.testing.assert_equal(net.get_random_state(), state)
    theta, h = net.flat_params.copy(), 1e-6

    def f(t):
        net.flat_params[...] = theta + t * dparams
        out = net.forward(X + t * dX)
        net.set_random_state(state)
        return out

    assert relative_error(dZ, (f(h) - f(-h)) / (2 * h)) < 1e-6


def test_checkpointing_replays_the_running_statistics(rng):
    plain, ckpt = bn_mlp(), bn_mlp()
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 3, 10)
    loss = nl.SoftmaxCrossEntropy()
    loss.forward(plain.forward(X), y)
    plain.backward(loss.backward())
    nl.checkpointed_backward(ckpt, loss, X, y, segments=3)
    np.testing.assert_array_equal(ckpt.flat_grads, plain.flat_grads)
    # each layer ran its training pass once, as far as the running statistics can tell
    np.testing.assert_equal(ckpt.get_random_state(), plain.get_random_state())
    assert not np.array_equal(plain[1].running_mean, np.zeros(5))


def test_random_state_is_a_copy_and_replays_a_training_pass(rng):
    layer = randomize(BatchNorm(3), rng)
    X1, X2 = rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
    layer.forward(X1)
    state = layer.get_random_state()
    state[0][...] = 99.0  # a copy: the layer is not touched
    assert not np.any(layer.running_mean == 99.0)
    state = layer.get_random_state()
    layer.forward(X2)
    after = layer.get_random_state()
    layer.set_random_state(state)
    np.testing.assert_array_equal(layer.running_mean, state[0])
    layer.forward(X2)
    np.testing.assert_array_equal(layer.get_random_state(), after)
    assert LayerNorm(3).get_random_state() is None  # its training pass changes nothing


# -- the passes: inference, dtypes, edge cases -------------------------------------------------


def test_layernorm_training_and_inference_are_the_same_pass(rng):
    layer = randomize(LayerNorm(5), rng)
    X = rng.normal(size=(3, 4, 5))
    Z_train = layer.forward(X).copy()
    np.testing.assert_array_equal(layer.forward(X, cache=False), Z_train)
    assert layer.cached_arrays() == []
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones(X.shape))


def test_running_statistics_are_state_not_parameters():
    layer = BatchNorm(4)
    assert layer.n_params == 8 and [n for n, _, _ in layer.parameters()] == ["gamma", "beta"]
    np.testing.assert_array_equal(layer.running_mean, np.zeros(4))
    np.testing.assert_array_equal(layer.running_var, np.ones(4))
    net = nl.Sequential([nl.Dense(2, 4, rng=0), layer])
    assert net.n_params == 2 * 4 + 4 + 8
    layer.running_mean = [1, 2, 3, 4]  # checked assignment, copied into the same array
    same = layer.running_mean
    layer.running_var = np.full(4, 2.0)
    assert layer.running_mean is same and layer.running_mean.dtype == np.float64
    np.testing.assert_array_equal(layer.running_var, 2.0)


def test_inference_uses_and_keeps_the_running_statistics(rng):
    layer = randomize(BatchNorm(3, momentum=0.5), rng)
    X = rng.normal(size=(8, 3)) * 2 + 1
    assert_close(layer.forward(X, cache=False), X / np.sqrt(1 + 1e-5) * layer.gamma + layer.beta)
    for _ in range(30):  # momentum 0.5: the running statistics converge on one batch's
        layer.forward(X)
    assert_close(layer.running_mean, X.mean(axis=0), 1e-8)
    assert_close(layer.running_var, X.var(axis=0, ddof=1), 1e-8)
    before = layer.get_random_state()
    layer.forward(X, cache=False)
    np.testing.assert_array_equal(layer.get_random_state(), before)


@pytest.mark.parametrize(
    ("make", "shape"),
    [(lambda d: LayerNorm(6, dtype=d), (4, 3, 6)), (lambda d: BatchNorm(3, dtype=d), (5, 3, 2, 2))],
)
def test_float32_stays_float32_and_agrees_with_float64(rng, make, shape):
    l64, l32 = make(np.float64), make(np.float32)
    randomize(l64, rng)
    l32.gamma, l32.beta = l64.gamma, l64.beta
    X, dZ = rng.normal(size=shape), rng.normal(size=shape)
    Z64, Z32 = l64.forward(X), l32.forward(X)  # float64 X: cast once, at the input
    dX64, dX32 = l64.backward(dZ), l32.backward(dZ.astype(np.float32))
    assert Z32.dtype == dX32.dtype == np.float32
    assert all(p.dtype == g.dtype == np.float32 for _, p, g in l32.parameters())
    for a, b in ((Z32, Z64), (dX32, dX64), (l32.dgamma, l64.dgamma), (l32.dbeta, l64.dbeta)):
        assert relative_error(a, b) < 1e-4
    _, dZ32 = nl.jvp(l32, X, dZ)
    assert dZ32.dtype == np.float32
    assert l32.forward(X, cache=False).dtype == np.float32
    if isinstance(l32, BatchNorm):
        assert l32.running_mean.dtype == l32.running_var.dtype == np.float32
        assert relative_error(l32.running_var, l64.running_var) < 1e-5


def test_input_grad_false_fills_the_same_gradients(rng):
    for layer, shape in ((randomize(LayerNorm(3), rng), (4, 3)), (BatchNorm(2), (3, 2, 2, 2))):
        X, dZ = rng.normal(size=shape), rng.normal(size=shape)
        layer.forward(X)
        assert layer.backward(dZ, input_grad=False) is None
        grads = layer.flat_grads.copy()
        layer.forward(X)
        layer.backward(dZ)
        np.testing.assert_array_equal(layer.flat_grads, grads)


def test_empty_batch(rng):
    bn = randomize(BatchNorm(3), rng)
    bn.flat_grads[...] = 7.0
    Z = bn.forward(np.zeros((0, 3)))
    assert Z.shape == (0, 3) and bn.backward(np.zeros((0, 3))).shape == (0, 3)
    assert not bn.flat_grads.any()
    np.testing.assert_equal(bn.get_random_state(), (np.zeros(3), np.ones(3)))  # as PyTorch
    ln = LayerNorm(3)
    assert ln.forward(np.zeros((0, 2, 3))).shape == (0, 2, 3)
    ln.backward(np.zeros((0, 2, 3)))
    assert not ln.flat_grads.any()


def test_constant_rows_and_one_feature_give_beta():
    ln = LayerNorm(1)
    ln.beta = [0.25]
    np.testing.assert_array_equal(ln.forward(np.arange(3.0).reshape(3, 1)), np.full((3, 1), 0.25))
    np.testing.assert_array_equal(ln.backward(np.ones((3, 1))), np.zeros((3, 1)))


# -- FLOPs, repr, copies, errors ---------------------------------------------------------------


def test_flops_by_hand():
    # LayerNorm, 2 samples of 3 features = 6 entries: forward 7 each, dW 3, dX 8
    assert LayerNorm(3).flops(2, (3,)) == {"forward": 42, "backward_dW": 18, "backward_dX": 48}
    assert LayerNorm(3).flops(2, (5, 3)) == {"forward": 210, "backward_dW": 90, "backward_dX": 240}
    # BatchNorm, 4 samples of 2 features = 8 entries: forward 7 each, dW 3, dX 4
    assert BatchNorm(2).flops(4, (2,)) == {"forward": 56, "backward_dW": 24, "backward_dX": 32}
    bn = BatchNorm(2)
    bn.forward(np.random.default_rng(0).normal(size=(3, 2, 3, 3)))
    assert bn.flops(4) == {"forward": 7 * 72, "backward_dW": 3 * 72, "backward_dX": 4 * 72}
    rows = nl.flops(nl.Sequential([nl.Dense(3, 2, rng=0), BatchNorm(2), LayerNorm(2)]), 4)
    assert [(r["forward"], r["backward"]) for r in rows[1:]] == [(56, 24 + 32), (56, 24 + 64)]
    with pytest.raises(ValueError, match=r"LayerNorm\(3\)\.flops expected input_shape"):
        LayerNorm(3).flops(2, (4,))
    with pytest.raises(ValueError, match=r"BatchNorm\(2, momentum=0.1\)\.flops expected"):
        BatchNorm(2).flops(2, (2, 3))


def test_repr():
    assert repr(LayerNorm(64)) == "LayerNorm(64)"
    assert repr(BatchNorm(16)) == "BatchNorm(16, momentum=0.1)"
    assert (
        repr(LayerNorm(8, eps=1e-3, dtype=np.float32)) == "LayerNorm(8, eps=0.001, dtype=float32)"
    )
    assert repr(BatchNorm(4, momentum=0.3, eps=0.01)) == "BatchNorm(4, momentum=0.3, eps=0.01)"


@pytest.mark.parametrize("make", [lambda: LayerNorm(3), lambda: BatchNorm(3)])
def test_deepcopy_astype_and_pickle_give_independent_converted_layers(rng, make):
    layer = randomize(make(), rng)
    layer.forward(rng.normal(size=(4, 3)))
    state = layer.get_random_state()
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        np.testing.assert_array_equal(clone.flat_params, layer.flat_params)
        np.testing.assert_equal(clone.get_random_state(), state)
        clone.gamma = np.zeros(3)
        clone.forward(rng.normal(size=(5, 3)))
        assert layer.gamma.any()
        np.testing.assert_equal(layer.get_random_state(), state)
    l32 = layer.astype(np.float32)
    assert l32.dtype == np.float32 and l32.gamma.dtype == np.float32 and layer.dtype == np.float64
    assert repr(l32).endswith("dtype=float32)")
    if isinstance(layer, BatchNorm):
        assert l32.running_mean.dtype == l32.running_var.dtype == np.float32
        np.testing.assert_allclose(l32.running_var, layer.running_var, rtol=1e-7)
        l32.forward(rng.normal(size=(4, 3)))
        np.testing.assert_equal(layer.get_random_state(), state)
        layer.set_dtype(np.float32)  # in place, the running statistics too
        assert layer.running_mean.dtype == np.float32 and layer.forward(np.ones((2, 3))).dtype


def test_network_astype_converts_the_running_statistics(rng):
    net = bn_mlp()
    net.forward(rng.normal(size=(5, 3)))
    net32 = net.astype(np.float32)
    assert net32[1].running_var.dtype == np.float32 and net[1].running_var.dtype == np.float64
    np.testing.assert_allclose(net32[1].running_mean, net[1].running_mean, rtol=1e-6)
    with raises_and_changes_nothing(net[1], ValueError, "belongs to a Sequential"):
        net[1].set_dtype(np.float32)
    assert net[1].running_mean.dtype == np.float64


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda: LayerNorm(0), ValueError, "LayerNorm: n_features must be a positive int, got 0"),
        (lambda: LayerNorm(2.5), TypeError, "n_features must be a positive int"),
        (lambda: BatchNorm(True), TypeError, "BatchNorm: n_features must be a positive int"),
        (lambda: LayerNorm(3, eps=0), ValueError, r"LayerNorm: eps must be in \(0, inf\)"),
        (lambda: BatchNorm(3, eps=-1e-5), ValueError, "BatchNorm: eps must be in"),
        (lambda: BatchNorm(3, eps=float("nan")), ValueError, "eps must be in"),
        (lambda: LayerNorm(3, eps="small"), TypeError, "eps must be a real number"),
        (lambda: BatchNorm(3, momentum=1.5), ValueError, r"momentum must be in \[0, 1\], got 1.5"),
        (lambda: BatchNorm(3, momentum=-0.1), ValueError, "momentum must be in"),
        (lambda: BatchNorm(3, momentum=None), TypeError, "momentum must be a real number"),
        (lambda: BatchNorm(3, dtype=np.int32), TypeError, "dtype must be float32 or float64"),
    ],
)
def test_bad_constructor_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_inputs_change_nothing(rng):
    ln = randomize(LayerNorm(3), rng)
    ln.forward(rng.normal(size=(2, 3)))
    with raises_and_changes_nothing(
        ln,
        ValueError,
        r"LayerNorm\(3\) expected X of shape "
        r"\(n_samples, \.\.\., 3\).*got \(2, 4\)",
    ):
        ln.forward(np.ones((2, 4)))
    with raises_and_changes_nothing(ln, ValueError, "LayerNorm"):
        ln.forward(np.ones(3))  # one sample without its batch axis
    with raises_and_changes_nothing(ln, TypeError, "numeric array"):
        ln.forward(np.array([["a", "b", "c"]]))
    with raises_and_changes_nothing(ln, ValueError, r"expected dZ of shape \(2, 3\)"):
        ln.backward(np.ones((2, 4)))
    bn = randomize(BatchNorm(2), rng)
    bn.forward(rng.normal(size=(3, 2)))
    for X in (np.ones((3, 3)), np.ones((3, 2, 4)), np.ones((3, 3, 2, 2))):
        with raises_and_changes_nothing(
            bn,
            ValueError,
            r"BatchNorm\(2, momentum=0.1\) expected X of shape \(n_samples, 2\) "
            r"or \(n_samples, 2, height, width\)",
        ):
            bn.forward(X)
    for name, value, match in [
        ("running_mean", np.ones(3), r"running_mean must have shape \(2,\), got \(3,\)"),
        ("running_var", [1.0, -1.0], "running_var must be finite and >= 0"),
        ("running_mean", [np.nan, 0.0], "running_mean must be finite"),
        ("running_var", [1.0, 1e300], "finite and >= 0 in float32"),
    ]:
        layer = bn if "float32" not in match else BatchNorm(2, dtype=np.float32)
        with raises_and_changes_nothing(layer, ValueError, match):
            setattr(layer, name, value)
    with raises_and_changes_nothing(bn, ValueError, "running_var must be finite"):
        bn.set_random_state((np.zeros(2), np.full(2, np.inf)))  # both checked before either set


def test_doctests():
    assert doctest.testmod(normalization).failed == 0


def test_a_network_with_normalization_trains_and_predicts_with_running_statistics():
    X, y = nl.make_spirals(120, rng=0)
    net = nl.Sequential(
        [nl.Dense(2, 16, rng=0), BatchNorm(16), nl.Tanh(), LayerNorm(16), nl.Dense(16, 3, rng=1)]
    )
    history = nl.fit(
        net,
        nl.SoftmaxCrossEntropy(),
        nl.Adam(net.parameters(), lr=0.02),
        X,
        y,
        epochs=30,
        batch_size=32,
        rng=0,
        progress=False,
    )
    assert history["loss"][-1] < 0.8 * history["loss"][0]
    bn = net[1]
    before = bn.get_random_state()
    assert nl.accuracy(net, X, y) > 0.5  # inference: the running statistics, unchanged
    np.testing.assert_equal(bn.get_random_state(), before)
