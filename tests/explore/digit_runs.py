"""Counts made here, independently of the explorer modules, for the tests of their digit runs."""

import itertools

import numpy as np

import nnlab as nl


def counted_accuracy(net, X, y):
    """Fraction of samples whose largest logit is the label, from a forward pass."""
    return float(np.mean(np.argmax(net.forward(X, cache=False), axis=1) == y))


def dense_shapes(net):
    """The shapes of the weights of net's Dense layers, first to last."""
    return [la.W.shape for la in net.layers if isinstance(la, nl.Dense)]


def mlp_params(sizes):
    """The number of weights and biases of an MLP with the layer widths ``sizes``."""
    return sum(a * b + b for a, b in itertools.pairwise(sizes))
