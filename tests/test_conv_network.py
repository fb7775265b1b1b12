"""A small CNN on the digits: Sequential, fit, predict, accuracy, gradcheck, astype, flops and
cached_bytes with image inputs, and the shape checks Sequential makes when it is built."""

import numpy as np
import pytest
from helpers import assert_float32_pass, net_input_grad_and_fd, raises_and_changes_nothing, train

import nnlab as nl
from nnlab.conv import Conv2D
from nnlab.pooling import Flatten, MaxPool2D


def digits_cnn(dtype=np.float64, rng=0):
    return nl.Sequential(
        [
            Conv2D(1, 8, 3, padding=1, rng=rng, dtype=dtype),
            nl.ReLU(),
            MaxPool2D(2),
            Flatten(),
            nl.Dense(8 * 4 * 4, 10, rng=rng, dtype=dtype),
        ]
    )


@pytest.fixture(scope="module")
def digits():
    X_train, X_test, y_train, y_test = nl.load_digits()
    return X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8), y_train, y_test


def test_digits_cnn_shapes_and_repr():
    net = digits_cnn()
    assert net.input_shape == (1, "height", "width") and net.n_in is None
    assert net.forward(np.zeros((3, 1, 8, 8))).shape == (3, 10)
    assert net.n_params == 8 * 9 + 8 + 128 * 10 + 10
    assert "(0): Conv2D(1 -> 8, kernel=3x3, stride=1, padding=1, init='he')  # 80 params" in (
        repr(net)
    )


def test_digits_cnn_passes_gradcheck(digits):
    X, _, y, _ = digits
    errors = nl.gradcheck(digits_cnn(), nl.SoftmaxCrossEntropy(), X[:6], y[:6])
    assert set(errors) == {"0.W", "0.b", "4.W", "4.b"}
    assert max(errors.values()) < 1e-7


def test_digits_cnn_backward_matches_a_second_engine_on_the_whole_net(digits):
    """dX of the whole network by finite differences on a few inputs: the col2im path."""
    X = digits[0][:2].copy()
    net = digits_cnn()
    loss = nl.SoftmaxCrossEntropy()
    y = np.array([3, 7])
    dX, numeric = net_input_grad_and_fd(net, loss, X, y)
    assert dX.shape == X.shape
    assert nl.relative_error(dX, numeric) < 1e-7


def test_fit_lowers_the_loss_and_predict_and_accuracy_work(digits):
    X_train, X_test, y_train, y_test = digits
    net = digits_cnn()
    loss = nl.SoftmaxCrossEntropy()
    before = loss(nl.predict(net, X_train), y_train)
    history = train(
        net, loss, nl.Adam, X_train, y_train, lr=0.01, epochs=3, validation_data=(X_test, y_test)
    )
    assert history["loss"][-1] < history["loss"][0] < before
    assert history["val_accuracy"][-1] > 0.85
    scores = nl.predict(net, X_test)
    assert scores.shape == (len(X_test), 10)
    assert nl.accuracy(net, X_test, y_test) == pytest.approx(
        np.mean(scores.argmax(axis=1) == y_test)
    )


def test_float32_network_stays_float32_end_to_end(digits):
    X, _, y, _ = digits
    net = digits_cnn(np.float32)
    loss = nl.SoftmaxCrossEntropy()
    assert_float32_pass(net, loss, X[:16], y[:16])
    history = train(net, loss, nl.SGD, X, y, lr=0.05, epochs=2)
    assert history["loss"][1] < history["loss"][0]
    assert net.flat_params.dtype == np.float32


def test_astype_converts_conv_layers_and_keeps_the_values():
    net = digits_cnn()
    X = np.random.default_rng(0).normal(size=(4, 1, 8, 8))
    net.forward(X)
    net32 = net.astype(np.float32)
    conv = net32.layers[0]
    assert conv.dtype == conv.W.dtype == conv.dW.dtype == np.float32
    assert conv.cached_arrays() == []  # the copy starts with no stale cache
    np.testing.assert_allclose(conv.W, net.layers[0].W, rtol=1e-7)
    np.testing.assert_allclose(net32.forward(X), net.forward(X), rtol=1e-4, atol=1e-5)
    assert np.shares_memory(conv.W, net32.flat_params)


def test_conv_weights_are_views_of_flat_params():
    net = digits_cnn()
    conv = net.layers[0]
    assert np.shares_memory(conv.W, net.flat_params) and np.shares_memory(conv.dW, net.flat_grads)
    np.testing.assert_array_equal(net.flat_params[: conv.W.size], conv.W.ravel())
    net.flat_params[0] = 42.0
    assert conv.W[0, 0, 0, 0] == 42.0
    X = np.ones((2, 1, 8, 8))
    net.forward(X)
    net.backward(np.ones((2, 10)))
    np.testing.assert_array_equal(net.flat_grads[: conv.W.size], conv.dW.ravel())
    assert conv.dW.any()


def test_cached_bytes_counts_the_im2col_matrix_and_the_pool_arrays_once():
    net = digits_cnn()
    net.forward(np.ones((32, 1, 8, 8)))
    cols = 9 * 32 * 64  # C_in kh kw rows, N H_out W_out columns
    relu_out = 32 * 8 * 8 * 8  # kept by ReLU and by MaxPool: counted once
    pooled = 32 * 8 * 4 * 4  # MaxPool's output, also Dense's input (through Flatten's view)
    assert nl.cached_bytes(net) == 8 * (cols + relu_out + pooled)
    nl.predict(net, np.ones((32, 1, 8, 8)))
    assert nl.cached_bytes(net) == 0


def test_flops_of_a_cnn():
    net = digits_cnn()
    unknown = nl.flops(net, 32)  # no forward yet: the image size is unknown
    assert [r["forward"] for r in unknown] == [None, None, None, None, 32 * (2 * 128 * 10 + 10)]
    rows = nl.flops(net, 32, input_shape=(1, 8, 8))
    conv = 2 * 32 * 64 * 8 * 9  # 2 N H_out W_out C_out C_in kh kw
    assert rows[0]["forward"] == conv + 32 * 64 * 8
    assert rows[0]["backward"] == rows[0]["forward"] + conv + 32 * 64 * 9
    assert rows[1]["forward"] == 32 * 8 * 8 * 8  # ReLU on (8, 8, 8) per sample
    assert rows[2]["forward"] == 32 * 8 * 4 * 4 * 3  # 3 comparisons per 2x2 window
    assert rows[3]["forward"] == rows[3]["backward"] == 0
    net.forward(np.zeros((2, 1, 8, 8)))
    assert nl.flops(net, 32) == rows  # the size of the last forward
    first = nl.flops(net, 32, input_grad=False)[0]
    assert first["backward"] == rows[0]["forward"]  # dW and db only
    assert nl.flops(net, 32, input_shape=(1, 16, 16))[1]["forward"] == 32 * 8 * 16 * 16
    assert net.layers[0].flops(32) == net.layers[0].flops(32, (1, 8, 8))
    # the network is a layer too: its own count is the sum of its layers'
    total = net.flops(32)
    assert total["forward"] == sum(r["forward"] for r in rows)
    assert total["backward_dW"] + total["backward_dX"] == sum(r["backward"] for r in rows)


def test_trace_records_image_shapes():
    net = digits_cnn()
    with nl.trace(net) as events:
        net.forward(np.zeros((2, 1, 8, 8)))
        net.backward(np.ones((2, 10)))
    shapes = [(e.direction, e.shape_in, e.shape_out) for e in events]
    assert shapes[:4] == [
        ("forward", (2, 1, 8, 8), (2, 8, 8, 8)),
        ("forward", (2, 8, 8, 8), (2, 8, 8, 8)),
        ("forward", (2, 8, 8, 8), (2, 8, 4, 4)),
        ("forward", (2, 8, 4, 4), (2, 128)),
    ]
    assert shapes[-1] == ("backward", (2, 8, 8, 8), (2, 1, 8, 8))


# -- shapes checked when a network is built ---------------------------------------------------


def test_dense_widths_still_chain_across_activations_and_flatten():
    with pytest.raises(ValueError, match=r"layer 0 Dense\(2 -> 4.* outputs 4 features but layer 3"):
        nl.Sequential([nl.Dense(2, 4), nl.ReLU(), nl.Tanh(), nl.Dense(5, 1)])
    net = nl.Sequential([nl.Dense(2, 4), Flatten(), nl.Dense(4, 1)])  # Flatten keeps (4,)
    assert net.forward(np.ones((3, 2))).shape == (3, 1)
    with pytest.raises(ValueError, match=r"layer 1 Flatten\(\) outputs 4 features but layer 2"):
        nl.Sequential([nl.Dense(2, 4), Flatten(), nl.Dense(3, 1)])


def test_widths_are_not_checked_where_they_cannot_be_known():
    # whatever the image size, Sequential cannot know what Flatten outputs: fine when built
    net = nl.Sequential([Conv2D(1, 2, 3), Flatten(), nl.Dense(18, 1)])
    assert net.forward(np.ones((1, 1, 5, 5))).shape == (1, 1)
    with pytest.raises(ValueError, match=r"Dense\(18 -> 1, init='he'\) expected X of shape"):
        net.forward(np.ones((1, 1, 6, 6)))  # 2 x 4 x 4 = 32 features: Dense says so


def test_channels_must_chain():
    with pytest.raises(
        ValueError,
        match=r"layer 2 MaxPool2D\(kernel=2x2, stride=2\) outputs \(n_samples, 8, height, "
        r"width\) but layer 3 Conv2D\(4 -> 2, .*\) expects \(n_samples, 4, height, width\)\.",
    ):
        nl.Sequential([Conv2D(1, 8, 3), nl.ReLU(), MaxPool2D(2), Conv2D(4, 2, 3)])


def test_dense_after_images_needs_a_flatten():
    with pytest.raises(ValueError, match=r"expects \(n_samples, 128\)\. Put a Flatten\(\) between"):
        nl.Sequential([Conv2D(1, 8, 3, padding=1), MaxPool2D(2), nl.Dense(128, 10)])


def test_all_layers_with_a_dtype_must_share_it():
    with pytest.raises(
        TypeError,
        match=r"all layers with parameters must share one dtype, got layer 0: float32, "
        r"layer 3: float64\.",
    ):
        nl.Sequential([Conv2D(1, 2, 3, dtype=np.float32), nl.ReLU(), Flatten(), nl.Dense(2, 1)])


def test_network_input_shape_comes_from_the_first_layer_that_says():
    assert nl.Sequential([nl.Tanh(), nl.Dense(3, 2)]).input_shape == (..., 3)  # any leading axes
    assert nl.Sequential([MaxPool2D(2), Flatten()]).input_shape == ("channels", "height", "width")
    net = nl.Sequential([Flatten(), nl.Dense(64, 2, rng=0)])  # (N, 8, 8) or (N, 1, 8, 8)
    assert net.input_shape is None
    assert net.forward(np.ones((2, 8, 8))).shape == net.forward(np.ones((2, 1, 8, 8))).shape
    with pytest.raises(ValueError, match=r"Sequential expected X of shape \(n_samples, \.\.\.\)"):
        net.forward(np.ones(64))


def test_image_inputs_are_checked_by_the_network_and_the_training_functions(digits):
    net = digits_cnn()
    X, y = digits[0][:10], digits[2][:10]
    flat = X.reshape(10, 64)
    with pytest.raises(
        ValueError,
        match=r"Sequential expected X of shape \(n_samples, 1, height, width\), got a 2-D array "
        r"of shape \(10, 64\)\.",
    ):
        net.forward(flat)
    with pytest.raises(ValueError, match=r"got a 3-D array .* use X\[np.newaxis\]"):
        net.forward(X[0])
    with pytest.raises(ValueError, match=r"Sequential expected X of shape \(n_samples, 1, hei"):
        net.forward(np.ones((2, 3, 8, 8)))
    for call, owner in [
        (lambda Z: nl.predict(net, Z), "predict"),
        (lambda Z: nl.accuracy(net, Z, y), "accuracy"),
        (lambda Z: nl.gradcheck(net, nl.SoftmaxCrossEntropy(), Z, y), "gradcheck"),
        (
            lambda Z: nl.fit(
                net, nl.SoftmaxCrossEntropy(), nl.SGD(net.parameters(), 0.1), Z, y, epochs=1
            ),
            "fit",
        ),
    ]:
        with pytest.raises(
            ValueError,
            match=rf"{owner} expected X of shape \(n_samples, 1, height, width\), got \(10, 3, 8",
        ):
            call(np.ones((10, 3, 8, 8)))
        with pytest.raises(ValueError, match=rf"{owner} expected X of shape .*got a 2-D array"):
            call(flat)
    small = nl.Sequential([Conv2D(1, 2, 3, rng=0), Flatten(), nl.Dense(2, 1, rng=0)])
    with raises_and_changes_nothing(
        small, ValueError, r"padded height and width .* at least the kernel's 3x3"
    ):
        nl.fit(
            small,
            nl.MSELoss(),
            nl.SGD(small.parameters(), 0.1),
            np.ones((4, 1, 2, 2)),
            np.ones((4, 1)),
            epochs=1,
            progress=False,
        )
