"""ICC colour profiles: what an image's levels mean, brought to sRGB, the package's one colour space.

Cameras save Adobe RGB, Macs Display P3, print workflows CMYK with their
press's profile, Photoshop gray as "Dot Gain 20%": the same levels mean other
colours in each. Photos and hint images are read through their profile
(LittleCMS, via Pillow's ImageCms); without one their levels are sRGB's, and a
result says it is sRGB with ``srgb_profile``.

Profiles come from strangers too (the web demo): one over MAX_PROFILE, damaged,
or of another colour space than the pixels counts as none, and LittleCMS is
given only the tags that take a device's colours to the connection space (a
matrix and curves, or lookup tables whose declared size fits their bytes).
Others can cost without bound: a 131 KB float pipeline (D2B0) took 54 s to
build, a 201 KB one 31 s and 1.2 GB, a 400-byte table declaring 500 MB
allocated it before failing (found by an attack on this module).
"""

from __future__ import annotations

import io
import math
import struct
from functools import cache

import numpy as np
from PIL import Image, ImageCms

from . import lab

# Gray and RGB display profiles are curves, primaries and a white point (Photoshop's gray ones are
# under 4 KB, Adobe RGB's 560 bytes), press CMYK ones tables of a few hundred KB; a larger one,
# from a stranger, is not given to LittleCMS.
MAX_PROFILE = 1 << 20
_ICC_DATE = 24  # where an ICC profile's header holds its creation date and time (12 bytes)
_HEADER = 128
# Any display or press shows at least this many L* between its darkest and lightest colours (paper
# white and a press's black: about 80); a profile whose colours span less is broken.
MIN_SPAN = 50.0
# What LittleCMS reads to bring a device's colours to the connection space: matrix and curves (a gray
# curve), or lookup tables; and the white point and adaptation they are relative to.
_INPUT_TAGS = frozenset({b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC", b"kTRC", b"wtpt", b"bkpt", b"chad",
                         b"A2B0", b"A2B1", b"A2B2"})
_TABLES = frozenset({b"A2B0", b"A2B1", b"A2B2"})


def profile_of(image: Image.Image, space: str) -> ImageCms.ImageCmsProfile | None:
    """The image's ICC profile if it is one of colour space ``space`` ("GRAY", "RGB", "CMYK") that
    LittleCMS reads; None otherwise. Over MAX_PROFILE it is not parsed at all."""
    icc = image.info.get("icc_profile")
    if not isinstance(icc, bytes) or len(icc) > MAX_PROFILE or (icc := _input_part(icc)) is None:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except Exception:  # noqa: BLE001 - a damaged profile counts as none
        return None
    return profile if profile.profile.xcolor_space.strip() == space else None


def in_srgb(image: Image.Image, profile: ImageCms.ImageCmsProfile | None) -> Image.Image:
    """``image`` (RGB, RGBA or CMYK, in ``profile``'s colours; None: sRGB's already or unknown) as
    sRGB: RGB, or RGBA with its alpha as it was.

    LittleCMS takes about 43 ms a megapixel here (CMYK: about 230), so an RGB
    profile that moves no sampled colour by more than a level (sRGB itself,
    under another name, as most cameras and phones embed) is not applied, nor
    is a broken one. Without a profile, CMYK is converted by Pillow's plain
    formula.
    """
    out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    transform = None if profile is None else _worth_applying(profile, image.mode, out_mode)
    if transform is not None:
        try:
            return ImageCms.applyTransform(image, transform)
        except Exception:  # noqa: BLE001 - a profile LittleCMS cannot use counts as none
            pass
    return image if image.mode == out_mode else image.convert(out_mode)


def _worth_applying(profile: ImageCms.ImageCmsProfile, in_mode: str,
                    out_mode: str) -> ImageCms.ImageCmsTransform | None:
    """LittleCMS's transform from ``profile`` to sRGB, tried on sample colours first; None for an
    RGB profile that moves none of them by more than a level (sRGB under another name) and for a
    broken one, whose samples span under MIN_SPAN L* (a damaged profile would make a photo black)."""
    samples = _samples(in_mode)
    try:
        transform = _to_srgb(profile, in_mode, out_mode)
        shown = np.asarray(ImageCms.applyTransform(samples, transform))[..., :3]
    except Exception:  # noqa: BLE001 - a profile LittleCMS cannot use counts as none
        return None
    if np.ptp(lab.rgb_to_l(shown)) < MIN_SPAN:
        return None
    if in_mode != "CMYK" and np.abs(shown.astype(np.int16) - np.asarray(samples)[..., :3]).max() <= 1:
        return None
    return transform


def _input_part(icc: bytes) -> bytes | None:
    """The profile with only _INPUT_TAGS in its tag table (their data left where it is); None if it
    has no table or a lookup table declares more values than its bytes hold."""
    if len(icc) < _HEADER + 4:
        return None
    (count,) = struct.unpack_from(">I", icc, _HEADER)
    if _HEADER + 4 + 12 * count > len(icc):
        return None
    kept = []
    for entry in range(count):
        signature, offset, size = struct.unpack_from(">4sII", icc, _HEADER + 4 + 12 * entry)
        if signature in _TABLES and not _fits(icc[offset:offset + size]):
            return None
        if signature in _INPUT_TAGS:
            kept.append(struct.pack(">4sII", signature, offset, size))
    table = struct.pack(">I", len(kept)) + b"".join(kept) + bytes(12 * (count - len(kept)))
    return icc[:_HEADER] + table + icc[_HEADER + len(table):]


def _fits(tag: bytes) -> bool:
    """Whether a lookup table (lut8, lut16 or lutAtoB) holds the grid of values it declares:
    LittleCMS allocates the declared grid (up to 512 MB) before it reads a byte of it."""
    kind = tag[:4]
    if kind in (b"mft1", b"mft2"):
        if len(tag) < 48:
            return False
        inputs, outputs, points = tag[8], tag[9], tag[10]
        return points ** inputs * outputs * (1 if kind == b"mft1" else 2) <= len(tag)
    if kind == b"mAB ":
        if len(tag) < 32:
            return False
        inputs, outputs = tag[8], tag[9]
        (start,) = struct.unpack_from(">I", tag, 24)  # the grid's offset; 0: none
        if not start:
            return True
        if start + 20 > len(tag):
            return False
        points, precision = tag[start:start + inputs], tag[start + 16]
        return math.prod(points) * outputs * precision <= len(tag) - start - 20
    return False


@cache
def srgb_profile() -> bytes:
    """The ICC profile that says a result is sRGB (LittleCMS's, 588 bytes), without the creation time
    LittleCMS stamps in its header: the same photo gives the same result file on every run."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile[:_ICC_DATE] + bytes(12) + profile[_ICC_DATE + 12:]  # its ID (an MD5) is left unset


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(io.BytesIO(srgb_profile()))


def _to_srgb(profile: ImageCms.ImageCmsProfile, in_mode: str, out_mode: str) -> ImageCms.ImageCmsTransform:
    return ImageCms.buildTransform(profile, _srgb(), in_mode, out_mode)


@cache
def _samples(mode: str) -> Image.Image:
    """Colours to try a transform on: every 17th level of each RGB channel (4,096 colours, opaque in
    RGBA), or every 85th of each CMYK ink (256)."""
    if mode == "CMYK":
        levels = np.arange(0, 256, 85, dtype=np.uint8)
        return Image.fromarray(np.stack(np.meshgrid(levels, levels, levels, levels), -1).reshape(16, 16, 4), mode)
    levels = np.arange(0, 256, 17, dtype=np.uint8)
    cube = np.stack(np.meshgrid(levels, levels, levels), -1).reshape(64, 64, 3)
    return Image.fromarray(cube if mode == "RGB" else np.dstack([cube, np.full((64, 64), 255, np.uint8)]), mode)
