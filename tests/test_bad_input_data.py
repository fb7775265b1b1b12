"""Data sets that would come out empty (a split, or a class) are rejected naming the argument."""

import numpy as np
import pytest

import nnlab as nl


@pytest.mark.parametrize(
    ("test_size", "message"),
    [
        (0.001, r"test_size=0\.001 leaves the test set with 0 samples; use a larger test_size"),
        (0.999, r"test_size=0\.999 leaves the training set with 0 samples; use a smaller"),
    ],
)
def test_load_digits_rejects_a_split_with_an_empty_side(test_size, message):
    pytest.importorskip("sklearn")
    with pytest.raises(ValueError, match=rf"load_digits: {message}"):
        nl.load_digits(test_size=test_size)


def test_load_digits_small_but_non_empty_test_set():
    pytest.importorskip("sklearn")
    split = nl.load_digits(test_size=0.003)
    assert len(split.X_test) >= 1
    assert np.all(np.isfinite(split.X_train))


@pytest.mark.parametrize(
    ("make", "kwargs", "least"),
    [
        (nl.make_moons, {}, 2),
        (nl.make_circles, {}, 2),
        (nl.make_spirals, {}, 3),
        (nl.make_spirals, {"n_classes": 5}, 5),
    ],
)
def test_generators_give_every_class_a_sample(make, kwargs, least):
    with pytest.raises(
        ValueError,
        match=rf"{make.__name__}: n_samples must be at least {least} \(one sample per class, "
        rf"or some class would get 0 samples\), got {least - 1}",
    ):
        make(least - 1, rng=0, **kwargs)
    X, y = make(least, rng=0, **kwargs)
    assert X.shape == (least, 2)
    np.testing.assert_array_equal(np.sort(y), np.arange(least))


@pytest.mark.parametrize(
    "make", [nl.make_xor, nl.make_moons, nl.make_circles, nl.make_spirals, nl.make_sine]
)
def test_noise_that_would_overflow_the_data_is_rejected(make):
    with pytest.raises(
        ValueError,
        match=rf"{make.__name__}: noise=1e\+308 is too large: the Gaussian jitter overflows",
    ):
        make(200, noise=1e308, rng=0)
    X, y = make(20, noise=1e300, rng=0)  # huge but finite noise is the caller's choice
    assert np.isfinite(X).all()
    assert np.isfinite(y).all()
