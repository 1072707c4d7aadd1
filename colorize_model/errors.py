"""Errors the package raises on purpose, each with a message fit for one line."""


class ColorizeError(Exception):
    """Base class: anything the CLI reports as a one-line error, not a traceback."""


class InputImageError(ColorizeError, ValueError):
    """An input that is not a usable image: missing, empty, corrupt, too large."""


class ImageTooLargeError(InputImageError):
    """An image over the pixel limit, found from its header before decoding (a caller may name its option)."""


class ModelError(ColorizeError):
    """A model that cannot be found, fetched or loaded."""


def one_line(error: Exception, name: str) -> str:
    """The error's message on one line, less the file name it starts with (the caller shows the path)."""
    text = str(error).replace("\n", " ")
    prefix = f"{name}: "
    return text[len(prefix):] if text.startswith(prefix) else text
