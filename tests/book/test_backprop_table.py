"""The table "From the equations to nnlab" in step-by-step-backprop names, for each of BP1-BP4 and
the fused softmax cross-entropy gradient, the nnlab function that computes it. This test finds the
line in that function's source, so the table cannot silently go stale when the code changes.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

import nnlab as nl

LINES = [  # (equation, function, a line of its source)
    ("BP1", nl.MSELoss.backward, "diff * (2.0 / diff.size)"),
    ("BP1, BP2", nl.Sigmoid._backward, "dA * A * (1.0 - A)"),
    ("BP2", nl.Dense._backward, 'np.dot(dZ, self._params["W"].T'),
    ("BP3", nl.Dense._backward, "np.matmul(X.T, dZ"),
    ("BP4", nl.Dense._backward, "np.dot(self._ones[:n], dZ"),
    ("softmax-CE", nl.SoftmaxCrossEntropy.backward, "dZ = probs - Y"),
    ("softmax-CE", nl.SoftmaxCrossEntropy.backward, "dZ[np.arange(n), labels] -= 1.0"),
    ("softmax-CE", nl.SoftmaxCrossEntropy.backward, "dZ *= 1.0 / n"),
    ("order", nl.Sequential._backward, "self.layers[:0:-1]"),
]


@pytest.mark.parametrize(("equation", "function", "line"), LINES, ids=[e for e, _, _ in LINES])
def test_the_table_points_at_the_code(equation, function, line) -> None:
    assert line in inspect.getsource(function), (
        f"{equation}: {function.__qualname__} no longer contains {line!r}; update the table in "
        "book/step-by-step-backprop.ipynb and this test"
    )


PAGE = Path(__file__).resolve().parents[2] / "book" / "step-by-step-backprop.ipynb"


@pytest.mark.parametrize("function", sorted({f for _, f, _ in LINES}, key=lambda f: f.__qualname__))
def test_the_page_names_each_function(function) -> None:
    text = "".join("".join(cell["source"]) for cell in json.loads(PAGE.read_text("utf-8"))["cells"])
    assert f"`{function.__qualname__}`" in text, f"the page no longer names {function.__qualname__}"
