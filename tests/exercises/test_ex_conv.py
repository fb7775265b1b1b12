"""check_conv2d_dW: the exact formula is nnlab's Conv2D gradient, and mistakes are named."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import exercises as ex
from nnlab.exercises.conv import _cases, _dW, conv2d_dW_solution

from .checkers import assert_names_the_mistake


def test_exact_formula_is_nnlab_conv2d_gradient():
    Conv2D = pytest.importorskip("nnlab.conv").Conv2D
    for case in _cases():
        X, dY, kernel_shape = case.args.values()
        layer = Conv2D(kernel_shape[1], kernel_shape[0], kernel_shape[2:], init="zeros")
        layer.forward(X)
        layer.backward(dY)
        np.testing.assert_allclose(_dW(X, dY), layer.dW, atol=1e-12)
        np.testing.assert_allclose(conv2d_dW_solution(X, dY, kernel_shape), layer.dW, atol=1e-12)


def per_offset(X, dY, kernel_shape, *, flip=False, samples=None, mean=False, per_sample=False):
    """A learner's loop over kernel offsets; the keywords switch on one mistake each."""
    _, _, kh, kw = kernel_shape
    Ho, Wo = dY.shape[2:]
    if samples is not None:
        X, dY = X[samples], dY[samples]
    dW = np.zeros((len(X), *kernel_shape)) if per_sample else np.zeros(kernel_shape)
    for i in range(kh):
        for j in range(kw):
            a, b = (kh - 1 - i, kw - 1 - j) if flip else (i, j)
            window = X[:, :, a : a + Ho, b : b + Wo]
            if per_sample:
                dW[:, :, :, i, j] = np.einsum("nohw,nchw->noc", dY, window)
            else:
                dW[:, :, i, j] = np.einsum("nohw,nchw->oc", dY, window)
    return dW / len(X) if mean else dW


def only_last_sample(X, dY, kernel_shape):
    for n in range(len(X)):
        dW = per_offset(X[n : n + 1], dY[n : n + 1], kernel_shape)  # = where += belongs
    return dW


VARIANTS = {
    "flipped kernel": (
        lambda X, dY, k: per_offset(X, dY, k, flip=True),
        "rotated by 180 degrees (a flipped kernel)",
    ),
    "one gradient per sample": (
        lambda X, dY, k: per_offset(X, dY, k, per_sample=True),
        "one kernel gradient per sample",
    ),
    "first sample only": (
        lambda X, dY, k: per_offset(X, dY, k, samples=slice(0, 1)),
        "uses only the first sample",
    ),
    "last sample only": (only_last_sample, "assigns (=) instead of adding (+=)"),
    "mean over the batch": (lambda X, dY, k: per_offset(X, dY, k, mean=True), "an extra 1/N"),
    "channel axes swapped": (
        lambda X, dY, k: per_offset(X, dY, k).transpose(1, 0, 2, 3),
        "channel axes swapped",
    ),
    "flipped sign": (lambda X, dY, k: -per_offset(X, dY, k), "the opposite sign"),
}


@pytest.mark.parametrize(("fn", "phrase"), VARIANTS.values(), ids=list(VARIANTS))
def test_each_mistake_is_named(fn, phrase):
    assert_names_the_mistake(ex.check_conv2d_dW(fn), phrase)


def test_a_learner_loop_without_mistakes_passes():
    assert ex.check_conv2d_dW(per_offset).passed


def test_exceptions_name_the_shapes():
    fb = ex.check_conv2d_dW(lambda X, dY, k: X[:, :, : dY.shape[2] + 1] * dY)
    assert "ValueError" in fb.hint and "kernel_shape=(1, 1, 3, 3)" in fb.hint
    assert "has the height and width of dY" in fb.hint
