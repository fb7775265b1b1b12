"""pass_memory against the arrays a real network holds, and its figure and widget."""

import numpy as np
import pytest

import nnlab as nl
from nnlab.explore.pass_memory import (
    BATCH_SIZES,
    memory_explorer,
    pass_memory,
    plot_pass_memory,
)

ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "identity"]


def cache_attributes(net):
    """Every array a layer holds (directly or in a tuple) besides its parameters and
    gradients, which live in the network's two flat buffers (empty work buffers aside)."""
    found = []
    for layer in net.layers:
        for value in vars(layer).values():
            for a in value if isinstance(value, tuple) else (value,):
                if (
                    isinstance(a, np.ndarray)
                    and a.size
                    and not np.shares_memory(a, net.flat_params)
                    and not np.shares_memory(a, net.flat_grads)
                ):
                    found.append(a)
    return found


def distinct(arrays):
    """The arrays, each counted once: a layer's output kept by the next layer is one array."""
    kept = []
    for a in arrays:
        if not any(np.shares_memory(a, k) for k in kept):
            kept.append(a)
    return kept


@pytest.mark.parametrize("sizes", [[2, 3, 1], [784, 256, 256, 10], [10, 5], [3, 4, 5, 6, 2]])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_cache_is_the_distinct_arrays_the_network_holds(sizes, activation, dtype):
    net = nl.mlp(sizes, activation, rng=0, dtype=dtype)
    memory = pass_memory(sizes, 37, activation, dtype=dtype)
    net.forward(np.zeros((37, sizes[0]), dtype=dtype))
    held = cache_attributes(net)
    assert sum(a.nbytes for a in distinct(held)) == memory["training_cache"]
    assert nl.cached_bytes(net) == memory["training_cache"]  # the profiler agrees
    assert memory["parameters"] == memory["gradients"] == net.flat_params.nbytes
    net.forward(np.zeros((37, sizes[0]), dtype=dtype), cache=False)
    assert cache_attributes(net) == []
    assert memory["inference_cache"] == 0


def test_summing_every_cache_counts_shared_arrays_twice():
    """The old formula: a hidden output is kept by its activation and by the next layer."""
    sizes, n = [784, 256, 256, 10], 256
    net = nl.mlp(sizes, "relu", rng=0)
    net.forward(np.zeros((n, 784)))
    held = cache_attributes(net)
    assert len(held) == 5 and len(distinct(held)) == 3  # X, A1, A2
    memory = pass_memory(sizes, n)["training_cache"]
    assert memory == n * (784 + 256 + 256) * 8
    assert sum(a.nbytes for a in held) == memory + n * (256 + 256) * 8


def test_leaky_relu_keeps_its_input_as_well():
    one = pass_memory([4, 8, 2], 10, "relu")["training_cache"]
    two = pass_memory([4, 8, 2], 10, "leaky_relu")["training_cache"]
    assert two - one == 10 * 8 * 8  # the hidden Z, besides the hidden A


def test_inference_peak_is_the_largest_layer_pair():
    memory = pass_memory([784, 256, 10], 100, dtype=np.float32)
    assert memory["inference_peak"] == 100 * (784 + 256) * 4
    # the training cache grows with the batch, the parameters do not
    big = pass_memory([784, 256, 10], 1000, dtype=np.float32)
    assert big["training_cache"] == 10 * memory["training_cache"]
    assert big["parameters"] == memory["parameters"]


def test_errors():
    with pytest.raises(ValueError, match="at least 2 layer widths"):
        pass_memory([3], 4)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        pass_memory([3, 4], 0)
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        pass_memory([3, 4], 2, dtype=np.int8)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        pass_memory([3, 4], 2, "swish")


def test_plot_pass_memory():
    ax = plot_pass_memory(pass_memory([4, 8, 2], 16), title="t")
    assert len(ax.patches) == 4 and ax.get_title() == "t"


def test_memory_explorer():
    pytest.importorskip("ipywidgets")
    box = memory_explorer(width=32, depth=1)
    width, depth = box.children[0].children
    batch, dtype = box.children[1].children
    assert batch.description == "batch"
    assert list(batch.options) == [2**k for k in range(13)] == list(BATCH_SIZES)
    assert batch.value == 128
    batch.value = 4096  # reacting to a slider redraws without error
    for control in (width, depth, batch, dtype):  # no description is cut ("hidden la...")
        assert control.style.description_width == "initial"
