"""Hints a user might give, simulated from a colour photo, for measuring guided colorization.

``disks`` paints N small disks at random places, each opaque with the photo's
mean sRGB colour inside it, as an RGBA hint image (what a person clicking on
the photo would give). ``nearest_hint`` is the crude non-learned baseline a
network must beat: every pixel takes the chroma of its nearest hint, fading out
with distance, over the automatic result. ``hint_error`` asks whether the user
got what they asked for where they asked: the mean CIEDE2000 between the
result and the hint's colour on the hinted pixels.
"""

from __future__ import annotations

import zlib

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000

from . import lab
from .hints import OPAQUE

FADE = 0.15  # nearest_hint's reach, as a share of the photo's short side


def disk_radius(width: int, height: int) -> int:
    return max(2, round(0.008 * min(width, height)))


def seed_for(name: str, count: int) -> int:
    """A fixed seed per photo and number of hints, the same on every machine."""
    return zlib.crc32(f"{name}:{count}".encode())


def disks(gt: np.ndarray, count: int, seed: int) -> np.ndarray:
    """An RGBA hint image (H, W, 4): ``count`` opaque disks of gt's mean colour inside each."""
    height, width = gt.shape[:2]
    radius = disk_radius(width, height)
    rng = np.random.default_rng(seed)
    rgba = np.zeros((height, width, 4), np.uint8)
    for _ in range(count):
        x, y = int(rng.integers(width)), int(rng.integers(height))
        window = np.s_[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1]  # the disk's box
        inside = np.zeros(gt[window].shape[:2], np.uint8)
        cv2.circle(inside, (x - window[1].start, y - window[0].start), radius, 1, thickness=-1)
        colour = np.round(gt[window][inside > 0].mean(axis=0)).astype(np.uint8)
        rgba[window][inside > 0] = (*colour, 255)
    return rgba


def nearest_hint(automatic: np.ndarray, rgba: np.ndarray) -> np.ndarray:
    """The automatic result (uint8 RGB) with each pixel's chroma pulled to its nearest hint's,
    fully at the hint and not at all FADE of the short side away; L* is kept."""
    hinted = rgba[..., 3] >= OPAQUE
    if not hinted.any():
        return automatic
    result = lab.rgb_to_lab(automatic)
    distance, labels = cv2.distanceTransformWithLabels((~hinted).astype(np.uint8), cv2.DIST_L2, 5,
                                                       labelType=cv2.DIST_LABEL_PIXEL)
    hint_ab = lab.rgb_to_lab(rgba[..., :3])[..., 1:]
    by_label = np.zeros((labels.max() + 1, 2), np.float32)
    by_label[labels[hinted]] = hint_ab[hinted]
    weight = np.clip(1.0 - distance / (FADE * min(automatic.shape[:2])), 0.0, 1.0)[..., None]
    result[..., 1:] = weight * by_label[labels] + (1.0 - weight) * result[..., 1:]
    return lab.lab_to_rgb8(result)


def hint_error(result: np.ndarray, rgba: np.ndarray) -> float:
    """Mean CIEDE2000 between the result and the hint colour on the hinted pixels (NaN if none)."""
    hinted = rgba[..., 3] >= OPAQUE
    if not hinted.any():
        return float("nan")
    asked = lab.rgb_to_lab(rgba[hinted][None, :, :3])[0]
    got = lab.rgb_to_lab(result[hinted][None, :, :3])[0]
    return float(np.mean(deltaE_ciede2000(asked, got, channel_axis=-1), dtype=np.float64))
