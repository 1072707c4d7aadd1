"""Simulated colour hints for training (Zhang et al. 2017, "user-guided" colorization).

A user's click reaches the network as a small disk in the render: the mask is
the hinted share of each render cell (so a disk's edge is fractional, as the
package's ``hints.to_render`` makes it), and the ab channels hold the disk's
colour. Training shows the network the same thing: for each crop a random
number of disks (none for a good share of crops, so the automatic mode stays
as good), each holding the ground truth's mean ab over the disk.

Draws come from a generator seeded by (run seed, step), so a resumed run sees
exactly the hints it would have seen.
"""

from __future__ import annotations

import numpy as np

from colorize_model.hints import HINT_CHANNELS

NO_HINT_SHARE = 0.3   # crops trained with no hints at all (the automatic mode)
MEAN_POINTS = 8.0     # geometric number of disks in hinted crops (at least one)
MAX_POINTS = 48
RADIUS = (0.5, 4.0)   # disk radius in render cells, log-uniform


def _disk(shape: tuple[int, int], y: float, x: float, radius: float) -> tuple[slice, slice, np.ndarray]:
    """The window around a disk and its coverage per cell (an anti-aliased edge)."""
    top, bottom = max(int(y - radius - 1), 0), min(int(y + radius + 2), shape[0])
    left, right = max(int(x - radius - 1), 0), min(int(x + radius + 2), shape[1])
    yy, xx = np.mgrid[top:bottom, left:right]
    distance = np.hypot(yy + 0.5 - y, xx + 0.5 - x)
    return slice(top, bottom), slice(left, right), np.clip(radius + 0.5 - distance, 0.0, 1.0)


def simulate(ab: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hint channels (N, H, W, 3): ab / 128 of the hinted colour, then the mask, for a batch
    of ground-truth ab / 128 planes (N, H, W, 2)."""
    n, height, width, _ = ab.shape
    hints = np.zeros((n, height, width, HINT_CHANNELS), np.float32)
    for i in range(n):
        if rng.random() < NO_HINT_SHARE:
            continue
        points = min(int(rng.geometric(1.0 / MEAN_POINTS)), MAX_POINTS)
        colour_sum = np.zeros((height, width, 2), np.float32)
        for _ in range(points):
            radius = float(np.exp(rng.uniform(*np.log(RADIUS))))
            rows, cols, cover = _disk((height, width), rng.uniform(0, height), rng.uniform(0, width), radius)
            if cover.sum() <= 0:
                continue
            colour = (ab[i, rows, cols] * cover[..., None]).sum(axis=(0, 1)) / cover.sum()
            colour_sum[rows, cols] += cover[..., None] * colour
            hints[i, rows, cols, 2] += cover
        mask = hints[i, ..., 2]
        hinted = mask > 0
        hints[i, hinted, :2] = colour_sum[hinted] / mask[hinted, None]
        np.clip(mask, 0.0, 1.0, out=mask)
    return hints
