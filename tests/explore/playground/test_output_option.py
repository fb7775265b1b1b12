"""``output="nnlab"`` or ``"playground"``: the figure colours, splits and names the output and
the loss it has, and "show the maths" writes the formulas that were computed, with their
numbers (checked against a forward and backward pass written out here in NumPy)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnlab.explore.playground import (
    Playground,
    PlaygroundConfig,
    draw_playground,
    draw_unit_network,
    explain_point,
    features,
    playground_maps,
    plot_losses,
    plot_output,
    point_numbers,
)
from nnlab.explore.playground.labels import formulas, loss_name, output_name
from nnlab.explore.playground.scales import output_range, shared_limit, unit_images

# What each output of a classifier looks like: colour range, classes, names.
CLASSIFIER = {
    "nnlab": {"range": (0.0, 1.0), "boundary": 0.5, "what": "P(class 1)", "loss": "cross-entropy"},
    "playground": {
        "range": (-1.0, 1.0),
        "boundary": 0.0,
        "what": "tanh output, class 1 if > 0",
        "loss": "half squared error",
    },
}


@pytest.fixture(scope="module", params=["nnlab", "playground"])
def classifier(request):
    config = PlaygroundConfig(output=request.param, hidden=(3,), n_samples=200)
    pg = Playground(config).step(3)
    return pg, playground_maps(pg, grid=12), CLASSIFIER[request.param]


def test_the_output_map_is_coloured_on_the_outputs_own_range(classifier):
    pg, maps, expect = classifier
    assert pg.boundary == expect["boundary"] and output_range(pg) == expect["range"]
    lo, hi = expect["range"]
    assert lo <= maps.output.min() and maps.output.max() <= hi
    if pg.config.output == "playground":
        assert maps.output.min() < 0 < maps.output.max()  # off a [0, 1] scale
    ax = plot_output(pg, maps, plt.figure().gca())
    image = ax.get_images()[0]
    np.testing.assert_array_equal(image.get_array(), maps.output)
    assert image.get_clim() == expect["range"]
    assert ax.get_title() == f"output: {expect['what']}, epoch 3"
    for view in ("activations", "deltas"):  # the network's output unit: fixed, or shared
        network = draw_unit_network(pg, maps, plt.figure().gca(), view=view)
        top = shared_limit(pg, maps, view)
        assert network.get_images()[-1].get_clim() == (
            expect["range"] if view == "activations" else (-top, top)
        )
    hidden_top = np.abs(maps.A[0]).max()
    assert shared_limit(pg, maps, "activations") == hidden_top  # the output not in it
    plt.close("all")


def test_the_points_are_coloured_by_their_targets_on_that_range(classifier):
    pg, maps, expect = classifier
    ax = plot_output(pg, maps, plt.figure().gca())
    train, test = ax.collections
    np.testing.assert_array_equal(train.get_array(), pg.targets_train)
    np.testing.assert_array_equal(test.get_array(), pg.targets_test)
    assert set(pg.targets_train) == set(expect["range"])  # 0/1, or -1/+1
    assert train.get_clim() == test.get_clim() == expect["range"]
    plt.close("all")


def test_discretize_splits_at_the_boundary(classifier):
    pg, maps, expect = classifier
    lo, hi = expect["range"]
    ax = plot_output(pg, maps, plt.figure().gca(), discretize=True)
    image = ax.get_images()[0]
    shown = np.asarray(image.get_array())
    np.testing.assert_array_equal(shown, np.where(maps.output > pg.boundary, hi, lo))
    assert set(np.unique(shown)) == {lo, hi} and image.get_clim() == (lo, hi)
    points = np.column_stack([np.tile(maps.xs, 12), np.repeat(maps.xs, 12)])
    predicted = (pg.predict(points) > pg.boundary).reshape(12, 12)
    np.testing.assert_array_equal(shown == hi, predicted)  # the classes predict gives
    plt.close("all")


def test_a_tanh_output_between_0_and_half_is_class_1():
    pg = Playground(PlaygroundConfig(output="playground", hidden=(2,), n_samples=100))
    maps = playground_maps(pg, grid=30)
    between = (maps.output > 0) & (maps.output < 0.5)
    assert between.any()  # at initialization the output is small
    ax = plot_output(pg, maps, plt.figure().gca(), discretize=True)
    assert np.all(np.asarray(ax.get_images()[0].get_array())[between] == 1.0)
    plt.close("all")


def test_the_loss_is_named_and_stays_named_after_an_in_place_redraw(classifier):
    trained, _, expect = classifier
    pg = Playground(trained.config).step(1)  # its own, stepped below
    ax = plot_losses(pg, plt.figure().gca())
    train, test = pg.train_loss[-1], pg.test_loss[-1]
    assert ax.get_title() == f"{expect['loss']}: train {train:.3f}, test {test:.3f}"
    fig = plt.figure()
    axes = draw_playground(pg, fig, grid=6)
    pg.step(1)
    assert draw_playground(pg, fig, grid=6, axes=axes) is axes  # refreshed in place
    assert axes["loss"].get_title().startswith(f"{expect['loss']}: train")
    assert axes["output"].get_title() == f"output: {expect['what']}, epoch {pg.epoch}"
    assert axes["output"].get_images()[0].get_clim() == expect["range"]
    plt.close("all")


@pytest.mark.parametrize(
    ("output", "loss"), [("nnlab", "squared error"), ("playground", "half squared error")]
)
def test_regression_shows_the_prediction_on_a_symmetric_range(output, loss):
    pg = Playground(PlaygroundConfig(dataset="plane", output=output, hidden=(2,), n_samples=60))
    maps = playground_maps(pg.step(1), grid=6)
    assert output_range(pg) is None and pg.boundary == 0.0
    assert (output_name(pg.task), loss_name(pg.task)) == ("prediction", loss)
    axes = draw_playground(pg, plt.figure(), grid=6, discretize=True)
    top = np.abs(np.concatenate([pg.split.y_train, pg.split.y_test])).max()
    assert axes["output"].get_images()[0].get_clim() == (-top, top)
    np.testing.assert_array_equal(axes["output"].get_images()[0].get_array(), np.sign(maps.output))
    assert axes["loss"].get_title().startswith(f"{loss}: train")
    top = shared_limit(pg, maps, "activations")  # the prediction shares the hidden range
    assert unit_images(pg, maps, "activations")[-1][1:] == (-top, top)
    plt.close("all")


def by_hand(pg, x, y):
    """One sample's forward pass and output delta, from the weights, in plain NumPy."""
    A = features(np.array([x], dtype=float), pg.config.features)
    dense = pg.dense
    for layer in dense[:-1]:
        A = np.tanh(A @ layer.W + layer.b)  # the configs below use tanh hidden units
    z = float((A @ dense[-1].W + dense[-1].b)[0, 0])
    classify = pg.task == "classification"
    if pg.config.output == "playground":
        t = 2 * y - 1 if classify else y
        out = np.tanh(z) if classify else z
        loss = 0.5 * (out - t) ** 2
        delta = (out - t) * (1 - out**2) if classify else out - t
    else:
        t = y
        out = 1 / (1 + np.exp(-z)) if classify else z
        loss = -(y * np.log(out) + (1 - y) * np.log(1 - out)) if classify else (z - y) ** 2
        delta = out - y if classify else 2 * (z - y)
    return {"z": z, "t": t, "output": out, "loss": loss, "delta": delta}


# (output, task) -> what the maths must say, in LaTeX and in text.
MATHS = {
    ("playground", "classification"): (
        [
            r"\hat y = \tanh\left(Z^{[2]}\right)",
            r"\ell = \tfrac{1}{2}(\hat y - t)^2",
            r"\delta^{[2]} = (\hat y - t)\left(1 - \hat y^2\right)",
            "$t = 2y - 1 = -1$",
        ],
        [
            "y_hat = tanh(Z[2])",
            "loss = 0.5 (y_hat - t)^2",
            "delta[2] = (y_hat - t) (1 - y_hat^2)",
            "t = 2y - 1 = -1",
        ],
    ),
    ("nnlab", "classification"): (
        [
            r"\hat y = \sigma\left(Z^{[2]}\right)",
            r"\ell = -\left(y \log \hat y",
            r"\delta^{[2]} = \hat y - y =",
        ],
        ["y_hat = sigmoid(Z[2])", "loss = -(y log y_hat", "delta[2] = y_hat - y ="],
    ),
    ("playground", "regression"): (
        [r"\hat y = Z^{[2]}", r"\ell = \tfrac{1}{2}(\hat y - y)^2", r"\delta^{[2]} = \hat y - y ="],
        ["y_hat = Z[2]", "loss = 0.5 (y_hat - y)^2", "delta[2] = y_hat - y ="],
    ),
    ("nnlab", "regression"): (
        [r"\hat y = Z^{[2]}", r"\ell = (\hat y - y)^2", r"\delta^{[2]} = 2(\hat y - y)"],
        ["y_hat = Z[2]", "loss = (y_hat - y)^2", "delta[2] = 2 (y_hat - y)"],
    ),
}
WRONG = [r"\sigma\left(Z^{[2]}", r"\tanh\left(Z^{[2]}", r"\log \hat y", r"\tfrac{1}{2}", "t = 2y"]


@pytest.mark.parametrize(("output", "task"), list(MATHS))
def test_the_maths_shows_the_formulas_computed_and_their_numbers(output, task):
    dataset = "circle" if task == "classification" else "plane"
    config = PlaygroundConfig(dataset=dataset, output=output, hidden=(2,), n_samples=40)
    pg = Playground(config).step(2)
    x, y = (0.7, -1.3), 0.0
    n = point_numbers(pg, x, y)
    run = by_hand(pg, x, y)
    assert n["Z"][-1][0] == pytest.approx(run["z"], rel=1e-12)
    assert n["t"] == run["t"] and n["output"] == pytest.approx(run["output"], rel=1e-12)
    assert n["loss"] == pytest.approx(run["loss"], rel=1e-12)
    assert n["delta"][-1][0] == pytest.approx(run["delta"], rel=1e-12)
    tex, text = explain_point(pg, x, y), explain_point(pg, x, y, latex=False)
    for shown, says in zip((tex, text), MATHS[output, task], strict=True):
        for words in says:
            assert words in shown
        for value in (run["z"], run["output"], run["loss"], run["delta"]):
            assert f"{value:.4f}" in shown
        assert "divided by" in shown and "N" in shown
    latex_says = MATHS[output, task][0]
    for wrong in WRONG:  # nothing of another output's formulas
        if not any(wrong in words for words in latex_says):
            assert wrong not in tex
    assert formulas(pg.task).delta[1] in text


@pytest.mark.parametrize("output", ["nnlab", "playground"])
def test_the_mean_losss_delta_is_the_delta_shown_over_n(output):
    """The trained loss is a mean over the batch: its gradient at each sample's ``Z^[m]`` is
    the delta the maths shows for that sample, divided by N."""
    pg = Playground(PlaygroundConfig(output=output, hidden=(2,), n_samples=40)).step(1)
    X, y = pg.split.X_train[:5], pg.split.y_train[:5]
    Z = pg.net.forward(features(X, pg.config.features))
    pg.loss.forward(Z, pg.targets_train[:5])
    mean_delta = pg.loss.backward()[:, 0]
    shown = [point_numbers(pg, x, t)["delta"][-1][0] for x, t in zip(X, y, strict=True)]
    np.testing.assert_allclose(5 * mean_delta, shown, rtol=1e-12)
    if output == "playground":
        out, t = np.tanh(Z[:, 0]), 2 * y - 1
        np.testing.assert_allclose(mean_delta, (out - t) * (1 - out**2) / 5, rtol=1e-12)
