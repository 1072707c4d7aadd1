"""ICC profiles made here (Pillow can create only sRGB, Lab and XYZ ones): minimal v2 display
profiles with a pure gamma curve, as Photoshop's "Gray Gamma 2.2", or "linear sRGB" at gamma 1."""

from __future__ import annotations

import struct

_D50 = (0.9642, 1.0, 0.8249)  # the ICC's profile connection white
# sRGB's primaries adapted to D50 (IEC 61966-2-1 via Bradford): the columns of its matrix.
_SRGB_PRIMARIES = {b"rXYZ": (0.4361, 0.2225, 0.0139), b"gXYZ": (0.3851, 0.7169, 0.0971),
                   b"bXYZ": (0.1431, 0.0606, 0.7141)}


def _s15(*values: float) -> bytes:
    return b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def _xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ " + bytes(4) + _s15(*values)


def _profile(space: bytes, name: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    text = name + b"\x00"
    tags = [(b"desc", b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(78)),
            (b"wtpt", _xyz(_D50)), *tags]
    start = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", start + len(data), len(body))
        data += body
    header = (struct.pack(">I", start + len(data)) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntr" + space
              + b"XYZ " + bytes(12) + b"acsp" + bytes(28) + _s15(*_D50) + bytes(48))
    return header + table + data


def _curve(gamma: float) -> bytes:
    return b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)


def gray_profile(gamma: float) -> bytes:
    """Gray whose levels are luminance to the power ``gamma``."""
    return _profile(b"GRAY", b"Gray Gamma %.1f" % gamma, [(b"kTRC", _curve(gamma))])


def rgb_profile(gamma: float) -> bytes:
    """sRGB's primaries with a pure gamma curve (1.0: linear light)."""
    return _profile(b"RGB ", b"sRGB primaries, gamma %.1f" % gamma,
                    [*((tag, _xyz(xyz)) for tag, xyz in _SRGB_PRIMARIES.items()),
                     *((trc, _curve(gamma)) for trc in (b"rTRC", b"gTRC", b"bTRC"))])
