"""Results keep their photos' metadata (colorize_model.metadata): the real command on real files."""

import struct
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, TiffImagePlugin

from colorize_model import metadata, profiles
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
    kept = metadata.Metadata(exif=exif.tobytes())
    save_image(Image.new("RGB", (8, 6)), tmp_path / f"kept{suffix}", metadata=kept)
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
    """PNG's own text is kept; a photo with a colour profile gets the sRGB one, as its result is sRGB,
    and the same result file on every run."""
    text = {"Title": "Wedding", "Author": "J. Smith", "Comment": "scanned 2024"}
    chunks = metadata.Metadata(text=text)._png_text()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (40, 30), (120, 100, 80)).save(tmp_path / "sepia.png", pnginfo=chunks, icc_profile=srgb)
    assert colorize("sepia.png", "-o", "out", cwd=tmp_path).returncode == 0
    result = Image.open(tmp_path / "out" / "sepia.png")
    result.load()
    assert {key: result.info[key] for key in text} == text
    assert result.info["icc_profile"] == profiles.srgb_profile()
    time.sleep(1.1)  # LittleCMS stamps profiles with the time, to the second
    assert colorize("sepia.png", "-o", "again", cwd=tmp_path).returncode == 0
    assert (tmp_path / "again" / "sepia.png").read_bytes() == (tmp_path / "out" / "sepia.png").read_bytes()
    Image.new("L", (40, 30)).save(tmp_path / "plain.png")
    assert colorize("plain.png", "-o", "out", cwd=tmp_path).returncode == 0
    assert "icc_profile" not in Image.open(tmp_path / "out" / "plain.png").info  # nothing claimed, nothing added


def tiff_block(entries: list[tuple[int, int, int, bytes]], blob: bytes = b"") -> bytes:
    """A little-endian EXIF block of one record: (tag, type, count, value) entries, a value over
    4 bytes placed after the record (or, given ``blob``, every such entry pointing at that blob)."""
    table, data = b"", b""
    start = 8 + 2 + 12 * len(entries) + 4
    for tag, kind, count, value in sorted(entries):
        if blob or len(value) > 4:
            offset = start + (0 if blob else len(data))
            data += b"" if blob else value + bytes(len(value) % 2)
            value = struct.pack("<I", offset)
        table += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
    return b"II*\0" + struct.pack("<IH", 8, len(entries)) + table + bytes(4) + (blob or data)


def test_metadata_a_format_cannot_hold_costs_the_result_nothing(tmp_path):
    """EXIF over 64 KB (what a JPEG holds) is left out in every format; the result is written, its dpi kept.
    A tag Pillow cannot write again (Copyright stored as a number) costs only itself."""
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = "x" * 70_000
    Image.new("L", (32, 24), 90).save(tmp_path / "long.png", exif=exif, dpi=(300, 300))
    kept = metadata.of(Image.open(tmp_path / "long.png"))
    save_image(Image.new("RGB", (32, 24)), tmp_path / "long.jpg", metadata=kept)
    result = Image.open(tmp_path / "long.jpg")
    assert not result.getexif() and result.info["dpi"] == (300, 300)

    mistyped = tiff_block([(ExifTags.Base.Make, 2, 6, b"Epson\0"), (ExifTags.Base.Copyright, 5, 1, bytes(8))])
    Image.new("L", (32, 24)).save(tmp_path / "mistyped.jpg", exif=b"Exif\0\0" + mistyped)
    assert dict(Image.open(tmp_path / "mistyped.jpg").getexif()).keys() >= {ExifTags.Base.Copyright}
    save_image(Image.new("RGB", (32, 24)), tmp_path / "out.tif",
               metadata=metadata.of(Image.open(tmp_path / "mistyped.jpg")))
    assert dict(Image.open(tmp_path / "out.tif").getexif()).get(ExifTags.Base.Make) == "Epson"


def test_tags_sharing_one_block_are_not_read(tmp_path):
    """200 EXIF tags pointing at one 200 KB block: Pillow would read 40 MB (and write it back, in a time
    that grows with the square of the tags) for a 200 KB upload. Such EXIF is left out whole, cheaply."""
    shared = tiff_block([(0xA500 + i, 7, 200_000, b"") for i in range(200)], blob=bytes(200_000))
    Image.new("L", (32, 24)).save(tmp_path / "shared.png", exif=shared)
    image = Image.open(tmp_path / "shared.png")
    image.load()
    tracemalloc.start()
    try:
        kept = metadata.of(image)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert kept.exif is None and peak < 5e6, peak


def test_text_keeps_its_own_characters_and_xmp_loses_the_old_orientation(tmp_path):
    caption = "Oma Jürgen, Zürich — 1950".encode()  # UTF-8, as phones and ExifTool write it
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = caption
    turned = XMP.replace(b"<dc:title>", b'<tiff:Orientation>6</tiff:Orientation><dc:title>')
    Image.new("L", (32, 24)).save(tmp_path / "utf8.jpg", exif=exif, xmp=turned)
    for suffix in (".jpg", ".png", ".tif", ".webp"):
        save_image(Image.new("RGB", (32, 24)), tmp_path / f"out{suffix}",
                   metadata=metadata.of(Image.open(tmp_path / "utf8.jpg")))
        assert caption in (tmp_path / f"out{suffix}").read_bytes(), suffix
    assert metadata.of(Image.open(tmp_path / "utf8.jpg")).xmp == XMP


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
