"""Automatic colorization of black-and-white photographs.

    >>> from colorize_model import Colorizer
    >>> rgb = Colorizer.load().colorize("grandma.jpg")   # uint8 (H, W, 3)

Colour convention (``colorize_model.lab``): L* 0..100, a*/b* about -128..127.
Inference runs on LiteRT; Keras and TensorFlow are needed only to train and
export (``colorize_model.architectures``, ``colorize_model.export``).
"""

from .errors import ColorizeError, InputImageError, ModelError
from .pipeline import Colorizer, colorize

__version__ = "0.1.0"
__all__ = ["Colorizer", "colorize", "ColorizeError", "InputImageError", "ModelError", "__version__"]
