"""Bringing low-resolution chroma up to the photo's size, guided by its lightness.

A plain bilinear resize lets colour bleed across edges (a red coat tints the
wall beside it). The fast guided filter (He & Sun, 2015) instead fits, in
each small window of a reduced copy of the photo, chroma as a linear function
of lightness; the fitted coefficients are smooth, so they are resized to full
size and applied to the full-resolution L*, and colour edges follow the
photo's own edges at every resolution.
"""

from __future__ import annotations

import cv2
import numpy as np

from .bands import linear_rows
from .lab import L_MAX

GUIDE_SIDE = 640  # long side of the reduced copy the filter is fitted on
EPSILON = 2e-3  # how strongly small lightness changes are ignored (L* / 100 units)


def guided_upsample(ab: np.ndarray, l_star: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """a*, b* planes (H, W) for chroma ``ab`` (h, w, 2) and lightness ``l_star`` (H, W).

    The whole-image form of ``fit`` and ``apply``, which the pipeline runs band by band.
    """
    height, width = l_star.shape
    model = fit(ab, cv2.resize(l_star, guide_size(l_star.shape), interpolation=cv2.INTER_AREA))
    return apply(model, l_star, (width, height), slice(0, height))


def guide_size(shape: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of the reduced copy of an (H, W) photo that the filter is fitted on."""
    height, width = shape
    scale = min(1.0, GUIDE_SIDE / max(height, width))
    return max(1, round(width * scale)), max(1, round(height * scale))


def fit(ab: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """The filter's local linear model of chroma ``ab`` (h, w, 2) on ``guide``, L* at ``guide_size``.

    (4, H', W') float32 planes at the guide's size, smooth: slope and offset of
    a*, then of b*, per unit of L* / 100 (see ``apply``).
    """
    size = guide.shape[::-1]
    guide = guide * np.float32(1 / L_MAX)
    chroma = cv2.resize(ab, size, interpolation=cv2.INTER_LINEAR).reshape(size[1], size[0], 2)

    # windows of about one chroma pixel: the scale over which the resized chroma is blurred
    window = 2 * max(1, round(max(size) / max(ab.shape[:2]))) + 1

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, (window, window), borderType=cv2.BORDER_REFLECT)

    mean_i = mean(guide)
    var_i = mean(guide * guide) - mean_i * mean_i
    maps = []
    for c in range(2):
        p = np.ascontiguousarray(chroma[..., c])
        mean_p = mean(p)
        slope = (mean(guide * p) - mean_i * mean_p) / (var_i + np.float32(EPSILON))
        offset = mean_p - slope * mean_i
        maps += [mean(slope), mean(offset)]
    return np.stack(maps)


def apply(model: np.ndarray, l_rows: np.ndarray, size: tuple[int, int], rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """a*, b* of rows ``rows`` of a photo of ``size`` (W, H), from a ``fit`` and those rows' L*.

    The model's coefficients, bilinearly resized to full size, applied to the
    full-resolution L*: colour edges follow the photo's own edges.
    """
    slope_a, offset_a, slope_b, offset_b = linear_rows(model, size, rows)
    guide = l_rows * np.float32(1 / L_MAX)
    for slope, offset in ((slope_a, offset_a), (slope_b, offset_b)):
        slope *= guide
        slope += offset
    return slope_a, slope_b
