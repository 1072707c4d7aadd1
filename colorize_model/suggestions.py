"""Colour suggestions: the few likeliest distinct colours of one pixel, from the network's
distribution over ab bins, as the colours the result would show there.

Imported only when suggestions are asked for: the ab grid's gamut table costs
start-up that colorizing does not need.
"""

from __future__ import annotations

import numpy as np

from . import ab_grid, lab

SPACING = 15.0  # ab units: suggested colours at least this far apart


def distinct_colours(probabilities: np.ndarray, l_star: float, k: int) -> list[tuple[tuple[int, int, int], float]]:
    """Greedy picks over the ab bins: each takes the mass of the bins near it, shown in sRGB at
    ``l_star``; a pick that the gamut brings close to an earlier one adds its mass to it."""
    left = probabilities.astype(np.float64).copy()
    picks: list[list] = []  # [rgb, probability, ab as shown]
    while len(picks) < k and left.max() > 0:
        near = np.linalg.norm(ab_grid.BIN_CENTRES - ab_grid.BIN_CENTRES[left.argmax()], axis=-1) <= SPACING
        mass = left[near].sum()
        ab = (left[near, None] * ab_grid.BIN_CENTRES[near]).sum(axis=0) / mass
        left[near] = 0.0
        rgb = lab.lab_to_rgb8(np.array([[[l_star, ab[0], ab[1]]]], np.float32))
        shown = lab.rgb_to_lab(rgb)[0, 0, 1:]
        twin = next((pick for pick in picks if np.linalg.norm(pick[2] - shown) < SPACING / 2), None)
        if twin is None:
            picks.append([tuple(int(v) for v in rgb[0, 0]), float(mass), shown])
        else:
            twin[1] += float(mass)
    return sorted(((rgb, p) for rgb, p, _ in picks), key=lambda pick: -pick[1])
