"""How far one hint carries: across its own region, and beyond it.

    python -m training.locality --config training/configs/unet-hints.yaml --model default --model runs/x/export

A user who corrects a colour wants it over the object they clicked and nowhere
else. Natural hints cannot tell the two apart (the photo's other regions often
share the hinted colour), so this makes hints that contradict the photo: in
each tuning photo one region of like colour is recoloured as training does it
(``training.hints.region`` and ``recolour``) and one hint disk of the new
colour (the evaluation's radius, ``simulated_hints.disk_radius``) is put in
it. Scores, in a*b* units, mean over the region's (or the rest's) pixels, then
over photos:

* **region error**: the result's distance from the new colour in the region
  (beside the automatic result's, which knows nothing of it);
* **rest moved**: how far the rest of the photo moved from the automatic result.

A model that spreads hints further lowers the first and raises the second;
their ratio (rest moved per unit of region error removed) is the locality.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from colorize_model import Colorizer, lab
from colorize_model.errors import ColorizeError
from colorize_model.evaluate import gray_input, load_ground_truth
from colorize_model.simulated_hints import disk_radius, seed_for

from . import hints, run_config
from .data import split_photos, tuning_and_check_photos


@dataclass
class Case:
    """A photo whose region ``inside`` is to become ``new_ab``, and the one hint that says so."""
    gray: np.ndarray
    inside: np.ndarray
    new_ab: np.ndarray
    point: tuple[float, float, tuple[int, int, int], float]


def make_case(rgb: np.ndarray, seed: int) -> Case | None:
    """The recoloured region and its hint for one photo (uint8 RGB); None if it has no region."""
    photo = lab.rgb_to_lab(rgb)
    rng = np.random.default_rng(seed)
    inside = hints.region(photo[..., 1:] / lab.AB_SCALE, photo[..., 0], rng)
    if inside is None:
        return None
    new_ab = hints.recolour(photo[..., 1:] / lab.AB_SCALE, inside, rng) * np.float32(lab.AB_SCALE)
    y, x = np.argwhere(inside)[rng.integers(inside.sum())]
    radius = disk_radius(rgb.shape[1], rgb.shape[0])
    rows, cols = np.mgrid[:rgb.shape[0], :rgb.shape[1]]
    disk = np.hypot(rows - y, cols - x) <= radius
    shown = lab.lab_to_rgb8(np.concatenate([photo[..., :1], new_ab], axis=-1)[disk][None])[0]
    colour = tuple(int(v) for v in shown.mean(axis=0).round())
    return Case(gray_input(rgb), inside, new_ab, (float(x), float(y), colour, float(radius)))


def measure(colorizer: Colorizer, cases: list[Case]) -> dict[str, float]:
    """Mean region error (hinted and automatic) and rest moved over the cases, and their ratio."""
    region, region_auto, rest = [], [], []
    for case in cases:
        auto = lab.rgb_to_lab(colorizer.colorize(case.gray))[..., 1:]
        hinted = lab.rgb_to_lab(colorizer.colorize(case.gray, hints=[case.point]))[..., 1:]
        region.append(np.linalg.norm(hinted[case.inside] - case.new_ab[case.inside], axis=-1).mean())
        region_auto.append(np.linalg.norm(auto[case.inside] - case.new_ab[case.inside], axis=-1).mean())
        rest.append(np.linalg.norm(hinted[~case.inside] - auto[~case.inside], axis=-1).mean())
    scores = {"region_error": float(np.mean(region)), "region_error_automatic": float(np.mean(region_auto)),
              "rest_moved": float(np.mean(rest))}
    removed = scores["region_error_automatic"] - scores["region_error"]
    scores["rest_moved_per_unit_removed"] = scores["rest_moved"] / removed if removed > 0 else float("inf")
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, type=Path, help="a training config: its data and validation split")
    parser.add_argument("--model", action="append", required=True,
                        help='"default", a model folder or hf://owner/name (repeat to compare)')
    parser.add_argument("--photos", type=int, default=150, help="tuning photos to try (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.photos < 1:
        parser.error(f"--photos {args.photos}: try at least one photo")
    try:
        config = run_config.read(args.config, needs=("data",))
        _, validation = split_photos(config["data"], config.get("validation_percent", 2))
        tuning, _ = tuning_and_check_photos(validation)
        cases = [case for path in tuning[:args.photos]
                 if (case := make_case(load_ground_truth(Path(path)), seed_for(Path(path).name, 1)))]
        print(f"{len(cases)} of {min(args.photos, len(tuning))} tuning photos have a region to recolour")
        for model in args.model:
            s = measure(Colorizer.load(model), cases)
            print(f"{model}: region error {s['region_error']:.2f} (automatic {s['region_error_automatic']:.2f}), "
                  f"rest moved {s['rest_moved']:.2f}, {s['rest_moved_per_unit_removed']:.3f} per unit removed")
    except (ColorizeError, OSError, ValueError) as error:  # bad config, photos or model: one line
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
