"""Time the web demo in Chromium: Colorize, a click on the result, and a colour hint.

Usage (from the repository root, after scripts/provision-chromium.sh):
    .venv/bin/python benchmarks/bench_space.py [--repeat 10] [--photo PATH] [--model M]

The photo defaults to scikit-image's astronaut, made gray and enlarged to
about one megapixel (1155 x 866). The app runs in this process with the
embedded default model (or --model), the browser is Debian's Chromium as in
the tests. Each time is taken in the page itself, from the browser's click
event to the first frame in which the answer is shown and decoded (checked
every frame), so the test driver's own overhead is left out:

- colorize: a click on Colorize -> both slider images shown (target 1.5 s);
- suggest: a click on the result -> the suggested colours shown, and the
  picture redrawn with the point ringed;
- hint: a click on a suggested colour (on "Use this colour" for a model
  without suggestions) -> both slider images shown (target 0.5 s), and the
  picture redrawn with the hint's dot. Each hint is then undone, untimed.

Also reported, each a median: the parts the server does. The load average is
printed: on a shared machine wall times grow with it, so compare the ratio
hint / colorize, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the app launcher and browser helpers the tests use
from test_space import (  # noqa: E402
    EXAMPLES, SLIDER_SHOWN, WAIT_MS, launch_chromium, load_app, slider_sources, start_app, upload)
from test_space_hints import CANVAS_SHOWN, PIXEL_ON_PAGE, canvas_source  # noqa: E402

TARGETS_S = {"colorize": 1.5, "hint": 0.5}
# Every click's time, taken by the page before any of its own handlers run.
CLICK_CLOCK = "window.clickedAt = 0; addEventListener('click', () => { window.clickedAt = performance.now(); }, true);"
SINCE_CLICK = "performance.now() - window.clickedAt"


def one_megapixel_photo(folder: Path) -> Path:
    path = folder / "astronaut-1mp.jpg"
    Image.open(EXAMPLES / "astronaut.jpg").resize((1155, 866), Image.Resampling.LANCZOS).save(
        path, quality=92)
    return path


def seconds_until(page, shown: str, old: str) -> float:
    """Seconds from the last click until the condition ``shown`` (of ``old``) holds."""
    since = page.wait_for_function(f"old => ({shown})(old) && {SINCE_CLICK}", arg=old, polling="raf")
    return since.json_value() / 1000


def browser_timings(url: str, photo: Path, repeat: int) -> dict[str, list[float]]:
    """Seconds of each step, ``repeat`` times, at points spread over the photo."""
    from playwright.sync_api import sync_playwright

    width, height = Image.open(photo).size
    timings: dict[str, list[float]] = {"colorize": [], "suggest": [], "hint": [], "hint drawn": []}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(WAIT_MS)
        page.goto(url)
        page.evaluate(CLICK_CLOCK)
        upload(page, photo)  # colorizes once on upload: warms the server and the page
        page.wait_for_function(SLIDER_SHOWN, arg="")
        page.wait_for_function(CANVAS_SHOWN, arg="")
        for i in range(repeat):
            slider, canvas = slider_sources(page), canvas_source(page)
            page.get_by_role("button", name="Colorize").click()
            timings["colorize"].append(seconds_until(page, SLIDER_SHOWN, slider))
            page.wait_for_function(CANVAS_SHOWN, arg=canvas)

            canvas = canvas_source(page)
            x, y = (0.2 + 0.6 * (i * 0.37 % 1)) * width, (0.2 + 0.6 * (i * 0.61 % 1)) * height
            image = page.locator("#canvas img")
            scale = image.evaluate("image => image.naturalWidth") / width  # shown at most 2048 wide
            page.mouse.click(*image.evaluate(PIXEL_ON_PAGE, [int(x * scale), int(y * scale)]))
            timings["suggest"].append(seconds_until(page, CANVAS_SHOWN, canvas))

            slider, canvas = slider_sources(page), canvas_source(page)
            swatch = page.locator("#swatches .swatch")
            (swatch.first if swatch.count() else page.get_by_role("button", name="Use this colour")).click()
            timings["hint"].append(seconds_until(page, SLIDER_SHOWN, slider))
            timings["hint drawn"].append(seconds_until(page, CANVAS_SHOWN, canvas))

            slider, canvas = slider_sources(page), canvas_source(page)
            page.get_by_role("button", name="Undo last hint").click()
            page.wait_for_function(SLIDER_SHOWN, arg=slider)
            page.wait_for_function(CANVAS_SHOWN, arg=canvas)
        browser.close()
    return timings


def server_parts(app, model: str, photo: Path, repeat: int) -> dict[str, float]:
    """Median seconds of what the server does per request, apart from Gradio."""
    colorizer = app.load_colorizers([model])[model]
    image = app.load_image(photo)
    hint = [[image.width * 0.4, image.height * 0.6, "#3a78c8"]]
    parts: dict[str, list[float]] = {"colorize": [], "colorize with a hint": [], "full-size PNG": [],
                                     "gray PNG (once per photo)": [], "picture with the hints": []}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeat):
            start = time.perf_counter()
            colorizer.colorize(image)
            parts["colorize"].append(time.perf_counter() - start)
            start = time.perf_counter()
            colour = colorizer.colorize(image, hints=hint)
            parts["colorize with a hint"].append(time.perf_counter() - start)
            start = time.perf_counter()
            app.save_image(colour, Path(folder) / "full.png")
            parts["full-size PNG"].append(time.perf_counter() - start)
            start = time.perf_counter()
            app.write_for_slider(app.gray_of(image), Path(folder) / "before.png")
            parts["gray PNG (once per photo)"].append(time.perf_counter() - start)
            start = time.perf_counter()
            shown = np.asarray(app.opened(Path(folder) / "full.png").convert("RGB"))
            canvas = app.draw_hints(shown, app.placed(hint, image.size), image.size, hint[0][:2])
            app.save_image(canvas, Path(folder) / "hints.jpg", quality=app.CANVAS_QUALITY)
            parts["picture with the hints"].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--photo", type=Path, help="a photo to use instead of the 1 MP astronaut")
    parser.add_argument("--model", default="default", help="the model to serve (default: the built-in one)")
    args = parser.parse_args()

    app = load_app()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        photo = args.photo or one_megapixel_photo(Path(folder))
        width, height = Image.open(photo).size
        demo, url = start_app(app, (args.model,))
        try:
            timings = browser_timings(url, photo, args.repeat)
        finally:
            demo.close()
        parts = server_parts(app, args.model, photo, args.repeat)

    print(f"photo: {photo.name}, {width} x {height} ({width * height / 1e6:.2f} MP); model {args.model}; "
          f"{os.cpu_count()} CPUs, load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    medians = {name: statistics.median(times) for name, times in timings.items()}
    for name, times in timings.items():
        target = TARGETS_S.get(name)
        verdict = f" (target {target} s: {'met' if medians[name] <= target else 'NOT met'})" if target else ""
        print(f"{name}: median {medians[name]:.3f} s, min {min(times):.3f} s, max {max(times):.3f} s "
              f"over {len(times)} clicks{verdict}")
    print(f"hint / colorize: {medians['hint'] / medians['colorize']:.2f}")
    for name, seconds in parts.items():
        print(f"  server, {name}: {seconds:.3f} s")


if __name__ == "__main__":
    main()
