"""Score colorizers on folders of colour photos, always beside the gray baseline.

Each colour photo becomes the black-and-white input a user would have (its
exact L*, as 16-bit gray), every model colorizes it, and
:func:`colorize_model.metrics.score_pair` compares the result with the photo.

    python -m colorize_model.evaluate --model default --sets DIR,DIR --out report.json

Training calls :func:`evaluate_sets` with its own predict function.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
from skimage.color import deltaE_ciede2000
from tqdm import tqdm

from . import ab_grid
from .atomic import atomic_write
from .errors import ColorizeError, InputImageError
from .imageio import load_image
from .lab import l_to_gray, lab_to_rgb8, rgb_to_l, rgb_to_lab
from .metrics import SSIM_MIN_SIDE, colourfulness, score_pair
from .pipeline import Colorizer
from .simulated_hints import disks, hint_error, nearest_hint, seed_for

# A model as evaluation sees it: 16-bit gray (H, W) in, 8-bit RGB (H, W, 3) out;
# with hints, ``predict(gray, hints=rgba)``.
Predict = Callable[..., np.ndarray]

GRAY = "gray"
NEAREST = "nearest hint"  # the non-learned baseline with hints
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
# (key in the scores, row label, format) for the printed tables.
TABLE_ROWS = [
    ("psnr", "PSNR (dB)", "{:.2f}"),
    ("ssim", "SSIM", "{:.4f}"),
    ("ciede2000", "CIEDE2000", "{:.2f}"),
    ("colourfulness_ratio", "colourfulness ratio", "{:.3f}"),
    ("colourfulness_ratio_of_means", "colourfulness, ratio of means", "{:.3f}"),
    ("auc", "AuC", "{:.3f}"),
    ("auc_rebalanced", "AuC rebalanced", "{:.3f}"),
    ("seed_accuracy", "seed accuracy", "{:.3f}"),
    ("hint_error", "hint error (CIEDE2000)", "{:.2f}"),
    ("seconds", "seconds / image", "{:.3f}"),
]


def gray_input(gt: np.ndarray) -> np.ndarray:
    """The black-and-white photo behind ``gt``: 16-bit gray with its L* (to within 0.01)."""
    return np.round(l_to_gray(rgb_to_l(gt)) * 65535).astype(np.uint16)


def gray_baseline(gray: np.ndarray) -> np.ndarray:
    """The result a = b = 0: the input's own gray, as neutral 8-bit RGB."""
    gray8 = np.round(gray.astype(np.float32) * np.float32(255 / 65535)).astype(np.uint8)
    return np.repeat(gray8[..., None], 3, axis=-1)


def list_images(folder: str | os.PathLike) -> list[Path]:
    """The image files directly in ``folder``, sorted by name; an error if there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ColorizeError(f"{folder}: no such folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ColorizeError(f"{folder}: no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def load_ground_truth(path: Path) -> np.ndarray:
    """A colour photo as 8-bit RGB, refused if too small to score."""
    rgb = np.asarray(load_image(path).convert("RGB"))
    if min(rgb.shape[:2]) < SSIM_MIN_SIDE:
        raise InputImageError(f"{path.name}: smaller than {SSIM_MIN_SIDE}x{SSIM_MIN_SIDE}, too small to score")
    return rgb


def evaluate_sets(models: Mapping[str, Predict], set_dirs: Sequence[str | os.PathLike], *,
                  prior: np.ndarray | None = None, limit: int | None = None,
                  progress: bool = True, hints: int = 0) -> dict[str, Any]:
    """Score every model and the gray baseline on every image of every set.

    Returns the report: per set the scores of each image and their means, and
    ``pooled`` (the mean over all images). ``prior`` weighs the rebalanced
    AuC (default: the training photos'); ``limit`` takes the first images of
    each set. ``progress`` shows a progress bar when stderr is a terminal.
    With ``hints`` = N > 0 every photo also gets N simulated hints (fixed per
    photo): each model is scored with them beside itself without, and the
    ``nearest hint`` baseline over the first model's automatic result.
    """
    if GRAY in models or NEAREST in models:
        raise ColorizeError(f"the model names {GRAY!r} and {NEAREST!r} are kept for the baselines")
    models = {GRAY: gray_baseline, **models}
    prior = ab_grid.prior() if prior is None else prior
    folders = [Path(d) for d in set_dirs]
    names = [f.name for f in folders]
    if len(set(names)) != len(names):
        raise ColorizeError(f"sets need distinct folder names, got {', '.join(names)}")
    files = {name: list_images(folder)[:limit] for name, folder in zip(names, folders)}
    report: dict[str, Any] = {"models": list(models), "sets": {}}
    every_image = []
    for name, folder in zip(names, folders):
        images = [_score_image(path, models, prior, hints)
                  for path in tqdm(files[name], desc=name, unit="image",
                                   disable=None if progress else True)]
        report["sets"][name] = {"folder": str(folder), "images": images, "mean": _means(images)}
        every_image += images
    report["pooled"] = {"images": len(every_image), "mean": _means(every_image)}
    return {**report, "hints": hints}


def hinted_name(model: str, hints: int) -> str:
    return f"{model} +{hints} hints"


def _score_image(path: Path, models: Mapping[str, Predict], prior: np.ndarray, hints: int) -> dict[str, Any]:
    gt = load_ground_truth(path)
    gray = gray_input(gt)
    rgba = disks(gt, hints, seed_for(path.name, hints)) if hints else None
    scores, automatic = {}, []
    for name, predict in models.items():
        start = time.perf_counter()
        result = predict(gray)
        scores[name] = {**score_pair(gt, result, prior), "seconds": time.perf_counter() - start}
        if rgba is not None and name != GRAY:
            automatic.append(result)
            start = time.perf_counter()
            guided = predict(gray, hints=rgba)
            scores[hinted_name(name, hints)] = {**score_pair(gt, guided, prior), "seconds": time.perf_counter() - start,
                                                "hint_error": hint_error(guided, rgba)}
    if automatic:
        baseline = nearest_hint(automatic[0], rgba)
        scores[NEAREST] = {**score_pair(gt, baseline, prior), "seconds": float("nan"),
                           "hint_error": hint_error(baseline, rgba)}
    return {"file": path.name, "size": [gt.shape[1], gt.shape[0]], "truth_colourfulness": colourfulness(gt),
            "scores": scores}


def _means(images: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Per model and metric, the mean over images of the defined (finite) values, and the
    colourfulness ratio of means (mean CF of the results / mean CF of the photos)."""
    means: dict[str, dict[str, float | None]] = {}
    truth = math.fsum(image["truth_colourfulness"] for image in images) / len(images)
    for model in images[0]["scores"]:
        means[model] = {}
        for metric in images[0]["scores"][model]:
            values = [v for image in images
                      if math.isfinite(v := image["scores"][model][metric])]
            means[model][metric] = math.fsum(values) / len(values) if values else None
        means[model]["colourfulness_ratio_of_means"] = means[model]["colourfulness"] / truth if truth else None
    return means


def suggestion_hits(colorizer: Colorizer, set_dirs: Sequence[str | os.PathLike], *, points: int = 20,
                    k: int = 8, within: float = 10.0, limit: int | None = None) -> dict[str, float]:
    """How often the true colour at random points (fixed per photo) is within CIEDE2000 ``within``
    of one of the model's ``k`` suggestions there, and of the k most common colours of the
    training photos at that pixel's L* (the baseline), both shown at the pixel's L*."""
    by_lightness = ab_grid.prior_by_lightness()
    hits = {"model": 0, "prior": 0}
    total = 0
    for folder in set_dirs:
        for path in list_images(folder)[:limit]:
            gt = load_ground_truth(path)
            gray = gray_input(gt)
            l_star = rgb_to_l(gt)
            rng = np.random.default_rng(seed_for(path.name, points))
            places = list(zip(rng.integers(gt.shape[0], size=points), rng.integers(gt.shape[1], size=points)))
            suggested = colorizer.suggest_at(gray, [(x, y) for y, x in places], k)
            for (y, x), suggestions in zip(places, suggested):
                truth = rgb_to_lab(gt[y:y + 1, x:x + 1])[0]
                model = [colour for colour, _ in suggestions]
                common = ab_grid.BIN_CENTRES_ALL[np.argsort(by_lightness[ab_grid.lightness_band(l_star[y, x])])[::-1][:k]]
                prior = lab_to_rgb8(np.dstack([np.full((1, k), l_star[y, x], np.float32), common[None]]))[0]
                for name, colours in (("model", model), ("prior", prior)):
                    shown = rgb_to_lab(np.asarray(colours, np.uint8)[None])[0]
                    hits[name] += bool(deltaE_ciede2000(np.repeat(truth, len(shown), 0), shown).min() <= within)
                total += 1
    return {"points": total, "model": hits["model"] / total, "prior": hits["prior"] / total}


def format_table(title: str, means: Mapping[str, Mapping[str, float | None]]) -> str:
    """One set's means as a text table: a row per metric, a column per model."""
    models = list(means)
    label_width = max(len(label) for _, label, _ in TABLE_ROWS)
    widths = [max(len(m), 9) for m in models]
    lines = [title, " " * label_width + "".join(f"  {m:>{w}}" for m, w in zip(models, widths))]
    for key, label, fmt in TABLE_ROWS:
        cells = [means[m].get(key) for m in models]
        if all(v is None for v in cells):
            continue
        lines.append(f"{label:<{label_width}}" + "".join(
            f"  {'-' if v is None else fmt.format(v):>{w}}" for v, w in zip(cells, widths)))
    return "\n".join(lines)


def write_report(report: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write the report as JSON, atomically; undefined values (NaN) become null."""
    text = json.dumps(_finite(report), indent=1, allow_nan=False)
    with atomic_write(path, "w") as handle:
        handle.write(text + "\n")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def load_models(specs: Iterable[str], render_size: int | None = None) -> dict[str, Predict]:
    """Load each model spec ("default", a folder, hf://...) as a Predict, named by its spec."""
    return {spec: functools.partial(Colorizer.load(spec).colorize, render_size=render_size)
            for spec in specs}


def _count(images: int) -> str:
    return f"{images} image" if images == 1 else f"{images} images"


def _split(values: Sequence[str]) -> list[str]:
    """Comma lists, possibly given several times, as one list without duplicates."""
    items = [item.strip() for value in values for item in value.split(",") if item.strip()]
    return list(dict.fromkeys(items))


def _hint_counts(text: str) -> list[int]:
    try:
        counts = [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 0 or max(counts) > 1000:
        raise argparse.ArgumentTypeError(f"expected numbers of hints 0..1000 like 0,1,10, got {text!r}")
    return list(dict.fromkeys(counts))


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m colorize_model.evaluate",
        description="Colorize the gray version of colour photos and score the results "
                    "against the photos, beside the gray baseline (a = b = 0).")
    parser.add_argument("--model", action="append", default=[],
                        help="model: 'default', a model folder or hf://owner/name[@revision]; "
                             "repeat or comma-separate to compare several (default: default)")
    parser.add_argument("--sets", required=True, action="append",
                        help="comma-separated folders of colour photos, one set each")
    parser.add_argument("--out", required=True, type=Path, help="JSON report to write")
    parser.add_argument("--render-size", type=_positive, help="override the models' render size")
    parser.add_argument("--limit", type=_positive, help="score only the first N images of each set")
    parser.add_argument("--hints", type=_hint_counts, default=[0], metavar="N[,N...]",
                        help="also colorize with N simulated hints per photo (disks of the photo's own "
                             "colour, fixed per photo), beside the same model without hints and the "
                             "'nearest hint' baseline; a list (0,1,2,5,10,20,50) sweeps")
    parser.add_argument("--suggest", type=_positive, metavar="POINTS",
                        help="also measure colour suggestions at POINTS random places per photo: how "
                             "often the true colour is within CIEDE2000 10 of one of 8 suggestions "
                             "(first model), beside the 8 commonest colours at that lightness")
    args = parser.parse_args(argv)
    reports = []
    try:
        if not args.out.parent.is_dir():
            raise ColorizeError(f"{args.out}: its folder does not exist")
        models = load_models(_split(args.model) or ["default"], args.render_size)
        for count in args.hints:
            reports.append(evaluate_sets(models, _split(args.sets), limit=args.limit, hints=count))
            _print_report(reports[-1])
        extra = {"render_size": args.render_size}
        if args.suggest:
            first = Colorizer.load((_split(args.model) or ["default"])[0])
            extra["suggestions"] = suggestion_hits(first, _split(args.sets), points=args.suggest, limit=args.limit)
            print("suggestions: true colour within CIEDE2000 10 of one of 8 at {points} points: model {model:.3f}, "
                  "commonest colours at that lightness {prior:.3f}\n".format(**extra["suggestions"]))
        write_report({**extra, "sweep": reports} if len(reports) > 1 else {**reports[0], **extra}, args.out)
    except (ColorizeError, OSError, ValueError) as error:  # bad input or option: one line
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"report: {args.out}")
    return 0


def _print_report(report: Mapping[str, Any]) -> None:
    suffix = f", {report['hints']} hints" if report["hints"] else ""
    for name, result in report["sets"].items():
        print(format_table(f"{name} ({_count(len(result['images']))}{suffix})", result["mean"]) + "\n")
    print(format_table(f"pooled ({_count(report['pooled']['images'])}{suffix})", report["pooled"]["mean"]) + "\n")


if __name__ == "__main__":
    sys.exit(main())
