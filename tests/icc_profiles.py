"""ICC profiles made here (Pillow can create only sRGB, Lab and XYZ ones): minimal v2 display
profiles with a pure gamma curve, as Photoshop's "Gray Gamma 2.2", or "linear sRGB" at gamma 1,
a CMYK press profile with dot gain, and broken ones."""

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


def _profile(space: bytes, name: bytes, tags: list[tuple[bytes, bytes]], device: bytes = b"mntr",
             connection: bytes = b"XYZ ") -> bytes:
    text = name + b"\x00"
    tags = [(b"desc", b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(78)),
            (b"wtpt", _xyz(_D50)), *tags]
    start = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", start + len(data), len(body))
        data += body
    header = (struct.pack(">I", start + len(data)) + b"lcms" + struct.pack(">I", 0x02100000) + device + space
              + connection + bytes(12) + b"acsp" + bytes(28) + _s15(*_D50) + bytes(48))
    return header + table + data


def _curve(gamma: float) -> bytes:
    return b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)


def gray_profile(gamma: float) -> bytes:
    """Gray whose levels are luminance to the power ``gamma``."""
    return _profile(b"GRAY", b"Gray Gamma %.1f" % gamma, [(b"kTRC", _curve(gamma))])


def rgb_profile(gamma: float, extra: tuple[tuple[bytes, bytes], ...] = ()) -> bytes:
    """sRGB's primaries with a pure gamma curve (1.0: linear light), and any ``extra`` tags."""
    return _profile(b"RGB ", b"sRGB primaries, gamma %.1f" % gamma,
                    [*((tag, _xyz(xyz)) for tag, xyz in _SRGB_PRIMARIES.items()),
                     *((trc, _curve(gamma)) for trc in (b"rTRC", b"gTRC", b"bTRC")), *extra])


def black_profile(space: str) -> bytes:
    """A broken profile LittleCMS still reads, in which every level is black: a gray one whose curve
    is flat at 0, or an RGB one without primaries (space "GRAY" or "RGB")."""
    if space == "GRAY":
        return _profile(b"GRAY", b"Flat gray", [(b"kTRC", b"curv" + bytes(4) + struct.pack(">IHH", 2, 0, 0))])
    return _profile(b"RGB ", b"No primaries", [*((tag, _xyz((0.0, 0.0, 0.0))) for tag in _SRGB_PRIMARIES),
                                              *((trc, _curve(1.0)) for trc in (b"rTRC", b"gTRC", b"bTRC"))])


def cmyk_profile(gain: float, points: int = 2) -> bytes:
    """CMYK inks on white paper, each ink a Lab colour, mixed by interpolating Lab between the 16
    corners; ink spreads on paper (dot gain): a dot of share s covers s ** ``gain``. A grid of more
    ``points`` than 2 a side is declared, not filled: a damaged or hostile profile."""
    inks = [(-37.0, -50.0), (74.0, -3.0), (-5.0, 93.0)]  # a*, b* of full cyan, magenta, yellow
    corners = bytearray()
    for c, m, y, k in ((c, m, y, k) for c in (0, 1) for m in (0, 1) for y in (0, 1) for k in (0, 1)):
        share = max(1, c + m + y)
        lightness = (100.0 - 30.0 * (c + m + y) / 3) * (1 - k)
        a, b = (sum(ink[i] * on for ink, on in zip(inks, (c, m, y))) * (1 - k) / share for i in (0, 1))
        corners += bytes([round(lightness * 255 / 100), round(a) + 128, round(b) + 128])
    spread = bytes(round(255 * (level / 255) ** gain) for level in range(256))
    identity = _s15(1, 0, 0, 0, 1, 0, 0, 0, 1)
    lut = b"mft1" + bytes(4) + bytes([4, 3, points, 0]) + identity + spread * 4 + bytes(corners) + bytes(range(256)) * 3
    return _profile(b"CMYK", b"Press CMYK, dot gain %.1f" % gain, [(b"A2B0", lut)], b"prtr", b"Lab ")
