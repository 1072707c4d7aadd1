"""The project's one colour convention: sRGB (D65) <-> CIE L*a*b*.

Every part of the project (training, inference, metrics, the app, the GIMP
plug-in) converts colour through this module, so they all agree on:

* RGB: float32 in 0..1 or uint8 in 0..255, sRGB gamma, D65 white.
* L*: float32 in 0..100.
* a*, b*: float32, roughly -128..127 (sRGB reaches about -86..98 on a*,
  -108..95 on b*).
* Networks see L* as it is (0..100) and predict ``ab / AB_SCALE`` (about -1..1).

OpenCV does the work: its float32 conversions take tens of milliseconds on a
12-megapixel image where scikit-image's float64 path takes seconds.
"""

from __future__ import annotations

import functools
import threading

import cv2
import numpy as np

from .bands import in_bands

L_MAX = 100.0
AB_SCALE = 128.0

# sRGB primaries to XYZ, each row divided by the D65 white, so a neutral
# gray maps to X = Y = Z. These are the values OpenCV uses for Lab -> RGB.
_RGB_TO_XYZN = np.array(
    [[0.412453, 0.357580, 0.180423],
     [0.212671, 0.715160, 0.072169],
     [0.019334, 0.119193, 0.950227]])
_RGB_TO_XYZN = (_RGB_TO_XYZN / _RGB_TO_XYZN.sum(axis=1, keepdims=True)).astype(np.float32)
_XYZN_TO_RGB = np.linalg.inv(_RGB_TO_XYZN.astype(np.float64)).astype(np.float32)
# (L, a, b, 1) -> (fX, fY, fZ)
_LAB_TO_F = np.array([[1 / 116, 1 / 500, 0, 16 / 116], [1 / 116, 0, 0, 16 / 116], [1 / 116, 0, -1 / 200, 16 / 116]],
                     np.float32)
_INSIDE = 1e-6  # a channel this close to 0 or 1 may have been clipped
# (fX, fY, fZ, 1) -> (L, a, b)
_F_TO_LAB = np.array([[0, 116, 0, -16], [500, -500, 0, 0], [0, 200, -200, 0]], np.float32)
_EPSILON = (6 / 29) ** 3
_BAND = 256  # rows per task when converting large images
_SLOPE = 1 / (3 * (6 / 29) ** 2)
_tables: threading.Thread | None = None  # building OpenCV's Lab tables (warm_up)
_tables_lock = threading.Lock()


def _linearize(rgb: np.ndarray) -> np.ndarray:
    """sRGB gamma -> linear light, float32."""
    if rgb.dtype == np.uint8:
        return cv2.LUT(rgb, _LINEAR8)
    v = np.clip(np.asarray(rgb, dtype=np.float32), 0.0, 1.0)
    return np.where(v > 0.04045, ((v + 0.055) / 1.055) ** 2.4, v / 12.92).astype(np.float32)


def _gamma_encode(linear: np.ndarray) -> np.ndarray:
    """Linear light (0..1) -> sRGB gamma, float32: the inverse of ``_linearize``."""
    return np.where(linear > 0.0031308, 1.055 * linear ** (1 / 2.4) - 0.055, 12.92 * linear).astype(np.float32)


def _lab_f(t: np.ndarray) -> np.ndarray:
    """CIE's f(t): a cube root, with a linear toe below (6/29)^3.

    Written without masks, as cbrt(max(t, eps)) + slope * (min(t, eps) - eps),
    with in-place operations: large images are what it is for.
    """
    eps = np.float32(_EPSILON)
    f = np.cbrt(np.maximum(t, eps))
    toe = np.minimum(t, eps)
    toe -= eps
    toe *= np.float32(_SLOPE)
    f += toe
    return f


def _lab_f_inverse(f: np.ndarray) -> np.ndarray:
    """t from CIE's f(t): a cube, with the same linear toe below 6/29."""
    eps = np.float32(6 / 29)
    return np.maximum(f, eps) ** 3 + np.float32(1 / _SLOPE) * (np.minimum(f, eps) - eps)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Convert an (..., H, W, 3) sRGB image (uint8 or float 0..1) to float32 Lab.

    Written out rather than cv2.cvtColor: OpenCV's float RGB -> Lab goes
    through an interpolated lookup table that is off by up to 0.2 in L*.
    """
    rgb = np.asarray(rgb)
    flat = rgb.reshape(-1, rgb.shape[-2], 3)
    lab = np.empty(flat.shape, dtype=np.float32)

    def convert(rows: slice) -> None:
        xyz = cv2.transform(_linearize(flat[rows]), _RGB_TO_XYZN)
        lab[rows] = cv2.transform(_lab_f(xyz), _F_TO_LAB)

    in_bands(convert, len(flat), _BAND)
    return lab.reshape(rgb.shape)


def lab_to_rgb(lab: np.ndarray, *, overwrite: bool = False) -> np.ndarray:
    """Convert float Lab (..., H, W, 3) to float32 sRGB in 0..1, keeping every pixel's L*.

    Colours outside sRGB are brought onto its edge at their own lightness
    (see ``_onto_gamut``): a colorizer must not change the photo's tones.
    ``overwrite=True`` converts a float32 ``lab`` in place: a 12-megapixel
    image then needs 144 MB less.
    """
    lab = np.asarray(lab, dtype=np.float32)
    flat = lab.reshape(-1, lab.shape[-2], 3)
    out = flat if overwrite else np.empty_like(flat)

    def convert(rows: slice) -> None:
        out[rows] = _to_rgb(flat[rows])

    in_bands(convert, len(flat), _BAND)  # each band is read before it is written: safe in place
    return out.reshape(lab.shape)


def warm_up() -> None:
    """Have OpenCV build its Lab tables now, on another thread (once per process).

    Its first Lab -> RGB conversion takes a tenth of a second of one core for
    them: begun when a model loads, that overlaps with loading and decoding.
    """
    global _tables
    with _tables_lock:
        if _tables is None:
            # not a daemon: exiting while OpenCV is building its tables would abort the process
            _tables = threading.Thread(target=cv2.cvtColor, args=(np.zeros((1, 1, 3), np.float32), cv2.COLOR_Lab2RGB))
            _tables.start()


def _to_rgb(lab: np.ndarray) -> np.ndarray:
    """sRGB (0..1) of a band of Lab (H, W, 3): OpenCV's conversion, then the colours it clipped
    moved onto the gamut at their own L*."""
    warm_up()
    _tables.join()  # tables built once, by one thread
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)  # clipped to 0..1 by OpenCV
    inside = cv2.inRange(rgb, (_INSIDE,) * 3, (1 - _INSIDE,) * 3)
    gray = cv2.inRange(lab, (-np.inf, -_INSIDE, -_INSIDE), (np.inf, _INSIDE, _INSIDE))  # exact already
    edge = np.flatnonzero(cv2.bitwise_not(cv2.bitwise_or(inside, gray)))  # colours clipped, or on the edge
    if edge.size:
        rgb.reshape(-1, 3)[edge] = _onto_gamut(lab.reshape(-1, 3)[edge])
    return rgb


def _onto_gamut(lab: np.ndarray) -> np.ndarray:
    """sRGB (0..1) of (N, 3) Lab colours that may lie outside sRGB, each at its own L*.

    Clipping each channel, as OpenCV does, moves a saturated colour's
    lightness by up to a few L*. Instead the colour moves in linear light
    straight toward the gray of the same luminance Y (which fixes L*) until
    every channel fits: it keeps its lightness and hue and loses only chroma.
    """
    f = cv2.transform(lab.reshape(-1, 1, 3), _LAB_TO_F).reshape(-1, 3)  # (fX, fY, fZ)
    xyz = _lab_f_inverse(f)
    y = np.clip(xyz[:, 1:2], 0, 1)
    away = cv2.transform(xyz.reshape(-1, 1, 3), _XYZN_TO_RGB).reshape(-1, 3) - y  # from the gray
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(away > 0, 1 - y, y) / np.abs(away)  # how far each channel may go
    scale = np.minimum(np.minimum(room[:, 0], room[:, 1]), np.minimum(room[:, 2], 1))
    linear = np.clip(y + scale[:, None] * away, 0, 1)
    return _gamma_encode(linear)


def lab_to_rgb8(lab: np.ndarray) -> np.ndarray:
    """Convert float Lab to uint8 sRGB, rounding to the nearest level (``lab_to_rgb``'s colours,
    a band at a time: the float RGB of the whole image is never needed)."""
    lab = np.asarray(lab, dtype=np.float32)
    flat = lab.reshape(-1, lab.shape[-2], 3)
    out = np.empty(flat.shape, np.uint8)

    def convert(rows: slice) -> None:
        rgb = _to_rgb(flat[rows])
        cv2.convertScaleAbs(rgb.reshape(len(rgb), -1), dst=out[rows].reshape(len(rgb), -1), alpha=255.0)  # rounds

    in_bands(convert, len(flat), _BAND)
    return out.reshape(lab.shape)


def gray_to_l(gray: np.ndarray) -> np.ndarray:
    """L* of a neutral gray image (uint8, uint16 or float 0..1), any shape.

    A neutral gray's L* depends on its value alone, so 8- and 16-bit input
    go through a table of every level: the fast path for black-and-white
    photos and scans (a 16-bit one's L* 18 times as fast as by the formula).
    """
    if gray.dtype == np.uint8:
        return cv2.LUT(gray, _GRAY8_TO_L)
    if gray.dtype == np.uint16:
        return _gray16_to_l()[gray]
    return _lab_f(_linearize(gray)) * np.float32(116) - np.float32(16)


def l_to_gray(l_star: np.ndarray) -> np.ndarray:
    """The neutral sRGB gray (float32 0..1) whose L* is ``l_star``, any shape."""
    l_star = np.asarray(l_star, dtype=np.float32)
    lab = np.zeros((1, l_star.size, 3), dtype=np.float32)
    lab[..., 0] = l_star.reshape(-1)
    return lab_to_rgb(lab)[..., 0].reshape(l_star.shape)


def l_to_gray8(l_star: np.ndarray) -> np.ndarray:
    """The same gray as 8-bit levels: how a black-and-white picture of L* is shown or saved."""
    gray = l_to_gray(l_star)
    return cv2.convertScaleAbs(gray.reshape(-1, 1), alpha=255.0).reshape(gray.shape)  # rounds


def rgb_to_l(rgb: np.ndarray) -> np.ndarray:
    """L* of an sRGB image: the only thing the colorizer keeps of its input."""
    y = cv2.transform(_linearize(rgb.reshape(-1, rgb.shape[-2], 3)), _RGB_TO_XYZN[1:2])
    return (_lab_f(y) * np.float32(116) - np.float32(16)).reshape(rgb.shape[:-1])


def merge_l_ab(l_star: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Stack L*, a* and b* planes (H, W) into one float32 Lab image (H, W, 3)."""
    return cv2.merge([np.asarray(plane, dtype=np.float32) for plane in (l_star, a, b)])


_LINEAR8 = _linearize(np.arange(256, dtype=np.float32) / 255)
_GRAY8_TO_L = gray_to_l(np.arange(256, dtype=np.float32) / 255)


@functools.cache
def _gray16_to_l() -> np.ndarray:
    """L* of every 16-bit level (made on first use: 10 ms that 8-bit photos need not wait for)."""
    return gray_to_l(np.arange(65536, dtype=np.float32) * np.float32(1 / 65535))
