"""Image-quality scores for colorization, shared by evaluation and training.

Plain functions on numpy arrays, in the style of ``skimage.metrics``. Every
colour conversion goes through :mod:`colorize_model.lab`, so the scores use
the same Lab as the model. Conventions:

* Images are 8-bit sRGB arrays (H, W, 3); ``gt`` is the ground truth,
  ``pred`` the colorized result. ab arrays are (..., 2) float a*, b*.
* :func:`psnr` is capped at :data:`PSNR_MAX` dB, so identical images score
  a finite number that can be averaged and written to JSON.
* :func:`ssim` follows Wang et al. 2004 (Gaussian window, sigma 1.5, 11x11),
  computed per RGB channel and averaged; images need at least 11x11 pixels.
* :func:`auc` counts a pixel as within threshold t when its ab error is
  ``<= t``, for t = 0, 1, ..., 150 (Zhang et al. 2016).
* :func:`seed_accuracy` is Keras' ``accuracy`` as the original model reported
  it: argmax over the (a, b) channels. A tie goes to a, as argmax picks the
  first maximum; a and b within :data:`SEED_TIE` of each other are a tie, so
  neutral pixels (whose ab is 0 up to float rounding) all count as ties.
* :func:`colourfulness_ratio` is NaN when the ground truth has no colour.
"""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000
from skimage.metrics import structural_similarity

from .ab_grid import grid_index
from .lab import rgb_to_lab

PSNR_MAX = 100.0
AUC_MAX_THRESHOLD = 150
SSIM_MIN_SIDE = 11  # the Gaussian window's size at sigma 1.5
SEED_TIE = 1e-3  # far above float32 noise in ab (~1e-5), far below an 8-bit step (~0.2)


def psnr(gt: np.ndarray, pred: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two 8-bit images, at most PSNR_MAX."""
    mse = np.mean((gt.astype(np.float64) - pred.astype(np.float64)) ** 2)
    if mse == 0:
        return PSNR_MAX
    return min(PSNR_MAX, float(10 * np.log10(255.0 ** 2 / mse)))


def ssim(gt: np.ndarray, pred: np.ndarray) -> float:
    """Structural similarity of two 8-bit RGB images (Wang et al.'s settings)."""
    if min(gt.shape[:2]) < SSIM_MIN_SIDE:
        raise ValueError(f"SSIM needs images of at least {SSIM_MIN_SIDE}x{SSIM_MIN_SIDE} pixels, "
                         f"got {gt.shape[1]}x{gt.shape[0]}")
    return float(structural_similarity(gt, pred, channel_axis=-1, data_range=255,
                                       gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False))


def mean_ciede2000(lab_gt: np.ndarray, lab_pred: np.ndarray) -> float:
    """Mean CIEDE2000 colour difference between two Lab images."""
    return float(np.mean(deltaE_ciede2000(lab_gt, lab_pred, channel_axis=-1), dtype=np.float64))


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler and Süsstrunk's colourfulness of an 8-bit RGB image (0 for gray).

    rg = R - G, yb = (R + G) / 2 - B on the 0..255 scale;
    CF = sqrt(std(rg)^2 + std(yb)^2) + 0.3 * sqrt(mean(rg)^2 + mean(yb)^2).
    """
    r, g, b = np.moveaxis(rgb.astype(np.float64), -1, 0)
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def colourfulness_ratio(gt: np.ndarray, pred: np.ndarray) -> float:
    """CF(pred) / CF(gt): 1 is as colourful as the truth, 0 is gray; NaN if gt is gray."""
    reference = colourfulness(gt)
    return colourfulness(pred) / reference if reference > 0 else float("nan")


def auc(ab_gt: np.ndarray, ab_pred: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Zhang et al.'s AuC: share of pixels with ab error <= t, averaged over t = 0..150.

    A pixel with error d is within t for the 151 - ceil(d) thresholds from
    ceil(d) to 150, so the curve's mean is computed per pixel, without a loop.
    ``weights`` (one per pixel, summing to 1) give the rebalanced variant.
    """
    error = np.linalg.norm((ab_pred - ab_gt).astype(np.float64), axis=-1)
    steps = AUC_MAX_THRESHOLD + 1
    within = np.clip(steps - np.ceil(error), 0, steps) / steps
    if weights is None:
        return float(within.mean())
    return float(np.sum(within * weights))


def rebalancing_weights(ab_gt: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Per-pixel weights 1 / prior[bin of the true ab], normalised to sum to 1.

    ``prior`` holds one probability per bin of :mod:`colorize_model.ab_grid`
    (23x23, or flat). Bins the prior never saw (0) take the smallest non-zero
    prior, so a rare colour counts as much as the rarest one seen, not infinitely.
    """
    prior = np.asarray(prior, dtype=np.float64).reshape(-1)
    inverse = 1.0 / np.maximum(prior, prior[prior > 0].min())
    weights = inverse[grid_index(ab_gt)]
    return weights / weights.sum()


def seed_accuracy(ab_gt: np.ndarray, ab_pred: np.ndarray) -> float:
    """Share of pixels where argmax over (a, b) matches: the original model's "accuracy".

    Keras picked categorical accuracy for a 2-channel output, i.e.
    argmax(y_true) == argmax(y_pred); argmax is b only when b > a + SEED_TIE.
    """
    def b_wins(ab: np.ndarray) -> np.ndarray:
        return ab[..., 1] - ab[..., 0] > SEED_TIE

    return float(np.mean(b_wins(ab_gt) == b_wins(ab_pred)))


def score_pair(gt: np.ndarray, pred: np.ndarray, prior: np.ndarray | None = None) -> dict[str, float]:
    """Every metric for one ground truth and one result, both 8-bit RGB of the same size.

    ``auc_rebalanced`` is included only when a ``prior`` is given
    (:func:`colorize_model.ab_grid.prior` is the training photos').
    """
    if gt.shape != pred.shape or gt.ndim != 3 or gt.shape[2] != 3:
        raise ValueError(f"expected two RGB images of one size, got {gt.shape} and {pred.shape}")
    if gt.dtype != np.uint8 or pred.dtype != np.uint8:
        raise ValueError(f"expected 8-bit images, got {gt.dtype} and {pred.dtype}")
    lab_gt, lab_pred = rgb_to_lab(gt), rgb_to_lab(pred)
    ab_gt, ab_pred = lab_gt[..., 1:], lab_pred[..., 1:]
    scores = {
        "psnr": psnr(gt, pred),
        "ssim": ssim(gt, pred),
        "ciede2000": mean_ciede2000(lab_gt, lab_pred),
        "colourfulness": colourfulness(pred),
        "colourfulness_ratio": colourfulness_ratio(gt, pred),
        "auc": auc(ab_gt, ab_pred),
        "seed_accuracy": seed_accuracy(ab_gt, ab_pred),
    }
    if prior is not None:
        scores["auc_rebalanced"] = auc(ab_gt, ab_pred, rebalancing_weights(ab_gt, prior))
    return scores
