"""Colorize raw RGBA bytes for the GIMP plug-in, in the Python where colorize-model lives.

Run by colorize-layer.py as: python colorize_worker.py IN OUT --width W --height H
[--model M] [--render-size N] [--saturation S]. It loads the model at once, then
waits for a line on stdin saying IN is complete (so the model loads while GIMP
reads the layer). IN and OUT hold W*H*4 bytes (R'G'B'A u8, row-major). Not
executable on purpose, so GIMP does not take it for a plug-in. Failures end
with one readable line on stderr and exit status 1.
"""

import argparse
import sys


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The plug-in's arguments; render size 0 means the model's default."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--height", type=int, required=True)
    parser.add_argument("--model", default="default")
    parser.add_argument("--render-size", type=int, default=0)
    parser.add_argument("--saturation", type=float, default=1.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Read, colorize, write the result atomically."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import numpy as np

        from colorize_model import Colorizer
        from colorize_model.atomic import atomic_write
        from colorize_model.errors import ColorizeError
    except ImportError as error:
        print(f"colorize-model is not installed in {sys.executable}: {error}", file=sys.stderr)
        return 1
    try:
        colorizer = Colorizer.load(args.model)
        if not sys.stdin.readline():
            print("the plug-in gave up before sending the pixels", file=sys.stderr)
            return 1
        rgba = np.fromfile(args.input, dtype=np.uint8)
        if rgba.size != args.width * args.height * 4:
            raise ColorizeError(f"{args.input} does not hold {args.width}x{args.height} RGBA pixels")
        result = colorizer.colorize(rgba.reshape(args.height, args.width, 4),
                                    render_size=args.render_size or None, saturation=args.saturation)
    except (ColorizeError, ValueError) as error:  # bad image, model or setting: the user's to fix
        print(error, file=sys.stderr)
        return 1
    with atomic_write(args.output) as handle:
        handle.write(np.ascontiguousarray(result, dtype=np.uint8).tobytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
