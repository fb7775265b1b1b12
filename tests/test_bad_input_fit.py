"""fit, predict and accuracy given bad input: a clear error before any update, weights intact."""

import numpy as np
import pytest
from helpers import RecordingSGD
from hypothesis import given
from hypothesis import strategies as st

import nnlab as nl

N = 40
ALLOWED = (ValueError, TypeError, RuntimeError, FloatingPointError, OverflowError)


def data(k=3):
    rng = np.random.default_rng(0)
    return rng.normal(size=(N, 2)), np.arange(N) % k


DEFAULT = object()


def run_fit(net=None, loss=None, X=DEFAULT, y=DEFAULT, **kwargs):
    """fit one epoch; returns (error raised or None, flat_params before, after)."""
    net = net or nl.mlp([2, 8, 3], "tanh", rng=0)
    X0, y0 = data()
    X = X0 if X is DEFAULT else X
    y = y0 if y is DEFAULT else y
    before = net.flat_params.copy()
    kwargs.setdefault("epochs", 1)
    try:
        nl.fit(
            net,
            loss or nl.SoftmaxCrossEntropy(),
            nl.SGD(net.parameters(), 0.1),
            X,
            y,
            batch_size=8,
            progress=False,
            **kwargs,
        )
    except ALLOWED as err:
        return err, before, net.flat_params
    return None, before, net.flat_params


def last_changed(y, value):
    y = np.array(y, dtype=np.result_type(y, type(value)))  # a copy
    y[-1] = value
    return y


X0, Y0 = data()
BAD_FIT = {
    "label out of range, last row": (
        {"y": last_changed(Y0, 7)},
        ValueError,
        r"SoftmaxCrossEntropy\(\) expected y labels in \[0, 3\) for 3 outputs, got values in "
        r"\[0, 7\]",
    ),
    "negative label": ({"y": last_changed(Y0, -1)}, ValueError, r"got values in \[-1, 2\]"),
    "NaN label": (
        {"y": last_changed(Y0, np.nan)},
        FloatingPointError,
        r"fit: y holds NaN or inf in 1 row\(s\), the first at row 39; clean or impute",
    ),
    "inf label": ({"y": last_changed(Y0, np.inf)}, FloatingPointError, r"y holds NaN or inf"),
    "fractional label": (
        {"y": last_changed(Y0, 0.5)},
        TypeError,
        r"expected y as integer class labels, got dtype float64 with the non-integral value "
        r"0\.5 at index 39",
    ),
    "y too short": ({"y": Y0[:-1]}, ValueError, r"fit: X has 40 samples but y has 39"),
    "y scalar": ({"y": 1}, ValueError, r"fit expected y with one target per sample, got a scalar"),
    "y one-hot too wide": (
        {"y": np.eye(5)[Y0]},
        ValueError,
        r"expected y as labels of shape \(40,\) or one-hot of shape \(40, 3\), got \(40, 5\)",
    ),
    "y rows not probabilities": (
        {"y": np.ones((N, 3))},
        ValueError,
        r"expected y as rows of probabilities .* got a row summing to 3 at row 0",
    ),
    "y 3-D": ({"y": Y0[:, None, None]}, ValueError, r"got \(40, 1, 1\)"),
    "empty X": (
        {"X": np.zeros((0, 2)), "y": np.zeros(0, int)},
        ValueError,
        r"fit expected X with at least one sample, got 0 samples",
    ),
    "X wrong width": ({"X": np.zeros((N, 3))}, ValueError, r"expected X of shape \(n_samples, 2\)"),
    "X NaN": ({"X": last_changed(X0, np.nan)}, FloatingPointError, r"X holds NaN or inf"),
    "X complex": ({"X": X0 + 1j}, TypeError, r"fit expected X to hold real numbers, got complex"),
    "y complex": ({"y": Y0 + 0j}, TypeError, r"fit expected y to hold real numbers, got complex"),
    "X ragged": (
        {"X": [[0.0, 1.0]] * (N - 1) + [[0.0]]},
        ValueError,
        r"fit expected X to be a rectangular numeric array, got a ragged nested sequence",
    ),
    "y ragged": ({"y": [[0]] * (N - 1) + [[0, 1]]}, ValueError, r"fit expected y to be a rect"),
    "X strings": ({"X": np.full((N, 2), "a")}, TypeError, r"X to be a numeric array, got dtype"),
    "y strings": ({"y": np.full(N, "a")}, TypeError, r"y to be a numeric array, got dtype <U1"),
    "X None": ({"X": None}, TypeError, r"X to be a numeric array, got dtype object"),
    "validation_data not a pair": (
        {"validation_data": X0},
        TypeError,
        r"fit: validation_data must be a pair \(X_val, y_val\), got ndarray",
    ),
    "validation_data of 3": (
        {"validation_data": (X0, Y0, Y0)},
        TypeError,
        r"must be a pair \(X_val, y_val\), got a tuple of 3 items",
    ),
    "y_val too short": (
        {"validation_data": (X0, Y0[:5])},
        ValueError,
        r"fit: X_val has 40 samples but y_val has 5",
    ),
    "y_val label out of range": (
        {"validation_data": (X0, last_changed(Y0, 3))},
        ValueError,
        r"expected y_val labels in \[0, 3\)",
    ),
    "X_val wrong width": (
        {"validation_data": (np.zeros((5, 4)), Y0[:5])},
        ValueError,
        r"fit expected X_val of shape \(n_samples, 2\), got \(5, 4\)",
    ),
    "X_val NaN": (
        {"validation_data": (last_changed(X0, np.nan), Y0)},
        FloatingPointError,
        r"X_val holds NaN or inf in 1 row\(s\), the first at row 39",
    ),
    "y_val NaN": (
        {"validation_data": (X0, last_changed(Y0, np.nan))},
        FloatingPointError,
        r"y_val holds NaN or inf",
    ),
    "X_val empty": (
        {"validation_data": (np.zeros((0, 2)), np.zeros(0, int))},
        ValueError,
        r"X_val with at least one sample, got 0 samples",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FIT))
def test_fit_rejects_bad_data_before_any_update(case):
    kwargs, error, message = BAD_FIT[case]
    err, before, after = run_fit(**kwargs)
    assert type(err) is error, err
    with pytest.raises(error, match=message):
        raise err
    assert "learning rate" not in str(err)
    np.testing.assert_array_equal(after, before)


@pytest.mark.parametrize(
    ("loss", "out", "y", "message"),
    [
        (nl.MSELoss(), 3, np.full((N, 3), np.nan), r"fit: y holds NaN or inf in 40 row"),
        (nl.MSELoss(), 3, np.zeros((N, 2)), r"MSELoss\(\) expected y of shape \(40, 3\)"),
        (
            nl.BinaryCrossEntropy(),
            1,
            last_changed(np.zeros(N), 2.0),
            r"got y with values in \[0, 2\]",
        ),
        (nl.BinaryCrossEntropy(), 1, last_changed(np.zeros(N), np.nan), r"y holds NaN or inf"),
    ],
)
def test_fit_checks_targets_against_the_loss_up_front(loss, out, y, message):
    net = nl.mlp([2, 8, out], "tanh", rng=0)
    err, before, after = run_fit(net=net, loss=loss, y=y)
    with pytest.raises((ValueError, FloatingPointError), match=message):
        raise err
    np.testing.assert_array_equal(after, before)


def test_whole_float_labels_train_exactly_as_integer_labels():
    runs = []
    for y in (Y0, Y0.astype(float)):
        net = nl.mlp([2, 8, 3], "tanh", rng=0)
        assert run_fit(net=net, y=y, rng=1)[0] is None
        runs.append(net.flat_params.copy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_fit_trains_a_single_layer_and_rejects_what_is_not_a_layer():
    layer = nl.Dense(2, 3, rng=0)
    twin = nl.Sequential([nl.Dense(2, 3, rng=0)])  # the same weights, inside a network
    for net in (layer, twin):
        nl.fit(
            net,
            nl.MSELoss(),
            nl.SGD(net.parameters(), 0.1),
            X0,
            np.eye(3)[Y0],
            epochs=2,
            rng=0,
            progress=False,
        )
    np.testing.assert_array_equal(layer.W, twin[0].W)  # the layer trained as the network did
    before = layer.W.copy()
    with pytest.raises(TypeError, match="fit: net must be an nnlab layer or network, got list"):
        nl.fit([layer], nl.MSELoss(), nl.SGD(layer.parameters(), 0.1), X0, Y0, epochs=1)
    np.testing.assert_array_equal(layer.W, before)


def test_optimizer_built_before_the_sequential_is_rejected():
    """Sequential moves each layer's weights into its own buffer: the old arrays go stale."""
    layer = nl.Dense(2, 3, rng=0)
    opt = nl.SGD(layer.parameters(), 0.1)
    net = nl.Sequential([layer])
    before = net.flat_params.copy()
    with pytest.raises(ValueError, match="fit: the optimizer updates none of net's parameters"):
        nl.fit(net, nl.SoftmaxCrossEntropy(), opt, X0, Y0, epochs=1, progress=False)
    np.testing.assert_array_equal(net.flat_params, before)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_update_that_overflows_the_weights_is_undone(dtype):
    net = nl.mlp([2, 8, 3], "relu", rng=0, dtype=dtype)
    opt = RecordingSGD(net, lr=float(np.finfo(dtype).max))  # finite gradients, infinite step
    with pytest.raises(
        FloatingPointError,
        match=r"fit diverged at epoch 1, batch 1: the update overflowed the weights to inf or "
        r"NaN\. The weights are left as they were before this step\. Try a smaller learning",
    ):
        nl.fit(net, nl.SoftmaxCrossEntropy(), opt, X0 * 100, Y0, epochs=1, progress=False)
    assert opt.steps == 1
    np.testing.assert_array_equal(net.flat_params, opt.before)


def test_predict_and_accuracy_reject_empty_and_malformed_input():
    net = nl.mlp([2, 8, 3], "tanh", rng=0)
    with pytest.raises(ValueError, match="predict expected X with at least one sample, got 0"):
        nl.predict(net, np.zeros((0, 2)))
    with pytest.raises(ValueError, match="accuracy expected X with at least one sample, got 0"):
        nl.accuracy(net, np.zeros((0, 2)), np.zeros(0, int))
    with pytest.raises(ValueError, match="predict expected X to be a rectangular numeric array"):
        nl.predict(net, [[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="predict expected X to hold real numbers, got complex"):
        nl.predict(net, X0 + 0j)
    with pytest.raises(TypeError, match="predict: net must be an nnlab layer or network, got str"):
        nl.predict("net", X0)


@pytest.mark.parametrize(
    ("y", "error", "message"),
    [
        (np.eye(5)[Y0], ValueError, r"one-hot of shape \(40, 3\) for 3 output\(s\), got \(40, 5\)"),
        (Y0[:, None, None], ValueError, r"got \(40, 1, 1\)"),
        (last_changed(Y0, np.nan), ValueError, r"accuracy expected y as class labels in \[0, 3\)"),
        (last_changed(Y0, 0.5), TypeError, r"non-integral value 0\.5 at index 39"),
        (Y0 + 3, ValueError, r"accuracy expected y labels in \[0, 3\) for 3 outputs"),
        (Y0[:-1], ValueError, r"accuracy: X has 40 samples but y has 39"),
        (1, ValueError, r"one label per sample, got a scalar"),
        (None, TypeError, r"y to be a numeric array, got dtype object"),
        ([[0]] * 39 + [[0, 1]], ValueError, r"y to be a rectangular numeric array"),
        (Y0 + 0j, TypeError, r"y to hold real numbers, got complex"),
    ],
)
def test_accuracy_rejects_bad_targets(y, error, message):
    net = nl.mlp([2, 8, 3], "tanh", rng=0)
    with pytest.raises(error, match=message):
        nl.accuracy(net, X0, y)


def test_accuracy_accepts_equivalent_target_forms():
    net = nl.mlp([2, 8, 3], "tanh", rng=0)
    expected = nl.accuracy(net, X0, Y0)
    for y in (Y0.astype(float), Y0[:, None], np.eye(3)[Y0], list(Y0)):
        assert nl.accuracy(net, X0, y) == expected
    single = nl.Dense(2, 3, rng=0)  # a single layer works as a network
    assert nl.accuracy(single, X0, Y0) == nl.accuracy(nl.Sequential([single]), X0, Y0)
    binary = nl.Sequential([nl.Dense(2, 1, rng=0), nl.Sigmoid()])
    flags = np.arange(N) % 2 == 0
    assert nl.accuracy(binary, X0, flags) == nl.accuracy(binary, X0, flags.astype(int))
    assert nl.accuracy(binary, X0, np.eye(2)[flags.astype(int)]) == nl.accuracy(binary, X0, flags)


bad_values = st.sampled_from([np.nan, np.inf, -1, 3, 0.5, 1e300, "a", None, 1j, [0, 1], True, ()])


@given(
    target=st.sampled_from(["X", "y", "X_val", "y_val"]),
    row=st.integers(0, N - 1),
    value=bad_values,
    length=st.sampled_from([N, N - 1, 0, 1]),
)
def test_any_bad_value_raises_an_allowed_error_and_changes_nothing(target, row, value, length):
    X, y = X0.astype(object), Y0.astype(object)
    arrays = {"X": X, "y": y, "X_val": X.copy(), "y_val": y.copy()}
    arrays[target][row] = value if target.startswith("y") else [value, 0.0]
    arrays[target] = arrays[target][:length] if length < N else arrays[target]
    arrays = {k: v.tolist() for k, v in arrays.items()}
    err, before, after = run_fit(
        X=arrays["X"], y=arrays["y"], validation_data=(arrays["X_val"], arrays["y_val"])
    )
    if err is not None and "diverged" not in str(err):  # divergence keeps earlier steps
        assert any(name in str(err) for name in ("X", "y", "fit", "SoftmaxCrossEntropy()"))
        np.testing.assert_array_equal(after, before)
