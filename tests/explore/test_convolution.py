"""convolution: sliding_conv and conv_maps against NumPy recomputations (a strided window view
for the forward pass, the adjoint written as a scatter of the kernel for dL/dX, the sum of the
windows for dL/dW), the four-panel figure and the explorer's controls and redraws."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from nnlab.explore import convolution
from nnlab.explore.convolution import (
    KERNELS,
    conv_maps,
    convolution_explorer,
    plot_conv_maps,
    sliding_conv,
)
from nnlab.explore.signal_propagation import digits

STRIDES, PADDINGS = (1, 2, 3), (0, 1, 2)


def windows(x, kh, kw, stride, padding):
    """The (Ho, Wo, kh, kw) patches the kernel visits, from NumPy's sliding window view."""
    xp = np.pad(np.asarray(x, dtype=float), padding)
    return sliding_window_view(xp, (kh, kw))[::stride, ::stride]


def correlate(x, w, stride, padding):
    """y[i, j] = sum_{u, v} x_pad[i s + u, j s + v] w[u, v], as one einsum over the windows."""
    return np.einsum("ijuv,uv->ij", windows(x, *w.shape, stride, padding), w)


def scatter_adjoint(shape, w, stride, padding):
    """dL/dX for dL/dY = 1: add the kernel into a zero padded image at every output position,
    then crop the frame."""
    H, W = shape
    kh, kw = w.shape
    Ho, Wo = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
    grad = np.zeros((H + 2 * padding, W + 2 * padding))
    for i in range(Ho):
        for j in range(Wo):
            grad[i * stride : i * stride + kh, j * stride : j * stride + kw] += w
    return grad[padding : padding + H, padding : padding + W]


def image(index=0):
    return digits().X_train[index].reshape(8, 8)


# sliding_conv


def test_sliding_conv_by_hand():
    x = np.arange(9.0).reshape(3, 3)
    w = np.array([[1.0, 0.0], [0.0, -1.0]])  # y[i, j] = x[i, j] - x[i + 1, j + 1]
    np.testing.assert_array_equal(sliding_conv(x, w), np.full((2, 2), -4.0))
    # padded to 5x5, stride 2: windows at rows and columns 0 and 2 of the padded image
    np.testing.assert_array_equal(sliding_conv(x, w, stride=2, padding=1), [[0, -2], [-6, -4]])
    # lists and ints are taken as float arrays
    out = sliding_conv([[1, 2], [3, 4]], [[1]])
    assert out.dtype == float
    np.testing.assert_array_equal(out, [[1, 2], [3, 4]])


@pytest.mark.parametrize("stride", STRIDES)
@pytest.mark.parametrize("padding", PADDINGS)
def test_sliding_conv_matches_a_window_view(stride, padding):
    rng = np.random.default_rng(10 * stride + padding)
    x, w = rng.normal(size=(7, 9)), rng.normal(size=(3, 2))  # neither square
    y = sliding_conv(x, w, stride=stride, padding=padding)
    assert y.shape == ((7 + 2 * padding - 3) // stride + 1, (9 + 2 * padding - 2) // stride + 1)
    np.testing.assert_allclose(y, correlate(x, w, stride, padding), rtol=1e-12, atol=1e-12)


def test_sliding_conv_output_sizes():
    x = np.ones((8, 8))
    for (stride, padding), size in {(1, 0): 6, (1, 1): 8, (2, 1): 4, (3, 0): 2, (3, 2): 4}.items():
        y = sliding_conv(x, KERNELS["blur"], stride, padding)
        assert y.shape == (size, size)
    # a window of ones on a field of ones: each output counts the image pixels it covers
    counts = sliding_conv(np.ones((4, 4)), np.ones((3, 3)), 1, 1)
    np.testing.assert_array_equal(counts[0], [4, 6, 6, 4])
    np.testing.assert_array_equal(counts[1], [6, 9, 9, 6])


@pytest.mark.parametrize(
    ("x", "w"),
    [
        (np.ones(5), np.ones((3, 3))),
        (np.ones((1, 5, 5)), np.ones((3, 3))),
        (np.ones((5, 5)), np.ones(3)),
    ],
)
def test_sliding_conv_needs_2d_arrays(x, w):
    with pytest.raises(ValueError, match="expected 2-D x and w"):
        sliding_conv(x, w)


def test_sliding_conv_rejects_a_kernel_larger_than_the_padded_image():
    message = r"padded image \(2, 2\) is smaller than the kernel \(3, 3\)"
    with pytest.raises(ValueError, match=message):
        sliding_conv(np.ones((2, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="smaller than the kernel"):  # too narrow only
        sliding_conv(np.ones((5, 1)), np.ones((3, 3)))
    # one ring of zeros is enough: 4x4 padded, 2x2 out
    assert sliding_conv(np.ones((2, 2)), np.ones((3, 3)), padding=1).shape == (2, 2)


# conv_maps


def test_kernels():
    assert all(k.shape == (3, 3) for k in KERNELS.values())
    np.testing.assert_array_equal(KERNELS["horizontal edges"], KERNELS["vertical edges"].T)
    assert KERNELS["vertical edges"].sum() == 0 and KERNELS["horizontal edges"].sum() == 0
    for name in ("blur", "sharpen", "identity"):  # keep the mean brightness
        assert KERNELS[name].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("stride", STRIDES)
@pytest.mark.parametrize("padding", PADDINGS)
def test_conv_maps_matches_the_definition_and_its_adjoint(stride, padding):
    x = image(3)
    for name, w in KERNELS.items():
        maps = conv_maps(x, name, stride, padding)
        np.testing.assert_array_equal(maps["image"], x)
        np.testing.assert_array_equal(maps["kernel"], w)
        np.testing.assert_allclose(
            maps["output"], sliding_conv(x, w, stride, padding), rtol=1e-12, atol=1e-12
        )
        np.testing.assert_allclose(
            maps["input_grad"], scatter_adjoint(x.shape, w, stride, padding), atol=1e-12
        )
        np.testing.assert_allclose(
            maps["kernel_grad"], windows(x, 3, 3, stride, padding).sum(axis=(0, 1)), atol=1e-12
        )
        # with no bias, sum(Y) = <X, dL/dX> = <W, dL/dW> for dL/dY = 1
        total = maps["output"].sum()
        assert np.sum(x * maps["input_grad"]) == pytest.approx(total, abs=1e-9)
        assert np.sum(w * maps["kernel_grad"]) == pytest.approx(total, abs=1e-9)


def test_input_grad_is_the_sum_of_the_kernel_entries_that_touch_each_pixel():
    x = image()
    edges = conv_maps(x, "vertical edges", 1, 1)["input_grad"]
    np.testing.assert_array_equal(edges[1:-1, 1:-1], 0.0)  # the whole kernel: sums to 0
    w = KERNELS["vertical edges"]
    assert edges[0, 0] == w[:2, :2].sum() == 3.0  # the corner meets the kernel's top left 2x2
    assert edges[0, -1] == w[:2, 1:].sum() == -3.0
    blur = conv_maps(x, "blur", 1, 1)["input_grad"]
    np.testing.assert_allclose(blur[1:-1, 1:-1], 1.0)
    np.testing.assert_allclose(blur[0, 0], 4 / 9)
    # stride 3 = kernel width, no padding: the windows tile the top left 6x6 without overlap,
    # and the last two rows and columns are never reached
    tiled = conv_maps(x, "sharpen", 3, 0)["input_grad"]
    np.testing.assert_array_equal(tiled[:6, :6], np.tile(KERNELS["sharpen"], (2, 2)))
    np.testing.assert_array_equal(tiled[6:], 0.0)
    np.testing.assert_array_equal(tiled[:, 6:], 0.0)


def test_identity_kernel_with_one_ring_of_padding_copies_the_image():
    x = image(1)
    maps = conv_maps(x, "identity", 1, 1)
    np.testing.assert_array_equal(maps["output"], x)
    np.testing.assert_array_equal(maps["input_grad"], np.ones((8, 8)))
    np.testing.assert_allclose(maps["kernel_grad"][1, 1], x.sum())


def test_conv_maps_with_an_array_kernel():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 17, size=(6, 7))  # ints, as the raw digits
    w = [[1, -2, 0.5], [0, 3, -1]]  # a 2x3 list
    maps = conv_maps(x, w, stride=2, padding=1)
    assert maps["image"].dtype == float and maps["kernel"].dtype == float
    assert maps["output"].shape == ((6 + 2 - 2) // 2 + 1, (7 + 2 - 3) // 2 + 1) == (4, 4)
    assert maps["input_grad"].shape == (6, 7) and maps["kernel_grad"].shape == (2, 3)
    w = np.array(w, dtype=float)
    np.testing.assert_allclose(maps["output"], correlate(x, w, 2, 1), atol=1e-12)
    np.testing.assert_allclose(maps["input_grad"], scatter_adjoint((6, 7), w, 2, 1), atol=1e-12)
    np.testing.assert_allclose(
        maps["kernel_grad"], windows(x, 2, 3, 2, 1).sum(axis=(0, 1)), atol=1e-12
    )


def test_conv_maps_errors():
    with pytest.raises(KeyError):
        conv_maps(image(), "emboss")
    with pytest.raises(ValueError):
        conv_maps(np.ones((2, 2)), np.ones((5, 5)), padding=1)  # padded 4x4 < 5x5


# figure


def test_plot_conv_maps_panels_titles_and_colour_limits():
    maps = conv_maps(image(), "sharpen", stride=2, padding=1)
    axes = plot_conv_maps(maps, title="sharpen")
    assert len(axes) == 4
    titles = [ax.get_title() for ax in axes]
    assert titles == ["image X", "kernel W", "output Y 4x4", "dL/dX for dL/dY = 1"]
    fig = axes[0].figure
    assert len(fig.axes) == 8  # a colour bar for each panel
    assert fig._suptitle.get_text() == "sharpen"
    for ax, key in zip(axes, ["image", "kernel", "output", "input_grad"], strict=True):
        (im,) = ax.get_images()
        np.testing.assert_array_equal(im.get_array(), maps[key])
        bound = np.abs(maps[key]).max()
        lo, hi = maps[key].min(), maps[key].max()
        expected = (lo, hi) if key == "image" else (-bound, bound)  # signed maps: symmetric
        assert im.get_clim() == pytest.approx(expected)
        assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    assert [ax.get_images()[0].get_cmap().name for ax in axes] == ["gray_r"] + ["PuOr"] * 3


def test_plot_conv_maps_all_zero_map_and_given_axes():
    # edges of a constant image, no padding: every output is 0, the colour range falls back to 1
    maps = conv_maps(np.ones((5, 5)), "vertical edges", stride=1, padding=0)
    np.testing.assert_array_equal(maps["output"], 0.0)
    fig, given = plt.subplots(2, 2)
    axes = plot_conv_maps(maps, given.ravel())
    assert list(axes) == list(given.ravel())
    assert axes[2].get_title() == "output Y 3x3"
    assert axes[2].get_images()[0].get_clim() == (-1.0, 1.0)
    assert fig._suptitle is None  # no title, no suptitle
    assert len(plt.get_fignums()) == 1  # drew into the given figure


# widget


def test_convolution_explorer(monkeypatch):
    pytest.importorskip("ipywidgets")
    X = np.arange(3 * 64, dtype=float).reshape(3, 64) % 7 - 3
    monkeypatch.setattr(convolution, "digits", lambda: SimpleNamespace(X_train=X))
    calls = []

    def spy(img, kernel, stride, padding):
        calls.append((img, kernel, stride, padding))
        return conv_maps(img, kernel, stride, padding)

    monkeypatch.setattr(convolution, "conv_maps", spy)
    box = convolution_explorer(index=2)
    kernel, stride, padding = box.children[0].children
    assert list(kernel.options) == list(KERNELS) and kernel.value == "vertical edges"
    assert (stride.min, stride.max, stride.value) == (1, 3, 1)
    assert (padding.min, padding.max, padding.value) == (0, 2, 1)
    assert stride.style.description_width == padding.style.description_width == "initial"
    ((img, *settings),) = calls
    np.testing.assert_array_equal(img, X[2].reshape(8, 8))
    assert settings == ["vertical edges", 1, 1]

    def last_titles():
        return [ax.get_title() for ax in plt.gcf().axes[:4]]

    assert last_titles()[2] == "output Y 8x8"
    stride.value = 3
    assert calls[-1][1:] == ("vertical edges", 3, 1) and last_titles()[2] == "output Y 3x3"
    padding.value = 0
    assert calls[-1][1:] == ("vertical edges", 3, 0) and last_titles()[2] == "output Y 2x2"
    kernel.value = "blur"
    assert calls[-1][1:] == ("blur", 3, 0) and len(calls) == 4
    shown = plt.gcf().axes[1].get_images()[0].get_array()
    np.testing.assert_array_equal(shown, KERNELS["blur"])  # the figure follows the dropdown
