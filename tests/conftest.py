"""Shared fixtures. Hypothesis is derandomized so every run checks the same examples."""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

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
