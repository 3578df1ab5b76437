"""Shared test set-up: a headless plotting backend, and no state leaking from one test to the next."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolate_global_state():
    """Restores the float32 dtype policy and closes figures after every test."""
    yield
    keras.mixed_precision.set_global_policy("float32")
    plt.close("all")
