"""The examples in the playground's docstrings run and print what they show."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["datasets", "features", "model", "explain", "export"])
def test_docstring_examples(name):
    module = importlib.import_module(f"nnlab.explore.playground.{name}")
    assert doctest.testmod(module).failed == 0
