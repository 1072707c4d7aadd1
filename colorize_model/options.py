"""The colorizing options of the commands (``colorize``, ``colorize-bulk``, ``colorize-suggest``): one
wording, one check."""

from __future__ import annotations

import argparse
import math

from .imageio import MAX_PIXELS
from .settings import MAX_RENDER_SIZE, MAX_SATURATION, MIN_RENDER_SIZE, RENDER_STEP, check_settings


def add_colorizing_options(parser: argparse.ArgumentParser) -> None:
    """--model, --render-size, --saturation, --max-megapixels and --strip-metadata."""
    add_model_options(parser)
    parser.add_argument("--saturation", type=float, default=1.0, metavar="S",
                        help=f"0 = gray, 1 = as predicted (default), above 1 = more vivid (at most "
                             f"{MAX_SATURATION:g})")
    parser.add_argument("--strip-metadata", action="store_true",
                        help="write results without the photos' metadata (by default each result keeps its "
                             "photo's EXIF dates, camera, GPS and captions, XMP, comments and dpi)")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """--model, --render-size and --max-megapixels: what the network sees."""
    parser.add_argument("--model", default="default",
                        help='"default" (built in), a model folder, or hf://owner/name[@revision]')
    parser.add_argument("--render-size", type=int, metavar="N",
                        help=f"square size the model sees, {MIN_RENDER_SIZE} to {MAX_RENDER_SIZE}, rounded to the "
                             f"nearest multiple of {RENDER_STEP} (what the networks take); larger keeps small "
                             "objects' colours, smaller is steadier and faster (default: the model's own; 160 "
                             "for the built-in one)")
    parser.add_argument("--max-megapixels", type=float, default=MAX_PIXELS / 1e6, metavar="MP",
                        help="refuse photos larger than this, read from the file's header before decoding "
                             "(default: %(default)g)")


def check_colorizing_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit through ``parser.error`` (status 2, one line) on a setting no photo can be colorized with."""
    try:
        check_settings(args.render_size, getattr(args, "saturation", 1.0))
    except ValueError as error:
        parser.error(str(error))
    if not (math.isfinite(args.max_megapixels) and args.max_megapixels > 0):
        parser.error(f"--max-megapixels must be a positive number, not {args.max_megapixels}")
