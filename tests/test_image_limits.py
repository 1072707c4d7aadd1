"""The loader's pixel limit is checked from the file's header, before anything is decoded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from colorize_model.errors import InputImageError
from colorize_model.imageio import MAX_PIXELS, check_size, load_image
from png_bomb import black_png, icon_around  # tests/, on sys.path under pytest


def test_file_over_the_limit_is_refused_from_its_header(tmp_path: Path) -> None:
    """13000x12000 is over 150 MP but under the 300 MP where Pillow itself refuses;
    only ten rows of pixels follow, so decoding would fail as 'truncated'."""
    bomb = black_png(tmp_path / "bomb.png", 13000, 12000, rows=10)
    with pytest.raises(InputImageError, match=r"^bomb\.png: 13000×12000 is 156\.0 megapixels, "
                                              r"over the limit of 150$"):
        load_image(bomb)


def test_callers_limit_is_checked_before_decoding_too(tmp_path: Path) -> None:
    bomb = black_png(tmp_path / "wide.png", 6000, 4001, rows=1)
    with pytest.raises(InputImageError, match=r"6000×4001 is 24\.0 megapixels, over the limit of 24$"):
        load_image(bomb, max_pixels=24_000_000)
    fits = black_png(tmp_path / "fits.png", 6000, 4000)
    assert load_image(fits, max_pixels=24_000_000).size == (6000, 4000)


def test_beyond_pillows_own_limit_the_message_names_the_callers(tmp_path: Path) -> None:
    bomb = black_png(tmp_path / "vast.png", 20000, 20000, rows=1)  # 400 MP: Image.open itself refuses
    for limit in (MAX_PIXELS, 24_000_000):
        with pytest.raises(InputImageError, match=rf"^vast\.png: over the limit of {limit // 10**6} megapixels$"):
            load_image(bomb, max_pixels=limit)


def test_formats_that_decode_or_run_programs_when_opened_are_not_read(tmp_path: Path) -> None:
    """Pillow decodes an icon's PNG as it opens it, before any size check (a 1 MB icon
    holding a 17000² PNG cost the web demo 1.1 GB), and opens PostScript with Ghostscript."""
    icon = icon_around(tmp_path / "icon.ico", black_png(tmp_path / "inner.png", 3000, 2000))
    postscript = tmp_path / "page.eps"
    postscript.write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with Image.open(icon) as image:
        assert image.size == (3000, 2000)  # Pillow reads it: the loader chooses not to
    for path in (icon, postscript):
        with pytest.raises(InputImageError, match=rf"^{path.name}: not an image in a format this tool reads "):
            load_image(path)


def test_a_refused_image_leaves_no_pixels_behind(tmp_path: Path) -> None:
    """A truncated file is decoded into a full-size image before the decoder fails; the error's
    traceback holds that image (Gradio kept such errors in a cycle: +92 MB per refusal)."""
    truncated = black_png(tmp_path / "truncated.png", 3000, 2000)
    truncated.write_bytes(truncated.read_bytes()[:3000])  # half of its pixel data, no end
    with pytest.raises(InputImageError, match="truncated") as refused:
        load_image(truncated)
    images, error = [], refused.value
    while error is not None:
        trace = error.__traceback__
        while trace is not None:
            images += [v for v in trace.tb_frame.f_locals.values() if isinstance(v, Image.Image)]
            trace = trace.tb_next
        error = error.__context__
    assert images  # the traceback does hold the image...
    for image in images:
        with pytest.raises(ValueError, match="closed image"):  # ...but its pixels are gone
            image.getpixel((0, 0))


def test_check_size_on_an_opened_image(tmp_path: Path) -> None:
    with Image.open(black_png(tmp_path / "tall.png", 100, 300, rows=1)) as image:
        check_size(image, 30_000)
        with pytest.raises(InputImageError, match=r"^tall\.png: 100×300"):
            check_size(image, 29_999)


def test_refusal_is_the_only_output(tmp_path: Path) -> None:
    """Pillow warns between 150 and 300 MP; the refusal replaces that warning."""
    bomb = black_png(tmp_path / "bomb.png", 13000, 12000, rows=1)
    script = ("import sys\nfrom colorize_model.imageio import load_image\n"
              "try:\n    load_image(sys.argv[1])\nexcept ValueError as error:\n    print(error)\n")
    done = subprocess.run([sys.executable, "-c", script, str(bomb)], capture_output=True, text=True,
                          cwd=Path(__file__).parents[1])
    assert (done.stdout, done.stderr) == ("bomb.png: 13000×12000 is 156.0 megapixels, over the limit of 150\n", "")
