"""Choose the decoding settings of a hybrid model on held-out training photos.

    python -m training.tune --run runs/unet [--photos 300] [--render-sizes 160,192,256]
                            [--min-colourfulness 0] [--criterion ciede2000] [--slack 0]

The classifier's annealed mean (temperature T) and the regression mix into one
ab map by ``mix`` (see ``colorize_model/architectures/unet.py``). Neither is
learnt: this runs the network once per validation photo and render size,
decodes its outputs under every (T, mix) on a grid, scores each against the
photo, and picks the most accurate setting by --criterion (lowest CIEDE2000 by
default: it punishes a wrong colour more than a missing one, as a viewer
does), or the most colourful of the settings within --slack of it (0.05 mean
ΔE2000 is about two standard errors over 200 photos: per-photo differences
between neighbouring mixes have an sd of 0.32-0.34). No slack by default:
for the 2026-11-30 default, slack 0.05 chose mix 0.8 over 0.6 (+0.044 here),
which cost more elsewhere: on held-out photos ΔE2000 10.04 against 9.94, and
with 10 hints on the development sets 7.91 against 7.74, for colourfulness
0.41 against 0.37 there. Optionally only among settings still vivid
enough: colourfulness ratio, as a ratio of means (mean CF of the results /
mean CF of the photos), at least --min-colourfulness. The mean of per-photo
ratios is printed beside it; a few nearly gray photos weigh heavily in that
one. A floor trades accuracy for colour, and T and mix buy colour dearly: for
the hint-trained default of 2026-11-29 on 150 of these photos, the lowest
ΔE2000 was 9.58 at a ratio of 0.41, and a ratio of 0.6 first came at T = 1,
mix = 1 with ΔE2000 12.0. Results on validation photos come out more colourful
than on the development sets (0.44 against 0.36 for that model), so a floor
met here is not yet met there. The development sets are not used, so their
figures stay honest, and neither are the validation photos kept for checks
(``data.CHECK_PHOTOS``): tuning takes its photos from the rest, in a fixed
random order.

The render size is a decoding setting too: it sets how large the scene
appears to the network, which learnt colours at the scale of its training
crops (a photo's short side spanning 128-213 px). Validation photos are
small, so a render upsamples them, but the scene's scale in the render
depends only on the render size, as it does for a large photo.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import cv2
import keras
import numpy as np
from PIL import Image
from tqdm import tqdm

from colorize_model import ab_grid, lab, metrics
from colorize_model.export import load_keras
from colorize_model.fullres import widened
from colorize_model.pipeline import mirror_mean, mirrored, render

from . import run_config
from .data import split_photos, tuning_and_check_photos

TEMPERATURES = (0.1, 0.2, 0.3, 0.38, 0.5, 0.7, 1.0)
MIXES = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
COLUMNS = ("psnr", "ciede2000", "colourfulness", "truth_colourfulness", "auc_rebalanced")


def heads(folder: Path) -> keras.Model:
    """The exported network, cut before its decoder: (logits, ab / 128)."""
    model = load_keras(folder)
    return keras.Model(model.input, [model.get_layer("logits").output, model.get_layer("ab").output])


def annealed_mean(logits: np.ndarray, temperature: float) -> np.ndarray:
    """numpy twin of AnnealedMeanBlend's classifier half: ab / 128 from the bins' logits."""
    z = logits / temperature
    z -= z.max(axis=-1, keepdims=True)
    weights = np.exp(z)
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ (ab_grid.BIN_CENTRES / lab.AB_SCALE)


def blend(annealed: np.ndarray, ab: np.ndarray, mix: float) -> np.ndarray:
    """numpy twin of AnnealedMeanBlend's output: the classifier's share is ``mix``."""
    return mix * annealed + (1 - mix) * ab


def sweep(network: keras.Model, paths: list[str], render_sizes: list[int], channels: int) -> dict:
    """Mean scores per setting (render size, T, mix) over the photos."""
    prior = ab_grid.prior()
    scores = {setting: [] for setting in itertools.product(render_sizes, TEMPERATURES, MIXES)}
    for path in tqdm(paths, desc="tuning", unit="photo"):
        gt = np.asarray(Image.open(path).convert("RGB"))
        gt_lab = lab.rgb_to_lab(gt)
        l_star = gt_lab[..., 0]
        weights = metrics.rebalancing_weights(gt_lab[..., 1:], prior)  # depends on the photo alone
        truth_colourfulness = metrics.colourfulness(gt)  # so does this
        annealed, regressed = {}, {}  # the costly part, once per render size and T
        for size in render_sizes:  # the render and its mirror image, averaged as the pipeline does
            inputs = np.zeros((2, size, size, channels), np.float32)
            inputs[0, ..., 0] = widened(render(l_star, size))
            inputs[1, ..., 0] = mirrored(inputs[0, ..., 0])
            logits, ab = (np.asarray(x) for x in network(inputs))
            regressed[size] = mirror_mean(ab[0], ab[1])
            annealed.update({(size, t): mirror_mean(annealed_mean(logits[0], t), annealed_mean(logits[1], t))
                             for t in TEMPERATURES})
        for (size, temperature, mix), rows in scores.items():
            small = blend(annealed[size, temperature], regressed[size], mix).astype(np.float32) * lab.AB_SCALE
            full = cv2.resize(small, gt.shape[1::-1], interpolation=cv2.INTER_LINEAR)
            pred = lab.lab_to_rgb8(lab.merge_l_ab(l_star, full[..., 0], full[..., 1]))
            pred_lab = lab.rgb_to_lab(pred)
            rows.append((metrics.psnr(gt, pred), metrics.mean_ciede2000(gt_lab, pred_lab),
                         metrics.colourfulness(pred), truth_colourfulness,
                         metrics.auc(gt_lab[..., 1:], pred_lab[..., 1:], weights)))
    return {setting: _summary(np.array(rows)) for setting, rows in scores.items()}


def _summary(rows: np.ndarray) -> dict[str, float]:
    """Mean scores of one setting over the photos (a row each, in COLUMNS' order), with both
    colourfulness ratios: of the means, and the mean of per-photo ratios (gray photos left out)."""
    means = dict(zip(COLUMNS, np.nanmean(rows, axis=0)))
    colourful = rows[:, 3] > 0
    return {"psnr": means["psnr"], "ciede2000": means["ciede2000"], "auc_rebalanced": means["auc_rebalanced"],
            "colourfulness_ratio_of_means": means["colourfulness"] / means["truth_colourfulness"],
            "colourfulness_ratio": float(np.mean(rows[colourful, 2] / rows[colourful, 3]))}


def choose(results: dict, criterion: str, min_colourfulness: float, slack: float = 0.0) -> tuple:
    """The best setting by ``criterion`` among the vivid enough ones (among all if none is), or
    the most colourful of those within ``slack`` of it (in the criterion's units)."""
    vivid = [s for s, r in results.items() if r["colourfulness_ratio_of_means"] >= min_colourfulness] or results
    sign = -1 if criterion == "ciede2000" else 1  # lower is better only for the colour difference
    best = max(sign * results[s][criterion] for s in vivid)
    close = [s for s in vivid if sign * results[s][criterion] >= best - slack]
    return max(close, key=lambda s: (results[s]["colourfulness_ratio_of_means"], sign * results[s][criterion]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, type=Path, help="run folder with export/ and config.yaml")
    parser.add_argument("--photos", type=int, default=300, help="validation photos to score")
    parser.add_argument("--render-sizes", help="comma-separated render sizes to try (default: the config's)")
    parser.add_argument("--min-colourfulness", type=float, default=0.0,
                        help="least colourfulness ratio (of means) on validation photos (default: none)")
    parser.add_argument("--criterion", choices=["ciede2000", "psnr", "auc_rebalanced"], default="ciede2000")
    parser.add_argument("--slack", type=float, default=0.0,
                        help="take the most colourful setting within this much of the best by the criterion "
                             "(default 0: the best; for ΔE2000, 0.05 is about two standard errors over 200 photos)")
    args = parser.parse_args()
    try:
        config = run_config.read(args.run / "config.yaml", needs=("data", "render_size"))
    except ValueError as error:
        sys.exit(f"error: {error}")
    _, validation = split_photos(config["data"], config.get("validation_percent", 2))
    sizes = [int(s) for s in args.render_sizes.split(",")] if args.render_sizes else [config["render_size"]]
    tuning, _ = tuning_and_check_photos(validation)
    results = sweep(heads(args.run / "export"), tuning[:args.photos], sizes, config.get("input_channels", 1))
    print(f"{'render':>6} {'T':>5} {'mix':>5} {'PSNR':>7} {'ΔE2000':>7} {'CF r.o.m.':>9} {'CF m.o.r.':>9} "
          f"{'AuC rebal.':>11}")
    for (size, temperature, mix), r in sorted(results.items()):
        print(f"{size:6d} {temperature:5.2f} {mix:5.2f} {r['psnr']:7.2f} {r['ciede2000']:7.3f} "
              f"{r['colourfulness_ratio_of_means']:9.3f} {r['colourfulness_ratio']:9.3f} {r['auc_rebalanced']:11.4f}")
    size, temperature, mix = choose(results, args.criterion, args.min_colourfulness, args.slack)
    print(f"chosen: render size {size}, temperature {temperature}, mix {mix}")


if __name__ == "__main__":
    main()
