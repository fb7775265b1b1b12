"""Shared fixtures. Hypothesis is derandomized so every run checks the same examples."""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# The helper modules assert too: rewrite their asserts as pytest does the tests', for messages
# that show the values.
pytest.register_assert_rewrite("helpers", "exercises.checkers")

settings.register_profile(
    "nnlab",
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("nnlab")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
