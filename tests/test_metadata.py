"""Results keep their photos' metadata (colorize_model.metadata): the real command on real files."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, TiffImagePlugin

from colorize_model import metadata
from colorize_model.imageio import save_image

XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Grandma, 1950</dc:title>'
       b"</rdf:Description></rdf:RDF></x:xmpmeta>")
TAKEN = "1950:07:14 10:30:00"
EXIF, GPS = ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo


def scan_exif() -> Image.Exif:
    """What a camera or scanner writes: a caption, make, the date taken, GPS, a turned photo, an sRGB
    colour space claim, pixel sizes and a maker's private block."""
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = "Grandma at the lake"
    exif[ExifTags.Base.Make] = "Epson"
    exif[ExifTags.Base.Orientation] = 6  # shown turned a quarter clockwise
    record = exif.get_ifd(EXIF)
    record.update({ExifTags.Base.DateTimeOriginal: TAKEN, ExifTags.Base.ColorSpace: 0xFFFF,
                   ExifTags.Base.ExifImageWidth: 64, ExifTags.Base.MakerNote: b"private"})
    exif.get_ifd(GPS).update({ExifTags.GPS.GPSLatitudeRef: "N"})
    return exif


def scan(path: Path) -> None:
    """A 64x48 gray scan stored sideways, with EXIF, XMP, a comment and 600 dpi where its format holds them."""
    levels = np.add.outer(np.arange(48), np.arange(64)).astype(np.uint8) * 2
    options = {"exif": scan_exif(), "dpi": (600, 600), "xmp": XMP}
    if path.suffix == ".jpg":
        options["comment"] = b"from the blue album"
    if path.suffix == ".png":  # Pillow writes a PNG's XMP only as text
        options["pnginfo"] = metadata.Metadata(xmp=XMP)._png_text()
    if path.suffix == ".tif":  # and a TIFF's EXIF records and XMP only as tags of its own
        tags = TiffImagePlugin.ImageFileDirectory_v2()
        for tag, value in scan_exif().items():
            tags[tag] = value
        tags[EXIF], tags[GPS] = dict(scan_exif().get_ifd(EXIF)), dict(scan_exif().get_ifd(GPS))
        tags[ExifTags.Base.XMLPacket] = XMP
        options = {"tiffinfo": tags, "dpi": (600, 600)}
    Image.fromarray(levels).save(path, **options)


def colorize(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorize_model", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif", ".webp"])
def test_results_keep_what_describes_the_photo(tmp_path, suffix):
    scan(tmp_path / f"scan{suffix}")
    done = colorize(f"scan{suffix}", "-o", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = Image.open(tmp_path / "out" / f"scan{suffix}")
    result.load()  # a PNG's text may follow its pixels
    assert result.size == (48, 64)  # upright, so it carries no orientation
    exif = result.getexif()
    assert ExifTags.Base.Orientation not in exif
    assert exif[ExifTags.Base.ImageDescription] == "Grandma at the lake" and exif[ExifTags.Base.Make] == "Epson"
    assert exif.get_ifd(EXIF) == {ExifTags.Base.DateTimeOriginal: TAKEN, ExifTags.Base.ColorSpace: 1}  # sRGB
    assert exif.get_ifd(GPS) == {ExifTags.GPS.GPSLatitudeRef: "N"}
    assert metadata.of(result).xmp == XMP
    if suffix != ".webp":  # WebP has no resolution
        assert np.allclose(result.info["dpi"], 600, atol=0.01)
    if suffix == ".jpg":
        assert result.info["comment"] == b"from the blue album"


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif"])
def test_dates_and_gps_alone_are_kept(tmp_path, suffix):
    """Only the EXIF and GPS records, nothing in the main one (an Exif mapping's length is then 0)."""
    exif = Image.Exif()
    exif.get_ifd(EXIF)[ExifTags.Base.DateTimeOriginal] = TAKEN
    exif.get_ifd(GPS)[ExifTags.GPS.GPSLatitudeRef] = "N"
    save_image(Image.new("RGB", (8, 6)), tmp_path / f"kept{suffix}", metadata=metadata.Metadata(exif=exif))
    kept = Image.open(tmp_path / f"kept{suffix}").getexif()
    assert kept.get_ifd(EXIF) == {ExifTags.Base.DateTimeOriginal: TAKEN}
    assert kept.get_ifd(GPS) == {ExifTags.GPS.GPSLatitudeRef: "N"}


def test_strip_metadata_writes_none(tmp_path):
    scan(tmp_path / "scan.jpg")
    done = colorize("scan.jpg", "-o", "out", "--strip-metadata", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = Image.open(tmp_path / "out" / "scan.jpg")
    assert not result.getexif() and "xmp" not in result.info and "comment" not in result.info
    assert result.info.get("dpi", (72, 72)) != (600, 600)


def test_png_text_and_a_colour_profile(tmp_path):
    """PNG's own text is kept; a photo with a colour profile gets the sRGB one, as its result is sRGB."""
    text = {"Title": "Wedding", "Author": "J. Smith", "Comment": "scanned 2024"}
    chunks = metadata.Metadata(text=text)._png_text()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (40, 30), (120, 100, 80)).save(tmp_path / "sepia.png", pnginfo=chunks, icc_profile=srgb)
    assert colorize("sepia.png", "-o", "out", cwd=tmp_path).returncode == 0
    result = Image.open(tmp_path / "out" / "sepia.png")
    result.load()
    assert {key: result.info[key] for key in text} == text
    assert result.info["icc_profile"] == metadata.srgb_profile()
    Image.new("L", (40, 30)).save(tmp_path / "plain.png")
    assert colorize("plain.png", "-o", "out", cwd=tmp_path).returncode == 0
    assert "icc_profile" not in Image.open(tmp_path / "out" / "plain.png").info  # nothing claimed, nothing added


def test_metadata_a_format_cannot_hold_costs_the_result_nothing(tmp_path):
    """EXIF longer than a JPEG segment, or a tag value Pillow cannot write, is left out; the result is written."""
    photo = Image.new("L", (32, 24), 90)
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = "x" * 70_000
    photo.save(tmp_path / "long.png", exif=exif, dpi=(300, 300))
    kept = metadata.of(Image.open(tmp_path / "long.png"))
    save_image(Image.new("RGB", (32, 24)), tmp_path / "long.jpg", metadata=kept)
    result = Image.open(tmp_path / "long.jpg")
    assert not result.getexif() and result.info["dpi"] == (300, 300)

    unwritable = Image.Exif()
    unwritable[ExifTags.Base.Make] = object()
    save_image(Image.new("RGB", (32, 24)), tmp_path / "odd.tif", metadata=metadata.Metadata(exif=unwritable))
    assert Image.open(tmp_path / "odd.tif").size == (32, 24)


@pytest.mark.parametrize("dpi", [(0, 300), (float("nan"), 300), (float("inf"), 300), (-72, -72), ("a", "b"),
                                 (300,), None])
def test_odd_resolutions_are_left_out(dpi):
    image = Image.new("L", (8, 8))
    image.info["dpi"] = dpi
    assert metadata.of(image).dpi is None
    image.info["dpi"] = (300, 600.5)
    assert metadata.of(image).dpi == (300, 600.5)


def test_damaged_exif_is_left_out_not_the_photo(tmp_path):
    photo = Image.new("L", (32, 24), 90)
    photo.save(tmp_path / "damaged.jpg", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff garbage")
    assert colorize("damaged.jpg", "-o", "out", cwd=tmp_path).returncode == 0
    assert Image.open(tmp_path / "out" / "damaged.jpg").size == (32, 24)
