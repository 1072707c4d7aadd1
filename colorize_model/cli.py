"""The ``colorize`` command: colorize photos, files or whole folders, into a folder
(or one photo into a file of its own name).

A photo that cannot be read gets one line on stderr and the rest carry on;
the exit status says whether all went well (0), some photos failed (1),
nothing could start (2), or the run was stopped (130 on Ctrl-C, 143 on
SIGTERM; no half-written file is left). No input of a run is ever written to.
"""

from __future__ import annotations

import argparse
import glob
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from . import __version__, metadata
from .atomic import remove_stale_parts
from .errors import ColorizeError, describe, printable
from .imageio import MAX_PIXELS, load_image, save_image
from .naming import IMAGE_SUFFIXES, output_name
from .options import add_colorizing_options, check_colorizing_options
from .settings import MAX_RENDER_SIZE, MAX_SATURATION, MIN_RENDER_SIZE, RENDER_STEP

EPILOG = f"""\
examples:
  colorize old_photo.jpg -o colour/
  colorize old_photo.jpg -o old_photo_colour.jpg    # one photo: -o may name the result
  colorize scans/ --recursive -o colour/ --saturation 1.2
  colorize 'album/*.png' -o colour/ --model hf://owner/name@v1
  colorize photo.jpg -o colour/ --hints photo-hints.png
  colorize scans/ -o colour/ --hints hints/        # hints/NAME.png guides scans/NAME.jpg

Each result keeps its file name and format (JPEG at quality 95; formats that
cannot be written, such as GIF, become PNG) and its photo's metadata (EXIF
dates, camera, GPS and captions, XMP, comments, dpi; not --strip-metadata).
Folders are read with their sub-folders when --recursive is given, and the
sub-folders are recreated; an output folder inside an input folder is not read.
A result that would replace one of the inputs (or hint images), or that two
inputs would share, is not written.

colour hints: a hint image is an RGBA picture of any size (scaled to its photo)
whose opaque pixels say "this colour here": only their chroma is used, the
photo keeps its own lightness. Paint a few strokes or dots on a transparent
layer in any editor and save it as PNG.

limits: photos up to {MAX_PIXELS / 1e6:g} megapixels (--max-megapixels), checked from the
file's header before decoding; render sizes {MIN_RENDER_SIZE}..{MAX_RENDER_SIZE}, rounded to the
nearest multiple of {RENDER_STEP}; saturation 0..{MAX_SATURATION:g}.
"""


class Terminated(BaseException):
    """SIGTERM, raised where the program is, so that cleanup runs as it does on Ctrl-C."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="colorize", description="Colorize black-and-white photos at their full resolution.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or glob patterns")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="folder for the results (created if missing); for a single photo, "
                             "a file name with an image extension names the result itself (end it "
                             "with / for a folder of that name)")
    add_colorizing_options(parser)
    parser.add_argument("--hints", type=Path, metavar="PATH",
                        help="colour hints: a hint image (RGBA; with a single input), or a folder of hint "
                             "images matched to the inputs by file name (hints/photo.png for photo.jpg, "
                             "sub-folders as with --recursive); a photo without one is colorized automatically")
    parser.add_argument("--recursive", "-r", action="store_true", help="read folders with their sub-folders")
    parser.add_argument("--overwrite", action="store_true", help="replace results that already exist")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    check_colorizing_options(parser, args)
    args.one_file = names_a_file(args.output)
    args.output = Path(args.output)
    if args.hints is not None and not os.path.exists(args.hints):  # os.path: False, not an error, if unreadable
        parser.error(f"--hints {args.hints}: no such file or folder (or one this user cannot read)")
    return args


def names_a_file(output: str) -> bool:
    """Whether ``-o`` names a result file (an image extension, not an existing folder, no final /)."""
    return Path(output).suffix.lower() in IMAGE_SUFFIXES and not output.endswith(os.sep) \
        and not os.path.isdir(output)


def one_result(jobs: list[tuple[Path, Path]], output: Path) -> tuple[list[tuple[Path, Path]], Path]:
    """The single job and its folder when ``-o`` names the result file itself."""
    if len(jobs) != 1:
        raise ColorizeError(f"-o {output} names one result file for {len(jobs)} photos; give a folder")
    return [(jobs[0][0], Path(output.name))], output.parent


def find_hints(hints: Path | None, jobs: list[tuple[Path, Path]]) -> dict[Path, Path]:
    """The hint image of each input that has one: ``hints`` itself for a single input, else the
    image in the folder ``hints`` with the input's relative path and stem (PNG first)."""
    if hints is None or not jobs:  # no photos: that is the error to report
        return {}
    if not os.path.isdir(hints):
        if len({source for source, _ in jobs}) != 1:
            raise ColorizeError(f"--hints {hints} is one hint image for {len(jobs)} inputs; give a folder of "
                                "hint images named like the photos")
        return {jobs[0][0]: hints}
    found = {}
    for source, relative in jobs:
        candidates = sorted((path for path in (hints / relative.parent).glob(glob.escape(relative.stem) + ".*")
                             if path.stem == relative.stem and path.suffix.lower() in IMAGE_SUFFIXES
                             and os.path.isfile(path)),  # scan.v2.png is not scan's, b.txt not b.jpg's
                            key=lambda p: (p.suffix.lower() != ".png", p.name))
        found.update({source: path for path in candidates[:1]})
    return found


def find_inputs(patterns: list[str], recursive: bool, output: Path) -> list[tuple[Path, Path]]:
    """(input file, output path relative to OUTDIR) for every photo named; folders are read
    without ``output`` in them, so a rerun does not colorize earlier results."""
    skip = output.resolve()
    found = []
    for pattern in patterns:
        matches = [Path(p) for p in sorted(glob.glob(pattern))] or [Path(pattern)]
        for path in matches:
            if os.path.isdir(path):  # an unreadable path is no folder here: reported when read
                found += [(f, f.relative_to(path)) for f in _photos_in(path, recursive, skip)]
            else:
                found.append((path, Path(path.name)))  # a missing file is reported when read
    return found


def _photos_in(folder: Path, recursive: bool, skip: Path) -> list[Path]:
    """The photos in ``folder`` (and, if ``recursive``, its sub-folders, except ``skip``); a folder
    that cannot be read stops the run before any work, rather than its photos going missing."""
    def unreadable(error: OSError) -> None:
        raise ColorizeError(f"{error.filename}: cannot read this folder ({error.strerror})")

    photos = []
    try:
        for root, folders, files in os.walk(folder, onerror=unreadable):
            folders[:] = [name for name in folders if recursive and Path(root, name).resolve() != skip]
            photos += [Path(root, name) for name in files if Path(name).suffix.lower() in IMAGE_SUFFIXES]
    except RecursionError:  # os.walk recurses (before Python 3.12): some thousand levels
        raise ColorizeError(f"{folder}: folders nested too deeply to read") from None
    return sorted(path for path in photos if os.path.isfile(path))


def plan(jobs: list[tuple[Path, Path]], output: Path,
         also_read: Iterable[Path] = ()) -> tuple[list[tuple[Path, Path]], list[tuple[Path, str]]]:
    """(input, result) pairs to do, and (input, why) for those left out: no result may be
    written over an input of the run or another file it reads (``also_read``: hint images),
    whatever the flags, nor be shared by two inputs (the input whose name the result keeps
    wins, else the first)."""
    inputs = {_identity(path) for path in [*(source for source, _ in jobs), *also_read]} - {None}
    owners: dict[str, tuple[Path, Path]] = {}
    skipped = []
    for source, relative in jobs:
        target = output / output_name(relative)
        key = os.path.realpath(target)
        if _identity(target) in inputs:
            skipped.append((source, f"its result {target} would replace an input; choose another output"))
        elif key not in owners:
            owners[key] = (source, relative)
        elif os.path.realpath(owners[key][0]) != os.path.realpath(source):  # the same input twice is one job
            if _keeps_name(relative) and not _keeps_name(owners[key][1]):
                owners[key], (source, relative) = (source, relative), owners[key]
            skipped.append((source, f"its result {target} would also be {owners[key][0]}'s; rename one of them"))
    todo = [(source, output / output_name(relative)) for source, relative in owners.values()]
    return todo, skipped


def _keeps_name(relative: Path) -> bool:
    return output_name(relative) == relative


def _identity(path: Path) -> tuple[int, int] | None:
    """What makes two paths the same file (links included), or None when there is none."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_dev, status.st_ino


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if on_main_thread else None
    try:
        return run(args)
    except KeyboardInterrupt:
        print("colorize: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("colorize: terminated", file=sys.stderr)
        return 143
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def run(args: argparse.Namespace) -> int:
    """Colorize everything ``args`` names; the exit status."""
    output, one_file = args.output, args.one_file
    try:
        jobs = find_inputs(args.inputs, args.recursive, args.output)
        if one_file:
            jobs, output = one_result(jobs, output)
        hints = find_hints(args.hints, jobs)
    except ColorizeError as error:
        print(printable(f"colorize: error: {error}"), file=sys.stderr)
        return 2
    todo, skipped = plan(jobs, output, hints.values())
    if not todo and not skipped:
        print("colorize: error: no images found", file=sys.stderr)
        return 2
    max_pixels = int(args.max_megapixels * 1e6)
    if Image.MAX_IMAGE_PIXELS is not None:  # Pillow's own check must not refuse first
        Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS, max_pixels)
    with ThreadPoolExecutor(max_workers=1) as reader:
        photos = read_ahead(reader, [source for source, _ in todo], max_pixels)  # the first decodes now
        try:
            from .pipeline import Colorizer

            colorizer = Colorizer.load(args.model)  # while the first photo decodes
        except ColorizeError as error:
            print(printable(f"colorize: error: {error}"), file=sys.stderr)
            return 2
        for folder in {target.parent for _, target in todo}:
            remove_stale_parts(folder)

        for source, why in skipped:
            print(printable(f"colorize: error: {source}: {why}"), file=sys.stderr)
        failed = len(skipped)
        from tqdm import tqdm  # here, not at the top: 20-40 ms of start-up that one photo does not need

        with tqdm(todo, unit="photo", disable=len(todo) < 2, dynamic_ncols=True) as bar:
            for (source, target), photo in zip(bar, photos):
                try:
                    colorize_one(colorizer, photo, source, target, args, max_pixels, hints.get(source))
                except Exception as error:  # noqa: BLE001 - one photo's failure, of any kind, must not end the run
                    failed += 1
                    tqdm.write(printable(f"colorize: error: {source}: {describe(error, source.name)}"),
                               file=sys.stderr)
    total = len(todo) + len(skipped)
    into = todo[0][1] if one_file and todo else args.output
    print(printable(f"{total - failed} of {total} photos colorized into {into}")
          + (f", {failed} failed" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


def read_ahead(reader: ThreadPoolExecutor, sources: list[Path], max_pixels: int) -> Iterator[Future]:
    """Each photo's decoding, one photo ahead: Pillow decodes without holding the GIL, so the
    next photo is read while this one is colorized (and the first while the model loads)."""
    pending = [reader.submit(load_image, source, max_pixels=max_pixels) for source in sources[:1]]

    def photos() -> Iterator[Future]:
        for following in [*sources[1:], None]:
            if following is not None:
                pending.append(reader.submit(load_image, following, max_pixels=max_pixels))
            yield pending.pop(0)

    return photos()


def colorize_one(colorizer, photo: Future, source: Path, target: Path, args: argparse.Namespace, max_pixels: int,
                 hints: Path | None = None) -> None:
    if target.exists() and not args.overwrite:
        raise ValueError(f"{target} exists (use --overwrite to replace it)")
    image = photo.result()
    from .hints import load_hint_file  # loaded with the model already

    hint_image = None if hints is None else load_hint_file(hints, max_pixels)
    result = colorizer.colorize_image(image, render_size=args.render_size, saturation=args.saturation,
                                      hints=hint_image)  # a Pillow image: saved without another copy
    target.parent.mkdir(parents=True, exist_ok=True)
    save_image(result, target, metadata=None if args.strip_metadata else metadata.of(image))


if __name__ == "__main__":
    sys.exit(main())
