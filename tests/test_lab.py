"""The colour convention against scikit-image, the reference implementation."""

import subprocess
import sys

import numpy as np
import pytest
from skimage import color

from colorize_model import lab


def random_rgb(shape=(256, 256, 3), seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.mark.parametrize("image", ["random", "astronaut", "coffee"])
def test_rgb_to_lab_matches_skimage(image, astronaut, coffee):
    rgb = {"random": random_rgb(), "astronaut": astronaut, "coffee": coffee}[image]
    ours, reference = lab.rgb_to_lab(rgb), color.rgb2lab(rgb)
    assert ours.dtype == np.float32
    assert color.deltaE_ciede2000(ours, reference).mean() < 0.05
    assert np.abs(ours - reference).max() < 0.05


def test_lab_to_rgb_matches_skimage(astronaut):
    reference_lab = color.rgb2lab(astronaut)
    assert np.abs(lab.lab_to_rgb(reference_lab) - color.lab2rgb(reference_lab)).max() < 1e-3


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_round_trip_is_exact_to_one_level(dtype):
    rgb = random_rgb((128, 512, 3), seed=1)
    source = rgb if dtype == np.uint8 else rgb.astype(np.float32) / 255
    back = lab.lab_to_rgb8(lab.rgb_to_lab(source))
    assert np.abs(back.astype(int) - rgb).max() <= 1


def test_convention_ranges():
    corners = np.array([[[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255], [0, 255, 0]]], np.uint8)
    converted = lab.rgb_to_lab(corners)[0]
    assert converted[0, 0] == pytest.approx(0, abs=1e-3)
    assert converted[1, 0] == pytest.approx(lab.L_MAX, abs=1e-3)
    assert np.abs(converted[:, 1:]).max() < lab.AB_SCALE


def test_any_leading_shape():
    batch = random_rgb((3, 16, 24, 3))
    assert np.allclose(lab.rgb_to_lab(batch)[1], lab.rgb_to_lab(batch[1]))
    assert lab.rgb_to_lab(batch[0, 0]).shape == (24, 3)


@pytest.mark.parametrize("dtype,top", [(np.uint8, 255), (np.uint16, 65535)])
def test_gray_to_l_matches_full_conversion(dtype, top):
    gray = np.linspace(0, top, 1000).astype(dtype)[None]
    rgb = np.repeat(gray[..., None].astype(np.float64) / top, 3, axis=-1)
    assert np.abs(lab.gray_to_l(gray) - color.rgb2lab(rgb)[..., 0]).max() < 1e-3


def test_sixteen_bit_table_is_the_formula():
    levels = np.random.default_rng(4).permutation(65536).astype(np.uint16).reshape(256, 256)
    assert np.array_equal(lab.gray_to_l(levels), lab.gray_to_l(levels.astype(np.float32) * np.float32(1 / 65535)))


def test_rgb_to_l_and_l_to_gray(astronaut):
    assert np.abs(lab.rgb_to_l(astronaut) - color.rgb2lab(astronaut)[..., 0]).max() < 1e-3
    levels = np.arange(256, dtype=np.uint8)
    assert np.abs(lab.l_to_gray(lab.gray_to_l(levels)) * 255 - levels).max() < 0.05
    assert np.array_equal(lab.l_to_gray8(lab.gray_to_l(levels.reshape(16, 16))), levels.reshape(16, 16))


def test_lab_to_rgb_in_place_and_in_eight_bits(astronaut):
    converted = lab.rgb_to_lab(astronaut)
    expected = lab.lab_to_rgb(converted)
    assert np.array_equal(lab.lab_to_rgb(converted.copy(), overwrite=True), expected)
    # 8 bits: the same colours, out-of-gamut ones included, rounded to the nearest level
    wishes = np.random.default_rng(3).normal(0, 60, (700, 300, 3)).astype(np.float32)
    wishes[..., 0] = np.abs(wishes[..., 0])
    for colours in (converted, wishes):
        assert np.array_equal(lab.lab_to_rgb8(colours), np.rint(lab.lab_to_rgb(colours) * 255).astype(np.uint8))


def test_out_of_gamut_colours_keep_their_lightness():
    """Too-saturated colours (a network's wishes) lose chroma, not lightness, and keep their hue side."""
    rng = np.random.default_rng(2)
    wishes = np.stack([rng.uniform(1, 99, 5000), rng.normal(0, 80, 5000), rng.normal(0, 80, 5000)], -1)
    wishes = wishes.astype(np.float32).reshape(50, 100, 3)
    rgb = lab.lab_to_rgb(wishes)
    assert rgb.min() >= 0 and rgb.max() <= 1
    back = lab.rgb_to_lab(rgb)
    assert np.abs(back[..., 0] - wishes[..., 0]).max() < 0.02
    assert np.hypot(back[..., 1], back[..., 2]).mean() < np.hypot(wishes[..., 1], wishes[..., 2]).mean()
    signs = np.sign(back[..., 1:]) == np.sign(wishes[..., 1:])
    assert signs[np.abs(back[..., 1:]) > 5].mean() > 0.95


def test_a_process_may_end_while_opencv_builds_its_tables():
    """warm_up builds OpenCV's Lab tables on a thread: a run that fails at once must still end cleanly."""
    for _ in range(3):
        ended = subprocess.run([sys.executable, "-c", "from colorize_model import lab; lab.warm_up()"],
                               capture_output=True, text=True)
        assert ended.returncode == 0 and ended.stderr == ""
