"""What a result keeps of its photo: when and where it was taken, who made it, what it shows.

Archives and photo libraries find scans by their EXIF record (dates, camera or
scanner, GPS, captions), XMP (titles, keywords, rights), text comments and
resolution: a colorized copy without them is a worse copy. Kept, in every
format that can hold them: the descriptive tags of the main EXIF record with
its EXIF and GPS records, XMP, the comment and PNG's standard text, and the
resolution (dpi). Left out: what described the old pixels (the orientation,
already applied: results are upright; the thumbnail, a small gray copy; pixel
sizes; a TIFF's layout; the camera maker's private block, whose inner offsets
a rewrite breaks) and the photo's colour profile: a result is sRGB, and says
so in a profile of its own when the photo had one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

from PIL import ExifTags, Image, ImageCms, PngImagePlugin, TiffImagePlugin

# The main record's tags that describe the photo rather than its pixels.
_DESCRIPTIVE = (269, 270, 271, 272, 285, 305, 306, 315, 316, 18246, 18249, 33432,  # name, caption, make... rating
                40091, 40092, 40093, 40094, 40095)  # Windows' title, comment, author, keywords, subject
_RECORDS = (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo)
# In the EXIF record: the old pixel sizes, the interoperability pointer (an
# offset into the old file) and the maker's block. ColorSpace becomes sRGB.
_STALE = (ExifTags.Base.ExifImageWidth, ExifTags.Base.ExifImageHeight, ExifTags.Base.ExifInteroperabilityOffset,
          ExifTags.Base.MakerNote)
_SRGB = 1
# PNG's registered text keywords (PNG specification, 11.3.4.2).
PNG_TEXT = ("Title", "Author", "Description", "Copyright", "Creation Time", "Software", "Disclaimer",
            "Warning", "Source", "Comment")
_JPEG_SEGMENT = 65_000  # a JPEG segment holds at most 65,533 bytes; longer EXIF or XMP cannot be kept there
_MAX_DPI = 1e6


@dataclass(frozen=True)
class Metadata:
    """A photo's metadata as a result keeps it (see the module's docstring); empty: nothing to keep."""

    exif: Image.Exif | None = None
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
            return options | {"tiffinfo": self._tiff_tags()}
        exif = self.exif.tobytes() if self.exif is not None else b""  # len() counts the main record only
        xmp = self.xmp or b""
        if image_format == "JPEG":
            comment = self.text.get("Comment", "").encode()
            segments = {"exif": exif, "xmp": xmp, "comment": comment}
            options |= {key: value for key, value in segments.items() if len(value) < _JPEG_SEGMENT}
        elif image_format == "WEBP":
            options |= {"exif": exif, "xmp": xmp}
        elif image_format == "PNG":
            options["exif"] = exif
            options["pnginfo"] = self._png_text()
        return {key: value for key, value in options.items() if value not in (b"", None)}

    def _png_text(self) -> PngImagePlugin.PngInfo | None:
        if not self.text and not self.xmp:
            return None
        chunks = PngImagePlugin.PngInfo()
        for key, value in self.text.items():
            chunks.add_itxt(key, value)
        if self.xmp:
            chunks.add_itxt("XML:com.adobe.xmp", self.xmp.decode("utf-8", "replace"))
        return chunks

    def _tiff_tags(self) -> TiffImagePlugin.ImageFileDirectory_v2:
        tags = TiffImagePlugin.ImageFileDirectory_v2()
        if self.exif is not None:
            for tag, value in self.exif.items():
                if tag not in _RECORDS:
                    tags[tag] = value
            for record in _RECORDS:
                if values := self.exif.get_ifd(record):
                    tags[record] = dict(values)
        if self.xmp:
            tags[ExifTags.Base.XMLPacket] = self.xmp
        return tags


def of(image: Image.Image) -> Metadata:
    """What a result of ``image`` keeps (read after the orientation is applied, as load_image does).

    Damaged metadata is left out, never the photo: whatever Pillow cannot read
    counts as absent."""
    info = image.info
    return Metadata(exif=_exif(image), xmp=_xmp(image), text=_text(info), dpi=_dpi(info.get("dpi")),
                    profiled=bool(info.get("icc_profile")))


def _exif(image: Image.Image) -> Image.Exif | None:
    try:
        source = image.getexif()
        kept = Image.Exif()
        for tag in _DESCRIPTIVE:
            if tag in source:
                kept[tag] = source[tag]
        for record in _RECORDS:
            values = {tag: value for tag, value in source.get_ifd(record).items() if tag not in _STALE}
            if record == ExifTags.IFD.Exif and ExifTags.Base.ColorSpace in values:
                values[ExifTags.Base.ColorSpace] = _SRGB
            if values:
                kept.get_ifd(record).update(values)
        kept.tobytes()  # what cannot be written again is left out here, not when saving
    except Exception:  # noqa: BLE001 - Pillow raises all kinds on damaged EXIF
        return None
    return kept if len(kept) or any(kept.get_ifd(record) for record in _RECORDS) else None


def _xmp(image: Image.Image) -> bytes | None:
    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    return packet if isinstance(packet, bytes) and packet else None


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
    return (x, y) if all(math.isfinite(v) and 0 < v < _MAX_DPI for v in (x, y)) else None


@cache
def srgb_profile() -> bytes:
    """The ICC profile that says a result is sRGB (LittleCMS's, 588 bytes)."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
