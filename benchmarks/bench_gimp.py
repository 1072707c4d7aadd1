"""Time Colors > Auto Colorize... on a 12-megapixel layer in a real headless GIMP 3.

Usage (from the repository root, after scripts/provision-gimp.sh):
    .venv/bin/python benchmarks/bench_gimp.py [--repeat 3] [--width 4000 --height 3000]

Reports the plug-in call (call to pixels written, measured inside GIMP) and its
parts: GIMP pixel I/O (read + shadow write + merge of the same layer), worker
start (a Python running colorize_worker.py on an 8 x 8 image: interpreter,
imports, model load) and the model alone (Colorizer.colorize in this process).
What is left is the file hand-over and the gray-to-RGB conversion.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image

from colorize_model import Colorizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the headless GIMP runner the tests use
from gimp.headless import find_gimp3  # noqa: E402

BATCH = ROOT / "tests" / "gimp" / "batch_cases.py"
WORKER = ROOT / "gimp_plugin" / "colorize-layer" / "colorize_worker.py"


def timed(call) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def gimp_timings(work: Path, photo: Path, repeat: int) -> list[dict]:
    """Install the plug-in in a fresh profile, colorize photo `repeat` times in one GIMP."""
    profile = work / "profile"
    env = {**os.environ, "GIMP3_DIRECTORY": str(profile)}
    subprocess.run([sys.executable, "-m", "gimp_plugin", "install"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    cases = [{"name": f"run{i}", "input": str(photo), "settings": {}, "export": False, "time_pixel_io": True}
             for i in range(repeat)]
    cases_file = work / "cases.json"
    cases_file.write_text(json.dumps({"cases": cases, "out_dir": str(work)}))
    code = f"CASES_FILE = {str(cases_file)!r}\n" + BATCH.read_text()
    run = find_gimp3().run_batch(code, profile, binds=[work])
    results = json.loads((work / "results.json").read_text()) if (work / "results.json").exists() else {}
    if run.returncode != 0 or any(r.get("status") != "SUCCESS" for r in results.values()) or not results:
        sys.exit(f"GIMP run failed ({run.returncode}): {results or run.stderr[-2000:]}")
    return list(results.values())


def worker_start(work: Path, repeat: int) -> list[float]:
    """Seconds for the worker to colorize a tiny image: start-up, imports, model load."""
    tiny = work / "tiny.rgba"
    tiny.write_bytes(bytes([128, 128, 128, 255] * 64))
    args = [sys.executable, str(WORKER), str(tiny), str(work / "tiny-out.rgba"), "--width", "8", "--height", "8"]
    return [timed(lambda: subprocess.run(args, check=True)) for _ in range(repeat)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args()
    if find_gimp3() is None:
        sys.exit("no GIMP 3: run scripts/provision-gimp.sh (as root)")
    gray = Image.fromarray(skimage.data.chelsea()).convert("L").resize((args.width, args.height), Image.BICUBIC)
    with tempfile.TemporaryDirectory(prefix="bench-gimp-") as tmp:
        work = Path(tmp)
        photo = work / "photo.png"
        gray.save(photo, compress_level=1)
        runs = gimp_timings(work, photo, args.repeat)
        starts = worker_start(work, args.repeat)
    colorizer = Colorizer.load()
    rgba = np.dstack([np.asarray(gray.convert("RGB")), np.full((args.height, args.width), 255, np.uint8)])
    model = [timed(lambda: colorizer.colorize(rgba)) for _ in range(args.repeat)]
    median = statistics.median
    figures = {
        "megapixels": args.width * args.height / 1e6,
        "plugin_call_s": median(r["seconds"] for r in runs),
        "gimp_read_s": median(r["read_seconds"] for r in runs),
        "gimp_write_s": median(r["write_seconds"] for r in runs),
        "worker_start_s": median(starts),
        "model_s": median(model),
        "model_render_size": colorizer.render_size,
    }
    figures["other_s"] = figures["plugin_call_s"] - sum(
        figures[k] for k in ("gimp_read_s", "gimp_write_s", "worker_start_s", "model_s"))
    for key, value in figures.items():
        print(f"{key:>18}: {value:.2f}" if isinstance(value, float) else f"{key:>18}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
