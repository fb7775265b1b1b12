"""Show the maths: the numbers of one forward and backward pass, and the text built from them."""

import numpy as np
import pytest

from nnlab.explore.playground import (
    Playground,
    PlaygroundConfig,
    explain_point,
    features,
    point_numbers,
)

from .helpers import by_hand


def num(v):
    return f"{v:.4f}"


@pytest.mark.parametrize(
    "config",
    [
        PlaygroundConfig(hidden=(3, 2), features=("x1", "x1^2", "sin(x2)")),
        PlaygroundConfig(dataset="plane", hidden=(2,), activation="relu"),
        PlaygroundConfig(dataset="xor", hidden=(), features=("x1*x2",)),
    ],
)
def test_numbers_match_a_manual_forward_and_backward(config):
    pg = Playground(config).step(2)
    x, y = (0.7, -1.3), 1.0
    n = point_numbers(pg, x, y)
    A0 = features(np.array([x]), config.features)
    run = by_hand(pg, A0, [y])
    np.testing.assert_allclose(n["features"], A0[0])
    for k in range(len(pg.dense)):
        np.testing.assert_allclose(n["Z"][k], run["Z"][k][0], rtol=1e-12)
        np.testing.assert_allclose(n["A"][k], run["A"][k][0], rtol=1e-12)
        np.testing.assert_allclose(n["delta"][k], run["delta"][k][0], rtol=1e-12)
        np.testing.assert_allclose(n["dW"][k], np.outer(run["inputs"][k][0], run["delta"][k][0]))
    assert n["output"] == pytest.approx(run["A"][-1][0, 0], rel=1e-12)
    assert n["loss"] == pytest.approx(run["loss"][0, 0], rel=1e-12)
    for latex in (True, False):
        text = explain_point(pg, x, y, latex=latex)
        for value in [*run["Z"][-1][0], *run["delta"][0][0], run["loss"][0, 0], *A0[0]]:
            assert num(value) in text
        for layer in pg.dense:
            assert all(num(w) in text for w in (*layer.W.ravel(), *layer.b))


def test_latex_and_text_forms():
    pg = Playground(PlaygroundConfig(hidden=(2,)))
    tex = explain_point(pg, (1.0, 2.0), 0)
    assert r"Z^{[1]} = A^{[0]} W^{[1]} + b^{[1]}" in tex and r"\begin{bmatrix}" in tex
    assert r"\delta^{[1]} = \left(\delta^{[2]} W^{[2]\top}\right) \odot" in tex
    assert r"\tanh\left(Z^{[1]}\right)" in tex and "target $y = 0$" in tex
    text = explain_point(pg, (1.0, 2.0), 0, latex=False)
    assert "Z[1] = A[0] W[1] + b[1]" in text and "$" not in text and "delta[1]" in text
    short = explain_point(pg, (1.0, 2.0), 0, weights=False)
    assert len(short) < len(tex) and r"\partial W" not in short


def test_the_default_target_is_the_nearest_training_label():
    pg = Playground(PlaygroundConfig(dataset="gauss"))
    assert point_numbers(pg, (1.25, 1.25))["y"] == 1.0
    assert point_numbers(pg, (-1.25, -1.25))["y"] == 0.0
    reg = Playground(PlaygroundConfig(dataset="plane"))
    x = reg.split.X_train[5]
    assert point_numbers(reg, x)["y"] == reg.split.y_train[5]


def test_bad_points_and_targets():
    pg = Playground()
    with pytest.raises(ValueError, match=r"a finite point \(x1, x2\), got \[1.0\]"):
        explain_point(pg, [1.0])
    with pytest.raises(ValueError, match="finite point"):
        explain_point(pg, (np.nan, 0.0))
    with pytest.raises(ValueError, match=r"classification target must be 0 or 1, got 0\.5"):
        explain_point(pg, (0.0, 0.0), 0.5)
