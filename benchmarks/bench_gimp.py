"""Time Colors > Auto Colorize... on a 12-megapixel layer in a real headless GIMP 3.

Usage (from the repository root, after scripts/provision-gimp.sh):
    .venv/bin/python benchmarks/bench_gimp.py [--repeat 3] [--width 4000 --height 3000]

Reports the plug-in call on a gray photo (call to pixels written, measured inside
GIMP), the same call following a colour hints layer of the photo's size, and the
call's parts, each the median of --repeat runs:
- GIMP's side, timed on a copy of the image: reading the layer, converting the
  gray image to RGB, writing through the shadow buffer;
- the worker outside GIMP: start (an 8 x 8 image: interpreter, imports, model
  load), a whole run on the photo's pixels (start, pixels in and out through
  its stdin and stdout, model) and one with the hint image as well, wall and
  CPU seconds (CPU is what a busy machine does not inflate);
- the model alone (Colorizer.colorize in this process).
In the plug-in the worker starts while GIMP reads the layer, so the parts may
add up to more than the call. The load average is printed: on a shared machine
wall times grow with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image, ImageDraw

from colorize_model import Colorizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the headless GIMP runner the tests use
from gimp.headless import find_gimp3  # noqa: E402

BATCH = ROOT / "tests" / "gimp" / "batch_cases.py"
WORKER = ROOT / "gimp_plugin" / "colorize-layer" / "colorize_worker.py"


def gimp_timings(work: Path, photo: Path, hints: Path, repeat: int) -> list[dict]:
    """Install the plug-in in a fresh profile, colorize photo `repeat` times in one GIMP, then as
    often following the hints image as a colour hints layer."""
    profile = work / "profile"
    env = {**os.environ, "GIMP3_DIRECTORY": str(profile)}
    subprocess.run([sys.executable, "-m", "gimp_plugin", "install"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    cases = [{"name": f"run{i}", "input": str(photo), "settings": {}, "export": False, "time_gimp_side": True}
             for i in range(repeat)]
    cases += [{"name": f"hints{i}", "input": str(photo), "settings": {}, "export": False,
               "hints": {"command": True, "png": str(hints)}} for i in range(repeat)]
    cases_file = work / "cases.json"
    cases_file.write_text(json.dumps({"cases": cases, "out_dir": str(work)}))
    code = f"CASES_FILE = {str(cases_file)!r}\n" + BATCH.read_text()
    run = find_gimp3().run_batch(code, profile, binds=[work])
    results = json.loads((work / "results.json").read_text()) if (work / "results.json").exists() else {}
    if run.returncode != 0 or not results or any(r.get("status") != "SUCCESS" for r in results.values()):
        sys.exit(f"GIMP run failed ({run.returncode}): {results or run.stderr[-2000:]}")
    return list(results.values())


def run_worker(args: list[str], pixels: bytes) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, all threads) of one worker run."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(args, input=pixels, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def worker_timings(rgba: np.ndarray, hints: np.ndarray, repeat: int) -> dict[str, float]:
    """The worker as the plug-in runs it, on an 8 x 8 image (start-up), on the photo, and on the
    photo with the hint image."""
    figures = {}
    tiny = np.full((8, 8, 4), 128, np.uint8)
    for name, pixels, extra in (("worker_start", tiny, []), ("worker_whole", rgba, []),
                                ("worker_hints", np.concatenate([rgba, hints]), ["--hints"])):
        height, width = rgba.shape[:2] if extra else pixels.shape[:2]
        args = [sys.executable, str(WORKER), "--width", str(width), "--height", str(height), *extra]
        walls, cpus = zip(*(run_worker(args, pixels.tobytes()) for _ in range(repeat)), strict=True)
        figures[f"{name}_s"], figures[f"{name}_cpu_s"] = statistics.median(walls), statistics.median(cpus)
    return figures


def hint_image(width: int, height: int) -> Image.Image:
    """A transparent layer with a few painted disks (about 2 % of the photo), as a user would paint."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    radius = min(width, height) // 30
    for i, colour in enumerate([(255, 0, 0), (0, 0, 255), (0, 160, 0), (255, 200, 0), (160, 0, 160)]):
        x, y = width * (i + 1) // 6, height * (1 + i % 2) // 3
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(*colour, 255))
    return image


def model_timings(rgba: np.ndarray, repeat: int) -> dict[str, float]:
    """Wall and CPU seconds of Colorizer.colorize on the photo, the model already loaded."""
    colorizer = Colorizer.load()
    colorizer.colorize(rgba[:64, :64])  # allocate at the render size outside the timing
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        colorizer.colorize(rgba)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"model_s": statistics.median(walls), "model_cpu_s": statistics.median(cpus),
            "model_render_size": colorizer.render_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args()
    if find_gimp3() is None:
        sys.exit("no GIMP 3: run scripts/provision-gimp.sh (as root)")
    gray = Image.fromarray(skimage.data.chelsea()).convert("L").resize((args.width, args.height), Image.BICUBIC)
    rgba = np.asarray(gray.convert("RGBA"))
    figures = {"megapixels": args.width * args.height / 1e6, "load_average_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="bench-gimp-") as tmp:
        work = Path(tmp)
        photo = work / "photo.png"
        gray.save(photo, compress_level=1)
        hints = work / "hints.png"
        hint_rgba = hint_image(args.width, args.height)
        hint_rgba.save(hints, compress_level=1)
        runs = gimp_timings(work, photo, hints, args.repeat)
        figures["plugin_call_s"] = statistics.median(r["seconds"] for r in runs[:args.repeat])
        figures["plugin_call_hints_s"] = statistics.median(r["seconds"] for r in runs[args.repeat:])
        runs = runs[:args.repeat]
        for part in ("read", "convert", "write"):
            figures[f"gimp_{part}_s"] = statistics.median(r[f"{part}_seconds"] for r in runs)
        figures.update(worker_timings(rgba, np.asarray(hint_rgba), args.repeat))
    figures.update(model_timings(rgba, args.repeat))
    figures["load_average_after"] = os.getloadavg()[0]
    for key, value in figures.items():
        print(f"{key:>20}: {value:.2f}" if isinstance(value, float) else f"{key:>20}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
