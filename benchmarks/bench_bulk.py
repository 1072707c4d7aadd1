"""Throughput of ``colorize-bulk`` on one machine, against the ``colorize`` command on the same folder.

    .venv/bin/python benchmarks/bench_bulk.py [--photos 48] [--megapixels 2] [--workers 1,2] [--cpus N]

Makes a folder of gray JPEGs, then measures in the same run (the machine is
shared: compare the ratios; the load average is printed with the results):

* the ``colorize`` command on the folder, before and after the bulk runs;
* the ``colorize-bulk`` command on a local Ray started for the run, with
  each number of workers (one CPU each);

each as its steady rate, from the times of its first and last results (so
start-up, which a large archive pays once, is left out), and the time to its
first result.

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

BIN = Path(sys.executable).parent


def make_photos(folder: Path, count: int, megapixels: float) -> None:
    """``count`` 4:3 gray JPEGs of about ``megapixels``, different crops of scikit-image's astronaut."""
    height = round((megapixels * 1e6 * 3 / 4) ** 0.5)
    size = (round(height * 4 / 3), height)
    astronaut = Image.fromarray(data.astronaut()).convert("L")
    for i in range(count):
        crop = astronaut.crop((i % 7 * 8, i % 5 * 8, 400 + i % 7 * 8, 300 + i % 5 * 8))
        crop.resize(size, Image.LANCZOS).save(folder / f"photo{i:04d}.jpg", quality=90)


def steady_rate(command: list, out: Path) -> tuple[float, float]:
    """(photos/s, seconds to the first result) of a command writing results into ``out``: the rate
    from the results' own times (first to last), so neither start-up nor progress reports count."""
    start = time.time()
    subprocess.run(command, check=True, capture_output=True)
    written = sorted(path.stat().st_mtime for path in out.glob("*.jpg"))
    return (len(written) - 1) / (written[-1] - written[0]), written[0] - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=48)
    parser.add_argument("--megapixels", type=float, default=2.0)
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated")
    parser.add_argument("--cpus", type=int, help="run everything on this many CPUs only (taskset): "
                                                 "--cpus 1 --workers 1 compares Ray's overhead at equal CPU")
    args = parser.parse_args()
    if args.cpus:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:args.cpus])  # inherited by every child
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (source := folder / "photos").mkdir()
        make_photos(source, args.photos, args.megapixels)
        print(f"{args.photos} gray JPEGs of {args.megapixels:g} MP; load average {os.getloadavg()[0]:.2f}; "
              f"on {len(os.sched_getaffinity(0))} of {os.cpu_count()} CPUs")
        cli = [BIN / "colorize", source, "-o"]
        before = steady_rate([*cli, folder / "cli-before"], folder / "cli-before")
        runs = {workers: steady_rate([BIN / "colorize-bulk", source, folder / f"bulk{workers}", "--workers",
                                      str(workers)], folder / f"bulk{workers}")
                for workers in map(int, args.workers.split(","))}
        after = steady_rate([*cli, folder / "cli-after"], folder / "cli-after")  # the load drifts
        command = (before[0] + after[0]) / 2
        print(f"colorize command: {command:.2f} photos/s steady (before the bulk runs {before[0]:.2f}, "
              f"after {after[0]:.2f}; {before[1]:.1f} s to the first result)")
        for workers, (rate, startup) in runs.items():
            print(f"colorize-bulk, {workers} worker(s): {rate:.2f} photos/s steady "
                  f"({rate / command:.2f} x the command; {startup:.1f} s to the first result)")
        print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
