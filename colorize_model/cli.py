"""The ``colorize`` command: colorize photos, files or whole folders, into a folder.

A photo that cannot be read gets one line on stderr and the rest carry on;
the exit status says whether all went well (0), some photos failed (1), or
nothing could start (2). Inputs are never written to.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path

from tqdm import tqdm

from . import __version__
from .errors import ColorizeError, one_line
from .imageio import save_image
from .naming import IMAGE_SUFFIXES, output_name

EPILOG = """\
examples:
  colorize old_photo.jpg -o colour/
  colorize scans/ --recursive -o colour/ --saturation 1.2
  colorize 'album/*.png' -o colour/ --model hf://owner/name@v1

Each result keeps its file name and format (JPEG at quality 95; formats that
cannot be written, such as GIF, become PNG). Folders are read with their
sub-folders when --recursive is given, and the sub-folders are recreated.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="colorize", description="Colorize black-and-white photos at their full resolution.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or glob patterns")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUTDIR",
                        help="folder for the results (created if missing)")
    parser.add_argument("--model", default="default",
                        help='"default" (built in), a model folder, or hf://owner/name[@revision]')
    parser.add_argument("--render-size", type=int, metavar="N",
                        help="square size the model sees; larger keeps small objects' colours, smaller is "
                             "steadier and faster (default: the model's own; 160 for the built-in one)")
    parser.add_argument("--saturation", type=float, default=1.0, metavar="S",
                        help="0 = gray, 1 = as predicted (default), above 1 = more vivid")
    parser.add_argument("--recursive", "-r", action="store_true", help="read folders with their sub-folders")
    parser.add_argument("--overwrite", action="store_true", help="replace results that already exist")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    if args.render_size is not None and args.render_size < 16:
        parser.error("--render-size must be at least 16")
    if args.saturation < 0:
        parser.error("--saturation must not be negative")
    return args


def find_inputs(patterns: list[str], recursive: bool) -> list[tuple[Path, Path]]:
    """(input file, output path relative to OUTDIR) for every photo named."""
    found = []
    for pattern in patterns:
        matches = [Path(p) for p in sorted(glob.glob(pattern))] or [Path(pattern)]
        for path in matches:
            if path.is_dir():
                walk = path.rglob("*") if recursive else path.glob("*")
                found += [(f, f.relative_to(path)) for f in sorted(walk)
                          if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
            else:
                found.append((path, Path(path.name)))  # a missing file is reported when read
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    jobs = find_inputs(args.inputs, args.recursive)
    if not jobs:
        print("colorize: error: no images found", file=sys.stderr)
        return 2
    try:
        from .pipeline import Colorizer

        colorizer = Colorizer.load(args.model)
    except ColorizeError as error:
        print(f"colorize: error: {error}", file=sys.stderr)
        return 2

    failed = 0
    with tqdm(jobs, unit="photo", disable=len(jobs) < 2, dynamic_ncols=True) as bar:
        for source, relative in bar:
            target = args.output / output_name(relative)
            try:
                colorize_one(colorizer, source, target, args)
            except (ColorizeError, OSError, ValueError) as error:
                failed += 1
                tqdm.write(f"colorize: error: {source}: {one_line(error, source.name)}", file=sys.stderr)
    done = len(jobs) - failed
    print(f"{done} of {len(jobs)} photos colorized into {args.output}" + (f", {failed} failed" if failed else ""),
          file=sys.stderr)
    return 1 if failed else 0


def colorize_one(colorizer, source: Path, target: Path, args: argparse.Namespace) -> None:
    if target.exists():
        if _same_file(source, target):
            raise ValueError("the result would replace the input; choose another output folder")
        if not args.overwrite:
            raise ValueError(f"{target} exists (use --overwrite to replace it)")
    rgb = colorizer.colorize(source, render_size=args.render_size, saturation=args.saturation)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_image(rgb, target)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
