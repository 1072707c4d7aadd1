"""Colour hints: what a user says about colour, brought to the network's input.

A hint says "this place has this colour". Only its chroma counts: the photo's
own L* is always kept. Hints come in two forms:

* a **hint image** of any size (scaled to the photo): RGBA, where every pixel
  with alpha >= 128 is a hint of its colour (``hint_image`` makes one from RGB
  and a mask); a file's colours are read through its ICC profile, as photos' are;
* a list of **points** ``(x, y, colour)`` or ``(x, y, colour, radius)`` in the
  photo's pixel coordinates, colour as ``"#rrggbb"`` or an RGB tuple; a point
  is a disk, ``default_radius`` px unless given.

Networks that take hints have ``1 + HINT_CHANNELS`` input channels: L*, then
per render cell the mean a*, b* / 128 of its hinted pixels and the mask (the
hinted share of the cell), the chroma as sRGB can show it at the cell's L*
(``shown_at``). All zeros means no hints: the automatic mode.

The network carries each hint's colour across its object (``hint_spread`` makes
up what it leaves undone, over nearby cells of like tone); at full resolution
the hinted pixels themselves then get exactly the asked chroma (``Pins``): what
a user paints is what they get, at their photo's own lightness.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Union

import cv2
import numpy as np

from . import lab
from .bands import AreaShrink, band_rows, in_bands
from .errors import ColorizeError, one_line
from .imageio import ImageSource, load_image
from .profiles import in_srgb, profile_of

HINT_CHANNELS = 3  # a* / 128, b* / 128, mask
OPAQUE = 128       # alpha from which a hint image's pixel is a hint
MAX_POINTS = 10_000
_CANVAS_PER_RENDER = 8  # points are drawn at up to 8x the render size: exact enough, never huge
_HEX = re.compile(r"#?([0-9a-fA-F]{6})")

Colour = Union[str, Sequence[int]]
Point = Sequence  # (x, y, colour) or (x, y, colour, radius)
Hints = Union[ImageSource, Sequence[Point], None]


def parse_colour(colour: Colour) -> tuple[int, int, int]:
    """``"#rrggbb"`` or an (r, g, b) of 0..255 integers -> an RGB tuple; ValueError otherwise."""
    if isinstance(colour, str):
        match = _HEX.fullmatch(colour.strip())
        if not match:
            raise ValueError(f"colour {colour!r} is not of the form #rrggbb")
        return tuple(int(match.group(1)[i:i + 2], 16) for i in (0, 2, 4))
    try:
        values = tuple(int(v) for v in colour if float(v) == int(v))
        whole = len(values) == len(colour) == 3 and isinstance(colour, (Sequence, np.ndarray))  # not a set
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or not all(0 <= v <= 255 for v in values):
        raise ValueError(f"colour {colour!r} is not #rrggbb or three integers 0..255")
    return tuple(values)


def default_radius(width: int, height: int) -> float:
    """A point's radius when none is given: a small dot, about 1 % of the photo's short side
    (at least 2 pixels, at most the photo's size)."""
    return min(max(2.0, round(0.008 * min(width, height))), float(max(width, height)))


def hint_image(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """An RGBA hint image from RGB (H, W, 3) uint8 and a boolean mask (H, W) of hinted pixels."""
    rgb, mask = np.asarray(rgb), np.asarray(mask)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or mask.shape != rgb.shape[:2]:
        raise ValueError("a hint image needs RGB (H, W, 3) and a mask (H, W) of the same size")
    return np.dstack([rgb.astype(np.uint8), np.where(mask, 255, 0).astype(np.uint8)])


def draw_points(points: Sequence[Point], width: int, height: int, scale: float = 1.0) -> np.ndarray:
    """Points in photo coordinates drawn as opaque disks on a transparent RGBA canvas of
    ``scale`` times the photo's size."""
    canvas = np.zeros((max(1, round(height * scale)), max(1, round(width * scale)), 4), np.uint8)
    _draw(canvas, parse_points(points, width, height), scale)
    return canvas


def parse_points(points: Sequence[Point], width: int, height: int) -> list[tuple[float, float, tuple, float]]:
    """Checked points: (x, y, RGB, radius), all inside the photo; ValueError / TypeError otherwise."""
    if not _is_points(points):
        raise TypeError("points must be a list of (x, y, colour[, radius])")
    if len(points) > MAX_POINTS:
        raise ValueError(f"{len(points)} hint points: at most {MAX_POINTS}")
    return [_point(point, width, height) for point in points]


def _draw(canvas: np.ndarray, points: list[tuple[float, float, tuple, float]], scale: float,
          top: int = 0) -> None:
    """Disks onto ``canvas``, whose first row is the photo's row ``top`` (at ``scale``)."""
    for x, y, colour, radius in points:
        centre = (round(x * scale * 16), round((y * scale - top) * 16))  # 4 bits of sub-pixel position
        cv2.circle(canvas, centre, max(round(radius * scale * 16), 8), (*colour, 255),
                   thickness=-1, lineType=cv2.LINE_8, shift=4)


def _point(point: Point, width: int, height: int) -> tuple[float, float, tuple, float]:
    if not _is_points(point) or len(point) not in (3, 4):
        raise ValueError(f"hint point {point!r} is not (x, y, colour) or (x, y, colour, radius)")
    try:
        x, y = float(point[0]), float(point[1])
        radius = float(point[3]) if len(point) == 4 else default_radius(width, height)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"hint point {point!r}: x, y and radius must be numbers") from None
    if not (0 <= x < width and 0 <= y < height):
        raise ValueError(f"hint point ({x:g}, {y:g}) is outside the {width}x{height} photo")
    if not 0 < radius <= max(width, height):
        raise ValueError(f"hint point radius {radius:g} is not between 0 and the photo's size")
    return x, y, parse_colour(point[2]), radius


def _is_points(hints: Hints) -> bool:
    return isinstance(hints, Sequence) and not isinstance(hints, (str, bytes))


def read(hints: Hints) -> Hints:
    """Hints in the form ``to_render`` and ``Pins`` both take without reading a file again:
    a hint image as uint8 RGBA, points as given."""
    return hints if hints is None or _is_points(hints) else _rgba(hints)


def load_hint_file(path: str | Path, max_pixels: int) -> np.ndarray:
    """A hint image file as uint8 RGBA (the form ``read`` gives, so no decoded picture is kept
    beside it); its errors name it as the hint image (a command's user has given a photo too)."""
    try:
        return _rgba(load_image(path, max_pixels=max_pixels))
    except (ColorizeError, OSError, ValueError) as error:
        raise ColorizeError(f"hint image {path}: {one_line(error, Path(path).name)}") from None


def to_render(hints: Hints, width: int, height: int, size: int) -> np.ndarray | None:
    """The hint channels (size, size, HINT_CHANNELS) for a width x height photo rendered at
    ``size``; None when there are no hints (so the automatic result stays exactly as it was)."""
    if hints is None:
        return None
    if _is_points(hints):
        if not hints:
            return None
        scale = min(1.0, _CANVAS_PER_RENDER * size / max(width, height))
        rgba = draw_points(hints, width, height, scale)
    else:
        rgba = _rgba(hints)
    if min(rgba.shape[:2]) < size:  # a small hint image, enlarged whole
        planes = _planes(rgba)
        cells = cv2.resize(planes, (size, size), interpolation=cv2.INTER_AREA) if planes[..., 2].any() else None
    else:  # a band at a time: a large hint image's float planes would take 12 bytes a pixel
        cells = _shrunk(rgba, size)
    if cells is None:
        return None
    share = cells[..., 2]
    hinted = share > 1e-6
    cells[hinted, :2] /= share[hinted, None]
    cells[~hinted] = 0.0
    return cells


def _planes(rgba: np.ndarray) -> np.ndarray:
    """(a* / 128 x mask, b* / 128 x mask, mask) of a hint image's pixels: what averages over cells."""
    opaque = rgba[..., 3] >= OPAQUE
    planes = np.zeros(rgba.shape[:2] + (HINT_CHANNELS,), np.float32)
    if opaque.any():
        planes[opaque, :2] = lab.rgb_to_lab(rgba[opaque][None, :, :3])[0, :, 1:] / np.float32(lab.AB_SCALE)
        planes[opaque, 2] = 1.0
    return planes


def _shrunk(rgba: np.ndarray, size: int) -> np.ndarray | None:
    """``_planes`` area-averaged to size x size, band by band (None: no opaque pixel)."""
    height, width = rgba.shape[:2]
    shrinks = [AreaShrink((height, width), (size, size)) for _ in range(HINT_CHANNELS)]

    def parts(rows: slice) -> tuple[bool, list]:
        planes = _planes(rgba[rows])
        return bool(planes[..., 2].any()), [shrink.part(np.ascontiguousarray(planes[..., channel]), rows)
                                            for channel, shrink in enumerate(shrinks)]

    hinted = False
    for any_opaque, band in in_bands(parts, height, band_rows(width)):
        hinted |= any_opaque
        for shrink, part in zip(shrinks, band):
            shrink.add(part)
    return np.dstack([shrink.result() for shrink in shrinks]) if hinted else None


def shown_at(planes: np.ndarray | None, l_render: np.ndarray) -> np.ndarray | None:
    """Hint channels with each hinted cell's chroma as the result can show it at the render's
    own L* (sRGB's gamut at that lightness), the only colours the network saw in training.

    A picked colour keeps its chroma whatever the lightness it lands on, so pure
    blue on a mid-gray iris asks for a chroma no sRGB colour has there; fed as it
    is, the network took it for a cast of the whole photo (measured on the cat
    of ``skimage.data.chelsea``: a 6-px pure-blue disk on its eye moved the
    face's ab by 15.1 on average, 6.0 brought into gamut).
    """
    if planes is None:
        return None
    hinted = planes[..., 2] > 0
    colours = np.concatenate([l_render[hinted][:, None], planes[hinted, :2] * np.float32(lab.AB_SCALE)], axis=1)
    shown = lab.rgb_to_lab(lab.lab_to_rgb(colours[None]))[0]
    planes = planes.copy()
    planes[hinted, :2] = shown[:, 1:] / np.float32(lab.AB_SCALE)
    return planes


def _rgba(image: ImageSource) -> np.ndarray:
    """A hint image as uint8 RGBA; one without transparency is refused (it would hint everything)."""
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 4:
            raise ValueError(f"a hint image array must be RGBA (H, W, 4), not {image.shape}")
        if image.dtype != np.uint8:
            raise ValueError(f"a hint image array must be uint8, not {image.dtype}")
        return image
    picture = load_image(image)
    if picture.mode == "La":  # premultiplied: Pillow converts it only to LA
        picture = picture.convert("LA")
    if picture.mode == "PA" or picture.mode in ("P", "RGB", "L") and "transparency" in picture.info:
        picture = picture.convert("RGBA")  # a palette or colour key with transparent entries
    if picture.mode not in ("RGBA", "RGBa", "LA"):
        raise ValueError("a hint image needs transparency (RGBA): only its opaque pixels are hints")
    rgba = picture if picture.mode == "RGBA" else picture.convert("RGBA")
    return np.asarray(in_srgb(rgba, profile_of(picture, "RGB")))  # painted in Display P3, say: sRGB's colours


class Pins:
    """The hinted pixels of a width x height photo, a band of rows at a time, at full resolution."""

    def __init__(self, hints: Hints, width: int, height: int):
        self.width, self.height = width, height
        self._points = parse_points(hints, width, height) if _is_points(hints) else None
        self._rgba = None if self._points is not None else _rgba(hints)

    def apply(self, rows: slice, a: np.ndarray, b: np.ndarray) -> None:
        """Give the hinted pixels of ``rows`` (a, b: (rows, width) in Lab units) their hint's chroma."""
        rgba = self._band(rows)
        hinted = rgba[..., 3] >= OPAQUE
        if hinted.any():
            ab = lab.rgb_to_lab(rgba[hinted][None, :, :3])[0, :, 1:]
            a[hinted], b[hinted] = ab[:, 0], ab[:, 1]

    def _band(self, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(self.height)
        if self._points is not None:  # drawn band by band: a 100-megapixel canvas would not fit
            canvas = np.zeros((stop - start, self.width, 4), np.uint8)
            _draw(canvas, self._points, 1.0, top=start)
            return canvas
        source_rows = ((np.arange(start, stop) + 0.5) * (self._rgba.shape[0] / self.height)).astype(np.intp)
        source_cols = ((np.arange(self.width) + 0.5) * (self._rgba.shape[1] / self.width)).astype(np.intp)
        return self._rgba[source_rows][:, source_cols]
