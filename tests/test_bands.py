"""Colorizing in bands of rows: the same pixels as the whole-image computation, in bounded memory."""

import io
import tracemalloc

import cv2
import numpy as np
import pytest
from PIL import Image

from colorize_model import lab
from colorize_model.bands import AreaShrink, in_bands, linear_rows
from colorize_model.lightness import lightness_and_alpha

SHAPES = [(1, 1), (3, 2000), (2000, 3), (5000, 40), (40, 5000), (17, 31), (641, 640), (1001, 999)]


def whole_image_colorize(colorizer, l_star: np.ndarray, render_size: int | None = None,
                         saturation: float = 1.0) -> np.ndarray:
    """The pipeline as it was before bands, written out plainly on whole planes: the reference."""
    height, width = l_star.shape
    size = render_size or colorizer.render_size
    ab = colorizer._run(cv2.resize(l_star, (size, size), interpolation=cv2.INTER_AREA), None)[0] * np.float32(128)
    scale = min(1.0, 640 / max(height, width))
    small = (max(1, round(width * scale)), max(1, round(height * scale)))
    guide = cv2.resize(l_star, small, interpolation=cv2.INTER_AREA) * np.float32(0.01)
    chroma = cv2.resize(ab, small, interpolation=cv2.INTER_LINEAR).reshape(small[1], small[0], 2)
    window = 2 * max(1, round(max(small) / max(ab.shape[:2]))) + 1
    box = lambda x: cv2.boxFilter(x, -1, (window, window), borderType=cv2.BORDER_REFLECT)  # noqa: E731
    variance = box(guide * guide) - box(guide) ** 2
    room = np.clip(np.minimum(l_star, 100 - l_star) * np.float32(saturation / 8), 0, saturation)
    planes = []
    for p in (np.ascontiguousarray(chroma[..., 0]), np.ascontiguousarray(chroma[..., 1])):
        slope = (box(guide * p) - box(guide) * box(p)) / (variance + np.float32(2e-3))
        offset = box(p) - slope * box(guide)
        full = [cv2.resize(box(x), (width, height), interpolation=cv2.INTER_LINEAR) for x in (slope, offset)]
        planes.append((full[0] * (l_star * np.float32(0.01)) + full[1]) * room)
    return lab.lab_to_rgb8(lab.merge_l_ab(l_star, *planes))


def assert_within_one_level(result: np.ndarray, expected: np.ndarray) -> None:
    """Banding may move a rounding: never by more than one level, and only in a few pixels."""
    assert result.shape == expected.shape and result.dtype == np.uint8
    difference = np.abs(result.astype(int) - expected.astype(int))
    assert difference.max() <= 1
    assert np.count_nonzero(difference) <= max(3, 1e-4 * difference.size)


def photo_of(astronaut: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A real photo's gray, stretched to ``shape``."""
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray, shape[::-1], interpolation=cv2.INTER_AREA if shape[0] < 512 else cv2.INTER_CUBIC)


@pytest.mark.parametrize("shape", SHAPES + [(1500, 2000)])
def test_same_pixels_as_the_whole_image(colorizer, astronaut, shape):
    gray = photo_of(astronaut, shape)
    expected = whole_image_colorize(colorizer, lab.gray_to_l(gray))
    assert_within_one_level(colorizer.colorize(gray), expected)


def test_settings_sixteen_bits_colour_and_alpha(colorizer, astronaut, coffee):
    rng = np.random.default_rng(0)
    gray = photo_of(astronaut, (1333, 1777)).astype(np.uint16) * 257 + rng.integers(0, 257, (1333, 1777), np.uint16)
    l_star = lab.gray_to_l(gray)
    for render_size, saturation in ((None, 1.0), (320, 1.7), (64, 0.0)):
        expected = whole_image_colorize(colorizer, l_star, render_size, saturation)
        assert_within_one_level(colorizer.colorize(gray, render_size=render_size, saturation=saturation), expected)
    alpha = rng.integers(0, 256, coffee.shape[:2], np.uint8)
    result = colorizer.colorize(np.dstack([coffee, alpha]))
    assert np.array_equal(result[..., 3], alpha)
    assert_within_one_level(result[..., :3], whole_image_colorize(colorizer, lab.rgb_to_l(coffee)))


@pytest.mark.parametrize("mode", ["L", "I;16", "LA", "RGB", "P"])
def test_pillow_result_is_the_array_result(colorizer, coffee, mode):
    image = Image.fromarray(coffee).convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image).astype(np.uint16) * 257)
    result = colorizer.colorize_image(image)
    assert result.mode == ("RGBA" if mode == "LA" else "RGB")
    assert np.array_equal(np.asarray(result), colorizer.colorize(image))
    l_star, _ = lightness_and_alpha(image)
    assert_within_one_level(np.asarray(result)[..., :3], whole_image_colorize(colorizer, l_star))
    result.convert("RGB").save(io.BytesIO(), format="JPEG", quality=95)


def test_memory_does_not_grow_with_the_photo(colorizer, astronaut):
    """numpy's allocations (traced) stay at a few bands' worth however large the photo is:
    four times the pixels, not four times the memory (whole float planes would be)."""
    peaks = []
    for shape in ((1500, 2000), (3000, 4000)):
        image = Image.fromarray(photo_of(astronaut, shape))
        tracemalloc.start()
        colorizer.colorize_image(image)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0]


@pytest.mark.parametrize("shape", SHAPES + [(3000, 4000)])
@pytest.mark.parametrize("rows", [1, 7, 256])
def test_area_shrink_is_opencvs(shape, rows):
    plane = np.random.default_rng(1).uniform(0, 100, shape).astype(np.float32)
    height, width = shape
    for size in ((min(width, 160), min(height, 160)), (max(1, width // 7), max(1, height // 5))):
        shrink = AreaShrink(shape, size)
        for part in in_bands(lambda band: shrink.part(plane[band], band), height, rows):
            shrink.add(part)
        expected = cv2.resize(plane, size, interpolation=cv2.INTER_AREA)
        assert np.abs(shrink.result() - expected).max() < 1e-4
    with pytest.raises(ValueError, match="only shrinks"):
        AreaShrink(shape, (width + 1, height))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("small", [(1, 1), (1, 5), (4, 4), (16, 24), (480, 640)])
def test_linear_rows_are_opencvs(shape, small):
    planes = np.random.default_rng(2).normal(size=(3,) + small).astype(np.float32)
    height, width = shape
    expected = np.stack([cv2.resize(plane, (width, height), interpolation=cv2.INTER_LINEAR) for plane in planes])
    for rows in (1, 5, 256):  # single rows included: OpenCV resizes a lone source row by another method
        bands = [linear_rows(planes, (width, height), slice(y, min(y + rows, height))) for y in range(0, height, rows)]
        assert np.abs(np.concatenate(bands, axis=1) - expected).max() < 1e-5


def test_bands_run_in_order_and_nest():
    assert in_bands(lambda rows: (rows.start, rows.stop), 10, 4) == [(0, 4), (4, 8), (8, 10)]
    # a band's work may itself work in bands (lab's conversions do): it then runs them in turn
    nested = in_bands(lambda rows: in_bands(lambda inner: inner.stop - inner.start, 100, 7), 1000, 10)
    assert nested == [[7] * 14 + [2]] * 100
