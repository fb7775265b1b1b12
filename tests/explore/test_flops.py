"""FLOPs per layer: ``flops_table`` (checked against ``nnlab.flops`` on real networks), its
bar chart and the explorer's wiring."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnlab as nl
from nnlab.explore.flops import flops_explorer, flops_table, plot_flops


def blocks_of(rows):
    """Sum ``nnlab.flops`` rows per block: a Dense layer and the activation after it."""
    blocks = []
    for row in rows:
        if row["layer"].startswith("Dense"):
            blocks.append([row["forward"], row["backward"]])
        else:
            blocks[-1][0] += row["forward"]
            blocks[-1][1] += row["backward"]
    return np.array(blocks).T


@pytest.mark.parametrize("sizes", [[3, 2], [4, 5, 3], [784, 256, 256, 10], [2, 7, 1, 9, 4]])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "identity"])
@pytest.mark.parametrize("input_grad", [False, True])
def test_flops_table_matches_nnlab_flops(sizes, activation, input_grad):
    net = nl.mlp(sizes, activation, rng=0)
    forward, backward = blocks_of(nl.flops(net, 16, input_grad=input_grad))
    table = flops_table(sizes, 16, activation, input_grad=input_grad)
    np.testing.assert_array_equal(table["forward"], forward)
    np.testing.assert_array_equal(table["backward"], backward)
    assert table["total_forward"] == forward.sum()
    assert table["total_backward"] == backward.sum()
    assert table["ratio"] == backward.sum() / forward.sum()


def test_flops_table_parts_and_labels():
    t = flops_table([784, 256, 10], 128)
    assert t["labels"] == ["784→256", "256→10"]
    np.testing.assert_array_equal(
        t["backward"], t["backward_dW"] + t["backward_dX"] + t["backward_act"]
    )
    assert t["backward_dX"][0] == 0  # training skips the first layer's input gradient
    assert t["backward_dX"][1] == 2 * 128 * 256 * 10
    assert t["backward_act"][-1] == 0  # no activation after the output layer
    assert t["forward"][1] == t["backward_dW"][1]  # dW costs exactly the forward matmul


def test_flops_ratio_tends_to_two_and_ignores_the_batch_size():
    ratios = [flops_table([784, h, h, 10], 32)["ratio"] for h in (16, 256, 4096)]
    assert ratios == sorted(ratios)  # wider hidden layers: the skipped dX matters less
    assert 1.8 < ratios[-1] < 2.0
    full = flops_table([784, 256, 256, 10], 32, input_grad=True)["ratio"]
    assert abs(full - 2) < 0.01
    for batch in (1, 7, 512):
        assert flops_table([784, 256, 256, 10], batch)["ratio"] == pytest.approx(
            ratios[1], rel=1e-12
        )


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (([784], 8), ValueError, "sizes must list at least 2 layer widths"),
        (([784, 0, 10], 8), ValueError, "every size must be a positive int, got 0"),
        (([784, 10], 0), ValueError, "batch_size must be a positive int"),
        (([784, 10], 8, "swish"), ValueError, "swish"),
    ],
)
def test_flops_table_errors(args, error, match):
    with pytest.raises(error, match=match):
        flops_table(*args)


def test_plot_flops_draws_every_part():
    t = flops_table([784, 64, 64, 10], 128)
    ax = plot_flops(t)
    assert len(ax.patches) == 4 * 3  # forward + three backward parts, per layer
    assert ax.get_title() == f"backward / forward FLOPs = {t['ratio']:.2f}"
    heights = [p.get_height() for p in ax.patches[:3]]
    np.testing.assert_array_equal(heights, t["forward"])
    assert any(text.get_text() == "dX\nskipped" for text in ax.texts)


def test_flops_explorer_builds_and_redraws(capsys):
    ipywidgets = pytest.importorskip("ipywidgets")
    box = flops_explorer(width=64, depth=3)
    assert isinstance(box, ipywidgets.VBox)
    controls = {c.description: c for row in box.children[0].children for c in row.children}
    assert set(controls) == {"hidden width", "hidden layers", "batch size", "compute dX of layer 1"}
    assert controls["hidden width"].value == 64
    assert controls["hidden layers"].value == 3
    controls["hidden width"].value = 512
    controls["compute dX of layer 1"].value = True
    assert plt.get_fignums() == []  # each redraw closes its figure
