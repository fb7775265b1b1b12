"""The network diagram: unit positions and the artists drawn for values and gradients."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnlab as nl
from nnlab.explore.backprop_steps import backprop_steps
from nnlab.explore.network_drawing import draw_network, network_layout

from .step_example import T, X, example_net


def test_network_layout():
    units, bias = network_layout([2, 3, 1], dx=2.0)
    np.testing.assert_allclose(units[1], [[2.0, 1.0], [2.0, 0.0], [2.0, -1.0]])
    np.testing.assert_allclose(bias[0], [0.0, -1.5])
    assert bias[2] is None
    assert network_layout([2, 3], bias=False)[1] == [None, None]
    with pytest.raises(ValueError, match="at least 2 layer sizes"):
        network_layout([3])


def test_draw_network_artists():
    s = {s.key: s for s in backprop_steps(example_net(), X, T, nl.MSELoss())}["grad2"]
    fig, ax = plt.subplots()
    draw_network(
        s.layer_sizes,
        node_values=s.node_values,
        node_grads=s.node_grads,
        edge_values=s.edge_values,
        bias_values=s.bias_values,
        edge_kinds=s.edge_kinds,
        highlight_edges=[1],
        phase="backward",
        ax=ax,
    )
    assert len(ax.lines) == 2 * (4 + 2)  # weights and bias edges
    assert len(ax.patches) == 6 + 2  # units and bias units
    texts = [t.get_text() for t in ax.texts]
    # 6 values, 4 gradients (outputs: delta, hidden: dL/da), 12 edge labels, 2 "1", 3 captions
    assert len(texts) == 6 + 4 + 12 + 2 + 3
    assert f"{s.edge_values[1][0, 0]:.3f}" in texts and "output" in texts
    red = [t for t in ax.texts if t.get_color() == "#c0392b"]
    assert len(red) == 4 + 6  # node gradients and layer 2's edge gradients
    fig.canvas.draw()


def test_draw_network_without_values_or_bias():
    _, ax = plt.subplots()
    draw_network([3, 4, 2], ax=ax)
    assert (len(ax.lines), len(ax.patches), len(ax.texts)) == (12 + 8, 9, 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"node_values": [np.zeros(2), np.zeros(3), np.zeros(2)]}, r"node_values\[1\] must"),
        ({"edge_values": [np.zeros((2, 2))]}, "edge_values needs 2 entries, got 1"),
        ({"edge_kinds": ["weight", "gradient"]}, "edge_kinds needs 2 entries"),
        ({"phase": "sideways"}, "phase must be one of"),
    ],
)
def test_draw_network_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        draw_network([2, 2, 2], **kwargs)
