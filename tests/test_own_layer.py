"""The "Writing your own layer" example of the API page (examples/own_layer.py) runs, and
every tool it shows gives what the layer contract promises, checked independently."""

import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "own_layer.py"
ns = runpy.run_path(str(EXAMPLE))
Scale, Swish, demo = ns["Scale"], ns["Swish"], ns["demo"]


def test_the_api_page_includes_the_example():
    page = (EXAMPLE.parents[1] / "book" / "api.md").read_text("utf-8")
    assert "## Writing your own layer" in page
    assert "```{literalinclude} ../examples/own_layer.py" in page


def test_scale_and_swish_against_their_formulas_written_out():
    gen = np.random.default_rng(1)
    X, dZ, g = gen.normal(size=(5, 3)), gen.normal(size=(5, 3)), gen.normal(size=3)
    scale = Scale(3)
    scale.g = g
    np.testing.assert_array_equal(scale.forward(X), X * g)
    dX = scale.backward(dZ)
    np.testing.assert_allclose(scale.dg, (dZ * X).sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(dX, dZ * g, rtol=1e-14)
    assert scale.backward(dZ, input_grad=False) is None
    swish = Swish()
    A = swish.forward(X)
    np.testing.assert_allclose(A, X / (1 + np.exp(-X)), rtol=1e-14)
    # central differences of the element-wise function, entry by entry
    h = 1e-6
    f = lambda z: z / (1 + np.exp(-z))  # noqa: E731
    np.testing.assert_allclose(swish.backward(dZ), dZ * (f(X + h) - f(X - h)) / (2 * h), rtol=1e-7)


def test_the_base_class_checks_the_new_layer():
    scale = Scale(3)
    with pytest.raises(ValueError, match=r"Scale.*3"):
        scale.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"g.*\(3,\)"):
        scale.g = np.ones(4)
    np.testing.assert_array_equal(scale.g, np.ones(3))  # the failed assignment changed nothing
    with pytest.raises(RuntimeError, match="before forward"):
        Swish().backward(np.ones((2, 2)))


@pytest.fixture(scope="module")
def out():
    return demo()


def test_fit_learns_the_spirals_with_the_new_layers(out):
    assert out["loss"][-1] < 0.5 * out["loss"][0]
    assert out["accuracy"] > 0.8


def test_gradcheck_covers_the_new_parameter(out):
    assert set(out["gradcheck"]) == {"0.W", "0.b", "2.g", "3.W", "3.b"}
    assert max(out["gradcheck"].values()) < 1e-6


def test_checkpointing_gives_the_same_gradients(out):
    assert out["checkpointed_equal"] is True


def test_flops_and_cached_bytes_counted_by_hand(out):
    n = 64
    rows = {row["index"]: row for row in out["flops"]}
    assert (rows[1]["forward"], rows[1]["backward"]) == (5 * n * 32, 5 * n * 32)  # Swish
    assert (rows[2]["forward"], rows[2]["backward"]) == (n * 32, 3 * n * 32)  # Scale
    # kept: Dense 0 its X (n, 2); Swish Z and s (n, 32) each; Scale and Dense 3 their X
    assert out["cached_bytes"] == 8 * (n * 2 + 2 * n * 32 + n * 32 + n * 32)


def test_trace_and_astype(out):
    assert out["order"] == [("forward", i) for i in range(4)] + [
        ("backward", i) for i in reversed(range(4))
    ]
    assert out["float32"] == (np.dtype(np.float32), np.dtype(np.float32))


def test_the_script_runs_and_reports():
    run = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=True, timeout=120
    )
    assert "checkpointed gradients identical: True" in run.stdout
    assert "float32 copy" in run.stdout
