"""The chapter's 2-2-2 sigmoid network and sample, shared by the step-through tests."""

import numpy as np

import nnlab as nl

X = np.array([1.0, 0.5])
T = np.array([0.1, 0.9])


def example_net():
    """The chapter's 2-2-2 sigmoid network."""
    net = nl.Sequential(
        [nl.Dense(2, 2, init="zeros"), nl.Sigmoid(), nl.Dense(2, 2, init="zeros"), nl.Sigmoid()]
    )
    net[0].W, net[0].b = [[0.4, -0.3], [0.2, 0.6]], [0.1, -0.1]
    net[2].W, net[2].b = [[0.7, -0.5], [-0.2, 0.8]], [0.0, 0.2]
    return net
