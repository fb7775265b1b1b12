"""L1 and L2 on the weights only, and the TensorFlow Playground's output and loss: tanh,
targets -1/+1, half squared error; and the exported code that replays them."""

import numpy as np
import pytest

from nnlab.explore.playground import (
    HalfSquaredError,
    Playground,
    PlaygroundConfig,
    explain_point,
    export_code,
    features,
    playground_maps,
)
from nnlab.explore.playground.explain import point_numbers

from .helpers import run, weights

ONE_BATCH = {"batch_size": 500, "train_ratio": 0.5, "lr": 0.1}  # one update per epoch


def one_step(**settings):
    pg = Playground(PlaygroundConfig(**ONE_BATCH, **settings))
    before = weights(pg)
    return before, weights(pg.step(1))


@pytest.mark.parametrize("output", ["nnlab", "playground"])
@pytest.mark.parametrize("l2, l1", [(0.3, 0.0), (0.0, 0.01), (0.3, 0.01)])
def test_penalties_change_the_weight_updates_by_lr_times_their_gradient_and_not_the_biases(
    output, l2, l1
):
    before, plain = one_step(output=output)
    _, penalized = one_step(output=output, l2=l2, l1=l1)
    for (W, b), (W0, b0), (W1, b1) in zip(before, plain, penalized, strict=True):
        np.testing.assert_array_equal(b1, b0)  # the same bias update, bit for bit
        assert not np.array_equal(b1, b) and not np.array_equal(W1, W0)
        expected = 0.1 * (l2 * W + l1 * np.sign(W))
        np.testing.assert_allclose(W0 - W1, expected, rtol=1e-9, atol=1e-16)


def test_the_losses_and_gradient_norms_shown_leave_the_penalties_out():
    pg = Playground(PlaygroundConfig(l2=0.3, l1=0.03, output="playground")).step(2)
    A0 = pg.inputs_train
    assert pg.train_loss[-1] == pg.loss(pg.net.forward(A0), pg.targets_train)
    pg.net.backward(pg.loss.backward(), input_grad=False)
    np.testing.assert_array_equal(pg.grad_norms[-1], [np.linalg.norm(la.dW) for la in pg.dense])
    Z_test = pg.net.forward(pg.inputs_test, cache=False)
    assert pg.test_loss[-1] == pg.loss(Z_test, pg.targets_test)


def test_l1_is_live():
    pg = Playground().step(1)
    now = pg.net.flat_params.copy()
    pg.update(l1=0.01)
    np.testing.assert_array_equal(pg.net.flat_params, now)
    assert pg.epoch == 1 and pg.step(1).segments[-1] == [1, 0.03, 0.0, 0.01, 10]


@pytest.mark.parametrize("tanh", [True, False])
@pytest.mark.parametrize("shape", [(7, 1), (4, 3)])
def test_half_squared_error_and_its_exact_gradient(tanh, shape):
    gen = np.random.default_rng(5)
    Z, T, dZ = gen.normal(size=shape), gen.uniform(-1, 1, size=shape), gen.normal(size=shape)
    out = np.tanh(Z) if tanh else Z
    loss = HalfSquaredError(tanh=tanh)
    assert loss(Z, T) == pytest.approx(0.5 * np.mean((out - T) ** 2), rel=1e-14)
    grad = loss.backward()
    h, numeric = 1e-6, np.zeros(shape)
    for i in np.ndindex(*shape):
        step = np.zeros(shape)
        step[i] = h
        numeric[i] = (loss(Z + step, T) - loss(Z - step, T)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-7, atol=1e-11)
    value, slope = loss.jvp(Z, T, dZ)
    assert value == pytest.approx(0.5 * np.mean((out - T) ** 2), rel=1e-14)
    assert slope == pytest.approx(np.vdot(grad, dZ), rel=1e-12)
    assert repr(loss) == f"HalfSquaredError(tanh={tanh})"
    with pytest.raises(TypeError, match="tanh must be True or False"):
        HalfSquaredError(tanh=1)


def test_the_playground_output_is_tanh_with_targets_minus_one_and_one():
    pg = Playground(PlaygroundConfig(output="playground", dataset="xor", hidden=(3,)))
    y = pg.split.y_train
    assert pg.task == "classification" and pg.task.output == "playground"
    assert set(np.unique(y)) == {0, 1} and set(np.unique(pg.targets_train)) == {-1, 1}
    np.testing.assert_array_equal(pg.targets_train, 2 * y - 1)
    Z = pg.net.forward(pg.inputs_train)[:, 0]
    np.testing.assert_allclose(pg.predict(pg.split.X_train), np.tanh(Z), rtol=1e-14)
    expected = 0.5 * np.mean((np.tanh(Z) - (2 * y - 1)) ** 2)
    assert pg.train_loss[0] == pytest.approx(expected, rel=1e-13)
    assert pg.boundary == 0.0 and Playground().boundary == 0.5


def test_the_whole_network_gradient_of_the_playground_loss_by_finite_differences():
    pg = Playground(PlaygroundConfig(output="playground", dataset="moons", hidden=(3, 2)))
    X, t, net = pg.inputs_train, pg.targets_train, pg.net
    pg.loss(net.forward(X), t)
    net.backward(pg.loss.backward(), input_grad=False)
    grads, params = net.flat_grads.copy(), net.flat_params
    for i in range(0, params.size, 3):
        keep = params[i]
        params[i] = keep + 1e-6
        up = pg.loss(net.forward(X, cache=False), t)
        params[i] = keep - 1e-6
        down = pg.loss(net.forward(X, cache=False), t)
        params[i] = keep
        assert grads[i] == pytest.approx((up - down) / 2e-6, rel=1e-6, abs=1e-10)


def test_maps_and_the_maths_use_the_tanh_output_and_its_deltas():
    pg = Playground(PlaygroundConfig(output="playground", hidden=(3,))).step(2)
    maps = playground_maps(pg, grid=6)
    points = np.column_stack([np.tile(maps.xs, 6), np.repeat(maps.xs, 6)])
    Z = pg.net.forward(features(points, pg.config.features), cache=False)
    np.testing.assert_allclose(maps.output.ravel(), np.tanh(Z[:, 0]), rtol=1e-13)
    t = 2 * maps.target.ravel() - 1
    delta = (np.tanh(Z[:, 0]) - t) * (1 - np.tanh(Z[:, 0]) ** 2)
    np.testing.assert_allclose(maps.delta[-1][0].ravel(), delta, rtol=1e-12, atol=1e-15)
    # The mean loss over the grid, the delta of one sample times the number of samples:
    pg.loss.forward(Z, t)
    np.testing.assert_allclose(36 * pg.loss.backward()[:, 0], delta, rtol=1e-12, atol=1e-15)
    n = point_numbers(pg, (0.5, -1.0), y=1)
    assert n["output"] == pytest.approx(np.tanh(n["Z"][-1][0]), rel=1e-14)
    assert n["loss"] == pytest.approx(0.5 * (n["output"] - 1) ** 2, rel=1e-14)
    assert f"{n['output']:.4f}" in explain_point(pg, (0.5, -1.0), y=1, latex=False)


def test_training_with_the_playground_output_lowers_the_loss_and_classifies():
    config = PlaygroundConfig(output="playground", features=("x1^2", "x2^2"), l2=0.001)
    pg = Playground(config)
    start = pg.train_loss[0]
    pg.step(30)
    assert pg.train_loss[-1] < 0.1 * start and pg.test_loss[-1] < 0.1 * pg.test_loss[0]
    accuracy = np.mean((pg.predict(pg.split.X_test) > pg.boundary) == pg.split.y_test)
    assert accuracy > 0.97


def test_regression_with_the_playground_loss_is_half_the_mse_of_a_linear_output():
    mse = Playground(PlaygroundConfig(dataset="plane"))
    half = Playground(PlaygroundConfig(dataset="plane", output="playground"))
    np.testing.assert_array_equal(half.targets_train, mse.split.y_train)
    X = mse.split.X_test
    np.testing.assert_array_equal(half.predict(X), mse.predict(X))
    assert half.train_loss[0] == pytest.approx(0.5 * mse.train_loss[0], rel=1e-14)
    assert half.step(10).train_loss[-1] < 0.1 * half.train_loss[0]


@pytest.mark.parametrize(
    "config",
    [
        PlaygroundConfig(output="playground", l2=0.01, l1=0.003, hidden=(3, 2)),
        PlaygroundConfig(dataset="multigauss", output="playground", l1=0.001, hidden=(3,)),
        PlaygroundConfig(dataset="spiral", activation="relu", l2=0.03, batch_size=25),
    ],
)
def test_export_replays_the_penalties_and_the_playground_loss(config, capsys):
    pg = Playground(config).step(2)
    pg.update(lr=0.1, l1=0.01).step(1)
    pg.update(l2=0.0, batch_size=7).step(1)
    pg.update(l1=0.0)
    code = export_code(pg)
    assert ("HalfSquaredError" in code) == (config.output == "playground")
    scope = run(code)
    np.testing.assert_array_equal(scope["net"].flat_params, pg.net.flat_params)
    assert scope["train_loss"] == pg.train_loss[-1] and scope["test_loss"] == pg.test_loss[-1]
    assert (scope["opt"].lr, scope["l2"], scope["l1"]) == (0.1, 0.0, 0.0)
    assert capsys.readouterr().out.startswith("epoch 4: train loss")


def test_export_without_penalties_has_no_penalty_code_and_with_them_only_now_sets_them():
    pg = Playground(PlaygroundConfig(output="playground")).step(2)
    assert "penalty" not in export_code(pg)
    pg.update(l2=0.1)
    scope = run(export_code(pg))
    assert (scope["l2"], scope["l1"]) == (0.1, 0.0)
    np.testing.assert_array_equal(scope["net"].flat_params, pg.net.flat_params)
