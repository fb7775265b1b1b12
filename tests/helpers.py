"""Test helpers: finite-difference gradients of a layer or a loss, computed independently."""

import numpy as np

from nnlab.gradcheck import numerical_gradient, relative_error

TOL = 1e-7


def layer_input_grad_fd(layer, X, dZ):
    """d(sum(forward(X) * dZ))/dX by central differences: what backward(dZ) must return."""
    X = X.copy()
    return numerical_gradient(lambda x: float(np.sum(layer.forward(x, cache=False) * dZ)), X)


def param_grad_fd(layer, X, dZ, name):
    p = dict((n, q) for n, q, _ in layer.parameters())[name]
    return numerical_gradient(lambda _: float(np.sum(layer.forward(X, cache=False) * dZ)), p)


__all__ = ["TOL", "layer_input_grad_fd", "param_grad_fd", "relative_error"]
