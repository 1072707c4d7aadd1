"""Simulated colour hints for training (Zhang et al. 2017, "user-guided" colorization).

A user's click reaches the network as a small disk in the render: the mask is
the hinted share of each render cell (so a disk's edge is fractional, as the
package's ``hints.to_render`` makes it), and the ab channels hold the disk's
colour. Training shows the network the same thing: for each crop a random
number of disks (none for a good share of crops, so the automatic mode stays
as good), each holding the ground truth's mean ab over the disk.

Natural hints always agree with the photo, and so do its other regions' colours
more often than not (one light, one cast), so a network trained on them alone
learns to spread a hint far: a green dot on the background tints a cat's
forehead. ``recolour`` shows it the other case: in a share of the hinted crops
one region of like colour gets another hue (a red car painted blue), is hinted
with it, and is the target so, while the rest of the crop keeps its own
colours; only the lightness edges tell where the region ends.

Draws come from a generator seeded by (run seed, step), so a resumed run sees
exactly the hints it would have seen.
"""

from __future__ import annotations

import cv2
import numpy as np

from colorize_model.hints import HINT_CHANNELS

NO_HINT_SHARE = 0.3   # crops trained with no hints at all (the automatic mode)
MEAN_POINTS = 8.0     # geometric number of disks in hinted crops (at least one)
MAX_POINTS = 48
RADIUS = (0.5, 4.0)   # disk radius in render cells, log-uniform
REGION_TOLERANCE = 6.0 / 128  # ab / 128 from the seed pixel's colour, per channel, within one region
REGION_STEP = 3.0     # L* between neighbouring pixels within one region; a larger step is an edge
REGION_SHARE = (0.03, 0.25)  # share of the crop a recoloured region covers
REGION_TRIES = 8
NEW_CHROMA = (15.0 / 128, 70.0 / 128)  # the recoloured region's mean chroma, ab / 128


def _disk(shape: tuple[int, int], y: float, x: float, radius: float) -> tuple[slice, slice, np.ndarray]:
    """The window around a disk and its coverage per cell (an anti-aliased edge)."""
    top, bottom = max(int(y - radius - 1), 0), min(int(y + radius + 2), shape[0])
    left, right = max(int(x - radius - 1), 0), min(int(x + radius + 2), shape[1])
    yy, xx = np.mgrid[top:bottom, left:right]
    distance = np.hypot(yy + 0.5 - y, xx + 0.5 - x)
    return slice(top, bottom), slice(left, right), np.clip(radius + 0.5 - distance, 0.0, 1.0)


def region(ab: np.ndarray, lightness: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A connected region (H, W) bool of colours within REGION_TOLERANCE of a random seed
    pixel's that crosses no lightness edge (a step over REGION_STEP between neighbours, after a
    light blur), covering REGION_SHARE of the crop; None if REGION_TRIES seeds find none.

    Bounded by colour alone, a region runs on where the photo shows no edge (28 % of a
    128² crop on average), and a network trained on it learnt to carry hints as far."""
    height, width = ab.shape[:2]
    colours = np.dstack([ab, np.zeros((height, width), np.float32)]).astype(np.float32)
    smooth = np.ascontiguousarray(cv2.GaussianBlur(lightness.astype(np.float32), (0, 0), 1.0))
    for _ in range(REGION_TRIES):
        seed = (int(rng.integers(width)), int(rng.integers(height)))
        alike = _flood(colours, seed, REGION_TOLERANCE, cv2.FLOODFILL_FIXED_RANGE)
        unbroken = _flood(smooth, seed, REGION_STEP, 0)  # floating range: neighbour to neighbour
        inside = _flood((alike & unbroken).astype(np.uint8), seed, 0, 0)  # the part joined to the seed
        if REGION_SHARE[0] <= inside.mean() <= REGION_SHARE[1]:
            return inside
    return None


def _flood(image: np.ndarray, seed: tuple[int, int], tolerance: float, flags: int) -> np.ndarray:
    """The pixels cv2.floodFill reaches from ``seed`` within ``tolerance`` (per channel)."""
    mask = np.zeros((image.shape[0] + 2, image.shape[1] + 2), np.uint8)
    cv2.floodFill(image, mask, seed, 0, (tolerance,) * 3, (tolerance,) * 3,
                  4 | flags | cv2.FLOODFILL_MASK_ONLY | (1 << 8))
    return mask[1:-1, 1:-1] > 0


def recolour(ab: np.ndarray, inside: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``ab`` with the region ``inside`` moved to a random mean colour (hue uniform, chroma in
    NEW_CHROMA), its own variations kept."""
    hue = rng.uniform(0, 2 * np.pi)
    chroma = rng.uniform(*NEW_CHROMA)
    shift = chroma * np.array([np.cos(hue), np.sin(hue)], np.float32) - ab[inside].mean(axis=0)
    out = ab.copy()
    out[inside] += shift
    return out


def simulate(ab: np.ndarray, lightness: np.ndarray, rng: np.random.Generator,
             recolour_share: float = 0.0, no_hint_share: float = NO_HINT_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """(hint channels (N, H, W, 3): ab / 128 of the hinted colour, then the mask; the target
    ab / 128) for a batch of ground-truth ab / 128 planes (N, H, W, 2) and their L* (N, H, W).
    ``no_hint_share`` of the crops get no hints; in ``recolour_share`` of the hinted ones one
    region is recoloured (``recolour``) and its first disk lies in it."""
    n, height, width, _ = ab.shape
    hints = np.zeros((n, height, width, HINT_CHANNELS), np.float32)
    target = ab.copy()
    for i in range(n):
        if rng.random() < no_hint_share:
            continue
        points = min(int(rng.geometric(1.0 / MEAN_POINTS)), MAX_POINTS)
        inside = region(target[i], lightness[i], rng) if recolour_share and rng.random() < recolour_share else None
        if inside is not None:
            target[i] = recolour(target[i], inside, rng)
            first = np.argwhere(inside)[rng.integers(inside.sum())] + 0.5
        colour_sum = np.zeros((height, width, 2), np.float32)
        for p in range(points):
            radius = float(np.exp(rng.uniform(*np.log(RADIUS))))
            y, x = first if inside is not None and p == 0 else (rng.uniform(0, height), rng.uniform(0, width))
            rows, cols, cover = _disk((height, width), y, x, radius)
            if cover.sum() <= 0:
                continue
            colour = (target[i, rows, cols] * cover[..., None]).sum(axis=(0, 1)) / cover.sum()
            colour_sum[rows, cols] += cover[..., None] * colour
            hints[i, rows, cols, 2] += cover
        mask = hints[i, ..., 2]
        hinted = mask > 0
        hints[i, hinted, :2] = colour_sum[hinted] / mask[hinted, None]
        np.clip(mask, 0.0, 1.0, out=mask)
    return hints, target
