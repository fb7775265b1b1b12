"""nnlab.explore.bridge: the same training in nnlab and PyTorch. The nnlab side is checked
against a training loop written here with nnlab alone; the PyTorch side against it."""

import numpy as np
import pytest

import nnlab as nl
from nnlab.explore import bridge

torch = pytest.importorskip("torch")


def reference_losses(optimizer: str, dtype: str, steps: int, batch: int = 32, seed: int = 0):
    """The minibatch losses of the same run, by nnlab alone (no PyTorch)."""
    X_train, _, y_train, _ = nl.load_digits(rng=seed)
    X_train = X_train.astype(dtype)
    net = nl.mlp(bridge.SIZES, "tanh", rng=seed, dtype=np.dtype(dtype).type)
    loss, opt = nl.SoftmaxCrossEntropy(), bridge.BRIDGE_OPTIMIZERS[optimizer](net.parameters())
    reps = 1 + steps * batch // len(X_train)
    order = np.random.default_rng(seed).permutation(np.tile(np.arange(len(X_train)), reps))
    out = []
    for i in range(steps):
        idx = order[i * batch : (i + 1) * batch]
        out.append(loss.forward(net.forward(X_train[idx]), y_train[idx]))
        net.backward(loss.backward())
        opt.step()
    return np.array(out)


@pytest.mark.parametrize("optimizer", list(bridge.BRIDGE_OPTIMIZERS))
def test_both_trainings_agree_in_float64(optimizer):
    result = bridge.train_both(optimizer, "float64", steps=12)
    np.testing.assert_array_equal(result["loss_nnlab"], reference_losses(optimizer, "float64", 12))
    np.testing.assert_allclose(result["loss_torch"], result["loss_nnlab"], rtol=1e-12)
    assert (result["gap"] < 1e-13).all()
    assert result["test_acc_torch"] == result["test_acc_nnlab"]
    assert result["eps"] == np.finfo(np.float64).eps
    assert result["loss_nnlab"][-1] < result["loss_nnlab"][0]  # it trains


def test_float32_agrees_to_float32_rounding():
    result = bridge.train_both("Adam", "float32", steps=12)
    np.testing.assert_allclose(
        result["loss_nnlab"], reference_losses("Adam", "float32", 12), rtol=1e-6
    )
    np.testing.assert_allclose(result["loss_torch"], result["loss_nnlab"], rtol=1e-5)
    assert (result["gap"] < 1e-4).all() and result["gap"].max() > 1e-9  # float32 rounding shows
    assert result["eps"] == np.finfo(np.float32).eps


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        bridge.train_both("RMSprop")
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64'"):
        bridge.train_both("Adam", "float16")
    with pytest.raises(ValueError, match="steps"):
        bridge.train_both("Adam", "float64", steps=0)


def test_figure_and_widget():
    plt = pytest.importorskip("matplotlib.pyplot")
    result = bridge.train_both("SGD", "float64", steps=5)
    ax = bridge.plot_both(result)
    assert len(ax[0].lines) == 2 and ax[1].get_yscale() == "log"
    plt.close("all")
    pytest.importorskip("ipywidgets")
    box = bridge.bridge_explorer()
    controls = next(c for c in box.children if hasattr(c, "children")).children
    controls[1].value = "float32"  # redraws without error
    plt.close("all")
