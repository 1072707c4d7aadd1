"""The full-resolution pipeline on every input mode, odd sizes, and its promises."""

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data as samples

from colorize_model import InputImageError, colorize, lab
from colorize_model.fullres import MIN_TONE_RANGE, widened
from colorize_model.lightness import lightness_and_alpha, profile_gray_to_l
from colorize_model.profiles import profile_of

from icc_profiles import black_profile, cmyk_profile, gray_profile, rgb_profile  # tests/, on sys.path under pytest


def gray_of(rgb: np.ndarray) -> Image.Image:
    return Image.fromarray(rgb).convert("L")


def mean_delta_l(result: np.ndarray, l_star: np.ndarray) -> float:
    return float(np.abs(lab.rgb_to_l(result[..., :3]) - l_star).mean())


def chroma(result: np.ndarray) -> float:
    return float(np.hypot(*np.moveaxis(lab.rgb_to_lab(result[..., :3])[..., 1:], -1, 0)).mean())


def test_gray_photo_gets_colour_and_keeps_its_lightness(colorizer, astronaut):
    gray = gray_of(astronaut)
    result = colorizer.colorize(gray)
    assert result.shape == astronaut.shape and result.dtype == np.uint8
    assert mean_delta_l(result, lab.gray_to_l(np.asarray(gray))) < 0.5
    assert chroma(result) > 2.0  # coloured, not gray


def make_mode(gray: Image.Image, mode: str) -> Image.Image:
    if mode == "I;16":
        return Image.fromarray(np.asarray(gray).astype(np.uint16) * 257)
    if mode == "CMYK-JPEG":
        buffer = io.BytesIO()
        gray.convert("CMYK").save(buffer, format="JPEG", quality=95)
        return Image.open(io.BytesIO(buffer.getvalue()))
    if mode == "P":
        return gray.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=256)
    return gray.convert(mode)


@pytest.mark.parametrize("mode", ["L", "LA", "I;16", "I", "RGB", "RGBA", "P", "CMYK", "CMYK-JPEG", "1", "F"])
def test_every_mode(colorizer, coffee, mode):
    gray = gray_of(coffee)
    image = make_mode(gray, mode)
    result = colorizer.colorize(image)
    has_alpha = mode in ("LA", "RGBA")
    assert result.shape == coffee.shape[:2] + ((4,) if has_alpha else (3,))
    l_star, _ = lightness_and_alpha(image)
    assert mean_delta_l(result, l_star) < 0.5


def test_sixteen_bit_png_and_tiff_files(colorizer, coffee, tmp_path):
    levels = (np.asarray(gray_of(coffee)).astype(np.uint16) * 257)
    levels[0, 0] = 1  # a value no 8-bit level can hold
    for name in ("scan.png", "scan.tif"):
        Image.fromarray(levels).save(tmp_path / name)
        l_star, _ = lightness_and_alpha(Image.open(tmp_path / name))
        assert np.allclose(l_star, lab.gray_to_l(levels), atol=1e-3)
        assert colorizer.colorize(tmp_path / name).shape == coffee.shape


def test_alpha_is_kept_exactly(colorizer, coffee):
    rgba = np.dstack([coffee, np.random.default_rng(0).integers(0, 256, coffee.shape[:2], dtype=np.uint8)])
    result = colorizer.colorize(rgba)
    assert np.array_equal(result[..., 3], rgba[..., 3])


def test_transparent_palette_image_keeps_alpha(colorizer, coffee):
    image = gray_of(coffee).convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    image.info["transparency"] = 0
    result = colorizer.colorize(image)
    assert result.shape[2] == 4
    assert np.array_equal(result[..., 3] == 0, np.asarray(image) == 0)


def test_colour_and_sepia_inputs_are_treated_as_gray(colorizer, coffee):
    gray_result = colorizer.colorize(gray_of(coffee))
    sepia = np.asarray(gray_of(coffee).convert("RGB")).astype(np.float32) * [1.0, 0.85, 0.65]
    sepia_image = np.clip(sepia, 0, 255).astype(np.uint8)
    sepia_result = colorizer.colorize(sepia_image)
    # the model sees only L*: a toned scan is coloured like a gray one of the same lightness
    assert mean_delta_l(sepia_result, lab.rgb_to_l(sepia_image)) < 0.5
    a_b_gray = lab.rgb_to_lab(gray_result)[..., 1:]
    a_b_sepia = lab.rgb_to_lab(sepia_result)[..., 1:]
    assert np.abs(a_b_gray.mean(axis=(0, 1)) - a_b_sepia.mean(axis=(0, 1))).max() < 6.0


def test_a_narrow_range_of_tones_is_widened_for_the_network():
    """A faded or flat render is shown to the network with MIN_TONE_RANGE L* between its 1st and
    99th percentiles, about the same middle; a natural range, or a blank page, as it is."""
    ramp = np.linspace(0, 100, 160 * 160, dtype=np.float32).reshape(160, 160)
    assert widened(ramp) is ramp
    blank = np.full((160, 160), 60.0, np.float32)
    assert widened(blank) is blank
    faded = 30 + 0.4 * ramp
    shown = widened(faded)
    low, high = np.percentile(shown, (1, 99))
    assert high - low == pytest.approx(MIN_TONE_RANGE, abs=0.01)
    assert (low + high) / 2 == pytest.approx(50, abs=0.01) and shown.dtype == np.float32


def test_a_faded_print_gets_the_colours_of_the_print_as_it_was(colorizer):
    """The network learnt from natural photos and took a faded print (L* 25 + 0.5 L*) for fog: the
    cat's colours moved by 2.4 a*b* units on average; widened to a natural range, by under 1."""
    l_star = lab.rgb_to_l(samples.chelsea())
    as_it_was = np.stack(colorizer.predict_ab(l_star), -1)
    faded = np.stack(colorizer.predict_ab((25 + 0.5 * l_star).astype(np.float32)), -1)
    assert np.abs(faded - as_it_was).mean() < 1.0


def l_of_luminance(y: np.ndarray) -> np.ndarray:
    return np.where(y > 216 / 24389, 116 * np.cbrt(y) - 16, y * 24389 / 27)


@pytest.mark.parametrize("mode", ["L", "I;16", "LA", "RGB", "RGBA"])
@pytest.mark.parametrize("gamma", [1.0, 2.2, None], ids=["gamma1", "gamma2.2", "damaged"])
def test_a_photo_is_read_through_its_colour_profile(colorizer, tmp_path, mode, gamma):
    """Levels mean what the photo's ICC profile says (level 128 of linear light is L* 76, not sRGB's
    53.6), for gray and RGB photos; a damaged profile counts as none: sRGB."""
    levels = np.linspace(0, 1, 64 * 48).reshape(48, 64)
    full = 65535 if mode == "I;16" else 255
    stored = (levels * full).round().astype(np.uint16 if mode == "I;16" else np.uint8)
    image = Image.fromarray(stored).convert(mode) if mode != "I;16" else Image.fromarray(stored)
    if gamma is None:
        profile, expected = b"not a profile", lab.gray_to_l(stored)
    else:
        profile = (rgb_profile if mode.startswith("RGB") else gray_profile)(gamma)
        expected = l_of_luminance(levels ** gamma)
    image.save(tmp_path / "photo.png", icc_profile=profile)
    assert mean_delta_l(colorizer.colorize(tmp_path / "photo.png"), expected) < 0.5


@pytest.mark.parametrize("suffix", [".tif", ".jpg"])
def test_a_cmyk_photo_is_read_through_its_press_profile(colorizer, tmp_path, suffix):
    """A CMYK scan's ink levels mean what its press profile says (here ink spreads on the paper:
    half the black ink prints L* 29, where Pillow's plain formula says 53); without one, the formula."""
    ink = np.zeros((48, 64, 4), np.uint8)
    ink[..., 3] = np.linspace(0, 255, 64 * 48).reshape(48, 64).round()
    image = Image.fromarray(ink, "CMYK")
    image.save(tmp_path / f"press{suffix}", icc_profile=cmyk_profile(0.5), quality=100)
    image.save(tmp_path / f"plain{suffix}", quality=100)
    spread = 100 * (1 - np.sqrt(ink[..., 3] / 255))  # Lab is mixed linearly between paper and full black
    assert mean_delta_l(colorizer.colorize(tmp_path / f"press{suffix}"), spread) < 1.0
    assert mean_delta_l(colorizer.colorize(tmp_path / f"plain{suffix}"), lab.gray_to_l(255 - ink[..., 3])) < 1.0


def test_littlecms_reads_only_what_takes_colours_in(colorizer, tmp_path):
    """A stranger's profile can cost LittleCMS without bound in tags a photo's colours do not need
    (a 131 KB float pipeline, D2B0, took 54 s to build; LittleCMS prefers it to the matrix and
    curves): only the input tags are given to it. Here a D2B0 it cannot read made the whole
    profile count as none (sRGB); without it, the photo's linear-light levels are read as such."""
    levels = np.linspace(0, 1, 64 * 48).reshape(48, 64)
    image = Image.fromarray((levels * 255).round().astype(np.uint8)).convert("RGB")
    image.save(tmp_path / "photo.png", icc_profile=rgb_profile(1.0, extra=((b"D2B0", b"mpet" + bytes(60)),)))
    assert mean_delta_l(colorizer.colorize(tmp_path / "photo.png"), l_of_luminance(levels)) < 0.5


def test_a_lookup_table_larger_than_its_bytes_is_not_given_to_littlecms():
    """LittleCMS allocates the grid a table declares (up to 512 MB) before reading it: a 400-byte
    profile cost 470 MB. A table declaring more than it holds makes the profile count as none."""
    image = Image.new("CMYK", (4, 4))
    image.info["icc_profile"] = cmyk_profile(0.5)
    assert profile_of(image, "CMYK") is not None
    image.info["icc_profile"] = cmyk_profile(0.5, points=90)  # 90 ** 4 * 3 bytes declared, 48 held
    assert profile_of(image, "CMYK") is None


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_a_broken_profile_counts_as_none(colorizer, tmp_path, mode):
    """A damaged profile LittleCMS still reads (a flat gray curve, RGB without primaries) would make
    every photo black: one whose colours span under 50 L* is ignored, the levels read as sRGB's."""
    stored = np.linspace(0, 255, 64 * 48).reshape(48, 64).round().astype(np.uint8)
    Image.fromarray(stored).convert(mode).save(tmp_path / "photo.png", icc_profile=black_profile(
        "GRAY" if mode == "L" else "RGB"))
    assert mean_delta_l(colorizer.colorize(tmp_path / "photo.png"), lab.gray_to_l(stored)) < 0.5


def test_a_profile_over_1_mb_is_not_parsed():
    """A stranger's profile that large is not given to LittleCMS: it counts as none."""
    image = Image.new("L", (4, 4))
    image.info["icc_profile"] = gray_profile(1.0)
    assert profile_gray_to_l(image) is not None
    image.info["icc_profile"] = gray_profile(1.0) + bytes(2 << 20)  # LittleCMS reads the size in the header
    assert profile_gray_to_l(image) is None


@pytest.mark.parametrize("name, options", [("turned.jpg", {"quality": 100}), ("turned.png", {}),
                                           ("turned.tif", {}), ("turned.tif", {"compression": "tiff_lzw"})])
def test_exif_orientation_is_applied(colorizer, tmp_path, coffee, name, options):
    """Uncompressed TIFFs included: Pillow memory-maps those with their turned size (garbled rows)."""
    image = gray_of(coffee)  # 400 x 600
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    image.save(tmp_path / name, exif=exif, **options)
    result = colorizer.colorize(tmp_path / name)
    assert result.shape[:2] == (coffee.shape[1], coffee.shape[0])
    assert mean_delta_l(result, lab.gray_to_l(np.rot90(np.asarray(image), -1))) < 0.5


@pytest.mark.parametrize("shape", [(1, 1), (3, 2000), (5000, 40), (17, 31)])
def test_odd_sizes(colorizer, shape):
    gray = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    result = colorizer.colorize(gray)
    assert result.shape == shape + (3,)
    assert mean_delta_l(result, lab.gray_to_l(gray)) < 0.5


def test_saturation(colorizer, astronaut):
    gray = gray_of(astronaut)
    assert chroma(colorizer.colorize(gray, saturation=0.0)) < 1.0
    plain = chroma(colorizer.colorize(gray))
    assert chroma(colorizer.colorize(gray, saturation=1.5)) > plain * 1.2


def test_mirror_image_gets_the_mirrored_colours(colorizer, astronaut):
    """The network's guess is averaged with its guess for the mirror image, so the result
    does not depend on which way the photo faces (one network alone does, by a lot)."""
    photo = astronaut[:, :400]
    result = colorizer.colorize(photo).astype(int)
    mirror = colorizer.colorize(photo[:, ::-1])[:, ::-1].astype(int)
    assert np.abs(result - mirror).max() <= 1
    render = np.ascontiguousarray(lab.rgb_to_l(photo)[::3, ::3][:128, :128])
    alone, alone_mirrored = colorizer._network(render), colorizer._network(render[:, ::-1])[:, ::-1]
    assert np.abs(alone - alone_mirrored).max() * lab.AB_SCALE > 5


def test_render_size_is_per_call(colorizer, astronaut):
    gray = gray_of(astronaut)
    small = colorizer.colorize(gray, render_size=64)
    large = colorizer.colorize(gray, render_size=320)
    assert small.shape == large.shape == astronaut.shape
    assert not np.array_equal(small, large)
    with pytest.raises(ValueError):
        colorizer.colorize(gray, render_size=4)


@pytest.mark.parametrize("content,message", [
    (b"", "empty"), (b"this is text, not a picture", "not an image"), (None, "corrupt or truncated"),
])
def test_bad_files_give_one_clear_error(tmp_path, astronaut, content, message, colorizer):
    path = tmp_path / "bad.jpg"
    if content is None:
        buffer = io.BytesIO()
        Image.fromarray(astronaut).save(buffer, format="JPEG")
        content = buffer.getvalue()[:2000]
    path.write_bytes(content)
    with pytest.raises(InputImageError, match=message) as error:
        colorizer.colorize(path)
    assert "\n" not in str(error.value) and "bad.jpg" in str(error.value)


def test_missing_file_and_bad_arrays(colorizer, tmp_path):
    with pytest.raises(InputImageError, match="no such file"):
        colorizer.colorize(tmp_path / "nope.png")
    with pytest.raises(InputImageError):
        colorizer.colorize(np.zeros((4, 4, 7), np.uint8))
    with pytest.raises(InputImageError):
        colorizer.colorize(np.zeros((0, 4), np.uint8))


def test_huge_image_is_refused_before_decoding(tmp_path, colorizer):
    from png_bomb import black_png  # tests/, on sys.path under pytest

    path = black_png(tmp_path / "big.png", 13000, 12000, rows=1)  # decoding would take seconds and gigabytes
    with pytest.raises(InputImageError, match="156.0 megapixels, over the limit of 150$"):
        colorizer.colorize(path)


def test_module_function(astronaut):
    assert colorize(gray_of(astronaut), saturation=0).shape == astronaut.shape


def test_one_colorizer_shared_by_threads(colorizer, astronaut, coffee):
    from concurrent.futures import ThreadPoolExecutor

    photos = [gray_of(astronaut), gray_of(coffee)] * 4
    expected = [colorizer.colorize(p) for p in photos[:2]]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(colorizer.colorize, photos))
    for i, result in enumerate(results):
        assert np.array_equal(result, expected[i % 2])
