"""pass_memory against what a real network caches, and its plot and widget."""

import matplotlib
import numpy as np
import pytest

import nnlab as nl
from nnlab import viz, widgets

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.mark.parametrize("sizes", [[2, 3, 1], [784, 256, 256, 10], [10, 5]])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_cache_equals_what_the_network_keeps(sizes, dtype):
    net = nl.mlp(sizes, "tanh", rng=0, dtype=dtype)
    memory = widgets.pass_memory(sizes, 37, dtype=dtype)
    net.forward(np.zeros((37, sizes[0])))
    assert nl.cached_bytes(net) == memory["training_cache"]
    assert memory["parameters"] == memory["gradients"] == net.flat_params.nbytes
    net.forward(np.zeros((37, sizes[0])), cache=False)
    assert nl.cached_bytes(net) == memory["inference_cache"] == 0


def test_inference_peak_is_the_largest_layer_pair():
    memory = widgets.pass_memory([784, 256, 10], 100, dtype=np.float32)
    assert memory["inference_peak"] == 100 * (784 + 256) * 4
    # the training cache grows with the batch, the parameters do not
    big = widgets.pass_memory([784, 256, 10], 1000, dtype=np.float32)
    assert big["training_cache"] == 10 * memory["training_cache"]
    assert big["parameters"] == memory["parameters"]


def test_errors():
    with pytest.raises(ValueError, match="at least 2 layer widths"):
        widgets.pass_memory([3], 4)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        widgets.pass_memory([3, 4], 0)
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        widgets.pass_memory([3, 4], 2, dtype=np.int8)


def test_plot_and_widget():
    ax = viz.plot_pass_memory(widgets.pass_memory([4, 8, 2], 16), title="t")
    assert len(ax.patches) == 4 and ax.get_title() == "t"
    plt.close("all")
    box = widgets.memory_explorer(width=32, depth=1)
    batch = box.children[1].children[0]
    batch.value = 256  # reacting to a slider redraws without error
    assert batch.description == "batch"
    plt.close("all")
