"""Gray PNGs of any declared size, streamed: a few kB on disk however many pixels they declare."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def black_png(path: Path, width: int, height: int, *, rows: int | None = None, rgba: bool = False) -> Path:
    """An 8-bit gray (or RGBA) PNG of zeros, ``width`` x ``height`` in its header.

    With ``rows`` only that many rows of pixels follow, so decoding it fails as
    truncated: a loader that reports its size instead has not decoded it.
    """
    compressor = zlib.compressobj(9)
    row = bytes(width * (4 if rgba else 1) + 1)  # filter byte, then the row
    pixels = b"".join(compressor.compress(row) for _ in range(height if rows is None else rows))
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if rgba else 0, 0, 0, 0)  # colour type
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
                     + _chunk(b"IDAT", pixels + compressor.flush()) + _chunk(b"IEND", b""))
    return path


def icon_around(path: Path, png: Path) -> Path:
    """An ICO file whose one icon is the PNG ``png``: Pillow decodes the PNG as it opens the icon."""
    data = png.read_bytes()
    header = struct.pack("<HHH", 0, 1, 1)  # reserved, type 1 (icon), one image
    entry = struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(data), 6 + 16)  # 256x256 declared, where it starts
    path.write_bytes(header + entry + data)
    return path
