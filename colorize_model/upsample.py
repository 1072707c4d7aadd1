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

from .lab import L_MAX

GUIDE_SIDE = 640  # long side of the reduced copy the filter is fitted on
EPSILON = 2e-3  # how strongly small lightness changes are ignored (L* / 100 units)


def guided_upsample(ab: np.ndarray, l_star: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """a*, b* planes (H, W) for chroma ``ab`` (h, w, 2) and lightness ``l_star`` (H, W)."""
    height, width = l_star.shape
    scale = min(1.0, GUIDE_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    guide = cv2.resize(l_star, size, interpolation=cv2.INTER_AREA) * np.float32(1 / L_MAX)
    chroma = cv2.resize(ab, size, interpolation=cv2.INTER_LINEAR).reshape(size[1], size[0], 2)

    # windows of about one chroma pixel: the scale over which the resized chroma is blurred
    window = 2 * max(1, round(max(size) / max(ab.shape[:2]))) + 1

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, (window, window), borderType=cv2.BORDER_REFLECT)

    mean_i = mean(guide)
    var_i = mean(guide * guide) - mean_i * mean_i
    full_guide = l_star * np.float32(1 / L_MAX)
    planes = []
    for c in range(2):
        p = np.ascontiguousarray(chroma[..., c])
        mean_p = mean(p)
        slope = (mean(guide * p) - mean_i * mean_p) / (var_i + np.float32(EPSILON))
        offset = mean_p - slope * mean_i
        slope, offset = (cv2.resize(mean(x), (width, height), interpolation=cv2.INTER_LINEAR)
                         for x in (slope, offset))
        slope *= full_guide
        slope += offset
        planes.append(slope)
    return planes[0], planes[1]
