"""Test helpers: finite-difference gradients of a layer, a loss or a network, computed
independently; the check that a call which raises leaves a layer as it was; quiet, reproducible
training, an optimizer that records the weights around its steps, and what an import loads."""

import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest

import nnlab as nl
from nnlab.gradcheck import numerical_gradient, relative_error

TOL = 1e-7


def layer_input_grad_fd(layer, X, dZ):
    """d(sum(forward(X) * dZ))/dX by central differences: what backward(dZ) must return."""
    X = X.copy()
    return numerical_gradient(lambda x: float(np.sum(layer.forward(x, cache=False) * dZ)), X)


def param_grad_fd(layer, X, dZ, name):
    p = dict((n, q) for n, q, _ in layer.parameters())[name]
    return numerical_gradient(lambda _: float(np.sum(layer.forward(X, cache=False) * dZ)), p)


def forward_backward(net, loss, X, y):
    """One training pass of a network (or layer) ``net``: its output, and dLoss/dX."""
    out = net.forward(X)
    loss(out, y)
    return out, net.backward(loss.backward())


def assert_float32_pass(net, loss, X, y):
    """A float32 ``net`` stays float32 through a training pass on ``X`` (float64 data is cast
    once, at the input): its parameters, its output, dX and its gradients."""
    assert net.dtype == np.float32 and net.flat_params.dtype == np.float32
    out, dX = forward_backward(net, loss, X, y)
    assert out.dtype == dX.dtype == np.float32
    assert all(p.dtype == g.dtype == np.float32 for _, p, g in net.parameters())


def net_input_grad_and_fd(net, loss, X, y):
    """dLoss/dX of a network (or layer) ``net`` by backward, and by central differences of the
    loss: ``(dX, numeric)``."""
    _, dX = forward_backward(net, loss, X, y)
    numeric = numerical_gradient(lambda x: loss.forward(net.forward(x, cache=False), y), X)
    return dX, numeric


def layer_state(layer):
    """What a failing call must leave as it was: copies of the parameters, their gradients and
    the cached arrays, which arrays are cached (their ids), the last input's shape and the state
    of the random numbers the training pass draws."""
    params, cache = layer.parameters(), layer.cached_arrays()
    return {
        "parameters": [p.copy() for _, p, _ in params],
        "gradients": [g.copy() for _, _, g in params],
        "cached arrays": [a.copy() for a in cache],
        "ids of the cached arrays": [id(a) for a in cache],
        "last_input_shape": layer.last_input_shape,
        "random state": layer.get_random_state(),
    }


@contextmanager
def raises_and_changes_nothing(layer, exc, match):
    """``pytest.raises(exc, match=match)`` around the block, then assert that the
    ``layer_state`` of ``layer`` is what it was before the block."""
    before = layer_state(layer)
    with pytest.raises(exc, match=match):
        yield
    np.testing.assert_equal(layer_state(layer), before, err_msg="the failing call changed it")


def train(net, loss, optimizer, X, y, *, lr, **kwargs):
    """``nl.fit`` with a fresh ``optimizer`` (a class: nl.Adam, nl.SGD) at learning rate ``lr``
    on all of net's parameters, shuffled by ``rng=0`` and without a progress bar unless
    ``kwargs`` say otherwise; returns fit's History."""
    kwargs = {"rng": 0, "progress": False, **kwargs}
    return nl.fit(net, loss, optimizer(net.parameters(), lr=lr), X, y, **kwargs)


class RecordingSGD(nl.SGD):
    """SGD that counts its completed steps and keeps copies of net's weights just before
    (``before``) and just after (``after``) the last of them."""

    def __init__(self, net, lr):
        super().__init__(net.parameters(), lr)
        self.net, self.steps = net, 0
        self.before, self.after = None, net.flat_params.copy()

    def step(self):
        before = self.net.flat_params.copy()
        super().step()
        self.steps += 1
        self.before, self.after = before, self.net.flat_params.copy()


def loaded_by_import(module, names):
    """Which of the modules ``names`` a fresh interpreter has loaded after ``import module``,
    sorted."""
    code = f"import sys, {module}; print(*sorted(set({sorted(names)!r}) & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


__all__ = [
    "TOL",
    "RecordingSGD",
    "assert_float32_pass",
    "forward_backward",
    "layer_input_grad_fd",
    "layer_state",
    "loaded_by_import",
    "net_input_grad_and_fd",
    "param_grad_fd",
    "raises_and_changes_nothing",
    "relative_error",
    "train",
]


def nnlab_steps(net, opt, loss, X, y, n):
    """``n`` training steps in nnlab; the loss before each."""
    losses = []
    for _ in range(n):
        losses.append(loss(net.forward(X), y))
        net.backward(loss.backward())
        opt.step()
    return losses


def torch_steps(module, opt, loss, X, y, n):
    """The same ``n`` steps in PyTorch (zero_grad, forward, loss, backward, step); the loss
    before each."""
    import torch

    Xt, yt, losses = torch.tensor(X), torch.tensor(y), []
    for _ in range(n):
        opt.zero_grad()
        value = loss(module(Xt), yt)
        value.backward()
        opt.step()
        losses.append(value.item())
    return losses
