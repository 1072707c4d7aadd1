"""The ``colorize-suggest`` command: the colours the model finds likeliest at points of a photo.

What the web demo's swatches and GIMP's *Suggest Colours* offer, for the command
line and scripts: for each point, the k likeliest distinct colours, most likely
first, each at that pixel's own lightness (what a result would show there) and
given the hints if any (``Colorizer.suggest_at``). Exit status 0; 1 when the
photo, the hint image or a point cannot be used (one line on stderr); 2 on a bad
argument.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import ColorizeError, describe, printable
from .options import add_model_options, check_colorizing_options

EPILOG = """\
examples:
  colorize-suggest photo.jpg 420,310
  colorize-suggest photo.jpg 420,310 120,80 --hints photo-hints.png -k 4
  colorize-suggest photo.jpg 420,310 --json      # [{"x": 420, "y": 310, "colours": [["#rrggbb", 0.43], ...]}]

A point is X,Y in the photo's pixels (0,0 is the top-left pixel). Paint a
suggested colour at that place on a hint image and pass it to `colorize --hints`.
"""


def point(text: str) -> tuple[float, float]:
    """"X,Y" -> (x, y): whole numbers stay ints, so they are printed as given."""
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a point X,Y (two numbers)") from None
    return tuple(int(v) if v.is_integer() else v for v in (x, y))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="colorize-suggest", description="Suggest the likeliest colours at points of a black-and-white photo.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photo", help="the photo (any format colorize reads)")
    parser.add_argument("points", nargs="+", type=point, metavar="X,Y", help="pixels to suggest colours for")
    parser.add_argument("-k", "--count", type=int, default=8, metavar="K",
                        help="colours per point, 1 to 64 (default 8)")
    parser.add_argument("--hints", metavar="FILE", help="a hint image (RGBA): suggestions given these hints")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a line per point")
    add_model_options(parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    check_colorizing_options(parser, args)
    if not 1 <= args.count <= 64:
        parser.error(f"-k {args.count}: ask for 1 to 64 colours")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        from .hints import load_hint_file
        from .imageio import load_image
        from .pipeline import Colorizer

        max_pixels = int(args.max_megapixels * 1e6)
        photo = load_image(args.photo, max_pixels=max_pixels)
        hints = None if args.hints is None else load_hint_file(args.hints, max_pixels)
        found = Colorizer.load(args.model).suggest_at(photo, args.points, args.count, hints=hints,
                                                       render_size=args.render_size)
    except (ColorizeError, OSError, ValueError) as error:
        print(printable(f"colorize-suggest: error: {describe(error, '')}"), file=sys.stderr)
        return 1
    shown = [[("#{:02x}{:02x}{:02x}".format(*rgb), probability) for rgb, probability in colours]
             for colours in found]
    if args.json:
        print(json.dumps([{"x": x, "y": y, "colours": colours} for (x, y), colours in zip(args.points, shown)]))
    else:
        for (x, y), colours in zip(args.points, shown):
            print(f"{x},{y}  " + "  ".join(f"{colour} {probability:4.0%}" for colour, probability in colours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
