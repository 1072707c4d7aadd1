"""Guided chroma upsampling: colour edges follow the photo's edges."""

import cv2
import numpy as np

from colorize_model.upsample import apply, fit, guide_size, guided_upsample


def test_colour_edge_snaps_to_the_lightness_edge():
    height, width = 600, 900
    l_star = np.full((height, width), 30.0, np.float32)
    l_star[:, 451:] = 70.0  # a sharp edge between columns 450 and 451
    ab = np.zeros((16, 24, 2), np.float32)
    ab[:, :12, 0], ab[:, 12:, 0] = 40.0, -40.0  # red left, green right, at 1/37 scale
    a, b = guided_upsample(ab, l_star)
    bilinear = cv2.resize(ab, (width, height), interpolation=cv2.INTER_LINEAR)[..., 0]
    assert a.shape == b.shape == (height, width)
    # the plain resize changes colour gradually; the guided one jumps where lightness does
    assert abs(bilinear[300, 450] - bilinear[300, 451]) < 5
    assert a[300, 450] - a[300, 451] > 40
    assert abs(a[300, 100] - 40) < 0.5 and abs(a[300, 800] + 40) < 0.5  # far from it, unchanged
    assert np.abs(b).max() < 1e-3


def test_flat_regions_keep_the_predicted_colour():
    l_star = np.random.default_rng(0).uniform(20, 80, (300, 200)).astype(np.float32)
    ab = np.full((8, 8, 2), (12.0, -7.0), np.float32)
    a, b = guided_upsample(ab, l_star)
    assert np.allclose(a, 12.0, atol=0.05) and np.allclose(b, -7.0, atol=0.05)


def test_tiny_images():
    a, b = guided_upsample(np.ones((4, 4, 2), np.float32), np.full((1, 1), 50.0, np.float32))
    assert a.shape == (1, 1) and abs(float(a[0, 0]) - 1.0) < 1e-3


def test_band_by_band_is_the_whole_image():
    """The pipeline fits once and applies the fit a band of rows at a time: the same numbers."""
    rng = np.random.default_rng(1)
    l_star = cv2.resize(rng.uniform(0, 100, (60, 90)).astype(np.float32), (900, 601), interpolation=cv2.INTER_CUBIC)
    ab = rng.normal(0, 30, (20, 30, 2)).astype(np.float32)
    a, b = guided_upsample(ab, l_star)
    model = fit(ab, cv2.resize(l_star, guide_size(l_star.shape), interpolation=cv2.INTER_AREA))
    for start in range(0, 601, 7):
        rows = slice(start, min(start + 7, 601))
        band_a, band_b = apply(model, l_star[rows], (900, 601), rows)
        assert np.array_equal(band_a, a[rows]) and np.array_equal(band_b, b[rows])
