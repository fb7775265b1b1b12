"""nnlab's gradients against the HIPS autograd package, an independent autodiff engine."""

import itertools

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from helpers import relative_error

import nnlab as nl

REFERENCE = {
    nl.Identity: lambda z: z,
    nl.Sigmoid: lambda z: 1 / (1 + anp.exp(-z)),
    nl.Tanh: anp.tanh,
    nl.ReLU: lambda z: anp.maximum(z, 0),
    nl.LeakyReLU: lambda z: anp.where(z > 0, z, 0.01 * z),
    nl.Softmax: lambda z: (
        anp.exp(z - anp.max(z, axis=1, keepdims=True))
        / anp.sum(anp.exp(z - anp.max(z, axis=1, keepdims=True)), axis=1, keepdims=True)
    ),
}


def reference_loss(params, net, X, y, loss_name):
    """The network's loss written directly in autograd.numpy from a list of parameters."""
    it = iter(params)
    A = X
    for layer in net.layers:
        if isinstance(layer, nl.Dense):
            A = anp.dot(A, next(it)) + next(it)
        else:
            A = REFERENCE[type(layer)](A)
    if loss_name == "mse":
        return anp.mean((A - y) ** 2)
    if loss_name == "bce":
        return anp.mean(anp.logaddexp(0, A) - y * A)
    log_probs = A - anp.log(anp.sum(anp.exp(A), axis=1, keepdims=True))
    return -anp.mean(anp.sum(log_probs * y, axis=1))


CASES = [
    ([4, 8, 3], ["tanh"], "ce"),
    ([5, 16, 16, 4], ["relu", "sigmoid"], "ce"),
    ([3, 7, 7, 7, 2], ["leaky_relu", "tanh", "identity"], "mse"),
    ([2, 16, 16, 1], ["tanh", "tanh"], "bce"),
    ([6, 9, 5], ["sigmoid", "softmax"], "mse"),
]


@pytest.mark.parametrize(("sizes", "acts", "loss_name"), CASES)
def test_network_gradients_match_autograd(rng, sizes, acts, loss_name):
    layers = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nl.Dense(a, b, init="xavier", rng=rng))
        layers[-1].b = rng.normal(size=b) * 0.1
        if i < len(acts):
            layers.append(nl.get_activation(acts[i]))
    if loss_name == "mse" and acts[-1] == "softmax":
        layers.append(nl.Softmax())
    net = nl.Sequential(layers)
    n, k = 11, sizes[-1]
    X = rng.normal(size=(n, sizes[0]))
    labels = rng.integers(0, k, size=n)
    if loss_name == "ce":
        loss, y, y_ref = nl.SoftmaxCrossEntropy(), labels, np.eye(k)[labels]
    elif loss_name == "bce":
        y = rng.integers(0, 2, size=(n, k)).astype(float)
        loss, y_ref = nl.BinaryCrossEntropy(), y
    else:
        y = rng.normal(size=(n, k))
        loss, y_ref = nl.MSELoss(), y
    value = loss(net.forward(X), y)
    net.backward(loss.backward())
    params = [p.copy() for _, p, _ in net.parameters()]
    ref_value = reference_loss(params, net, X, y_ref, loss_name)
    assert value == pytest.approx(float(ref_value), rel=1e-12)
    ref_grads = grad(reference_loss)(params, net, X, y_ref, loss_name)
    for (name, _, g), ref in zip(net.parameters(), ref_grads, strict=False):
        assert relative_error(g, ref) <= 1e-10, name
