"""Speed and memory of colorizing gray JPEGs of 12, 50 and 100 megapixels, end to end.

    .venv/bin/python benchmarks/bench_pipeline.py [--repeat 5] [--sizes 12,50,100] [--seed]

Reports, each as the median of --repeat runs and as a ratio to the reference
measured in the same run (this machine is shared and noisy; the load average
is printed with the results, and CPU time, user + system of all threads, is
given beside wall time: it is far steadier under others' load):

* reference: decode the JPEG and encode it again as RGB at quality 95 (the floor),
  in this process, and cold: the same in a fresh Python process (what the
  ``colorize`` command is compared with: both pay for starting Python);
* warm: decode, colorize with a loaded model, encode (in-process, 12 MP);
* cold: the ``colorize`` command in a fresh process, model load included;
* peak resident memory of that process, whole and per megapixel, at each size;
* the model alone at its render size, and (--seed) the seed network's.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from colorize_model import Colorizer, lab
from colorize_model.imageio import save_image


def make_photo(folder: Path, megapixels: int) -> Path:
    """A 4:3 gray JPEG of about ``megapixels`` made from scikit-image's astronaut photo."""
    path = folder / f"photo_{megapixels}mp.jpg"
    height = round((megapixels * 1e6 * 3 / 4) ** 0.5)
    size = (round(height * 4 / 3), height)
    Image.fromarray(data.astronaut()).convert("L").resize(size, Image.LANCZOS).save(path, quality=90)
    return path


def reference(photo: Path) -> None:
    """Decode the photo and encode it again as an RGB JPEG at quality 95: the floor."""
    with Image.open(photo) as image:
        image.load()
        image.convert("RGB").save(io.BytesIO(), format="JPEG", quality=95)


def median_time(function, repeat: int) -> float:
    return timed(function, repeat)[0]


def timed(function, repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (this process, all threads) of ``function``."""
    runs = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        function()
        runs.append((time.perf_counter() - start, time.process_time() - cpu))
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


# The child's own peak: its ru_maxrss would include this (large) process's, which a
# spawned child inherits on Linux; VmHWM is the high-water mark of its own memory
# (the same figure as /usr/bin/time -f %M of the command).
_PEAK = """
status = open("/proc/self/status").read()
print(status.split("VmHWM:")[1].split()[0])
"""
_COLD = """import sys
from colorize_model.cli import main
main([sys.argv[1], "-o", sys.argv[2], "--overwrite"])
""" + _PEAK
_COLD_REFERENCE = """import sys
from PIL import Image
with Image.open(sys.argv[1]) as image:
    image.convert("RGB").save(sys.argv[2] + "/reference.jpg", quality=95)
""" + _PEAK


def cold_run(code: str, photo: Path, out: Path) -> tuple[float, float, float]:
    """Wall time, CPU time and peak resident memory (MB) of ``code`` run on the photo in a new process."""
    out.mkdir(exist_ok=True)
    start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([sys.executable, "-c", code, str(photo), str(out)],
                            capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return time.perf_counter() - start, cpu, int(result.stdout.split()[-1]) / 1024


def cold_runs(code: str, photo: Path, out: Path, repeat: int) -> tuple[float, float, float]:
    """Median wall and CPU time, and the highest peak memory, of ``repeat`` cold runs."""
    runs = [cold_run(code, photo, out) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), max(r[2] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="12,50,100", help="megapixels of the cold runs' photos (12 first)")
    parser.add_argument("--model", default="default")
    parser.add_argument("--seed", action="store_true", help="also time the seed network (needs TensorFlow)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    sizes = [int(size) for size in args.sizes.split(",")]
    photos = {size: make_photo(folder, size) for size in sizes}
    photo = photos[12]
    colorizer = Colorizer.load(args.model)
    load_before = os.getloadavg()

    def warm():
        save_image(colorizer.colorize_image(photo), folder / "out.jpg")

    size = colorizer.render_size
    l_render = np.random.default_rng(0).uniform(0, 100, (size, size)).astype(np.float32)
    reference(photo), warm()  # warm caches and the runtime
    rgb12 = np.asarray(Image.open(photo).convert("RGB"))
    lab12 = lab.rgb_to_lab(rgb12)
    ends = {"reference (decode + encode)": timed(lambda: reference(photo), args.repeat),
            "warm colorize, end to end": timed(warm, args.repeat),
            "reference, cold (new process)": cold_runs(_COLD_REFERENCE, photo, folder / "cold", args.repeat)[:2],
            "cold CLI (new process)": cold_runs(_COLD, photo, folder / "cold", args.repeat)[:2]}
    rows = {"colour: RGB -> Lab (12 MP)": median_time(lambda: lab.rgb_to_lab(rgb12), args.repeat),
            "colour: Lab -> RGB (12 MP)": median_time(lambda: lab.lab_to_rgb8(lab12), args.repeat),
            "colour: gray -> L* (12 MP)": median_time(lambda: lab.gray_to_l(rgb12[..., 0]), args.repeat),
            f"model alone at {size}x{size}": median_time(lambda: colorizer._network(l_render), args.repeat * 4),
            "model and its mirror image": median_time(lambda: colorizer._run(l_render, None), args.repeat * 4)}
    if args.seed:
        rows["seed model alone at 256x256"] = seed_time(folder, args.repeat)
    (base, base_cpu) = ends["reference (decode + encode)"]
    print(f"12-megapixel JPEG, model {args.model!r} (render {size}), {args.repeat} runs, medians")
    for name, (seconds, cpu) in ends.items():
        print(f"  {name:34s} {seconds:7.3f} s   {seconds / base:5.2f} x reference   "
              f"CPU {cpu:6.3f} s = {cpu / base_cpu:5.2f} x")
    (cold, cold_cpu), (cold_base, cold_base_cpu) = ends["cold CLI (new process)"], ends["reference, cold (new process)"]
    print(f"  {'cold CLI / cold reference':34s} {cold / cold_base:7.2f} x          CPU {cold_cpu / cold_base_cpu:5.2f} x")
    for name, seconds in rows.items():
        print(f"  {name:34s} {seconds:7.3f} s   {seconds / base:5.2f} x reference")
    repeat = min(args.repeat, 3)
    print(f"cold CLI by size (peak resident memory of the whole process, model included; {repeat} runs)")
    peaks = {}
    for megapixels, path in photos.items():
        seconds, cpu, peaks[megapixels] = cold_runs(_COLD, path, folder / "cold", repeat)
        floor, floor_cpu, floor_peak = cold_runs(_COLD_REFERENCE, path, folder / "cold", repeat)
        print(f"  {megapixels:4d} MP: {seconds:6.2f} s = {seconds / floor:5.2f} x its cold reference ({floor:.3f} s), "
              f"CPU {cpu / floor_cpu:5.2f} x; peak {peaks[megapixels]:5.0f} MB = "
              f"{peaks[megapixels] / megapixels:5.1f} MB per megapixel (reference {floor_peak:.0f} MB)")
    if len(peaks) > 1:
        (small, low), (large, high) = min(peaks.items()), max(peaks.items())
        print(f"  each further megapixel: {(high - low) / (large - small):.1f} MB ({small} to {large} MP)")
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores)")


def seed_time(folder: Path, repeat: int) -> float:
    from colorize_model.architectures import build
    from colorize_model.export import export_model
    from colorize_model.models import ModelConfig

    seed = Colorizer.load(export_model(build("seed"), ModelConfig("seed", 256), folder / "seed"))
    l_render = np.random.default_rng(0).uniform(0, 100, (256, 256)).astype(np.float32)
    seed._network(l_render)
    return median_time(lambda: seed._network(l_render), repeat * 4)


if __name__ == "__main__":
    main()
