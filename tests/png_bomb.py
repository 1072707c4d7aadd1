"""Gray PNGs of any declared size, streamed: a few kB on disk however many pixels they declare."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def black_png(path: Path, width: int, height: int, *, rows: int | None = None) -> Path:
    """An 8-bit gray PNG of zeros, ``width`` x ``height`` in its header.

    With ``rows`` only that many rows of pixels follow, so decoding it fails as
    truncated: a loader that reports its size instead has not decoded it.
    """
    compressor = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte, then the row
    pixels = b"".join(compressor.compress(row) for _ in range(height if rows is None else rows))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
                     + _chunk(b"IDAT", pixels + compressor.flush()) + _chunk(b"IEND", b""))
    return path
