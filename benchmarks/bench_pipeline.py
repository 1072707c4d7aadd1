"""Speed and memory of colorizing one 12-megapixel JPEG, end to end.

    .venv/bin/python benchmarks/bench_pipeline.py [--repeat 5] [--seed]

Reports, each as the median of --repeat runs and as a ratio to the reference
measured in the same run (this machine is shared and noisy):

* reference: decode the JPEG and encode it again at quality 95 (the floor);
* warm: decode, colorize with a loaded model, encode (in-process);
* cold: the ``colorize`` command in a fresh process, model load included;
* peak memory of that process;
* the model alone at its render size, and (--seed) the seed network's.
"""

from __future__ import annotations

import argparse
import io
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


def make_photo(folder: Path) -> Path:
    """A 4000x3000 gray JPEG made from scikit-image's astronaut photo."""
    path = folder / "photo_12mp.jpg"
    Image.fromarray(data.astronaut()).convert("L").resize((4000, 3000), Image.LANCZOS).save(path, quality=90)
    return path


def median_time(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold_run(photo: Path, out: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of the colorize command in a new process."""
    code = ("import resource, sys; from colorize_model.cli import main; rc = main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code, str(photo), "-o", str(out), "--overwrite"],
                            capture_output=True, text=True, check=True)
    return time.perf_counter() - start, int(result.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--model", default="default")
    parser.add_argument("--seed", action="store_true", help="also time the seed network (needs TensorFlow)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    photo = make_photo(folder)
    colorizer = Colorizer.load(args.model)

    def reference():
        with Image.open(photo) as image:
            image.load()
            image.convert("RGB").save(io.BytesIO(), format="JPEG", quality=95)

    def warm():
        save_image(colorizer.colorize(photo), folder / "out.jpg")

    size = colorizer.render_size
    l_render = np.random.default_rng(0).uniform(0, 100, (size, size)).astype(np.float32)
    reference(), warm()  # warm caches and the runtime
    rgb12 = np.asarray(Image.open(photo).convert("RGB"))
    lab12 = lab.rgb_to_lab(rgb12)
    rows = {"reference (decode + encode)": median_time(reference, args.repeat),
            "colour: RGB -> Lab (12 MP)": median_time(lambda: lab.rgb_to_lab(rgb12), args.repeat),
            "colour: Lab -> RGB (12 MP)": median_time(lambda: lab.lab_to_rgb8(lab12), args.repeat),
            "colour: gray -> L* (12 MP)": median_time(lambda: lab.gray_to_l(rgb12[..., 0]), args.repeat),
            "warm colorize, end to end": median_time(warm, args.repeat),
            f"model alone at {size}x{size}": median_time(lambda: colorizer._network(l_render), args.repeat * 4)}
    cold = [cold_run(photo, folder / "cold") for _ in range(args.repeat)]
    rows["cold CLI (new process)"] = statistics.median(t for t, _ in cold)
    if args.seed:
        rows["seed model alone at 256x256"] = seed_time(folder, args.repeat)
    base = rows["reference (decode + encode)"]
    print(f"12-megapixel JPEG, model {args.model!r} (render {size}), {args.repeat} runs, medians")
    for name, seconds in rows.items():
        print(f"  {name:34s} {seconds:7.3f} s   {seconds / base:5.2f} x reference")
    print(f"  {'peak memory, cold CLI':34s} {max(m for _, m in cold):7.0f} MB")
    print(f"  (this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


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
