"""Throughput of ``colorize-bulk`` on one machine, against the ``colorize`` command on the same folder.

    .venv/bin/python benchmarks/bench_bulk.py [--photos 48] [--megapixels 2] [--workers 1,2] [--cpus N]

Makes a folder of gray JPEGs, then measures in the same run (the machine is
shared: compare the ratios; the load average is printed with the results):

* the ``colorize`` command on the folder, before and after the bulk runs:
  its steady rate, from the time for all photos less the time for one
  (which is the command's start-up);
* ``colorize_model.bulk`` on a local Ray started for the run, with each
  number of workers (one CPU each): its steady rate, from the first results
  to the last, and the start-up it adds (Ray and the workers' model loads),
  which a large archive pays once.

Ray's overhead is the command's steady rate over bulk's with one worker, less
1, measured at equal CPU (``--cpus 1 --workers 1``: the command's threads
and Ray's own processes share the one CPU with the worker).
Ray binds its local instance to 127.0.0.1; on a machine that must stay off
the network, run this inside a loopback-only namespace (``unshare --net``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from skimage import data

from colorize_model import bulk

BIN = Path(sys.executable).parent


def make_photos(folder: Path, count: int, megapixels: float) -> None:
    """``count`` 4:3 gray JPEGs of about ``megapixels``, different crops of scikit-image's astronaut."""
    height = round((megapixels * 1e6 * 3 / 4) ** 0.5)
    size = (round(height * 4 / 3), height)
    astronaut = Image.fromarray(data.astronaut()).convert("L")
    for i in range(count):
        crop = astronaut.crop((i % 7 * 8, i % 5 * 8, 400 + i % 7 * 8, 300 + i % 5 * 8))
        crop.resize(size, Image.LANCZOS).save(folder / f"photo{i:04d}.jpg", quality=90)


def cli_rate(photos: list[Path], out: Path) -> float:
    """The command's photos/s without its start-up: all photos, less the time for one."""
    seconds = []
    for some, folder in ((photos, out), (photos[:1], out.with_name(out.name + "-one"))):
        start = time.perf_counter()
        subprocess.run([BIN / "colorize", *some, "-o", folder], check=True, capture_output=True)
        seconds.append(time.perf_counter() - start)
    return (len(photos) - 1) / (seconds[0] - seconds[1])


def bulk_rates(source: Path, target: Path, workers: int) -> tuple[float, float]:
    """(steady photos/s, seconds until the first results) of one bulk run on a local Ray, in a
    process of its own (as the command runs: one Ray per process)."""
    done = subprocess.run([sys.executable, __file__, "--bulk-run", str(source), str(target), str(workers)],
                          check=True, capture_output=True, text=True)
    rate, startup = map(float, done.stdout.split())
    return rate, startup


def bulk_run(source: str, target: str, workers: int) -> None:
    start = time.perf_counter()
    job = bulk.plan(str(source), str(target))
    arrivals = [time.perf_counter() for photo, reason in bulk.run(job, bulk.Settings(workers=workers)) if not reason]
    if len(arrivals) != len(job.jobs):
        raise SystemExit(f"bulk colorized {len(arrivals)} of {len(job.jobs)} photos")
    first = sum(t - arrivals[0] < 0.01 for t in arrivals)  # results come a block of photos at a time
    print((len(arrivals) - first) / (arrivals[-1] - arrivals[0]), arrivals[0] - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=48)
    parser.add_argument("--megapixels", type=float, default=2.0)
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated")
    parser.add_argument("--cpus", type=int, help="run everything on this many CPUs only (taskset): "
                                                 "--cpus 1 --workers 1 compares Ray's overhead at equal CPU")
    parser.add_argument("--bulk-run", nargs=3, metavar=("SRC", "DST", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bulk_run:
        return bulk_run(args.bulk_run[0], args.bulk_run[1], int(args.bulk_run[2]))
    if args.cpus:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:args.cpus])  # inherited by every child
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (source := folder / "photos").mkdir()
        make_photos(source, args.photos, args.megapixels)
        photos = sorted(source.iterdir())
        print(f"{args.photos} gray JPEGs of {args.megapixels:g} MP; load average {os.getloadavg()[0]:.2f}; "
              f"on {len(os.sched_getaffinity(0))} of {os.cpu_count()} CPUs")
        cli_rates = [cli_rate(photos, folder / "cli-before")]
        runs = {workers: bulk_rates(source, folder / f"bulk{workers}", workers)
                for workers in map(int, args.workers.split(","))}
        cli_rates.append(cli_rate(photos, folder / "cli-after"))  # before and after: the load drifts
        command = sum(cli_rates) / 2
        print(f"colorize command: {command:.2f} photos/s steady "
              f"(before the bulk runs {cli_rates[0]:.2f}, after {cli_rates[1]:.2f})")
        for workers, (rate, startup) in runs.items():
            print(f"colorize-bulk, {workers} worker(s): {rate:.2f} photos/s steady "
                  f"({rate / command:.2f} x the command; {startup:.1f} s to the first results)")
        print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
