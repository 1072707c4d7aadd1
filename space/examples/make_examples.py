"""Regenerate the demo's example photos from scikit-image's bundled samples.

Only samples whose licence is public domain or CC0 are used (see README.md
next to this file); they are turned gray with the project's own L* convention
so the examples look exactly like what the model receives.

Usage: python space/examples/make_examples.py   (needs scikit-image)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import skimage.data

from colorize_model.imageio import save_image
from colorize_model.lab import l_to_gray8, rgb_to_l

HERE = Path(__file__).parent
SAMPLES = ("astronaut", "chelsea", "coffee", "rocket")


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """uint8 gray with the L* the colorizer will see."""
    return l_to_gray8(rgb_to_l(rgb))


def main() -> None:
    for name in SAMPLES:
        path = HERE / f"{name}.jpg"
        save_image(to_gray(getattr(skimage.data, name)()), path, quality=90)
        print(path)


if __name__ == "__main__":
    main()
