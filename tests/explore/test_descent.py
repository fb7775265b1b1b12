"""Gradient descent paths, the regime classifier, the bowl, its figure and its widget."""

import numpy as np
import pytest

from nnlab.explore.descent import (
    bowl_grad,
    bowl_loss,
    descent_explorer,
    descent_path,
    plot_descent,
    quadratic_regime,
)


@pytest.mark.parametrize("lr", [0.02, 0.09, 0.15, 0.21])
def test_regime_matches_the_path_on_a_quadratic(lr):
    curvature = 10.0
    path = descent_path(lambda x: curvature * x, 1.0, lr, 40)[:, 0]
    regime = quadratic_regime(lr, curvature)
    np.testing.assert_allclose(path, (1 - lr * curvature) ** np.arange(41))
    if regime == "monotone":
        assert np.all(np.diff(path) < 0) and np.all(path > 0)
    elif regime == "oscillates":
        assert np.all(path[1::2] < 0) and abs(path[-1]) < 1e-2
    else:
        assert regime == "diverges" and abs(path[-1]) > 10


def test_bowl_path_converges_for_small_lr_and_gradient_is_right():
    path = descent_path(bowl_grad, [-2.5, 2.0], 0.05, 200)
    assert path.shape == (201, 2)
    assert bowl_loss(path[-1]) < 1e-6 * bowl_loss(path[0])
    p, eps = np.array([0.3, -0.7]), 1e-6
    numeric = [(bowl_loss(p + e) - bowl_loss(p - e)) / (2 * eps) for e in np.eye(2) * eps]
    np.testing.assert_allclose(bowl_grad(p), numeric, rtol=1e-7)


def test_diverging_path_is_returned_whole():
    path = descent_path(bowl_grad, [1.0, 1.0], 1.0, 500)
    assert path.shape == (501, 2) and not np.all(np.isfinite(path[-1]))


def test_errors():
    with pytest.raises(ValueError, match=r"descent_path: lr must be in \(0, inf\), got 0"):
        descent_path(bowl_grad, [0, 0], 0.0, 5)
    with pytest.raises(ValueError, match="steps must be a positive int, got 0"):
        descent_path(bowl_grad, [0, 0], 0.1, 0)
    with pytest.raises(ValueError, match="curvature must be in"):
        quadratic_regime(0.1, -1.0)


def test_plot_descent():
    path = descent_path(bowl_grad, [-2.5, 2.0], 0.3, 30)
    ax = plot_descent(path, title="diverging")
    assert ax.get_title() == "diverging"


def test_descent_explorer():
    pytest.importorskip("ipywidgets")
    box = descent_explorer(steps=10)
    box.children[0].value = 0.15
    assert box.children[0].description == "lr"
