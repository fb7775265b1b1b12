"""The steps of a forward and backward pass, as recorded by ``backprop_steps``.

The numbers of every step must be nnlab's own (forward outputs, deltas, gradients, SGD
update), so the chapter's animation shows exactly what the library computes.
"""

import copy

import numpy as np
import pytest

import nnlab as nl
from nnlab.explore.backprop_steps import backprop_steps, worked_example

from .step_example import T, X, example_net

KEYS = ["input", "z1", "a1", "z2", "a2", "loss", "delta2", "dA1", "grad2", "delta1", "grad1"]


def random_net(sizes, rng, activation="tanh"):
    return nl.mlp(sizes, activation, rng=rng)


def by_key(steps):
    return {s.key: s for s in steps}


def test_keys_and_count_of_the_chapter_example():
    steps = backprop_steps(example_net(), X, T, nl.MSELoss(), lr=0.5)
    assert [s.key for s in steps] == [*KEYS, "update"]
    assert len(steps) == 5 * 2 + 2
    assert [s.key for s in backprop_steps(example_net(), X, T, nl.MSELoss())] == KEYS
    assert {s.phase for s in steps} == {"forward", "loss", "backward", "update"}


@pytest.mark.parametrize("m", [1, 2, 3])
def test_count_without_output_activation(rng, m):
    """mlp ends on a Dense layer: no a_m and no delta_m step, so 5 m - 1 steps (+1 update)."""
    sizes = [3] + [4] * (m - 1) + [2]
    steps = backprop_steps(
        random_net(sizes, rng), rng.normal(size=3), 1, nl.SoftmaxCrossEntropy(), lr=0.1
    )
    assert len(steps) == 5 * m - 1 + 1
    assert f"a{m}" not in by_key(steps) and f"delta{m}" not in by_key(steps)


def test_forward_values_are_the_layer_outputs():
    net = example_net()
    s = by_key(backprop_steps(net, X, T, nl.MSELoss()))
    ref = copy.deepcopy(net)
    Z1 = ref[0].forward(X[None])
    A1 = ref[1].forward(Z1)
    Z2 = ref[2].forward(A1)
    A2 = ref[3].forward(Z2)
    np.testing.assert_array_equal(s["input"].node_values[0], X)
    np.testing.assert_allclose(s["z1"].node_values[1], Z1[0])
    np.testing.assert_allclose(s["a1"].node_values[1], A1[0])
    np.testing.assert_allclose(s["z2"].node_values[2], Z2[0])
    np.testing.assert_allclose(s["a2"].node_values[2], A2[0])
    assert np.isnan(s["z1"].node_values[2]).all()  # not computed yet
    assert s["loss"].loss == pytest.approx(nl.MSELoss()(A2, T[None]))
    np.testing.assert_allclose(s["input"].edge_values[1], net[2].W)
    assert s["input"].edge_kinds == ["weight", "weight"]


def test_deltas_and_gradients_are_nnlabs():
    net = example_net()
    loss = nl.MSELoss()
    s = by_key(backprop_steps(net, X, T, loss))
    ref, ref_loss = example_net(), nl.MSELoss()
    A2 = ref(X[None])
    ref_loss(A2, T[None])
    ref.backward(ref_loss.backward())
    for (_, _, g), (_, _, g_ref) in zip(net.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(g, g_ref)  # net now holds the gradients
    dA2 = 2 * (A2 - T) / A2.size
    np.testing.assert_allclose(s["loss"].node_grads[2], dA2[0])
    delta2 = dA2[0] * A2[0] * (1 - A2[0])
    np.testing.assert_allclose(s["delta2"].node_grads[2], delta2)
    np.testing.assert_allclose(s["dA1"].node_grads[1], delta2 @ ref[2].W.T)
    final = s["grad1"]
    assert final.edge_kinds == ["grad", "grad"]
    np.testing.assert_allclose(final.edge_values[1], ref[2].dW)
    np.testing.assert_allclose(final.bias_values[1], ref[2].db)
    np.testing.assert_allclose(final.edge_values[0], ref[0].dW)
    np.testing.assert_allclose(final.bias_values[0], ref[0].db)
    # each edge's gradient: forward value at its start times delta at its end
    a1 = s["a2"].node_values[1]
    np.testing.assert_allclose(final.edge_values[1], np.outer(a1, final.node_grads[2]))
    np.testing.assert_allclose(final.edge_values[0], np.outer(X, final.node_grads[1]))
    np.testing.assert_allclose(final.bias_values[1], final.node_grads[2])


def test_update_step_is_one_sgd_step_and_leaves_net_alone():
    net = example_net()
    before = net.flat_params.copy()
    update = backprop_steps(net, X, T, nl.MSELoss(), lr=0.5)[-1]
    np.testing.assert_array_equal(net.flat_params, before)
    ref, ref_loss = example_net(), nl.MSELoss()
    ref_loss(ref(X[None]), T[None])
    ref.backward(ref_loss.backward())
    nl.SGD(ref.parameters(), lr=0.5).step()
    np.testing.assert_allclose(update.edge_values[0], ref[0].W)
    np.testing.assert_allclose(update.bias_values[1], ref[2].b)
    assert update.loss == pytest.approx(ref_loss(ref(X[None]), T[None]))
    assert update.loss < backprop_steps(example_net(), X, T, nl.MSELoss())[5].loss
    assert update.highlight_edges == (0, 1)


def test_softmax_cross_entropy_output_delta(rng):
    net = random_net([2, 3, 3], rng)
    s = by_key(backprop_steps(net, X, 2, nl.SoftmaxCrossEntropy()))
    Z = s["z2"].node_values[2]
    np.testing.assert_allclose(s["loss"].node_grads[2], nl.Softmax.f(Z) - [0, 0, 1])
    one_hot = by_key(backprop_steps(net, X, [0, 0, 1], nl.SoftmaxCrossEntropy()))
    np.testing.assert_allclose(one_hot["loss"].node_grads[2], s["loss"].node_grads[2])


def test_step_snapshots_are_independent():
    steps = backprop_steps(example_net(), X, T, nl.MSELoss())
    steps[0].node_values[0][:] = 99.0
    assert steps[1].node_values[0][0] == 1.0
    assert repr(steps[0]) == "Step('input', 'Input')"
    assert steps[0].layer_sizes == [2, 2, 2]


@pytest.mark.parametrize(
    ("layers", "kwargs", "error", "match"),
    [
        (None, {"x": np.ones((2, 2))}, ValueError, r"x of shape \(2,\) or \(1, 2\), got \(2, 2\)"),
        (None, {"lr": 0.0}, ValueError, r"lr must be in \(0, inf\)"),
        ([nl.Sigmoid()], {}, ValueError, r"layer 0 is Sigmoid\(\)"),
        (
            [nl.Dense(2, 2), nl.Tanh(), nl.Sigmoid()],
            {},
            ValueError,
            r"layer 2 is Sigmoid\(\) after",
        ),
        ("list", {}, TypeError, "expected a Sequential, got list"),
    ],
)
def test_backprop_steps_errors(layers, kwargs, error, match):
    if layers is None:
        net = example_net()
    elif layers == "list":
        net = [nl.Dense(2, 2)]
    else:
        net = nl.Sequential(layers)
    args = {"x": X, "y": T, "loss": nl.MSELoss(), **kwargs}
    with pytest.raises(error, match=match):
        backprop_steps(net, **args)


def test_worked_example_is_the_chapter_network():
    net, x, t, eta = worked_example()
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(t, T)
    assert eta == 0.5
    np.testing.assert_array_equal(net.flat_params, example_net().flat_params)
    assert [type(la) for la in net.layers] == [type(la) for la in example_net().layers]
    assert worked_example()[0] is not net  # a new network each call
