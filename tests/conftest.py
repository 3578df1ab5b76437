"""Shared test set-up: a headless plotting backend, and no state leaking from one test to the next."""

from __future__ import annotations

import keras
import matplotlib

# No display on CI. Set in this process only: an environment variable would reach the Jupyter kernels
# that some tests start, and notebooks would lose their inline figures.
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolate_global_state():
    """Restores the float32 dtype policy and closes figures after every test."""
    yield
    keras.mixed_precision.set_global_policy("float32")
    plt.close("all")
