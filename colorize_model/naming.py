"""Which files are photos to colorize, and what their results are called.

One rule for the ``colorize`` and ``colorize-bulk`` commands, so a folder
colorized by either ends up with the same file names.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TypeVar

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif", ".jp2", ".pgm", ".ppm"}
KEPT_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}  # written as they came

P = TypeVar("P", bound=PurePath)


def output_name(relative: P) -> P:
    """The result's path for an input's path: the same, or .png for formats that cannot be written."""
    return relative if relative.suffix.lower() in KEPT_SUFFIXES else relative.with_suffix(".png")
