"""Estimate the prior over quantised ab bins from training photos.

    python -m training.prior --data ../shared/data/train --out colorize_model/data/ab_prior.npz

It weights the classification loss (class rebalancing) and the rebalanced AuC.
"""

from __future__ import annotations

import argparse
import random

import numpy as np
from PIL import Image
from tqdm import tqdm

from colorize_model import ab_grid, lab

from .photos import find_photos


def estimate_prior(paths: list[str]) -> np.ndarray:
    counts = np.zeros(ab_grid.SIZE * ab_grid.SIZE, dtype=np.float64)
    for path in tqdm(paths, desc="prior", unit="photo"):
        try:
            with Image.open(path) as image:
                rgb = np.asarray(image.convert("RGB"))
        except OSError:
            continue
        counts += np.bincount(ab_grid.grid_index(lab.rgb_to_lab(rgb)[..., 1:]).ravel(),
                              minlength=counts.size)
    return (counts / counts.sum()).reshape(ab_grid.SIZE, ab_grid.SIZE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="folder of training photos")
    parser.add_argument("--out", required=True, help="where to write the .npz")
    parser.add_argument("--per-source", type=int, default=1000, help="photos sampled from each source")
    args = parser.parse_args()
    rng = random.Random(0)
    paths = [p for files in find_photos(args.data).values()
             for p in rng.sample(files, min(len(files), args.per_source))]
    np.savez_compressed(args.out, prior=estimate_prior(paths))


if __name__ == "__main__":
    main()
