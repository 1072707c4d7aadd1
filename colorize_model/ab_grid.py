"""The quantised ab plane: Zhang et al.'s grid of 10, used by the classification
head, its decoding, and the class-rebalanced metrics.

A bin is indexed on a 23x23 grid of centres -110, -100, ..., 110 on a and b;
``IN_GAMUT`` marks the bins any sRGB colour falls in (the classes a model
predicts). The prior over bins, estimated from the training photos, ships in
``data/ab_prior.npz``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from . import lab

STEP = 10.0
CENTRES = np.arange(-110.0, 111.0, STEP, dtype=np.float32)  # 23 per axis
SIZE = len(CENTRES)
PRIOR_FILE = Path(__file__).parent / "data" / "ab_prior.npz"
L_BANDS = 10  # the prior per band of 10 L* units


def grid_index(ab: np.ndarray) -> np.ndarray:
    """Flat bin index (0..SIZE²-1) of each ab pair in an (..., 2) array."""
    ij = np.clip(np.rint(np.asarray(ab) / STEP).astype(np.int64) + SIZE // 2, 0, SIZE - 1)
    return ij[..., 0] * SIZE + ij[..., 1]


def _in_gamut() -> np.ndarray:
    levels = np.linspace(0, 1, 64, dtype=np.float32)
    cube = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(1, -1, 3)
    mask = np.zeros(SIZE * SIZE, dtype=bool)
    mask[grid_index(lab.rgb_to_lab(cube)[0, :, 1:])] = True
    return mask


IN_GAMUT = _in_gamut()
# Centres (SIZE², 2) of all bins, and (Q, 2) of the in-gamut ones: the classes of a classification head.
BIN_CENTRES_ALL = np.stack(np.meshgrid(CENTRES, CENTRES, indexing="ij"), axis=-1).reshape(-1, 2)
BIN_CENTRES = BIN_CENTRES_ALL[IN_GAMUT]


def lightness_band(l_star: np.ndarray) -> np.ndarray:
    """Index (0..L_BANDS-1) of the L* band of each value."""
    return np.clip((np.asarray(l_star) * (L_BANDS / lab.L_MAX)).astype(np.int64), 0, L_BANDS - 1)


@lru_cache(maxsize=1)
def prior_by_lightness() -> np.ndarray:
    """Probability of each bin among the training photos' pixels of each L* band (L_BANDS, SIZE²)."""
    with np.load(PRIOR_FILE) as data:
        return data["by_lightness"].reshape(L_BANDS, -1).astype(np.float64)


@lru_cache(maxsize=1)
def prior() -> np.ndarray:
    """Probability of each of the SIZE² bins in the training photos (sums to 1)."""
    with np.load(PRIOR_FILE) as data:
        return data["prior"].reshape(-1).astype(np.float64)
