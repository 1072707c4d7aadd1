"""Reading any common image safely, and writing results without ever leaving half a file."""

from __future__ import annotations

import io
import os
import struct
import warnings
from pathlib import Path
from typing import IO, Union

import numpy as np
from PIL import ExifTags, Image, ImageOps, TiffImagePlugin, UnidentifiedImageError

from .atomic import atomic_write
from .errors import ImageTooLargeError, InputImageError
from .metadata import Metadata, kept_exif

# Larger than any camera or scanner gives (a 600 dpi A3 scan is ~70 MP), small
# enough that a decompression bomb is refused before it eats the memory.
MAX_PIXELS = 150_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Pillow only warns between MAX_PIXELS and twice that; check_size refuses those
# files with a message instead, so the warning would be a second, stray line.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
# Full scales a float or 32-bit integer image may use, tried in turn (see unit_levels).
_FLOAT_SCALES, _INT_SCALES = (1.0, 255.0), (255.0,)
_SIXTEEN_BIT = 65535.0
ORIENTATION = ExifTags.Base.Orientation
# In the ValueError Pillow raises for a PNG text or ICC profile chunk that inflates past 1 MB.
_LIMIT_MESSAGE = "MAX_TEXT_CHUNK"

ImageSource = Union[str, os.PathLike, Image.Image, np.ndarray]

# What photos and scans come as. Pillow reads more, but some of those decode a
# whole picture before its size is known (ICO, ICNS: a 1 MB icon holding a
# 17000² PNG costs 1.1 GB) or run another program (EPS runs Ghostscript).
READ_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "BMP", "DIB", "GIF", "JPEG2000", "PPM")
NOT_AN_IMAGE = "not an image in a format this tool reads (JPEG, PNG, TIFF, WebP, BMP, GIF, JPEG 2000, PNM)"

# Pillow's save() names formats differently from file extensions.
_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF",
            ".webp": "WEBP", ".bmp": "BMP"}


def load_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open a path, PIL image or array as an upright PIL image, or raise InputImageError.

    A file over ``max_pixels`` (at most MAX_PIXELS) is refused from its header,
    before a byte of it is decoded. A PNG whose ICC profile is over 1 MB is read
    without it, as other formats are.
    """
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"expected a path, PIL image or numpy array, not {type(source).__name__}")
    path = Path(source)
    name = path.name
    try:
        if path.stat().st_size == 0:
            raise InputImageError(f"{name}: empty file")
        try:
            return _read(path, name, max_pixels)
        except ValueError as error:
            if _LIMIT_MESSAGE not in str(error) or (image := _read_without_profile(path, name, max_pixels)) is None:
                raise
            return image
    except InputImageError:
        raise
    except FileNotFoundError:
        raise InputImageError(f"{name}: no such file") from None
    except PermissionError:
        raise InputImageError(f"{name}: permission denied") from None
    except IsADirectoryError:
        raise InputImageError(f"{name}: is a folder, not an image") from None
    except UnidentifiedImageError:
        raise InputImageError(f"{name}: {NOT_AN_IMAGE}") from None
    except Image.DecompressionBombError:  # Pillow's own check, at twice MAX_PIXELS
        raise ImageTooLargeError(f"{name}: over the limit of {max_pixels / 1e6:g} megapixels") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise InputImageError(f"{name}: corrupt or truncated image ({error})") from None
    except Exception as error:  # noqa: BLE001 - Pillow's plugins raise others on odd files (NotImplementedError...)
        raise InputImageError(f"{name}: unreadable image ({type(error).__name__}: {error})") from None


def _read(source: Path | IO[bytes], name: str, max_pixels: int) -> Image.Image:
    """The upright image read from ``source``: a file, or a stream of the file called ``name``."""
    with Image.open(source, formats=READ_FORMATS) as image:
        try:
            check_size(image, max_pixels, name)
            _unmapped_if_turned(image)
            image.load()
            _exif_in_info(image)
            return _upright(image)
        except BaseException:
            image.close()  # frees the decoded pixels now: the error's traceback keeps ``image`` alive
            raise


def _read_without_profile(path: Path, name: str, max_pixels: int) -> Image.Image | None:
    """A PNG read without its ICC profile chunk (iCCP); None if it has none.

    Pillow refuses a PNG whose profile inflates past MAX_TEXT_CHUNK (it stops
    inflating there: a bomb costs nothing), where a JPEG, TIFF or WebP is read
    and such a profile ignored (profiles.MAX_PROFILE); raising Pillow's limit
    would change it for every caller. The file is read through ``_Without``, so
    it is not copied, and a huge one is still refused from its header.
    """
    with open(path, "rb") as file:
        file.seek(8)  # past the signature
        while len(header := file.read(8)) == 8 and header[4:] not in (b"IDAT", b"IEND"):
            end = file.tell() + int.from_bytes(header[:4], "big") + 4  # its data, then its CRC
            if header[4:] == b"iCCP":
                with io.BufferedReader(_Without(file, file.tell() - 8, end)) as stream:
                    return _read(stream, name, max_pixels)
            file.seek(end)
    return None


class _Without(io.RawIOBase):
    """An open file read as if its bytes from ``start`` to ``end`` were not there."""

    def __init__(self, file: IO[bytes], start: int, end: int) -> None:
        super().__init__()
        self._file, self._start, self._gap, self._at = file, start, end - start, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        size = os.fstat(self._file.fileno()).st_size - self._gap
        self._at = max(0, offset + {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: size}[whence])
        return self._at

    def readinto(self, buffer: bytearray | memoryview) -> int:
        view = memoryview(buffer).cast("B")
        if self._at < self._start:
            view = view[:self._start - self._at]  # up to the gap
        self._file.seek(self._at if self._at < self._start else self._at + self._gap)
        read = self._file.readinto(view)
        self._at += read
        return read


def check_size(image: Image.Image, max_pixels: int, name: str | None = None) -> None:
    """Refuse an image over ``max_pixels`` (named ``name``, or by its file); on a just-opened file,
    before decoding.

    Image.open reads only the header, so this costs nothing, where decoding a
    small PNG that declares 12000x12000 takes a gigabyte and seconds.
    """
    width, height = image.size
    if width * height > max_pixels:
        name = name or (Path(image.filename).name if getattr(image, "filename", "") else "image")
        raise ImageTooLargeError(f"{name}: {width}×{height} is {width * height / 1e6:.1f} megapixels, "
                                 f"over the limit of {max_pixels / 1e6:g}")


def _unmapped_if_turned(image: Image.Image) -> None:
    """Make Pillow read a quarter-turned TIFF (orientation 5-8) as a stream: it memory-maps an
    uncompressed one with the size it has once turned, which garbles every row (Pillow 12-13)."""
    if isinstance(image, TiffImagePlugin.TiffImageFile) and image.tag_v2.get(ORIENTATION) in (5, 6, 7, 8):
        image.filename = ""  # Pillow maps only files it has a name for


def _exif_in_info(image: Image.Image) -> None:
    """A TIFF's EXIF is its own tags, which the upright copy loses: put the part results keep
    (metadata.kept_exif: never the whole, which may hold thousands of private tags) in ``info``,
    as other formats have their EXIF."""
    if isinstance(image, TiffImagePlugin.TiffImageFile) and "exif" not in image.info:
        if kept := kept_exif(image):
            image.info["exif"] = kept


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says, or as stored when the metadata cannot be read."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - Pillow raises all kinds on damaged EXIF; the photo must not pay for it
        return image


def unit_levels(values: np.ndarray) -> np.ndarray:
    """Gray levels of no fixed convention (floats, 32-bit integers) as float32 0..1, read from their range.

    The brightest finite pixel chooses the full scale: for floats up to 2 it is
    1 (scientific 0..1 data, a little overshoot allowed), up to 510 it is 255
    (8-bit levels), up to 65535 it is 65535 (16-bit levels); beyond, the
    brightest pixel is white. Below 0 is black; NaN is black, +inf white.
    """
    levels = values.astype(np.float32)
    peak = float(levels.max(where=np.isfinite(levels), initial=0.0))
    scales = _FLOAT_SCALES if np.issubdtype(values.dtype, np.floating) else _INT_SCALES
    scale = next((s for s in scales if peak <= 2 * s), _SIXTEEN_BIT if peak <= _SIXTEEN_BIT else peak)
    np.nan_to_num(levels, copy=False, nan=0.0, posinf=scale, neginf=0.0)
    levels /= np.float32(scale)
    return np.clip(levels, 0.0, 1.0, out=levels)


def _from_array(array: np.ndarray) -> Image.Image:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InputImageError(f"array of shape {array.shape}: expected (H, W), (H, W, 3) or (H, W, 4)")
    if array.size == 0:
        raise InputImageError("empty array")
    if array.dtype == np.uint8:
        return Image.fromarray(array)
    if array.dtype == np.uint16 and array.ndim == 2:
        return Image.fromarray(array)  # mode I;16
    if np.issubdtype(array.dtype, np.floating):  # scaled by their range (unit_levels); gray stays float
        levels = unit_levels(array)
        if array.ndim == 2:
            return Image.fromarray(levels)  # mode F
        return Image.fromarray(np.round(levels * 255).astype(np.uint8))
    raise InputImageError(f"array of dtype {array.dtype}: expected uint8, uint16 or float")


def save_image(image: Union[np.ndarray, Image.Image], path: Union[str, os.PathLike], *,
               quality: int = 95, metadata: Metadata | None = None) -> None:
    """Write ``image`` to ``path`` atomically; the format follows the extension.

    ``metadata`` (``metadata.of(photo)``) is written too where the format can
    hold it; what Pillow cannot write again is left out rather than the result.
    """
    path = Path(path)
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    image_format = _FORMATS.get(path.suffix.lower())
    if image_format is None:
        raise InputImageError(f"{path.name}: cannot write this file type")
    if image_format == "JPEG" and image.mode == "RGBA":
        image = image.convert("RGB")  # JPEG has no alpha
    options = {"quality": quality} if image_format in ("JPEG", "WEBP") else {}
    if image_format == "PNG":
        options = {"compress_level": 1}  # large results; zlib's default level is 5x slower
    if metadata:
        try:
            _write(image, path, image_format, options | metadata.save_options(image_format))
            return
        except (ValueError, TypeError, KeyError, struct.error, RuntimeError, OSError):  # odd tags; libtiff's
            pass
    _write(image, path, image_format, options)


def _write(image: Image.Image, path: Path, image_format: str, options: dict) -> None:
    with atomic_write(path) as handle:
        image.save(handle, format=image_format, **options)
