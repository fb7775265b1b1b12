"""train_run (the training widget's model) and the widget's wiring."""

import numpy as np
import pytest

import nnlab as nl
from nnlab.explore import training_runs
from nnlab.explore.training_runs import train_run, training_explorer


def test_train_run_is_fit_with_the_named_optimizer():
    net, history, X, _ = train_run("momentum", 0.1, 32, 5, data="moons", hidden=8)
    assert X.shape == (300, 2) and history.epochs == 5
    ref = nl.mlp([2, 8, 8, 2], "tanh", rng=0)
    X2, y2 = nl.make_moons(300, rng=0)
    nl.fit(
        ref,
        nl.SoftmaxCrossEntropy(),
        nl.SGD(ref.parameters(), 0.1, momentum=0.9),
        X2,
        y2,
        epochs=5,
        batch_size=32,
        rng=0,
        progress=False,
    )
    np.testing.assert_array_equal(net.flat_params, ref.flat_params)


def test_train_run_learns_and_is_reproducible():
    net, history, _, _ = train_run("adam", 0.01, 32, 60, data="moons")
    assert history["accuracy"][-1] >= 0.95
    again = train_run("adam", 0.01, 32, 60, data="moons")[0]
    np.testing.assert_array_equal(net.flat_params, again.flat_params)


def test_train_run_errors():
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'; expected one of 'sgd'"):
        train_run("rmsprop")
    with pytest.raises(ValueError, match="unknown data 'mnist'"):
        train_run(data="mnist")


def parts(box):
    opt, lr, batch = box.children[0].children
    epochs, data, button = box.children[1].children
    return (opt, lr, batch, epochs, data, button), button, box.children[2]


def test_training_explorer_trains_on_click():
    pytest.importorskip("ipywidgets")
    box = training_explorer()
    (opt, lr, batch, epochs, data, _), button, status = parts(box)
    opt.value, epochs.value, data.value = "adam", 10, "moons"
    button.click()
    assert status.value.startswith("final loss")
    lr.value = 1.0
    opt.value = "sgd"
    batch.value = 300
    button.click()  # a large step either trains or reports the divergence; never raises
    assert status.value.startswith(("final loss", "diverged"))


def test_training_explorer_disables_its_controls_while_training(monkeypatch):
    """A click during a run starts nothing; the controls come back after the run."""
    pytest.importorskip("ipywidgets")
    box = training_explorer()
    controls, button, status = parts(box)
    runs = []

    def fake_run(*args, **kwargs):
        runs.append([c.disabled for c in controls])
        button.click()  # a second click while the first run trains
        raise FloatingPointError("fake divergence")

    monkeypatch.setattr(training_runs, "train_run", fake_run)
    button.click()
    assert runs == [[True] * 6]  # one run, every control disabled during it
    assert status.value == "diverged: fake divergence"
    assert not any(c.disabled for c in controls)


def test_training_explorer_enables_its_controls_after_an_error(monkeypatch):
    pytest.importorskip("ipywidgets")
    box = training_explorer()
    controls, button, _ = parts(box)

    def failing_run(*args, **kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(training_runs, "train_run", failing_run)
    with pytest.raises(RuntimeError, match="unexpected"):
        box.train()  # what the click runs (a click logs the error instead of raising it)
    assert not any(c.disabled for c in controls)
    monkeypatch.undo()
    controls[3].value, controls[4].value = 10, "xor"
    button.click()  # clickable again
    assert box.children[2].value.startswith("final loss")
