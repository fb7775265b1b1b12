"""nnlab.explore.attention_reversal: the digit-reversal data, the one-block transformer, its
attention maps and their anti-diagonal score, a short training, the figures and the explorer."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import nnlab as nl
from nnlab.explore import attention_reversal as am

SMALL = {"T": 5, "n_digits": 6, "d_model": 16, "n_heads": 2, "n_train": 600}
SMALL |= {"n_val": 200, "n_test": 100, "epochs": 5}


@pytest.fixture(scope="module")
def trained():
    """One short training (about 0.1 s) shared by the tests that need a trained network."""
    return am.train_reversal([0], **SMALL)


def test_reversal_data():
    X, y = am.reversal_data(50, 7, 4, rng=3)
    assert X.shape == y.shape == (50, 7)
    assert X.dtype.kind == "i" and X.min() >= 0 and X.max() <= 3
    np.testing.assert_array_equal(y, X[:, ::-1])
    np.testing.assert_array_equal(y[:, 0], X[:, -1])
    X2, _ = am.reversal_data(50, 7, 4, rng=3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, am.reversal_data(50, 7, 4, rng=4)[0])
    assert set(np.unique(am.reversal_data(2000, 8, 10, rng=0)[0])) == set(range(10))


def test_transformer_layout_and_parameter_names():
    net = am.reversal_transformer(4, 5, 8, 2, rng=0)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == [
        "Embedding",
        "PositionalEmbedding",
        "Residual",
        "Residual",
        "LayerNorm",
        "Dense",
    ]
    assert [type(la).__name__ for la in net[2].block.layers] == ["LayerNorm", "MultiHeadAttention"]
    assert [type(la).__name__ for la in net[3].block.layers] == [
        "LayerNorm",
        "Dense",
        "ReLU",
        "Dense",
    ]
    names = [name for name, _, _ in net.parameters()]
    assert names[:4] == ["0.W", "1.P", "2.0.0.gamma", "2.0.0.beta"]
    assert "2.0.1.W_q" in names and names[-2:] == ["5.W", "5.b"]
    assert net[3].block[1].W.shape == (8, 16)  # d_ff defaults to 2 d_model
    assert am.reversal_transformer(4, 5, 8, 2, d_ff=32, rng=0)[3].block[1].W.shape == (8, 32)
    X, _ = am.reversal_data(3, 4, 5, rng=0)
    assert nl.predict(net, X).shape == (3, 4, 5)
    same = am.reversal_transformer(4, 5, 8, 2, rng=0)
    np.testing.assert_array_equal(net.flat_params, same.flat_params)


def test_attention_layer_is_found():
    net = am.reversal_transformer(4, 5, 8, 2, rng=0)
    layer = am.attention_layer(net)
    assert layer is net[2].block[1]
    assert isinstance(layer, nl.MultiHeadAttention) and layer.n_heads == 2
    assert am.attention_layer(layer) is layer
    with pytest.raises(ValueError, match="attention_layer"):
        am.attention_layer(nl.mlp([2, 3, 1], rng=0))


def test_attention_maps_are_distributions_from_an_inference_pass():
    net = am.reversal_transformer(6, 5, 8, 2, rng=1)
    X, _ = am.reversal_data(7, 6, 5, rng=2)
    maps = am.attention_maps(net, X)
    assert maps.shape == (7, 2, 6, 6)
    assert (maps >= 0).all()
    np.testing.assert_allclose(maps.sum(axis=-1), 1.0, rtol=1e-12)
    assert net.cached_arrays() == []  # nothing kept for a backward pass
    again = am.attention_maps(net, X[:2])
    np.testing.assert_allclose(again, maps[:2], rtol=1e-12)  # a copy, not overwritten
    maps[...] = 0.0  # and the caller's to change
    assert am.attention_layer(net).attention_weights.sum() > 0


def test_reversal_score_on_hand_made_maps():
    T = 5
    anti = np.broadcast_to(np.eye(T)[::-1], (3, 2, T, T))
    np.testing.assert_allclose(am.reversal_score(anti), [1.0, 1.0])
    uniform = np.full((4, 3, T, T), 1.0 / T)
    np.testing.assert_allclose(am.reversal_score(uniform), np.full(3, 1.0 / T))
    mixed = np.stack([np.eye(T), np.eye(T)[::-1]])[None]  # head 0 the diagonal, head 1 mirrors
    np.testing.assert_allclose(am.reversal_score(mixed), [1.0 / T, 1.0])  # T odd: the middle
    with pytest.raises(ValueError, match="reversal_score"):
        am.reversal_score(np.ones((2, 5, 5)))
    with pytest.raises(ValueError, match="reversal_score"):
        am.reversal_score(np.ones((2, 1, 5, 4)))


def test_reversal_accuracy_counts_digits_and_sequences():
    net = am.reversal_transformer(4, 5, 8, 2, rng=0)
    X, y = am.reversal_data(20, 4, 5, rng=0)
    guess = nl.predict(net, X).argmax(axis=-1)
    acc = am.reversal_accuracy(net, X, y)
    assert acc["token"] == pytest.approx(np.mean(guess == y))
    np.testing.assert_allclose(acc["by_position"], np.mean(guess == y, axis=0))
    assert acc["sequence"] == pytest.approx(np.mean((guess == y).all(axis=1)))
    guess[:10, 0] = (guess[:10, 0] + 1) % 5  # half the sequences wrong at one position
    acc = am.reversal_accuracy(net, X, guess)
    assert acc["token"] == pytest.approx(1 - 10 / 80)
    np.testing.assert_allclose(acc["by_position"], [0.5, 1, 1, 1])
    assert acc["sequence"] == pytest.approx(0.5)


def test_short_training_learns_to_reverse(trained):
    r = trained
    assert r["loss"].shape == r["val_loss"].shape == r["val_accuracy"].shape == (1, 6)
    assert r["val_by_position"].shape == (1, 5)
    assert r["score_before"].shape == r["score_after"].shape == (1, 2)
    assert r["loss"][0, -1] < 0.1 * r["loss"][0, 0]
    assert r["val_loss"][0, -1] < 0.1 * r["val_loss"][0, 0]
    assert r["val_accuracy"][0, 0] < 0.4  # column 0: before training, near chance (1/6)
    assert r["val_accuracy"][0, -1] > 0.95 and r["test_accuracy"][0] > 0.95
    assert r["val_sequence"][0] <= r["val_accuracy"][0, -1]
    # the attention learned to look at the mirror position
    assert r["score_after"].max() > 0.7 > r["score_before"].max()
    assert len(r["nets"]) == 1 and r["seconds"].shape == (1,)
    X, y = am.reversal_data(200, 5, 6, rng=am.VAL_SEED)
    assert am.reversal_accuracy(r["nets"][0], X, y)["token"] == r["val_accuracy"][0, -1]
    # column 0 is the untrained network of the same seed
    untrained = am.reversal_transformer(5, 6, 16, 2, rng=0)
    assert am.reversal_accuracy(untrained, X, y)["token"] == r["val_accuracy"][0, 0]
    assert am.reversal_score(am.attention_maps(untrained, X)) == pytest.approx(r["score_before"][0])


def test_training_is_deterministic_per_seed(trained):
    again = am.train_reversal([0], **SMALL)
    for key, value in trained.items():
        if key == "nets":
            np.testing.assert_array_equal(value[0].flat_params, again[key][0].flat_params)
        elif key != "seconds":
            np.testing.assert_array_equal(value, again[key], err_msg=key)
    other = am.train_reversal([1], **(SMALL | {"epochs": 1}))
    assert not np.array_equal(other["loss"][:, 0], trained["loss"][:, 0])


def test_attention_view_returns_what_the_explorer_draws(trained):
    net = trained["nets"][0]
    X, _ = am.reversal_data(6, 5, 6, rng=9)
    view = am.attention_view(net, X, sample=4, position=1, head=1)
    maps = am.attention_maps(net, X)
    np.testing.assert_array_equal(view["tokens"], X[4])
    np.testing.assert_array_equal(view["prediction"], nl.predict(net, X)[4].argmax(axis=-1))
    np.testing.assert_allclose(view["map"], maps[4, 1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(view["row"], maps[4, 1, 1], rtol=1e-12, atol=1e-15)
    assert view["attended"] == int(maps[4, 1, 1].argmax())
    assert view["mirror"] == 3
    np.testing.assert_array_equal(view["prediction"], X[4, ::-1])  # trained: it reverses
    for bad in ({"sample": 6}, {"position": 5}, {"head": 2}, {"sample": -1}):
        args = {"sample": 0, "position": 0, "head": 0} | bad
        with pytest.raises(ValueError, match="attention_view"):
            am.attention_view(net, X, **args)
    with pytest.raises(ValueError, match="attention_view"):
        am.attention_view(net, X[0], 0, 0, 0)


def test_plot_attention_draws_one_readable_panel_per_head():
    net = am.reversal_transformer(6, 10, 8, 2, rng=0)
    X, _ = am.reversal_data(3, 6, 10, rng=5)
    maps = am.attention_maps(net, X)
    fig = am.plot_attention(maps[1], X[1], prediction=X[1, ::-1])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3  # two heads and the colorbar
    ticks = [f"{t}:{d}" for t, d in enumerate(X[1])]
    for ax in fig.axes[:2]:
        assert [t.get_text() for t in ax.get_xticklabels()] == ticks
        assert [t.get_text() for t in ax.get_yticklabels()] == ticks
        image = ax.get_images()[0]
        assert image.get_cmap().name == "viridis" and image.get_clim() == (0.0, 1.0)
        np.testing.assert_allclose(image.get_array(), maps[1, fig.axes.index(ax)])
        texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels()]
        assert min(t.get_fontsize() for t in texts) >= 10
    assert fig.axes[0].get_title() == "head 0"
    one = am.plot_attention(maps[0, :1], X[0])
    assert len(one.axes) == 2
    with pytest.raises(ValueError, match="plot_attention"):
        am.plot_attention(maps, X[1])
    with pytest.raises(ValueError, match="plot_attention"):
        am.plot_attention(maps[1], X[1, :4])


def test_plot_training_bands(trained):
    fig = am.plot_reversal_training(trained)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_yscale() == "log"
    np.testing.assert_allclose(loss_ax.get_lines()[0].get_xdata(), np.arange(6))
    np.testing.assert_allclose(loss_ax.get_lines()[0].get_ydata(), trained["loss"][0])
    np.testing.assert_allclose(acc_ax.get_lines()[0].get_ydata(), trained["val_accuracy"][0])
    assert acc_ax.get_ylabel().startswith("validation accuracy")


def test_attention_explorer_redraws(trained):
    pytest.importorskip("ipywidgets")
    X, _ = am.reversal_data(4, 5, 6, rng=1)
    box = am.attention_explorer(trained["nets"][0], X)
    sample, position, head = box.children[0].children
    assert (sample.max, position.max) == (3, 4)
    assert [value for _, value in head.options] == [0, 1]
    sample.value, position.value, head.value = 2, 4, 1  # each redraws without error
    assert plt.get_fignums() == []  # every drawn figure was closed
    with pytest.raises(ValueError, match="attention_explorer"):
        am.attention_explorer(trained["nets"][0], X[0])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="reversal_data"):
        am.reversal_data(0, 4, 10)
    with pytest.raises(ValueError, match="transformer"):
        am.reversal_transformer(4, 10, 30, 4)
    with pytest.raises(ValueError, match="transformer"):
        am.reversal_transformer(0, 10, 8, 2)
    with pytest.raises(ValueError, match="train_reversal"):
        am.train_reversal([])
    net = am.reversal_transformer(4, 5, 8, 2, rng=0)
    X, y = am.reversal_data(3, 4, 5, rng=0)
    with pytest.raises(ValueError, match="reversal_accuracy"):
        am.reversal_accuracy(net, X, y[:, :3])
