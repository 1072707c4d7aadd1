"""Shared test fixtures: real photos from scikit-image's bundled samples (free licence)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from colorize_model import Colorizer


@pytest.fixture(scope="session")
def colorizer() -> Colorizer:
    """The embedded default model, loaded once."""
    return Colorizer.load()


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="session")
def coffee() -> np.ndarray:
    return data.coffee()
