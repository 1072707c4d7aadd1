"""A PNG whose ICC profile is over 1 MB is read without it, as a JPEG, TIFF or WebP is: Pillow
refuses such a PNG outright (its limit on inflated text, PngImagePlugin.MAX_TEXT_CHUNK)."""

from __future__ import annotations

import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from colorize_model import lab
from colorize_model.errors import InputImageError
from colorize_model.imageio import load_image
from colorize_model.lightness import lightness_and_alpha
from icc_profiles import gray_profile  # tests/, on sys.path under pytest
from png_bomb import black_png  # tests/, on sys.path under pytest

LEVELS = np.arange(48 * 64).reshape(48, 64).astype(np.uint8)  # every level, 12 times
_AFTER_IHDR = 8 + 25  # the signature, then IHDR's length, type, 13 bytes and CRC


def with_iccp(png: Path, compressed: bytes) -> Path:
    """``png`` with an iCCP chunk holding ``compressed`` (zlib) right after its header, as Pillow writes it."""
    body = b"big profile\x00\x00" + compressed  # name, its end, compression method 0 (zlib)
    chunk = struct.pack(">I", len(body)) + b"iCCP" + body + struct.pack(">I", zlib.crc32(b"iCCP" + body))
    data = png.read_bytes()
    png.write_bytes(data[:_AFTER_IHDR] + chunk + data[_AFTER_IHDR:])
    return png


def photo(path: Path, **options: object) -> Path:
    """A gray PNG of LEVELS, turned a quarter (EXIF orientation 6: the loader turns it back), with a text chunk."""
    exif = Image.Exif()
    exif[0x0112] = 6
    text = PngImagePlugin.PngInfo()
    text.add_text("Title", "Grandmother, 1921")
    Image.fromarray(np.rot90(LEVELS)).save(path, exif=exif, pnginfo=text, **options)
    return path


def test_a_png_with_a_profile_over_1_mb_is_read_without_it(tmp_path: Path) -> None:
    """A gamma 1 profile, applied, would lighten the midtones by 20 L*: its levels are read as sRGB's.
    The rest of the file is read as usual: pixels, orientation, text."""
    large = gray_profile(1.0) + bytes(2 << 20)  # a private tag's worth of padding
    path = photo(tmp_path / "scan.png", icc_profile=large)
    with pytest.raises(ValueError, match="MAX_TEXT_CHUNK"):
        Image.open(path)  # Pillow itself refuses it...
    image = load_image(path)  # ...the loader reads it
    assert "icc_profile" not in image.info and image.info["Title"] == "Grandmother, 1921"
    np.testing.assert_array_equal(np.asarray(image), LEVELS)
    l_star, _ = lightness_and_alpha(image)
    np.testing.assert_array_equal(l_star, lab.gray_to_l(LEVELS))
    assert PngImagePlugin.MAX_TEXT_CHUNK == 1 << 20  # no limit raised for anyone else


def test_a_small_profile_is_still_read(tmp_path: Path) -> None:
    profile = gray_profile(1.0)
    image = load_image(photo(tmp_path / "scan.png", icc_profile=profile))
    assert image.info["icc_profile"] == profile
    np.testing.assert_array_equal(np.asarray(image), LEVELS)
    assert not np.array_equal(lightness_and_alpha(image)[0], lab.gray_to_l(LEVELS))  # read through it


def test_a_profile_that_inflates_to_200_mb_is_not_inflated(tmp_path: Path) -> None:
    """~200 KB of zlib that inflate to 200 MB of zeros: Pillow stops at 1 MB, the loader skips the chunk."""
    compressor = zlib.compressobj(9)
    bomb = b"".join(compressor.compress(bytes(1 << 20)) for _ in range(200)) + compressor.flush()
    path = with_iccp(black_png(tmp_path / "bomb.png", 300, 200), bomb)
    tracemalloc.start()
    try:
        image = load_image(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, peak
    assert image.size == (300, 200) and "icc_profile" not in image.info
    assert not np.asarray(image).any()


def test_the_size_limit_still_names_the_file(tmp_path: Path) -> None:
    path = with_iccp(black_png(tmp_path / "vast.png", 13000, 12000, rows=1), zlib.compress(bytes(2 << 20)))
    with pytest.raises(InputImageError, match=r"^vast\.png: 13000×12000 is 156\.0 megapixels, over the limit of 150$"):
        load_image(path)
