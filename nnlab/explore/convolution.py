"""One convolution, forward and backward, on one image (chapter book/architectures).

Compute (:func:`sliding_conv`, :func:`conv_maps`) -> figure (:func:`plot_conv_maps`) ->
widget (:func:`convolution_explorer`). :func:`sliding_conv` is the definition written as
loops, for teaching and for checking :class:`nnlab.Conv2D`; the layer itself computes the
same numbers with one matrix product.
"""

from __future__ import annotations

import numpy as np

from ..conv import Conv2D
from ..viz import pyplot
from ._widgets import FULL_LABEL, explorer, ipywidgets
from .signal_propagation import digits

# 3x3 kernels with a visible effect on a digit.
KERNELS = {
    "vertical edges": np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),
    "horizontal edges": np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]),
    "blur": np.full((3, 3), 1.0 / 9.0),
    "sharpen": np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
    "identity": np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]),
}


def sliding_conv(x: np.ndarray, w: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Cross-correlation of one image with one kernel, written as the definition (loops).

    ``y[i, j] = sum_{u, v} x_pad[i s + u, j s + v] w[u, v]``: the kernel slides over the
    zero-padded image in steps of ``s = stride``, and each output is one dot product.

    Parameters
    ----------
    x : ndarray, shape (H, W)
    w : ndarray, shape (kh, kw)
    stride, padding : int

    Returns
    -------
    ndarray, shape (H_out, W_out)
        ``H_out = (H + 2 padding - kh) // stride + 1``, and the same for the width.
    """
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    if x.ndim != 2 or w.ndim != 2:
        raise ValueError(f"sliding_conv expected 2-D x and w, got {x.shape} and {w.shape}.")
    xp = np.pad(x, padding)
    kh, kw = w.shape
    Ho, Wo = (xp.shape[0] - kh) // stride + 1, (xp.shape[1] - kw) // stride + 1
    if Ho < 1 or Wo < 1:
        raise ValueError(
            f"sliding_conv: the padded image {xp.shape} is smaller than the kernel {w.shape}."
        )
    y = np.zeros((Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            y[i, j] = np.sum(xp[i * stride : i * stride + kh, j * stride : j * stride + kw] * w)
    return y


def conv_maps(
    image: np.ndarray,
    kernel: str | np.ndarray = "vertical edges",
    stride: int = 1,
    padding: int = 1,
) -> dict[str, np.ndarray]:
    """Forward and backward of a one-channel :class:`nnlab.Conv2D` on one image.

    The backward pass starts from ``dL/dY = 1`` at every output, so the input gradient
    ``dL/dX`` shows how much each pixel contributes to the sum of the outputs: the sum of the
    kernel entries that touch it (pixels the kernel never reaches get 0).

    Returns
    -------
    dict
        ``image`` (H, W), ``kernel`` (kh, kw), ``output`` (H_out, W_out), ``input_grad``
        (H, W), ``kernel_grad`` (kh, kw): ``dL/dW``, the sum of the patches.
    """
    w = KERNELS[kernel] if isinstance(kernel, str) else np.asarray(kernel, dtype=float)
    image = np.asarray(image, dtype=float)
    layer = Conv2D(1, 1, w.shape, stride=stride, padding=padding, init="zeros")
    layer.W = w[None, None]
    out = layer.forward(image[None, None])
    dX = layer.backward(np.ones_like(out))
    return {
        "image": image,
        "kernel": w,
        "output": np.array(out[0, 0]),
        "input_grad": np.array(dX[0, 0]),
        "kernel_grad": np.array(layer.dW[0, 0]),
    }


def plot_conv_maps(maps: dict, axes=None, *, title: str | None = None):
    """Four panels: the image, the kernel, the output map and the input-gradient map."""
    plt = pyplot()
    if axes is None:
        _, axes = plt.subplots(1, 4, figsize=(11, 2.9), constrained_layout=True)
    panels = [
        ("image X", maps["image"], "gray_r"),
        ("kernel W", maps["kernel"], "PuOr"),
        (f"output Y {maps['output'].shape[0]}x{maps['output'].shape[1]}", maps["output"], "PuOr"),
        ("dL/dX for dL/dY = 1", maps["input_grad"], "PuOr"),
    ]
    for ax, (name, values, cmap) in zip(axes, panels, strict=True):
        bound = float(np.max(np.abs(values))) or 1.0
        if cmap == "gray_r":  # the image: its own range (standardized pixels are signed)
            vmin, vmax = float(np.min(values)), float(np.max(values))
            if vmin == vmax:
                vmin, vmax = vmin - 1.0, vmax + 1.0
        else:  # signed maps: symmetric, so 0 is the middle colour
            vmin, vmax = -bound, bound
        image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        plt.colorbar(image, ax=ax, shrink=0.8)
    if title:
        axes[0].figure.suptitle(title, fontsize=10)
    return axes


def convolution_explorer(index: int = 0):
    """Widget: choose a kernel, a stride and a padding; see the output map and the gradient
    that flows back to the image. Needs a running kernel; the chapter's stride-and-padding
    figure grid is its static counterpart.
    """
    w = ipywidgets()
    image = digits().X_train[index].reshape(8, 8)
    controls = {
        "kernel": w.Dropdown(options=list(KERNELS), value="vertical edges", description="kernel"),
        "stride": w.IntSlider(value=1, min=1, max=3, description="stride", style=FULL_LABEL),
        "padding": w.IntSlider(value=1, min=0, max=2, description="padding", style=FULL_LABEL),
    }

    def draw(kernel, stride, padding):
        plot_conv_maps(conv_maps(image, kernel, stride, padding))

    return explorer(controls, draw)
