"""A photo's lightness L*, read from any Pillow mode: the one thing the network is given.

Gray modes keep their full precision (16-bit scans stay 16-bit), coloured
photos (a sepia or tinted scan included) contribute only their L*, and alpha
is kept aside so the result can be given it back. A photo's levels mean what
its ICC profile says (``profiles``: Photoshop saves gray as "Dot Gain 20%" or
"Gray Gamma 2.2", scanners use their own curves, cameras Adobe RGB, print
workflows CMYK); without one they are sRGB's.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np
from PIL import Image, ImageCms

from . import lab
from .fullres import Lightness
from .imageio import unit_levels
from .profiles import MIN_SPAN, in_srgb, profile_of

# Pillow modes whose pixels are already a gray level (integer modes are read
# as they are; "I" and "F" are scaled to 0..1 by their range, below).
_GRAY_MODES = ("L", "I;16", "I;16B", "I;16L", "I", "F")
_STORED_GRAY = ("L", "I;16", "I;16B", "I;16L")  # the levels as they are: readable a band at a time
_GRAY_LEVELS = (*_GRAY_MODES, "LA", "La", "1")  # modes read as gray levels, which a gray profile describes


def lightness_and_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """The photo's L* (H, W) float32 and its alpha (uint8) if it has one."""
    lightness, alpha = lightness_source(image)
    return lightness(slice(0, image.height)), alpha


def lightness_source(image: Image.Image) -> tuple[Lightness, np.ndarray | None]:
    """L* of any band of rows of the photo, computed when asked, and its alpha (uint8) if it has one.

    Gray modes keep their full precision (16-bit scans stay 16-bit); anything
    coloured, a sepia or tinted scan included, contributes only its L*. Gray
    stored as it is read is taken from the image a band at a time; other
    modes are first converted whole, to the gray levels or sRGB of their L*.
    """
    gray_to_l = (profile_gray_to_l(image) if image.mode in _GRAY_LEVELS else None) or lab.gray_to_l
    if image.mode in _STORED_GRAY:
        image.load()  # once, before threads read bands of it
        width = image.width
        return (lambda rows: gray_to_l(_gray_levels(image.crop((0, rows.start, width, rows.stop))))), None
    levels, alpha = _levels_and_alpha(image)
    convert = gray_to_l if levels.ndim == 2 else lab.rgb_to_l
    return (lambda rows: convert(levels[rows])), alpha


def profile_gray_to_l(image: Image.Image) -> Callable[[np.ndarray], np.ndarray] | None:
    """L* of gray levels (uint8, uint16, float 0..1) as the photo's gray ICC profile defines them;
    None without one (a missing, damaged, broken or colour profile): sRGB's, lab.gray_to_l.

    LittleCMS gives the L* of each of the 256 8-bit levels through the profile
    (in steps of 0.4 L*, below what the eye tells apart); 16-bit and float
    levels are interpolated between them.
    """
    profile = profile_of(image, "GRAY")
    if profile is None:
        return None
    try:
        to_lab = ImageCms.buildTransform(profile, ImageCms.createProfile("LAB"), "L", "LAB")
        ramp = Image.fromarray(np.arange(256, dtype=np.uint8)[None])
        table = np.asarray(ImageCms.applyTransform(ramp, to_lab))[0, :, 0] * np.float32(100 / 255)
    except Exception:  # noqa: BLE001 - a profile LittleCMS cannot use counts as none
        return None
    if np.ptp(table) < MIN_SPAN:  # a broken curve: every level one tone
        return None
    table = table.astype(np.float32)
    return lambda levels: _through(table, levels)


def _through(table: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """L* of ``levels`` from the 256-entry ``table``: exact for 8-bit levels, interpolated for others."""
    if levels.dtype == np.uint8:
        return cv2.LUT(levels, table)
    scale = 255 / 65535 if levels.dtype == np.uint16 else 255
    return np.interp(levels * np.float32(scale), np.arange(256, dtype=np.float32), table).astype(np.float32)


def _levels_and_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """The photo's gray levels (H, W) or sRGB (H, W, 3), and its alpha (uint8) if it has one."""
    if image.mode in ("P", "PA"):  # palette: its colours, and its transparency as alpha
        image = image.convert("RGBA" if image.mode == "PA" or "transparency" in image.info else "RGB")
    alpha = np.asarray(image.getchannel("A")) if image.mode in ("LA", "La", "RGBA", "RGBa") else None
    if image.mode in ("LA", "La"):
        image = image.getchannel("L")
    if image.mode in _GRAY_MODES:
        return _gray_levels(image), alpha
    if image.mode == "1":
        return np.asarray(image.convert("L")), alpha
    if image.mode == "CMYK":
        return np.asarray(in_srgb(image, profile_of(image, "CMYK"))), alpha
    return np.asarray(in_srgb(image.convert("RGB"), profile_of(image, "RGB"))), alpha


def _gray_levels(image: Image.Image) -> np.ndarray:
    """uint8 / uint16 gray as stored, or float 0..1 for Pillow's 32-bit modes.

    Pillow's "I" and "F" come with no convention (16- and 32-bit files, 8-bit
    images converted, scientific 0..1 floats): their range tells (unit_levels).
    """
    gray = np.asarray(image)
    if image.mode in ("I;16B", "I;16L"):
        return gray.astype(np.uint16)
    if image.mode in ("I", "F"):
        return unit_levels(gray)
    return gray
