"""Colorize raw RGBA pixels for the GIMP plug-in, in the Python where colorize-model lives.

Run by the plug-in (worker_client.py) as: python colorize_worker.py --width W
--height H [--hints] [--model M] [--render-size N] [--saturation S] [--suggest X,Y].
It loads the model at once (while GIMP reads the layer), then reads W*H*4 bytes
from stdin (R'G'B'A u8, row-major) and, with --hints, as many again: the hint image
in the layer's coordinates (pixels of alpha >= 128 are hints). It writes the
coloured W*H*4 bytes to stdout once all went well, nothing otherwise; with
--suggest, instead, the colours the model suggests at pixel (X, Y) as JSON
[[r, g, b, probability], ...], most likely first. Pipes, not files: a
sandboxed GIMP (Flatpak) may not share a folder with this process. Not executable
on purpose, so GIMP does not take it for a plug-in. Failures end with one
readable line on stderr and exit status 1.
"""

import argparse
import json
import os
import sys

SUGGESTIONS = 8


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The plug-in's arguments; render size 0 means the model's default."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--height", type=int, required=True)
    parser.add_argument("--hints", action="store_true", help="a hint image follows the pixels on stdin")
    parser.add_argument("--model", default="default")
    parser.add_argument("--render-size", type=int, default=0)
    parser.add_argument("--saturation", type=float, default=1.0)
    parser.add_argument("--suggest", type=point, metavar="X,Y", help="suggest colours at this pixel instead")
    return parser.parse_args(argv)


def point(text: str) -> tuple[float, float]:
    """"X,Y" -> (x, y)."""
    x, y = text.split(",")
    return float(x), float(y)


def read_exactly(stream, array, what: str) -> None:
    """Fill array's bytes from stream; ValueError (one line) when the stream ends first."""
    view, got = memoryview(array).cast("B"), 0
    while got < len(view):
        count = stream.readinto(view[got:])
        if not count:
            raise ValueError(f"the plug-in sent {got} of the {len(view)} bytes of the {what}")
        got += count


def main(argv: list[str] | None = None) -> int:
    """Read, colorize, write the result to stdout."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    result_out = os.fdopen(os.dup(1), "wb")  # the result's own channel; fd 1 becomes stderr,
    os.dup2(2, 1)                            # so no library's output can get into the pixels
    try:
        import numpy as np

        from colorize_model import Colorizer
        from colorize_model.errors import ColorizeError
    except ImportError as error:
        print(f"colorize-model is not installed in {sys.executable}: {error}", file=sys.stderr)
        return 1
    try:
        colorizer = Colorizer.load(args.model)
        size = f"{args.width}x{args.height} RGBA"
        rgba = np.empty((args.height, args.width, 4), np.uint8)
        read_exactly(sys.stdin.buffer, rgba, f"{size} pixels")
        hints = np.empty_like(rgba) if args.hints else None
        if hints is not None:
            read_exactly(sys.stdin.buffer, hints, f"{size} colour hints")
        if args.suggest:
            suggestions = colorizer.suggest(rgba, *args.suggest, SUGGESTIONS, hints=hints,
                                            render_size=args.render_size or None)
            answer = json.dumps([[*rgb, probability] for rgb, probability in suggestions]).encode()
        else:
            answer = np.ascontiguousarray(colorizer.colorize(rgba, render_size=args.render_size or None,
                                                             saturation=args.saturation, hints=hints), np.uint8).data
    except (ColorizeError, ValueError) as error:  # bad image, model, setting or hand-over: the user's to fix
        print(error, file=sys.stderr)
        return 1
    try:
        result_out.write(answer)
        result_out.close()
    except BrokenPipeError:
        print("the plug-in stopped reading the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
