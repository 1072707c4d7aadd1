"""Estimate the prior over quantised ab bins from training photos.

    python -m training.prior --data ../shared/data/train --out colorize_model/data/ab_prior.npz

It weights the classification loss (class rebalancing) and the rebalanced AuC;
the same counts per band of L* are the baseline colour suggestions are measured
against (the most common colours at a pixel's lightness).
"""

from __future__ import annotations

import argparse
import random

import numpy as np
from PIL import Image
from tqdm import tqdm

from colorize_model import ab_grid, lab

from .photos import find_photos


def estimate_prior(paths: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The bins' probabilities (SIZE, SIZE), and per L* band (L_BANDS, SIZE, SIZE)."""
    bins = ab_grid.SIZE * ab_grid.SIZE
    counts = np.zeros((ab_grid.L_BANDS, bins), dtype=np.float64)
    for path in tqdm(paths, desc="prior", unit="photo"):
        try:
            with Image.open(path) as image:
                rgb = np.asarray(image.convert("RGB"))
        except OSError:
            continue
        pixels = lab.rgb_to_lab(rgb).reshape(-1, 3)
        index = ab_grid.lightness_band(pixels[:, 0]) * bins + ab_grid.grid_index(pixels[:, 1:])
        counts += np.bincount(index, minlength=counts.size).reshape(counts.shape)
    by_band = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    return ((counts.sum(axis=0) / counts.sum()).reshape(ab_grid.SIZE, ab_grid.SIZE),
            by_band.reshape(ab_grid.L_BANDS, ab_grid.SIZE, ab_grid.SIZE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="folder of training photos")
    parser.add_argument("--out", required=True, help="where to write the .npz")
    parser.add_argument("--per-source", type=int, default=1000, help="photos sampled from each source")
    args = parser.parse_args()
    rng = random.Random(0)
    paths = [p for files in find_photos(args.data).values()
             for p in rng.sample(files, min(len(files), args.per_source))]
    prior, by_lightness = estimate_prior(paths)
    np.savez_compressed(args.out, prior=prior, by_lightness=by_lightness)


if __name__ == "__main__":
    main()
