"""Metrics on hand-made cases whose answers are known in advance."""

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from colorize_model import metrics
from colorize_model.lab import rgb_to_lab


def photo_like(seed: int = 0, size: tuple[int, int] = (40, 56)) -> np.ndarray:
    """A smooth, colourful 8-bit image: random colours blurred by upsampling."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (size[0] // 8, size[1] // 8, 3)).astype(np.float64)
    fine = np.kron(coarse, np.ones((8, 8, 1)))
    return np.clip(fine + rng.normal(0, 6, fine.shape), 0, 255).astype(np.uint8)


def as_gray(rgb: np.ndarray) -> np.ndarray:
    gray = rgb.mean(axis=-1).round().astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=-1)


def test_identical_images_score_perfectly():
    image = photo_like()
    scores = metrics.score_pair(image, image.copy(), prior=np.full((23, 23), 1 / 529))
    assert scores["psnr"] == metrics.PSNR_MAX  # capped rather than infinite
    assert scores["ssim"] == pytest.approx(1.0)
    assert scores["ciede2000"] == 0.0
    assert scores["auc"] == 1.0
    assert scores["auc_rebalanced"] == pytest.approx(1.0)
    assert scores["seed_accuracy"] == 1.0
    assert scores["colourfulness_ratio"] == pytest.approx(1.0)
    assert scores["colourfulness"] > 10


def test_score_pair_leaves_out_rebalanced_auc_without_prior():
    image = photo_like()
    assert "auc_rebalanced" not in metrics.score_pair(image, image)


def test_psnr_of_a_one_level_error():
    gt = np.zeros((12, 12, 3), np.uint8)
    assert metrics.psnr(gt, gt + 1) == pytest.approx(20 * np.log10(255))


def test_ssim_drops_for_a_different_image():
    assert metrics.ssim(photo_like(1), photo_like(2)) < 0.5


def test_ssim_refuses_images_smaller_than_its_window():
    tiny = np.zeros((10, 30, 3), np.uint8)
    with pytest.raises(ValueError, match="at least 11x11"):
        metrics.ssim(tiny, tiny)


def test_ciede2000_agrees_with_scikit_image():
    gt, pred = photo_like(3), photo_like(4)
    reference = deltaE_ciede2000(rgb2lab(gt), rgb2lab(pred)).mean()
    assert reference > 10
    assert metrics.mean_ciede2000(rgb_to_lab(gt), rgb_to_lab(pred)) == pytest.approx(reference, abs=0.05)


def test_colourfulness_of_gray_is_zero_and_its_ratio_too():
    colour = photo_like()
    gray = as_gray(colour)
    assert metrics.colourfulness(gray) == 0.0
    assert metrics.colourfulness_ratio(colour, gray) == 0.0
    assert np.isnan(metrics.colourfulness_ratio(gray, colour))


def test_colourfulness_follows_hasler_suesstrunk():
    # Pure red: rg = 255, yb = 127.5 everywhere, so only the mean term counts.
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 255
    assert metrics.colourfulness(red) == pytest.approx(0.3 * np.hypot(255, 127.5))
    # Half black, half (0, 0, 200): rg = 0; yb is 0 or -200 (mean -100, std 100).
    split = np.zeros((4, 4, 3), np.uint8)
    split[:2, :, 2] = 200
    assert metrics.colourfulness(split) == pytest.approx(100 + 0.3 * 100)


def test_auc_of_a_constant_ab_offset():
    ab_gt = np.random.default_rng(0).uniform(-60, 60, (30, 20, 2))
    # An error of exactly 50 is within the thresholds 50..150: 101 of 151.
    assert metrics.auc(ab_gt, ab_gt + [30, 40]) == pytest.approx(101 / 151)
    # 50.5 clears only 51..150.
    assert metrics.auc(ab_gt, ab_gt + [50.5, 0]) == pytest.approx(100 / 151)
    assert metrics.auc(ab_gt, ab_gt + [200, 0]) == 0.0


def test_auc_matches_the_curve_computed_threshold_by_threshold():
    rng = np.random.default_rng(1)
    ab_gt, ab_pred = rng.uniform(-100, 100, (2, 50, 40, 2))
    error = np.linalg.norm(ab_pred - ab_gt, axis=-1)
    curve = [np.mean(error <= t) for t in range(151)]
    assert metrics.auc(ab_gt, ab_pred) == pytest.approx(np.mean(curve))


def test_rebalanced_auc_with_a_hand_made_prior():
    # Three pixels of a common colour (prior 0.75) predicted exactly, one of a
    # rare colour (prior 0.25) missed entirely: raw AuC 3/4, but rebalanced the
    # rare pixel weighs as much as the three common ones together.
    prior = np.zeros((23, 23))
    prior[11, 11] = 0.75  # ab near (0, 0)
    prior[15, 8] = 0.25  # ab near (40, -30)
    ab_gt = np.array([[0, 0], [1, -2], [3, 3], [40, -30]], np.float64)
    ab_pred = ab_gt.copy()
    ab_pred[3] = [-120, 120]
    assert metrics.auc(ab_gt, ab_pred) == pytest.approx(0.75)
    weights = metrics.rebalancing_weights(ab_gt, prior)
    assert weights.tolist() == pytest.approx([1 / 6, 1 / 6, 1 / 6, 1 / 2])
    assert metrics.auc(ab_gt, ab_pred, weights) == pytest.approx(0.5)


def test_unseen_bins_weigh_as_the_rarest_seen_one():
    prior = np.zeros((23, 23))
    prior[11, 11], prior[12, 12] = 0.9, 0.1
    weights = metrics.rebalancing_weights(np.array([[100.0, -100.0], [10, 10]]), prior)
    assert weights.tolist() == pytest.approx([0.5, 0.5])


def test_seed_accuracy_compares_which_of_a_and_b_is_larger():
    ab_gt = np.array([[5, 1], [1, 5], [2, 9], [0, 0]], np.float64)
    # right, wrong, right (magnitude does not matter), right: a tie counts as a.
    ab_pred = np.array([[50, -50], [9, 2], [-30, 1], [7, 3]], np.float64)
    assert metrics.seed_accuracy(ab_gt, ab_pred) == 0.75


def test_seed_accuracy_counts_neutral_pixels_as_ties():
    # Gray pixels' ab is zero only up to float rounding; all must land on a.
    gray = as_gray(photo_like())
    ab = rgb_to_lab(gray)[..., 1:]
    zeros = np.zeros_like(ab)
    assert metrics.seed_accuracy(ab, zeros) == 1.0


def test_score_pair_refuses_mismatched_images():
    with pytest.raises(ValueError, match="one size"):
        metrics.score_pair(photo_like(size=(40, 56)), photo_like(size=(48, 56)))
