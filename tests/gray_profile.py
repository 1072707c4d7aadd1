"""ICC profiles for gray photos, made here: Pillow can create only sRGB, Lab and XYZ profiles."""

from __future__ import annotations

import struct

_D50 = (0.9642, 1.0, 0.8249)  # the ICC's profile connection white


def _s15(*values: float) -> bytes:
    return b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def gray_profile(gamma: float) -> bytes:
    """A minimal ICC v2 display profile of gray with a pure gamma curve, as Photoshop's "Gray Gamma 2.2"."""
    text = b"Gray Gamma %.1f\x00" % gamma
    tags = [(b"desc", b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(78)),
            (b"wtpt", b"XYZ " + bytes(4) + _s15(*_D50)),
            (b"kTRC", b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2))]
    start = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", start + len(data), len(body))
        data += body
    header = (struct.pack(">I", start + len(data)) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntrGRAYXYZ "
              + bytes(12) + b"acsp" + bytes(28) + _s15(*_D50) + bytes(48))
    return header + table + data
