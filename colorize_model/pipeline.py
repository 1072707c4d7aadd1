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
from collections.abc import Sequence
from numbers import Integral

import numpy as np
from PIL import Image

from . import lab
from .hint_spread import spread_hints
from .hints import MAX_POINTS, Hints, Pins, read, shown_at, to_render
from .imageio import ImageSource, load_image
from .lightness import lightness_and_alpha, lightness_source
from .models import ModelRef, resolve
from .runtime import RuntimeModel
from .settings import check_settings, network_render_size
from .fullres import ArrayResult, ImageResult, Lightness, Write, colorize_rows, render, widened
from .upsample import guided_upsample


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
        lab.warm_up()  # OpenCV's colour tables, built while the model loads and the first photo decodes
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

    def predict_ab(self, l_star: np.ndarray, render_size: int | None = None,
                   hints: Hints = None) -> tuple[np.ndarray, np.ndarray]:
        """Chroma planes a*, b* (H, W each) in Lab units for a lightness image L* (H, W)."""
        check_settings(render_size)
        small, hint_planes = self._inputs(l_star, render_size, hints)
        return guided_upsample(self._chroma(small, hint_planes) * np.float32(lab.AB_SCALE), l_star)

    def _run(self, small: np.ndarray, hint_planes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """The network's (ab / 128, distribution) for a render, each the mean of its result for the
        render and for the render's mirror image: a scene and its mirror image have the same
        colours, and the two guesses' errors partly cancel (on 150 validation photos: ΔE2000
        -0.09, PSNR +0.1 dB, with hints too) for a second run at the render size (~10 ms)."""
        small = widened(small)
        ab, distribution = self._network.run(small, hint_planes)
        mirror_ab, mirror_distribution = self._network.run(small[:, ::-1], mirrored(hint_planes))
        return mirror_mean(ab, mirror_ab), mirror_mean(distribution, mirror_distribution)

    def _chroma(self, small: np.ndarray, hint_planes: np.ndarray | None) -> np.ndarray:
        """The colours of a render (ab / 128), with what the network leaves undone at the hints
        made up (``hint_spread``)."""
        ab = self._run(small, hint_planes)[0]
        return ab if hint_planes is None else spread_hints(ab, hint_planes, widened(small))

    def _inputs(self, l_star: np.ndarray, render_size: int | None,
                hints: Hints) -> tuple[np.ndarray, np.ndarray | None]:
        """The network's render of L* and its hint channels (None: no hints, the automatic mode)."""
        size = network_render_size(render_size or self.render_size)
        small = render(l_star, size)
        return small, shown_at(self._hint_planes(l_star.shape, size, hints), small)

    def _hint_planes(self, shape: tuple[int, int], size: int, hints: Hints) -> np.ndarray | None:
        height, width = shape
        hint_planes = to_render(hints, width, height, size)
        if hint_planes is not None and not self._network.takes_hints:
            raise ValueError(f"model {self.name} does not take colour hints")
        return hint_planes

    def colorize_l(self, l_star: np.ndarray, *, render_size: int | None = None,
                   saturation: float = 1.0, hints: Hints = None) -> np.ndarray:
        """uint8 RGB (H, W, 3) whose L* is ``l_star``, coloured by the model (and the hints)."""
        check_settings(render_size, saturation)
        _check_plane(l_star)
        l_star = np.asarray(l_star, np.float32)
        result = ArrayResult(l_star.shape, None)
        self._colorize_rows(lambda rows: l_star[rows], l_star.shape, render_size, saturation, hints, result.write)
        return result.value

    def _colorize_rows(self, lightness: Lightness, shape: tuple[int, int], render_size: int | None,
                       saturation: float, hints: Hints, write: Write) -> None:
        """The model's colours for a photo whose L* is read band by band (``fullres.colorize_rows``)."""
        size = network_render_size(render_size or self.render_size)
        hints = read(hints)  # a hint image file is decoded once, for the render and the pins
        hint_planes = self._hint_planes(shape, size, hints)
        pins = None if hint_planes is None else Pins(hints, shape[1], shape[0])  # hinted pixels: the asked chroma

        def predict(small: np.ndarray) -> np.ndarray:
            return self._chroma(small, shown_at(hint_planes, small)) * np.float32(lab.AB_SCALE)

        colorize_rows(lightness, shape, size, predict, saturation, write, None if pins is None else pins.apply)

    def suggest(self, image: ImageSource, x: float, y: float, k: int = 8, *, hints: Hints = None,
                render_size: int | None = None) -> list[tuple[tuple[int, int, int], float]]:
        """The k most likely distinct colours at pixel (x, y), given the hints: [(sRGB, probability)],
        most likely first, each at that pixel's own L* (what the result would show there).

        From the classifier head's distribution over ab bins: the most likely bin,
        merged with its neighbours within ``suggestions.SPACING``, then the next...
        """
        return self.suggest_at(image, [(x, y)], k, hints=hints, render_size=render_size)[0]

    def suggest_at(self, image: ImageSource, points: Sequence[tuple[float, float]], k: int = 8, *,
                   hints: Hints = None, render_size: int | None = None
                   ) -> list[list[tuple[tuple[int, int, int], float]]]:
        """``suggest`` at several pixels (x, y) of one photo: the network runs once for all."""
        if not self._network.has_distribution:
            raise ValueError(f"model {self.name} has no colour distribution to suggest from")
        if isinstance(k, bool) or not isinstance(k, Integral) or not 1 <= k <= 64:
            raise ValueError(f"k = {k!r}: ask for a whole number of 1 to 64 suggestions")
        check_settings(render_size)
        points = list(points)  # an iterator is read once
        if len(points) > MAX_POINTS:
            raise ValueError(f"{len(points)} points: at most {MAX_POINTS}")
        l_star, _ = lightness_and_alpha(load_image(image))
        height, width = l_star.shape
        points = [_pixel(point, width, height) for point in points]
        from .suggestions import distinct_colours  # here: start-up that colorizing does not need

        small, hint_planes = self._inputs(l_star, render_size, hints)
        distribution = self._run(small, hint_planes)[1]
        rows, cols = distribution.shape[:2]

        def cell(x: float, y: float) -> np.ndarray:  # the distribution of the render cell over pixel (x, y)
            return distribution[min(int(y * rows / height), rows - 1), min(int(x * cols / width), cols - 1)]

        return [distinct_colours(cell(x, y), float(l_star[int(y), int(x)]), int(k)) for x, y in points]

    def colorize(self, image: ImageSource, *, render_size: int | None = None,
                 saturation: float = 1.0, hints: Hints = None) -> np.ndarray:
        """Colorize a path, PIL image or array: uint8 RGB, or RGBA if it had alpha.

        ``render_size`` (16..1024) is rounded to the nearest size the network
        takes, a multiple of 16 (``settings.network_render_size``). ``hints``
        (see ``colorize_model.hints``): an RGBA hint image or a list of points
        ``(x, y, colour[, radius])``; None or empty gives the automatic result.
        """
        return self._colorize(image, render_size, saturation, hints, ArrayResult)

    def colorize_image(self, image: ImageSource, *, render_size: int | None = None,
                       saturation: float = 1.0, hints: Hints = None) -> Image.Image:
        """``colorize``'s result as a Pillow image (RGB, or RGBA): what saving a file needs,
        without a copy of the whole result on the way (the ``colorize`` command's way)."""
        return self._colorize(image, render_size, saturation, hints, ImageResult)

    def _colorize(self, image: ImageSource, render_size: int | None, saturation: float, hints: Hints,
                  result_type: type[ArrayResult] | type[ImageResult]) -> np.ndarray | Image.Image:
        check_settings(render_size, saturation)
        photo = load_image(image)
        shape = photo.height, photo.width
        lightness, alpha = lightness_source(photo)
        del photo  # of a colour or palette photo, its converted copy is all that is needed
        result = result_type(shape, alpha)
        self._colorize_rows(lightness, shape, render_size, saturation, hints, result.write)
        return result.value


def colorize(image: ImageSource, *, model: ModelRef = "default", render_size: int | None = None,
             saturation: float = 1.0, hints: Hints = None) -> np.ndarray:
    """One-off colorization; for many photos keep a ``Colorizer`` instead."""
    return Colorizer(model).colorize(image, render_size=render_size, saturation=saturation, hints=hints)


def _pixel(point: Sequence[float], width: int, height: int) -> tuple[float, float]:
    """A point (x, y) checked to be on a width x height photo."""
    try:
        x, y = (float(value) for value in point)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"point {point!r} is not two numbers x, y") from None
    if not (0 <= x < width and 0 <= y < height):
        raise ValueError(f"point ({x:g}, {y:g}) is outside the {width}x{height} photo")
    return x, y


def mirrored(plane: np.ndarray | None) -> np.ndarray | None:
    """A render-sized plane (S, S[, C]) flipped left to right (None stays None)."""
    return None if plane is None else plane[:, ::-1]


def mirror_mean(output: np.ndarray | None, mirror_output: np.ndarray | None) -> np.ndarray | None:
    """The mean of a network output and its output for the mirror image, flipped back."""
    return None if output is None else (output + mirror_output[:, ::-1]) * np.float32(0.5)
