"""The ``colorize-bulk`` command: every photo under SRC colorized into DST, on Ray.

The library is ``colorize_model.bulk``; this is its command line, made to feel
like ``colorize``: the same options for the same settings, one line per bad
photo, and the same exit statuses (0 all done, 1 some photos failed, 2 nothing
could start, 130 on Ctrl-C, 143 on SIGTERM). Ray is imported only once the
arguments are read, so ``--help`` works, and a missing Ray is one line.
"""

from __future__ import annotations

import argparse
import signal
import sys

from tqdm import tqdm

from . import __version__
from .errors import ColorizeError, printable
from .options import add_colorizing_options, check_colorizing_options

EPILOG = """\
examples:
  colorize-bulk scans/ colour/                                  # a local Ray, started for this run
  colorize-bulk s3://archive/scans s3://archive/colour --address auto --workers 60
  colorize-bulk gs://museum/plates gs://museum/colour --address ray://head:10001

Results keep their names and sub-folders (as `colorize --recursive` writes
them). Results already in DST are skipped: run the same command again to
finish a stopped or crashed run. Photos that fail are listed in
DST/colorize-bulk-report.json with the reason.
"""


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler stopping the job), handled as Ctrl-C is: Ray shut down, one line."""


def _stop(signum: int, frame: object) -> None:
    raise Terminated


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="colorize-bulk", description="Colorize every photo under a folder or object-store prefix, on Ray.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", metavar="SRC", help="folder or URI (s3://, gs://, abfs://, hdfs://) of the photos")
    parser.add_argument("target", metavar="DST", help="folder or URI for the results (created if missing)")
    add_colorizing_options(parser)
    parser.add_argument("--address", metavar="ADDR",
                        help='an existing Ray cluster: "auto", HOST:PORT, or ray://HOST:10001 '
                             "(default: start a local one for this run)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="colorizing processes, each loading the model once (default: the cluster's CPUs less one)")
    parser.add_argument("--cpus-per-worker", type=int, default=1, metavar="C",
                        help="CPUs (and threads) each worker takes (default 1)")
    parser.add_argument("--overwrite", action="store_true", help="redo results that already exist")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    check_colorizing_options(parser, args)
    if args.workers is not None and args.workers < 1 or args.cpus_per_worker < 1:
        parser.error("--workers and --cpus-per-worker must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        from . import bulk
    except ImportError as error:
        print(f"colorize-bulk: error: needs Ray ({error.name} is missing): install the bulk extra "
              "(pip install '.[bulk]' in colorize-model's folder)", file=sys.stderr)
        return 2
    settings = bulk.Settings(args.model, args.render_size, args.saturation, args.max_megapixels, args.workers,
                             args.cpus_per_worker, args.address, keep_metadata=not args.strip_metadata)
    try:
        job = bulk.plan(args.source, args.target, overwrite=args.overwrite)
        total = len(job.jobs) + len(job.failed)
        if not total and not job.already_done:
            raise bulk.BulkError(f"{args.source}: no images found")
        results = bulk.run(job, settings)
    except ColorizeError as error:
        print(printable(f"colorize-bulk: error: {error}"), file=sys.stderr)
        return 2
    if job.already_done:
        print(printable(f"{job.already_done} results already in {args.target}: skipped"), file=sys.stderr)
    failed = 0
    previous = signal.signal(signal.SIGTERM, _stop)
    with tqdm(total=total, unit="photo", disable=total < 2, dynamic_ncols=True) as bar:
        try:
            for photo, reason in results:
                bar.update(1)
                if reason:
                    failed += 1
                    tqdm.write(printable(f"colorize-bulk: error: {photo}: {reason}"), file=sys.stderr)
        except ColorizeError as error:
            bar.close()
            print(printable(f"colorize-bulk: error: {error}"), file=sys.stderr)
            return 2
        except KeyboardInterrupt as stop:
            bar.close()
            print(f"colorize-bulk: stopped after {bar.n} of {total}; run the same command again to do the rest",
                  file=sys.stderr)
            return 143 if isinstance(stop, Terminated) else 130
        finally:
            signal.signal(signal.SIGTERM, previous)
    print(printable(f"{total - failed} of {total} photos colorized into {args.target}"
                    + (f", {failed} failed" if failed else "") + f" (report: {bulk.REPORT})"), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
