"""Colour hints: from hint images and points to the network's input, and through the real model."""

import numpy as np
import pytest
from PIL import Image
from skimage import data as samples

from colorize_model import Colorizer, lab
from colorize_model.hints import draw_points, hint_image, parse_colour, shown_at, to_render
from icc_profiles import rgb_profile  # tests/, on sys.path under pytest

RED, BLUE = (200, 30, 30), (30, 60, 220)


def ab_of(rgb) -> np.ndarray:
    return lab.rgb_to_lab(np.array([[rgb]], np.uint8))[0, 0, 1:] / lab.AB_SCALE


@pytest.fixture(scope="module")
def colorizer() -> Colorizer:
    return Colorizer.load()


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return samples.astronaut()[:, :400]  # 512 x 400: not square


def test_parse_colour():
    assert parse_colour("#FF8000") == parse_colour("ff8000") == parse_colour((255, 128, 0)) == (255, 128, 0)
    for bad in ("red", "#12345", (1, 2), (1, 2, 300), (1.5, 2, 3), "#gg0000", None, 7, {255, 0, 10},
                {0: 255, 1: 0, 2: 0}):
        with pytest.raises(ValueError):
            parse_colour(bad)


def test_hint_colours_reach_the_network_as_the_result_can_show_them():
    """Pure blue on a mid-gray asks for a chroma sRGB lacks at that L*: the network gets the
    colour the result would show there (same hue, less chroma); a colour that fits is kept."""
    planes = np.zeros((3, 3, 3), np.float32)
    planes[0, 0] = (*ab_of((0, 0, 255)), 1.0)
    planes[1, 1] = (*ab_of((120, 110, 90)), 0.5)  # a muted brown: in gamut at L* 50
    l_render = np.full((3, 3), 50.0, np.float32)
    shown = shown_at(planes, l_render)
    assert shown_at(None, l_render) is None
    assert np.array_equal(shown[..., 2], planes[..., 2]) and not shown[2, 2].any()
    np.testing.assert_allclose(shown[1, 1], planes[1, 1], atol=0.005)
    asked, got = planes[0, 0, :2] * lab.AB_SCALE, shown[0, 0, :2] * lab.AB_SCALE
    assert np.hypot(*got) < 0.8 * np.hypot(*asked)
    assert abs(np.degrees(np.arctan2(got[1], got[0]) - np.arctan2(asked[1], asked[0]))) < 5
    again = lab.rgb_to_lab(lab.lab_to_rgb(np.array([[[50.0, *got]]], np.float32)))[0, 0, 1:]
    np.testing.assert_allclose(again, got, atol=0.5)  # now inside sRGB at that lightness
    assert planes[0, 0, 0] == ab_of((0, 0, 255))[0]  # the caller's planes are left as they were


def test_hint_image_scaled_to_render_cells():
    """Mask = the hinted share of each render cell, ab = the hinted pixels' mean chroma."""
    rgba = np.zeros((40, 80, 4), np.uint8)  # twice as wide as high: render cells of 5 rows x 10 columns
    rgba[:5, :10] = (*RED, 255)      # exactly render cell (0, 0)
    rgba[5:10, :5] = (*BLUE, 255)    # half of cell (1, 0)
    rgba[20:30, 40:50, 3] = 127      # below the opacity threshold: not a hint
    planes = to_render(rgba, 80, 40, 8)
    assert planes.shape == (8, 8, 3)
    np.testing.assert_allclose(planes[0, 0], [*ab_of(RED), 1.0], atol=1e-5)
    np.testing.assert_allclose(planes[1, 0], [*ab_of(BLUE), 0.5], atol=1e-5)
    planes[0, 0] = planes[1, 0] = 0
    assert not planes.any()


def test_a_large_hint_image_is_read_in_bands():
    """Its float planes were made whole: 12 bytes a pixel (1.4 GB of peak memory for an
    8000x8000 hint layer with one dot, on a 128x96 photo). Now they are made a band at a time."""
    import tracemalloc

    rgba = np.zeros((6000, 5000, 4), np.uint8)
    rgba[:3000, :2500] = (*RED, 255)  # the top-left quarter: render cells (0..79, 0..79) of 160
    tracemalloc.start()
    try:
        planes = to_render(rgba, 128, 96, 160)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40e6, peak  # old code: 360 MB of planes alone
    np.testing.assert_allclose(planes[:80, :80], np.broadcast_to([*ab_of(RED), 1.0], (80, 80, 3)), atol=1e-5)
    assert not planes[80:].any() and not planes[:, 80:].any()


def test_no_hints_is_none():
    assert to_render(None, 10, 10, 16) is None
    assert to_render([], 10, 10, 16) is None
    assert to_render(np.zeros((5, 5, 4), np.uint8), 10, 10, 16) is None


def test_points_and_image_agree(photo):
    height, width = photo.shape[:2]
    points = [(50, 60, "#c81e1e", 12), (300, 400, BLUE, 20)]
    drawn = draw_points(points, width, height)
    assert drawn.shape == (height, width, 4) and drawn[60, 50, 3] == 255 and drawn[0, 0, 3] == 0
    from_points, from_image = to_render(points, width, height, 160), to_render(drawn, width, height, 160)
    np.testing.assert_allclose(from_points, from_image, atol=1e-6)
    # a hint image half the photo's size lands on the same cells
    half = np.asarray(Image.fromarray(drawn).resize((width // 2, height // 2), Image.NEAREST))
    assert np.abs(to_render(half, width, height, 160)[..., 2] - from_image[..., 2]).mean() < 0.01


def test_points_are_checked():
    for bad in ([(500, 5, "#ff0000")], [(1, 2)], [("a", 2, "#ff0000")], [(1, 2, "#ff0000", -3)], "points", 5):
        with pytest.raises((ValueError, TypeError)):
            to_render(bad, 100, 100, 16)


def test_hint_images_with_transparency_of_any_kind(tmp_path):
    """A colour key (tRNS) in an RGB or gray PNG is transparency; premultiplied La is LA.
    Both were refused or failed in Pillow's conversion."""
    keyed = Image.new("RGB", (10, 10), (0, 0, 0))
    keyed.paste(RED, (0, 0, 10, 5))
    keyed.save(tmp_path / "keyed.png", transparency=(0, 0, 0))
    planes = to_render(tmp_path / "keyed.png", 10, 10, 2)
    np.testing.assert_allclose(planes[..., 2], [[1, 1], [0, 0]])
    gray = Image.new("L", (10, 10), 0)
    gray.paste(200, (0, 0, 10, 5))
    gray.save(tmp_path / "gray.png", transparency=0)
    np.testing.assert_allclose(to_render(tmp_path / "gray.png", 10, 10, 2)[..., 2], [[1, 1], [0, 0]])
    premultiplied = Image.merge("LA", [Image.new("L", (10, 10), 200), gray]).convert("La")
    np.testing.assert_allclose(to_render(premultiplied, 10, 10, 2)[..., 2], [[1, 1], [0, 0]])


def test_a_hint_image_is_read_through_its_colour_profile(colorizer, tmp_path):
    """A hint painted in another RGB space (an editor working in Display P3 or Adobe RGB saves its
    profile) asks for the colour it shows there, not for its levels read as sRGB's: here linear
    light, whose (20, 40, 120) is sRGB's (79, 110, 182)."""
    painted = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    painted.paste((20, 40, 120, 255), (0, 0, 40, 20))
    painted.save(tmp_path / "linear.png", icc_profile=rgb_profile(1.0))
    linear = np.array([20, 40, 120]) / 255
    shown = np.round(255 * np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055))
    planes = to_render(tmp_path / "linear.png", 40, 40, 2)
    np.testing.assert_allclose(planes[0, 0, :2], ab_of(shown), atol=1.5 / lab.AB_SCALE)
    assert np.abs(planes[0, 0, :2] - ab_of((20, 40, 120))).max() > 10 / lab.AB_SCALE
    result = colorizer.colorize(np.full((40, 40), 128, np.uint8), hints=tmp_path / "linear.png")
    pinned = lab.rgb_to_lab(result[:20])[..., 1:] / lab.AB_SCALE  # hinted pixels get the asked chroma
    np.testing.assert_allclose(pinned.mean(axis=(0, 1)), ab_of(shown), atol=3 / lab.AB_SCALE)


def test_rgb_hint_image_needs_a_mask(tmp_path):
    Image.new("RGB", (10, 10), RED).save(tmp_path / "opaque.png")
    with pytest.raises(ValueError, match="transparency"):
        to_render(tmp_path / "opaque.png", 10, 10, 16)
    mask = np.zeros((10, 10), bool)
    mask[:5] = True
    planes = to_render(hint_image(np.full((10, 10, 3), RED, np.uint8), mask), 10, 10, 2)
    np.testing.assert_allclose(planes[..., 2], [[1, 1], [0, 0]])


def test_no_hints_gives_the_automatic_result_bit_for_bit(colorizer, photo):
    automatic = colorizer.colorize(photo)
    assert np.array_equal(colorizer.colorize(photo, hints=[]), automatic)
    assert np.array_equal(colorizer.colorize(photo, hints=np.zeros(photo.shape[:2] + (4,), np.uint8)), automatic)
    assert not np.array_equal(colorizer.colorize(photo, hints=[(200, 250, RED, 30)]), automatic)


def test_a_hint_brings_its_colour_and_keeps_lightness(colorizer, photo):
    """The real model: around a red hint the result turns red, far away it barely moves."""
    automatic = lab.rgb_to_lab(colorizer.colorize(photo))
    hinted = lab.rgb_to_lab(colorizer.colorize(photo, hints=[(120, 420, RED, 8)]))
    near = np.s_[412:429, 112:129]
    far = np.s_[:100, 300:]
    target = ab_of(RED) * lab.AB_SCALE
    error_before = np.linalg.norm(automatic[near][..., 1:] - target, axis=-1).mean()
    error_after = np.linalg.norm(hinted[near][..., 1:] - target, axis=-1).mean()
    assert error_after < 0.5 * error_before
    assert np.abs(hinted[far][..., 1:] - automatic[far][..., 1:]).mean() < 2.0
    assert np.abs(hinted[..., 0] - automatic[..., 0]).max() < 1.0


def test_model_without_hint_inputs_refuses_hints(tmp_path, photo):
    from colorize_model import architectures
    from colorize_model.export import export_model
    from colorize_model.models import ModelConfig

    folder = export_model(architectures.build("seed"), ModelConfig("seed", 64, 1), tmp_path / "seed")
    seed = Colorizer.load(folder)
    seed.colorize(photo)  # fine without hints
    with pytest.raises(ValueError, match="does not take colour hints"):
        seed.colorize(photo, hints=[(10, 10, RED)])
    with pytest.raises(ValueError, match="no colour distribution"):
        seed.suggest(photo, 10, 10)


def test_suggest(colorizer, photo):
    suggestions = colorizer.suggest(photo, 200, 100, k=8)
    assert 1 <= len(suggestions) <= 8
    colours = [c for c, _ in suggestions]
    assert len(set(colours)) == len(colours)
    probabilities = [p for _, p in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1 + 1e-6
    l_pixel = lab.rgb_to_l(photo)[100, 200]
    for colour in colours:
        assert abs(lab.rgb_to_l(np.array([[colour]], np.uint8))[0, 0] - l_pixel) < 1.0
    with pytest.raises(ValueError, match="outside"):
        colorizer.suggest(photo, 400, 10)


def test_suggest_at_several_points_is_suggest_at_each(colorizer, photo):
    points = [(200, 100), (5.5, 7), (0, 0)]
    hints = [(10, 10, RED)]
    together = colorizer.suggest_at(photo, points, k=4, hints=hints)
    assert together == [colorizer.suggest(photo, x, y, k=4, hints=hints) for x, y in points]
    with pytest.raises(ValueError, match="outside"):
        colorizer.suggest_at(photo, [(1, 1), (float("nan"), 1)])
    assert colorizer.suggest_at(photo, iter(points), k=4, hints=hints) == together  # an iterator: read once


@pytest.mark.parametrize("call, error", [
    (lambda c, p: c.suggest(p, 10, 10, k=2.9), "whole number of 1 to 64"),
    (lambda c, p: c.suggest(p, 10, 10, k=True), "whole number of 1 to 64"),
    (lambda c, p: c.suggest(p, 10, 10, k=float("inf")), "whole number of 1 to 64"),
    (lambda c, p: c.suggest(p, 10, 10, render_size=7), "render size 7 is outside"),
    (lambda c, p: c.suggest(p, 10, 10, render_size=4096), "render size 4096 is outside"),
    (lambda c, p: c.suggest(p, 10, 10, render_size="160"), "render size must be a whole number"),
    (lambda c, p: c.suggest(p, 10 ** 400, 10), "not two numbers"),
    (lambda c, p: c.suggest(p, "a", 10), "not two numbers"),
    (lambda c, p: c.suggest_at(p, [(1, 2, 3)]), "not two numbers"),
    (lambda c, p: c.suggest_at(p, [(1, 2)] * 10_001), "at most 10000"),
    (lambda c, p: c.predict_ab(lab.rgb_to_l(p), render_size=7), "render size 7 is outside"),
    (lambda c, p: c.colorize(p, hints=[(10 ** 400, 5, RED)]), "must be numbers"),
    (lambda c, p: c.colorize(p, hints=[(5, 5, RED, 10 ** 400)]), "must be numbers"),
])
def test_bad_suggestion_and_hint_arguments_are_value_or_type_errors(colorizer, photo, call, error):
    """Each was an OpenCV error, an OverflowError, 9.5 GB of memory (render size 4096) or a
    silently rounded k."""
    with pytest.raises((ValueError, TypeError), match=error):
        call(colorizer, photo)


def test_a_point_without_radius_on_a_one_pixel_photo(colorizer):
    """The default radius (2 px at least) was larger than the photo and refused."""
    assert colorizer.colorize(np.full((1, 1), 128, np.uint8), hints=[(0, 0, RED)]).shape == (1, 1, 3)


def test_suggest_command_names_a_bad_hint_image_as_such(tmp_path, photo):
    import subprocess
    import sys
    from pathlib import Path

    Image.fromarray(photo).convert("L").save(tmp_path / "photo.png")
    done = subprocess.run([Path(sys.executable).parent / "colorize-suggest", tmp_path / "photo.png", "1,1",
                           "--hints", tmp_path / "sub" / "photo.png"], capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.strip() == \
        f"colorize-suggest: error: hint image {tmp_path / 'sub' / 'photo.png'}: no such file"
