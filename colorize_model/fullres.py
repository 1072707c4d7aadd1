"""Colorizing a photo at full resolution a band of rows at a time.

Beside the decoded photo and the result, a photo of any size then needs
about 10 MB per thread (and 20 MB once, to fit the guided filter on its
640-pixel copy): L* is computed from the stored gray levels for each band
as it is needed (twice: once for the network's render and the guide, once
for the colour), and each band's a*, b* and Lab live only until its pixels
are written. The result is the whole-image computation's to float rounding:
at most one 8-bit level apart, in a few pixels per million.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image

from . import lab, upsample
from .bands import AreaShrink, band_rows, in_bands

TAPER = 8.0  # L* units
# Natural photos span most of L*: from their 1st to their 99th percentile 87 L* at the median of 200
# validation photos, under 66 for one in ten. A faded print or a flat scan spans much less, and the
# network, which learnt from natural photos, takes it for fog (measured in widened's docstring).
MIN_TONE_RANGE = 70.0
_FLAT = 5.0  # a range below this is a blank page or a test card: nothing to widen
Lightness = Callable[[slice], np.ndarray]  # L* (rows, W) float32 of a band of rows
Write = Callable[[slice, np.ndarray], None]  # takes a band's uint8 RGB (rows, W, 3)
Adjust = Callable[[slice, np.ndarray, np.ndarray], None]  # may change a band's a*, b* (rows, W) in place


def render(l_star: np.ndarray, size: int) -> np.ndarray:
    """L* squeezed into the network's square input (area-averaged; for photos smaller than
    the render this repeats pixels, which scored as well as bicubic and better than bilinear
    on validation photos)."""
    return cv2.resize(l_star, (size, size), interpolation=cv2.INTER_AREA)


def widened(small: np.ndarray) -> np.ndarray:
    """The render's L* as the network is shown it: a narrow range of tones (a faded print, a flat
    scan) widened about its middle to MIN_TONE_RANGE; a photo's wider range as it is.

    Only the colours the network infers change: the result keeps the photo's own
    L*. On validation photos faded to L* 25 + 0.5 L* (ΔE2000 to the truth at the
    faded lightness), 11.13 became 10.2; on the photos as they are (a third of
    them span under 80 L*), 9.63 became 9.67.
    """
    low, high = np.percentile(small, (1, 99))
    if not _FLAT <= high - low < MIN_TONE_RANGE:
        return small
    middle = (low + high) / 2
    return np.clip(middle + (small - middle) * np.float32(MIN_TONE_RANGE / (high - low)), 0, lab.L_MAX,
                   dtype=np.float32)


def colorize_rows(lightness: Lightness, shape: tuple[int, int], render_size: int,
                  predict: Callable[[np.ndarray], np.ndarray], saturation: float, write: Write,
                  adjust: Adjust | None = None) -> None:
    """Colorize an (H, W) photo whose L* comes band by band, handing each band's RGB to ``write``.

    ``predict`` takes the network's render of L* and gives its chroma, (h, w, 2)
    in Lab units; ``adjust`` may then change a band's final a*, b* in place
    (``hints.Pins``); both ``adjust`` and ``write`` are called from several
    threads, each with its own rows.
    """
    height, width = shape
    small, guide = _reduced(lightness, shape, render_size)
    model = upsample.fit(predict(small), guide)

    def colour(rows: slice) -> None:
        l_star = lightness(rows)
        a, b = upsample.apply(model, l_star, (width, height), rows)
        room = chroma_room(l_star, saturation)
        a *= room
        b *= room
        if adjust is not None:
            adjust(rows, a, b)
        write(rows, lab.lab_to_rgb8(lab.merge_l_ab(l_star, a, b)))

    in_bands(colour, height, band_rows(width))


def _reduced(lightness: Lightness, shape: tuple[int, int], render_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The network's render and the guided filter's guide: both area-averaged L*, in one pass.

    A photo narrower or lower than the render is enlarged, which OpenCV does
    by another method; such a photo is small enough to take its L* whole.
    """
    height, width = shape
    if min(height, width) < render_size:
        l_star = lightness(slice(0, height))
        return render(l_star, render_size), cv2.resize(l_star, upsample.guide_size(shape),
                                                       interpolation=cv2.INTER_AREA)
    shrinks = [AreaShrink(shape, (render_size, render_size)), AreaShrink(shape, upsample.guide_size(shape))]

    def parts(rows: slice) -> list[tuple[int, np.ndarray]]:
        l_star = lightness(rows)
        return [shrink.part(l_star, rows) for shrink in shrinks]

    for band in in_bands(parts, height, band_rows(width)):
        for shrink, part in zip(shrinks, band):
            shrink.add(part)
    return shrinks[0].result(), shrinks[1].result()


def chroma_room(l_star: np.ndarray, saturation: float) -> np.ndarray:
    """Saturation, tapered to 0 within TAPER of black and white.

    Near L* = 0 or 100 no sRGB colour has chroma: the colour fades out
    smoothly there instead of being cut off at the edge of the gamut.
    """
    room = np.minimum(l_star, np.float32(lab.L_MAX) - l_star)
    room *= np.float32(saturation / TAPER)
    return np.clip(room, 0.0, saturation, out=room)


class ArrayResult:
    """The result as a numpy array: uint8 RGB (H, W, 3), or RGBA with the photo's alpha."""

    def __init__(self, shape: tuple[int, int], alpha: np.ndarray | None):
        self.value = np.empty(shape + (3 if alpha is None else 4,), np.uint8)
        if alpha is not None:
            self.value[..., 3] = alpha

    def write(self, rows: slice, rgb: np.ndarray) -> None:
        self.value[rows, :, :3] = rgb


class ImageResult:
    """The result as a Pillow image (RGB, or RGBA with the photo's alpha), filled band by band.

    What a file is encoded from: Pillow keeps its own copy of an array it is
    given, so building the image directly saves a whole copy of the result.
    """

    def __init__(self, shape: tuple[int, int], alpha: np.ndarray | None):
        self.value = Image.new("RGB" if alpha is None else "RGBA", shape[::-1], None)  # every band is written
        self._alpha = alpha
        self._lock = threading.Lock()

    def write(self, rows: slice, rgb: np.ndarray) -> None:
        band = Image.fromarray(rgb if self._alpha is None else np.dstack([rgb, self._alpha[rows]]))
        with self._lock:  # one Pillow image written from several threads
            self.value.paste(band, (0, rows.start))
