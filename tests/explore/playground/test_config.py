"""PlaygroundConfig: defaults, the bounded +/- moves, and errors that name the options."""

import pytest

from nnlab.explore.playground import (
    L1_RATES,
    L2_RATES,
    MAX_LAYERS,
    MAX_UNITS,
    OUTPUTS,
    PlaygroundConfig,
)
from nnlab.explore.playground.config import LIVE


def test_defaults_are_the_issue_default():
    c = PlaygroundConfig()
    assert (c.dataset, c.n_samples, c.hidden, c.features) == ("circle", 500, (4, 4), ("x1", "x2"))
    assert (c.activation, c.lr, c.l2, c.batch_size, c.train_ratio) == ("tanh", 0.03, 0.0, 10, 0.5)
    assert c.sizes == [2, 4, 4, 1]
    assert (c.l1, c.output) == (0.0, "nnlab")


def test_the_regularization_and_output_settings():
    assert L1_RATES == L2_RATES and OUTPUTS == ("nnlab", "playground")
    assert {"lr", "l1", "l2", "batch_size"} == LIVE  # changing output starts over
    c = PlaygroundConfig(l1=0.003, l2=1, output="playground")
    assert (c.l1, c.l2, c.output) == (0.003, 1.0, "playground") and isinstance(c.l2, float)


def test_lists_become_tuples_and_the_config_is_frozen():
    c = PlaygroundConfig(hidden=[3, 5], features=["x1^2"])
    assert c.hidden == (3, 5) and c.features == ("x1^2",)
    assert PlaygroundConfig(hidden=3).hidden == (3,)
    with pytest.raises(AttributeError):
        c.lr = 1.0
    assert c.replace(lr=0.1).lr == 0.1 and c.lr == 0.03


def test_add_and_remove_layers_stay_in_bounds():
    c = PlaygroundConfig(hidden=())
    assert c.remove_layer() == c
    for k in range(1, MAX_LAYERS + 1):
        c = c.add_layer()
        assert c.hidden == (2,) * k
    assert c.add_layer() == c and len(c.hidden) == 6
    assert c.remove_layer().hidden == (2,) * 5


def test_add_and_remove_units_stay_in_bounds():
    c = PlaygroundConfig(hidden=(4, 1))
    for _ in range(10):
        c = c.add_unit(0)
    assert c.hidden == (MAX_UNITS, 1)
    assert c.remove_unit(1).hidden == (8, 1)
    assert c.remove_unit(0).remove_unit(0).hidden == (6, 1)
    with pytest.raises(ValueError, match=r"layer must be in \[0, 2\).*got 2"):
        c.add_unit(2)
    with pytest.raises(ValueError, match=r"layer must be in \[0, 0\)"):
        PlaygroundConfig(hidden=()).remove_unit(0)
    with pytest.raises(TypeError, match="layer must be an int"):
        c.add_unit("0")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"dataset": "ring"}, "unknown dataset 'ring'; expected one of 'circle', 'xor'"),
        ({"features": ("x3",)}, "unknown feature 'x3'; expected one of 'x1', 'x2', 'x1\\^2'"),
        ({"features": ()}, "at least one input feature"),
        ({"activation": "elu"}, "unknown activation 'elu'; expected one of 'relu', 'tanh', "),
        ({"init": "orthogonal"}, "unknown init 'orthogonal'; expected one of 'default', 'he'"),
        ({"hidden": (4,) * 7}, "hidden must list 0 to 6 layer widths, got 7 layers"),
        ({"hidden": (4, 9)}, "each hidden layer has 1 to 8 units, got 9"),
        ({"hidden": (0,)}, "each hidden layer has 1 to 8 units, got 0"),
        ({"noise": 0.6}, r"noise must be in \[0, 0.5\], got 0.6"),
        ({"train_ratio": 0.05}, r"train_ratio must be in \[0.1, 0.9\]"),
        ({"lr": 0.0}, r"lr must be in \(0, inf\)"),
        ({"l2": -0.1}, "l2 must be in"),
        ({"l1": -0.1}, r"l1 must be in \[0, inf\), got -0.1"),
        ({"l1": float("nan")}, "l1 must be in"),
        ({"output": "torch"}, "unknown output 'torch'; expected one of 'nnlab', 'playground'"),
        ({"batch_size": 501}, r"batch_size must be in \[1, 500\]"),
        ({"n_samples": 5}, r"n_samples must be in \[10, 2000\]"),
        ({"seed": -1}, "seed must be an int >= 0"),
    ],
)
def test_bad_values_raise_and_say_what_is_allowed(changes, message):
    with pytest.raises(ValueError, match=message):
        PlaygroundConfig(**changes)
    with pytest.raises(ValueError, match=message):
        PlaygroundConfig().replace(**changes)


def test_wrong_kinds_raise_type_errors():
    with pytest.raises(TypeError, match="hidden widths must be ints"):
        PlaygroundConfig(hidden=(2.5,))
    with pytest.raises(TypeError, match="batch_size must be a positive int"):
        PlaygroundConfig(batch_size=2.0)
    with pytest.raises(TypeError, match="l1 must be a real number"):
        PlaygroundConfig(l1="0.1")
    with pytest.raises(TypeError, match="l1 must be a real number"):
        PlaygroundConfig().replace(l1=True)
