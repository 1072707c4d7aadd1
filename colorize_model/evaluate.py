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
from tqdm import tqdm

from . import ab_grid
from .atomic import atomic_write
from .errors import ColorizeError, InputImageError
from .imageio import load_image
from .lab import l_to_gray, rgb_to_l
from .metrics import SSIM_MIN_SIDE, score_pair
from .pipeline import Colorizer

# A model as evaluation sees it: 16-bit gray (H, W) in, 8-bit RGB (H, W, 3) out.
Predict = Callable[[np.ndarray], np.ndarray]

GRAY = "gray"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
# (key in the scores, row label, format) for the printed tables.
TABLE_ROWS = [
    ("psnr", "PSNR (dB)", "{:.2f}"),
    ("ssim", "SSIM", "{:.4f}"),
    ("ciede2000", "CIEDE2000", "{:.2f}"),
    ("colourfulness_ratio", "colourfulness ratio", "{:.3f}"),
    ("auc", "AuC", "{:.3f}"),
    ("auc_rebalanced", "AuC rebalanced", "{:.3f}"),
    ("seed_accuracy", "seed accuracy", "{:.3f}"),
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
                  progress: bool = True) -> dict[str, Any]:
    """Score every model and the gray baseline on every image of every set.

    Returns the report: per set the scores of each image and their means, and
    ``pooled`` (the mean over all images). ``prior`` weighs the rebalanced
    AuC (default: the training photos'); ``limit`` takes the first images of
    each set. ``progress`` shows a progress bar when stderr is a terminal.
    """
    if GRAY in models:
        raise ColorizeError(f"the model name {GRAY!r} is kept for the gray baseline")
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
        images = [_score_image(path, models, prior)
                  for path in tqdm(files[name], desc=name, unit="image",
                                   disable=None if progress else True)]
        report["sets"][name] = {"folder": str(folder), "images": images, "mean": _means(images)}
        every_image += images
    report["pooled"] = {"images": len(every_image), "mean": _means(every_image)}
    return report


def _score_image(path: Path, models: Mapping[str, Predict], prior: np.ndarray) -> dict[str, Any]:
    gt = load_ground_truth(path)
    gray = gray_input(gt)
    scores = {}
    for name, predict in models.items():
        start = time.perf_counter()
        result = predict(gray)
        seconds = time.perf_counter() - start
        scores[name] = {**score_pair(gt, result, prior), "seconds": seconds}
    return {"file": path.name, "size": [gt.shape[1], gt.shape[0]], "scores": scores}


def _means(images: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Per model and metric, the mean over images of the defined (finite) values."""
    means: dict[str, dict[str, float | None]] = {}
    for model in images[0]["scores"]:
        means[model] = {}
        for metric in images[0]["scores"][model]:
            values = [v for image in images
                      if math.isfinite(v := image["scores"][model][metric])]
            means[model][metric] = math.fsum(values) / len(values) if values else None
    return means


def format_table(title: str, means: Mapping[str, Mapping[str, float | None]]) -> str:
    """One set's means as a text table: a row per metric, a column per model."""
    models = list(means)
    label_width = max(len(label) for _, label, _ in TABLE_ROWS)
    widths = [max(len(m), 9) for m in models]
    lines = [title, " " * label_width + "".join(f"  {m:>{w}}" for m, w in zip(models, widths))]
    for key, label, fmt in TABLE_ROWS:
        cells = [means[m][key] for m in models]
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
    args = parser.parse_args(argv)
    try:
        if not args.out.parent.is_dir():
            raise ColorizeError(f"{args.out}: its folder does not exist")
        models = load_models(_split(args.model) or ["default"], args.render_size)
        report = evaluate_sets(models, _split(args.sets), limit=args.limit)
        write_report({**report, "render_size": args.render_size}, args.out)
    except (ColorizeError, OSError, ValueError) as error:  # bad input or option: one line
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, result in report["sets"].items():
        print(format_table(f"{name} ({_count(len(result['images']))})", result["mean"]) + "\n")
    print(format_table(f"pooled ({_count(report['pooled']['images'])})", report["pooled"]["mean"]))
    print(f"\nreport: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
