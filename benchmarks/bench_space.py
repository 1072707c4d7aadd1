"""Time the web demo from a click on Colorize to both slider images shown, in Chromium.

Usage (from the repository root, after scripts/provision-chromium.sh):
    .venv/bin/python benchmarks/bench_space.py [--repeat 10] [--photo PATH]

The photo defaults to scikit-image's astronaut, made gray and enlarged to
about one megapixel (1155 x 866). The app runs in this process with the
embedded default model, the browser is Debian's Chromium as in the tests.
Each run starts at the click and ends when both slider images are in the
page and decoded (img.complete and naturalWidth > 0, checked every frame).
Also reported, each a median: the parts the server does (colorizing, and
writing the full-size PNG and the gray 'before' PNG). The target is 1.5 s.
The load average is printed: on a shared machine wall times grow with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the app launcher and browser helpers the tests use
from test_space import (  # noqa: E402
    EXAMPLES, SLIDER_SHOWN, WAIT_MS, launch_chromium, load_app, slider_sources, start_app, upload)

TARGET_S = 1.5


def one_megapixel_photo(folder: Path) -> Path:
    path = folder / "astronaut-1mp.jpg"
    Image.open(EXAMPLES / "astronaut.jpg").resize((1155, 866), Image.Resampling.LANCZOS).save(
        path, quality=92)
    return path


def browser_timings(url: str, photo: Path, repeat: int) -> list[float]:
    """Seconds from each click on Colorize to both slider images shown."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.set_default_timeout(WAIT_MS)
        page.goto(url)
        upload(page, photo)  # colorizes once on upload: warms the server and the page
        page.wait_for_function(SLIDER_SHOWN, arg="")
        timings = []
        for _ in range(repeat):
            shown = slider_sources(page)
            start = time.perf_counter()
            page.get_by_role("button", name="Colorize").click()
            page.wait_for_function(SLIDER_SHOWN, arg=shown, polling="raf")
            timings.append(time.perf_counter() - start)
        browser.close()
    return timings


def server_parts(app, photo: Path, repeat: int) -> dict[str, float]:
    """Median seconds of what the server does per request, apart from Gradio."""
    colorizer = app.load_colorizers(["default"])["default"]
    image = app.load_image(photo)
    parts: dict[str, list[float]] = {"colorize": [], "full-size PNG": [], "gray PNG": []}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeat):
            start = time.perf_counter()
            colour = colorizer.colorize(image)
            parts["colorize"].append(time.perf_counter() - start)
            start = time.perf_counter()
            app.save_image(colour, Path(folder) / "full.png")
            parts["full-size PNG"].append(time.perf_counter() - start)
            start = time.perf_counter()
            app.write_for_slider(app.gray_of(image), Path(folder) / "before.png")
            parts["gray PNG"].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--photo", type=Path, help="a photo to use instead of the 1 MP astronaut")
    args = parser.parse_args()

    app = load_app()
    with tempfile.TemporaryDirectory() as folder:
        photo = args.photo or one_megapixel_photo(Path(folder))
        width, height = Image.open(photo).size
        demo, url = start_app(app)
        try:
            timings = browser_timings(url, photo, args.repeat)
        finally:
            demo.close()
        parts = server_parts(app, photo, args.repeat)

    median = statistics.median(timings)
    print(f"photo: {photo.name}, {width} x {height} ({width * height / 1e6:.2f} MP); "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"click -> both slider images shown: median {median:.3f} s, "
          f"min {min(timings):.3f} s, max {max(timings):.3f} s over {len(timings)} runs "
          f"(target {TARGET_S} s: {'met' if median <= TARGET_S else 'NOT met'})")
    for name, seconds in parts.items():
        print(f"  server, {name}: {seconds:.3f} s")


if __name__ == "__main__":
    main()
