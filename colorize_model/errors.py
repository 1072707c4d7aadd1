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


def describe(error: Exception, name: str) -> str:
    """One line for one photo's failure in the commands; an unexpected kind of error says which it was."""
    text = one_line(error, name)
    if isinstance(error, ImageTooLargeError):
        return f"{text} (see --max-megapixels)"
    if isinstance(error, (ColorizeError, OSError, ValueError)):
        return text
    return f"unexpected {type(error).__name__}" + (f": {text}" if text else "")


def printable(text: str) -> str:
    """``text`` safe for a terminal: newlines, escape sequences and undecodable bytes in file
    names are shown escaped (\\n, \\x1b, \\udcff) instead of acting on the terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in text)
