"""Colorizing a photo at its full resolution.

The network only ever sees a small square rendering of the photo's lightness
(``render_size``, e.g. 256x256). Colour varies slowly, so its predicted
chroma (a*, b*) is brought back to the photo's size, following the photo's
own edges (``upsample``), and joined to its full-resolution L*: the result
keeps every detail and the original tones, whatever the resolution, and costs
little more than decoding and encoding the file.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from . import lab
from .imageio import ImageSource, load_image, unit_levels
from .models import ModelRef, resolve
from .runtime import RuntimeModel
from .settings import check_settings, network_render_size
from .upsample import guided_upsample

# Pillow modes whose pixels are already a gray level (integer modes are read
# as they are; "I" and "F" are scaled to 0..1 by their range, below).
_GRAY_MODES = ("L", "I;16", "I;16B", "I;16L", "I", "F")
TAPER = 8.0  # L* units


def lightness_and_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """The photo's L* (H, W) float32 and its alpha (uint8) if it has one.

    Gray modes keep their full precision (16-bit scans stay 16-bit); anything
    coloured, a sepia or tinted scan included, contributes only its L*.
    """
    if image.mode in ("P", "PA"):  # palette: its colours, and its transparency as alpha
        image = image.convert("RGBA" if image.mode == "PA" or "transparency" in image.info else "RGB")
    alpha = np.asarray(image.getchannel("A")) if image.mode in ("LA", "La", "RGBA", "RGBa") else None
    if image.mode in ("LA", "La"):
        image = image.getchannel("L")
    if image.mode in _GRAY_MODES:
        return lab.gray_to_l(_gray_levels(image)), alpha
    if image.mode == "1":
        return lab.gray_to_l(np.asarray(image.convert("L"))), alpha
    return lab.rgb_to_l(np.asarray(image.convert("RGB"))), alpha


def _chroma_room(l_star: np.ndarray, saturation: float) -> np.ndarray:
    """Saturation, tapered to 0 within TAPER of black and white.

    Near L* = 0 or 100 no sRGB colour has chroma: the colour fades out
    smoothly there instead of being cut off at the edge of the gamut.
    """
    room = np.minimum(l_star, np.float32(lab.L_MAX) - l_star)
    room *= np.float32(saturation / TAPER)
    return np.clip(room, 0.0, saturation, out=room)


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


def _check_plane(l_star: np.ndarray) -> None:
    """Refuse an L* plane cv2 or the network would choke on, or silently turn black."""
    if not isinstance(l_star, np.ndarray) or l_star.dtype not in (np.float32, np.float64):
        raise TypeError(f"L* must be a float32 numpy array, not {getattr(l_star, 'dtype', type(l_star))}")
    if l_star.ndim != 2 or l_star.size == 0:
        raise ValueError(f"L* must be a non-empty (H, W) plane, not shape {l_star.shape}")
    if not (math.isfinite(l_star.min()) and math.isfinite(l_star.max())):
        raise ValueError("L* has NaN or infinite values")


class Colorizer:
    """A loaded model, ready to colorize many photos (load once, reuse)."""

    def __init__(self, model: ModelRef = "default", num_threads: int | None = None):
        folder = resolve(model)
        self.name = str(model)
        self.config = folder.config
        self.render_size = folder.config.render_size
        self._network = RuntimeModel(folder.runtime_file, folder.config.input_channels, num_threads)
        self._network(np.zeros((self.render_size,) * 2, np.float32))  # a model that cannot run fails here, once

    @classmethod
    def load(cls, model: ModelRef = "default") -> "Colorizer":
        """A Colorizer for "default", a model folder, or "hf://owner/name[@revision]"."""
        return cls(model)

    @classmethod
    def from_pretrained(cls, repo_id: str, revision: str | None = None) -> "Colorizer":
        """A Colorizer for a model on the Hugging Face Hub, fetched once into its cache."""
        return cls(f"hf://{repo_id}" + (f"@{revision}" if revision else ""))

    def predict_ab(self, l_star: np.ndarray, render_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Chroma planes a*, b* (H, W each) in Lab units for a lightness image L* (H, W)."""
        small = render(l_star, network_render_size(render_size or self.render_size))
        return guided_upsample(self._network(small) * np.float32(lab.AB_SCALE), l_star)

    def colorize_l(self, l_star: np.ndarray, *, render_size: int | None = None,
                   saturation: float = 1.0) -> np.ndarray:
        """uint8 RGB (H, W, 3) whose L* is ``l_star``, coloured by the model."""
        check_settings(render_size, saturation)
        _check_plane(l_star)
        a, b = self.predict_ab(l_star, render_size)
        room = _chroma_room(l_star, saturation)
        a *= room
        b *= room
        return lab.lab_to_rgb8(lab.merge_l_ab(l_star, a, b), overwrite=True)

    def colorize(self, image: ImageSource, *, render_size: int | None = None,
                 saturation: float = 1.0) -> np.ndarray:
        """Colorize a path, PIL image or array: uint8 RGB, or RGBA if it had alpha.

        ``render_size`` (16..1024) is rounded to the nearest size the network
        takes, a multiple of 16 (``settings.network_render_size``).
        """
        check_settings(render_size, saturation)
        l_star, alpha = lightness_and_alpha(load_image(image))
        rgb = self.colorize_l(l_star, render_size=render_size, saturation=saturation)
        return rgb if alpha is None else np.dstack([rgb, alpha])


def render(l_star: np.ndarray, size: int) -> np.ndarray:
    """L* squeezed into the network's square input (area-averaged; for photos smaller than
    the render this repeats pixels, which scored as well as bicubic and better than bilinear
    on validation photos)."""
    return cv2.resize(l_star, (size, size), interpolation=cv2.INTER_AREA)


def colorize(image: ImageSource, *, model: ModelRef = "default", render_size: int | None = None,
             saturation: float = 1.0) -> np.ndarray:
    """One-off colorization; for many photos keep a ``Colorizer`` instead."""
    return Colorizer(model).colorize(image, render_size=render_size, saturation=saturation)
