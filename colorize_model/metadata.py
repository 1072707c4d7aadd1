"""What a result keeps of its photo: when and where it was taken, who made it, what it shows.

Archives and photo libraries find scans by their EXIF record (dates, camera or
scanner, GPS, captions), XMP (titles, keywords, rights), text comments and
resolution: a colorized copy without them is a worse copy. Kept, in every
format that can hold them: the descriptive tags of the main EXIF record with
its EXIF and GPS records, XMP, the comment and PNG's standard text, and the
resolution (dpi). Left out: what described the old pixels (the orientation,
already applied: results are upright; the thumbnail, a small gray copy; pixel
sizes and positions; a TIFF's layout; the camera maker's private block, whose
inner offsets a rewrite breaks) and the photo's colour profile: a result is
sRGB, and says so in a profile of its own when the photo had one.

Metadata comes from strangers too (the web demo), so it is bounded: an EXIF
whose entries claim far more bytes than it holds (many tags sharing one block
cost Pillow a copy each) is left out whole, and what is kept is at most what a
JPEG can hold (64 KB of EXIF) and 512 KB of XMP.
"""

from __future__ import annotations

import math
import re
import struct
import warnings
from dataclasses import dataclass, field

from PIL import ExifTags, Image, PngImagePlugin, TiffImagePlugin

from .profiles import srgb_profile

# The main record's tags that describe the photo rather than its pixels.
_DESCRIPTIVE = (269, 270, 271, 272, 285, 305, 306, 315, 316, 18246, 18249, 33432,  # name, caption, make... rating
                40091, 40092, 40093, 40094, 40095)  # Windows' title, comment, author, keywords, subject
_RECORDS = (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo)
_SUBJECT_AREA = 0x9214  # not in Pillow's ExifTags
# In the EXIF and GPS records: what points into the old file (a sub-record pointer is an offset
# there), the old pixel sizes and positions, the old picture's ID and the maker's block.
_STALE = {ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo, ExifTags.IFD.Interop, ExifTags.Base.SubIFDs,
          ExifTags.Base.ExifImageWidth, ExifTags.Base.ExifImageHeight, _SUBJECT_AREA, ExifTags.Base.SubjectLocation,
          ExifTags.Base.ImageUniqueID, ExifTags.Base.MakerNote}
_SRGB = 1
# PNG's registered text keywords (PNG specification, 11.3.4.2).
PNG_TEXT = ("Title", "Author", "Description", "Copyright", "Creation Time", "Software", "Disclaimer",
            "Warning", "Source", "Comment")
JPEG_SEGMENT = 65_000  # bytes one JPEG segment holds (65,533): EXIF, XMP or comment; EXIF kept in any format
MAX_XMP = 512 * 1024  # Pillow refuses a PNG text chunk over 1 MB when reading it back
_MAX_ENTRIES = 1000  # per record; cameras write a few dozen
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
# XMP properties of the old pixels' orientation and size, as attributes or as elements.
_XMP_PIXELS = rb"(?:tiff:(?:Orientation|ImageWidth|ImageLength)|exif:Pixel[XY]Dimension)"
_XMP_STALE = re.compile(rb"\s" + _XMP_PIXELS + rb"""\s*=\s*(["'])[^"']*\1|<(""" + _XMP_PIXELS
                        + rb")\s*>[^<]*</\2\s*>")
_MAX_DPI = 65_535.0  # JPEG stores it in 16 bits


@dataclass(frozen=True)
class Metadata:
    """A photo's metadata as a result keeps it (see the module's docstring); empty: nothing to keep."""

    exif: bytes | None = None  # a TIFF-structured EXIF block of the kept tags
    xmp: bytes | None = None
    text: dict[str, str] = field(default_factory=dict)
    dpi: tuple[float, float] | None = None
    profiled: bool = False  # the photo had a colour profile: the result names its own, sRGB

    def save_options(self, image_format: str) -> dict[str, object]:
        """Pillow ``save`` arguments that write this metadata in ``image_format``."""
        options: dict[str, object] = {}
        if self.dpi and image_format in ("JPEG", "PNG", "TIFF", "BMP"):
            options["dpi"] = self.dpi
        if self.profiled and image_format in ("JPEG", "PNG", "TIFF", "WEBP"):
            options["icc_profile"] = srgb_profile()
        if image_format == "TIFF":
            options["tiffinfo"] = self._tiff_tags()
        elif image_format == "WEBP":
            options |= {"exif": self.exif, "xmp": self.xmp}
        elif image_format == "JPEG":  # each in one segment of at most 64 KB
            comment = self.text.get("Comment", "").encode()
            segments = {"exif": self.exif, "xmp": self.xmp, "comment": comment}
            options |= {key: value for key, value in segments.items() if value and len(value) <= JPEG_SEGMENT}
        elif image_format == "PNG":
            options |= {"exif": self.exif, "pnginfo": self._png_text()}
        return {key: value for key, value in options.items() if value not in (b"", None)}

    def _png_text(self) -> PngImagePlugin.PngInfo | None:
        xmp = _utf8(self.xmp)  # a PNG's XMP is UTF-8 text
        if not self.text and not xmp:
            return None
        chunks = PngImagePlugin.PngInfo()
        for key, value in self.text.items():
            chunks.add_itxt(key, value)
        if xmp:
            chunks.add_itxt("XML:com.adobe.xmp", xmp)
        return chunks

    def _tiff_tags(self) -> TiffImagePlugin.ImageFileDirectory_v2:
        tags = TiffImagePlugin.ImageFileDirectory_v2()
        if self.exif:
            exif = Image.Exif()
            exif.load(self.exif)
            for tag, value in exif.items():
                if tag not in _RECORDS:
                    tags[tag] = _as_stored(value)
            for record in _RECORDS:
                if values := exif.get_ifd(record):
                    tags[record] = {tag: _as_stored(value) for tag, value in values.items()}
        if self.xmp:
            tags[ExifTags.Base.XMLPacket] = self.xmp
        return tags


def of(image: Image.Image) -> Metadata:
    """What a result of ``image`` keeps (read after the orientation is applied, as load_image does).

    Damaged metadata is left out, never the photo: whatever Pillow cannot read
    counts as absent."""
    info = image.info
    return Metadata(exif=kept_exif(image), xmp=_xmp(info), text=_text(info), dpi=_dpi(info.get("dpi")),
                    profiled=bool(info.get("icc_profile")))


def kept_exif(image: Image.Image) -> bytes | None:
    """The EXIF block a result of ``image`` keeps, or None: none, damaged, or claiming far more than it holds."""
    raw = image.info.get("exif")
    if isinstance(raw, bytes) and not _reads_cheaply(raw.removeprefix(b"Exif\x00\x00")):
        return None
    with warnings.catch_warnings():  # Pillow warns of each damaged record it skips: they are left out
        warnings.simplefilter("ignore")
        try:
            source = image.getexif()
            kept = Image.Exif()
            for tag in _DESCRIPTIVE:
                if tag in source and _writable(tag, source[tag]):
                    kept[tag] = _as_stored(source[tag])
            for record in _RECORDS:
                values = {tag: value for tag, value in source.get_ifd(record).items()
                          if tag not in _STALE and _writable(tag, value, record)}
                if record == ExifTags.IFD.Exif and ExifTags.Base.ColorSpace in values:
                    values[ExifTags.Base.ColorSpace] = _SRGB
                if values:
                    kept.get_ifd(record).update({tag: _as_stored(value) for tag, value in values.items()})
            block = kept.tobytes()
        except Exception:  # noqa: BLE001 - Pillow raises all kinds on damaged EXIF
            return None
    has_tags = len(kept) or any(kept.get_ifd(record) for record in _RECORDS)  # len() counts the main record only
    return block if has_tags and len(block) <= JPEG_SEGMENT else None  # every format keeps what a JPEG can


def _reads_cheaply(tiff: bytes) -> bool:
    """Whether the records Pillow reads (main, EXIF, GPS) claim about the bytes they hold, in at most
    _MAX_ENTRIES entries each. Damaged structure is for Pillow to judge; this only refuses the costly."""
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return True
    claimed, pending, seen = 0, [struct.unpack_from(order + "I", tiff, 4)[0]], set()
    while pending:
        start = pending.pop()
        if start in seen or start + 2 > len(tiff):
            continue
        seen.add(start)
        (count,) = struct.unpack_from(order + "H", tiff, start)
        if count > _MAX_ENTRIES:
            return False
        for entry in range(start + 2, min(start + 2 + 12 * count, len(tiff) - 11), 12):
            tag, kind, number, value = struct.unpack_from(order + "HHII", tiff, entry)
            size = _TYPE_SIZES.get(kind, 0) * number
            claimed += size if size > 4 else 0
            if tag in _RECORDS:
                pending.append(value)
    return claimed <= 2 * len(tiff) + 4096


def _writable(tag: int, value: object, record: int | None = None) -> bool:
    """Whether Pillow can write this one tag again (one mistyped tag must not cost the others)."""
    probe = Image.Exif()
    (probe.get_ifd(record) if record else probe)[tag] = _as_stored(value)
    try:
        probe.tobytes()
    except Exception:  # noqa: BLE001 - what an odd value raises in Pillow's writer
        return False
    return True


def _as_stored(value: object) -> object:
    """Text beyond ASCII as its bytes: Pillow reads EXIF text as Latin-1 and would write it back as
    ASCII, with a '?' for each other character (UTF-8 captions, as phones and ExifTool write them)."""
    if isinstance(value, str) and not value.isascii():
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            return value.encode("utf-8")
    return value


def _xmp(info: dict) -> bytes | None:
    packet = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    if not isinstance(packet, bytes) or not packet or len(packet) > MAX_XMP:
        return None
    return _XMP_STALE.sub(b"", packet)  # what described the old pixels' orientation and size


def _utf8(packet: bytes | None) -> str | None:
    try:
        return packet.decode("utf-8") if packet else None
    except UnicodeDecodeError:  # UTF-16 or other XMP: WebP, JPEG and TIFF keep it as bytes, PNG cannot
        return None


def _text(info: dict) -> dict[str, str]:
    text = {key: value for key, value in info.items() if key in PNG_TEXT and isinstance(value, str)}
    comment = info.get("comment")  # JPEG's and GIF's
    if isinstance(comment, bytes) and comment and "Comment" not in text:
        text["Comment"] = comment.decode("utf-8", "replace")
    return text


def _dpi(dpi: object) -> tuple[float, float] | None:
    try:
        x, y = (float(value) for value in dpi)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    return (x, y) if all(math.isfinite(v) and 0 < v <= _MAX_DPI for v in (x, y)) else None

