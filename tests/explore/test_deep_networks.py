"""nnlab.explore.deep_networks: stacks with and without residual connections and LayerNorm,
their block-by-block profiles (checked against a pass written here), and short trainings."""

import numpy as np
import pytest

import nnlab as nl
from nnlab.explore import deep_networks as dn


@pytest.mark.parametrize("kind", dn.KINDS)
def test_stack_layout(kind):
    net = dn.deep_stack(3, 8, kind, rng=0)
    assert len(net.layers) == 5  # input Dense, 3 blocks, output Dense
    block = net.layers[1]
    assert isinstance(block, nl.Residual) == kind.startswith("residual")
    inner = block.block if isinstance(block, nl.Residual) else block
    names = [type(la).__name__ for la in inner.layers]
    assert names == (["LayerNorm"] if "layernorm" in kind else []) + ["Dense", "ReLU"]
    assert net.forward(np.ones((2, 64))).shape == (2, 10)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="kind must be one of"):
        dn.deep_stack(3, 8, "batchnorm")
    with pytest.raises(ValueError, match="depth"):
        dn.deep_stack(0, 8, "plain")


def test_block_profile_against_a_pass_written_here():
    rng = np.random.default_rng(1)
    net = dn.deep_stack(4, 6, "residual+layernorm", rng=2)
    X, y = rng.normal(size=(5, 64)), rng.integers(0, 10, 5)
    profile = dn.block_profile(net, X, y)
    loss = nl.SoftmaxCrossEntropy()
    A = [X]
    for layer in net.layers:
        A.append(layer.forward(A[-1]))
    assert profile["loss"] == pytest.approx(loss.forward(A[-1], y), rel=1e-12)
    np.testing.assert_allclose(profile["signal"], [np.sqrt(np.mean(a**2)) for a in A[1:-1]])
    # the gradient reaching the last block's output, by finite differences of the loss
    last = A[-2]

    def L(a):
        return nl.SoftmaxCrossEntropy().forward(net.layers[-1].forward(a, cache=False), y)

    h, g = 1e-6, np.empty_like(last)
    for idx in np.ndindex(last.shape):
        e = np.zeros_like(last)
        e[idx] = h
        g[idx] = (L(last + e) - L(last - e)) / (2 * h)
    assert profile["gradient"][-1] == pytest.approx(np.sqrt(np.mean(g**2)), rel=1e-6)


def test_residual_keeps_the_gradient_where_plain_loses_it():
    profiles = dn.depth_profiles(
        30, 16, kinds=("plain", "residual+layernorm"), seeds=range(3), batch=32
    )
    for p in profiles.values():
        assert p["signal"].shape == p["gradient"].shape == (3, 31)
    plain = profiles["plain"]["gradient"]
    res = profiles["residual+layernorm"]["gradient"]
    # the first block's gradient relative to the last block's, per seed
    assert (res[:, 0] / res[:, -1] > plain[:, 0] / plain[:, -1]).all()


def test_train_stacks_records_curves_and_validation_accuracy():
    out = dn.train_stacks(4, 8, kinds=("plain",), seeds=range(2), epochs=2)
    assert out["plain"]["loss"].shape == (2, 2)
    assert out["plain"]["val_accuracy"].shape == (2,)
    assert ((0 <= out["plain"]["val_accuracy"]) & (out["plain"]["val_accuracy"] <= 1)).all()
    assert out["plain"]["test_accuracy"].shape == (2,)
    assert ((0 <= out["plain"]["test_accuracy"]) & (out["plain"]["test_accuracy"] <= 1)).all()


def test_figure_and_widget():
    plt = pytest.importorskip("matplotlib.pyplot")
    profiles = dn.depth_profiles(5, 8, kinds=("plain", "residual"), seeds=range(2), batch=16)
    ax = dn.plot_profiles(profiles)
    assert ax.get_yscale() == "log"
    plt.close("all")
    pytest.importorskip("ipywidgets")
    box = dn.depth_explorer(max_depth=10)
    controls = next(c for c in box.children if hasattr(c, "children")).children
    controls[0].value = 5  # redraws without error
    plt.close("all")
