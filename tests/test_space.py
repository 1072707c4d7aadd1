"""The web demo (space/app.py), in a real browser and through gradio_client.

The app runs in this process on a free loopback port with the package's
embedded default model; the browser is Debian's Chromium driven by Playwright
(scripts/provision-chromium.sh installs it). Nothing is mocked.

Waits carry a generous timeout only so that a hang fails instead of blocking
CI; no test checks speed (benchmarks/bench_space.py does). Colour hints:
tests/test_space_hints.py, which also takes docs/screenshot.png.
"""

from __future__ import annotations

import importlib.util
import io
import mimetypes
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import ExifTags, Image

from colorize_model.lab import gray_to_l, rgb_to_lab
from colorize_model.models import DEFAULT_MODEL_DIR

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "space" / "examples"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]
WAIT_MS = 120_000  # hang guard only

# Both slider images are in the page and fully decoded, and differ from `old`.
SLIDER_SHOWN = """old => {
    const images = [...document.querySelectorAll('#slider img')];
    return images.length === 2 && images.every(i => i.complete && i.naturalWidth > 0)
        && images.map(i => i.src).join(' ') !== old;
}"""


def load_app() -> ModuleType:
    """space/app.py as a module (space/ is a Space folder, not a package)."""
    spec = importlib.util.spec_from_file_location("space_app", ROOT / "space" / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(app: ModuleType, models: tuple[str, ...] = ("default",)) -> tuple[Any, str]:
    """Launch the demo in this process with the given models: (demo, base URL)."""
    demo = app.build_demo(app.load_colorizers(list(models)))
    _, url, _ = app.launch(demo, server_name="127.0.0.1", server_port=free_port(),
                           prevent_thread_lock=True, quiet=True)
    return demo, url


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)


def slider_sources(page: Any) -> str:
    return page.eval_on_selector_all("#slider img", "images => images.map(i => i.src).join(' ')")


def upload(page: Any, file: Path | dict) -> None:
    page.locator("#photo input[type=file]").set_input_files(file)


def gray_photo(folder: Path, size: tuple[int, int] = (600, 400), name: str = "coffee") -> Path:
    """A gray JPEG of the given size, made from one of the demo's examples."""
    path = folder / f"{name}-{size[0]}x{size[1]}.jpg"
    example = Image.open(EXAMPLES / f"{name}.jpg")
    example.resize(size, Image.Resampling.LANCZOS).save(path, quality=92)
    return path


def assert_colorized(result: Path | bytes, photo: Path) -> None:
    """Same size as the photo, the photo's L* kept, and visibly coloured."""
    with Image.open(io.BytesIO(result) if isinstance(result, bytes) else result) as image:
        colour = np.asarray(image.convert("RGB"))
    gray = np.asarray(Image.open(photo).convert("L"))
    assert colour.shape[:2] == gray.shape
    lab = rgb_to_lab(colour)
    l_error = np.abs(lab[..., 0] - gray_to_l(gray))
    assert l_error.mean() < 0.5 and np.percentile(l_error, 99) < 2.5  # 8-bit rounding of dark tones
    assert np.hypot(lab[..., 1], lab[..., 2]).mean() > 4.0  # gray would be ~0


def assert_same_gray(shown: Image.Image, photo: Path) -> None:
    """The slider's 'before' is the photo itself, to within rounding."""
    difference = np.asarray(shown, int) - np.asarray(Image.open(photo))
    assert np.abs(difference).max() <= 1


@pytest.fixture(scope="module")
def app() -> ModuleType:
    return load_app()


@pytest.fixture(scope="module")
def server(app: ModuleType) -> Iterator[str]:
    """The demo with two models in its menu: the embedded default, and it again as a folder."""
    demo, url = start_app(app, ("default", str(DEFAULT_MODEL_DIR)))
    yield url
    demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh tab on the demo; afterwards, check it asked nothing of any other host."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    requested: list[str] = []
    tab.on("request", lambda request: requested.append(request.url))
    tab.goto(server)
    yield tab
    context.close()
    outside = [url for url in requested if not url.startswith((server, "data:", "blob:"))]
    assert outside == []


@pytest.fixture
def client(server: str, tmp_path: Path) -> Any:
    from gradio_client import Client

    return Client(server, download_files=str(tmp_path), verbose=False)


# --- As a Hugging Face Space ------------------------------------------------

def test_space_card_pins_the_tested_gradio_and_names_the_app() -> None:
    import gradio
    import yaml

    card = (ROOT / "space" / "README.md").read_text().split("---")[1]
    front = yaml.safe_load(card)
    assert front["sdk"] == "gradio" and front["sdk_version"] == gradio.__version__
    assert (ROOT / "space" / front["app_file"]).is_file()
    assert front["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_published_space_installs_the_light_runtime_not_tensorflow(tmp_path: Path) -> None:
    """The folder `training.publish --space` uploads: this app, the package beside it,
    and requirements that pip reads line by line, without TensorFlow or Keras."""
    from packaging.requirements import Requirement

    from training.publish import build_space_folder

    build_space_folder(ROOT / "space", tmp_path)
    assert (tmp_path / "colorize_model" / "pipeline.py").is_file()
    lines = (tmp_path / "requirements.txt").read_text().splitlines()
    names = {Requirement(line).name for line in lines}  # raises on anything but a requirement
    assert {"ai-edge-litert", "numpy", "pillow"} <= names
    assert not any(name.startswith(("tensorflow", "keras")) for name in names)


# --- In the browser ----------------------------------------------------------

def test_browser_upload_colorize_compare_download(page: Any, tmp_path: Path) -> None:
    photo = gray_photo(tmp_path)
    upload(page, photo)  # colorizes on upload...
    page.wait_for_function(SLIDER_SHOWN, arg="")
    first = slider_sources(page)
    page.get_by_role("button", name="Colorize").click()  # ...and again on the button
    page.wait_for_function(SLIDER_SHOWN, arg=first)

    before, after = page.locator("#slider img").all()
    handle = page.locator("#slider [data-testid=slider]").bounding_box()
    frame = before.bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(frame["x"] + frame["width"] * 0.2, frame["y"] + frame["height"] / 2, steps=8)
    page.mouse.up()
    left = re.search(r"clip-path: inset\([^)]* ([\d.]+)(%|px)\)", after.get_attribute("style"))
    shown_from = float(left[1]) / (100 if left[2] == "%" else frame["width"])
    assert 0.1 < shown_from < 0.3  # the colour half now starts where the handle was dropped

    with page.expect_download() as download:
        page.locator("#result a[download]").click()
    assert download.value.suggested_filename == f"{photo.stem}-colorized.png"
    assert_colorized(Path(download.value.path()), photo)
    shown_after = page.request.get(after.get_attribute("src")).body()
    assert shown_after == Path(download.value.path()).read_bytes()  # small photo: shown in full
    shown_before = page.request.get(before.get_attribute("src")).body()
    assert_same_gray(Image.open(io.BytesIO(shown_before)), photo)


def test_browser_example_click_colorizes(page: Any) -> None:
    page.locator(".gallery-item").first.click()
    page.wait_for_function(SLIDER_SHOWN, arg="")
    download = page.locator("#result a[download]").get_attribute("download")
    assert download == "astronaut-colorized.png"  # the first example


def _bulky_png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(21 * 1024 * 1024)


def _huge_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (5000, 5000), 128).save(buffer, "PNG")  # 25 MP, a few kB
    return buffer.getvalue()


def _half_jpeg() -> bytes:
    data = (EXAMPLES / "coffee.jpg").read_bytes()
    return data[: len(data) // 2]


BAD_FILES = {  # name: (contents, what the page must say)
    "notes.txt": (lambda: b"not a photo", "Invalid file type"),  # refused by the page itself
    "notes.png": (lambda: b"not a photo", "notes.png: not an image"),
    "half.jpg": (_half_jpeg, "half.jpg: corrupt or truncated image"),
    "empty.png": (lambda: b"", "empty.png: empty file"),
    "huge.png": (_huge_png, "huge.png: 5000×5000 is 25.0 megapixels, over the limit of 24"),
    "bulky.png": (_bulky_png, "exceed the maximum allowed size of 20.0 Mb"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_browser_bad_file_shows_error_then_next_photo_works(page: Any, name: str,
                                                            tmp_path: Path) -> None:
    contents, message = BAD_FILES[name]
    upload(page, {"name": name, "mimeType": mimetypes.guess_type(name)[0], "buffer": contents()})
    page.locator(".toast-body", has_text=message).first.wait_for(state="visible")
    photo = gray_photo(tmp_path, (320, 240), "chelsea")
    upload(page, photo)
    page.wait_for_function(SLIDER_SHOWN, arg="")
    page.wait_for_function("() => document.querySelector('#result a[download]') !== null")
    result = page.request.get(page.locator("#result a[download]").get_attribute("href")).body()
    assert_colorized(result, photo)


def test_browser_colorize_without_photo_says_so(page: Any) -> None:
    page.get_by_role("button", name="Colorize").click()
    page.locator(".toast-body", has_text="Upload a black-and-white photo first").wait_for()


# --- Through gradio_client ---------------------------------------------------

def test_client_named_endpoint_returns_slider_pair_and_full_result(client: Any,
                                                                   tmp_path: Path) -> None:
    from gradio_client import handle_file

    assert "/colorize" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    photo = gray_photo(tmp_path, (500, 375), "rocket")
    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = "1962:09:12 10:00:00"
    Image.open(photo).save(photo, quality=92, exif=exif, dpi=(300, 300))
    (before, after), full = client.predict(handle_file(str(photo)), api_name="/colorize")
    assert_colorized(Path(full), photo)
    assert Path(after).read_bytes() == Path(full).read_bytes()
    download = Image.open(full)
    assert download.getexif()[ExifTags.Base.DateTime] == "1962:09:12 10:00:00"  # the photo's metadata kept
    assert np.allclose(download.info["dpi"], 300, atol=0.01)
    assert_same_gray(Image.open(before), photo)


def test_client_saturation_reaches_the_model(client: Any, tmp_path: Path) -> None:
    from gradio_client import handle_file

    photo = gray_photo(tmp_path, (256, 256), "astronaut")

    def chroma(saturation: float) -> float:
        _, full = client.predict(handle_file(str(photo)), saturation=saturation,
                                 api_name="/colorize")
        lab = rgb_to_lab(np.asarray(Image.open(full).convert("RGB")))
        return float(np.hypot(lab[..., 1], lab[..., 2]).mean())

    assert chroma(0.0) < 1.0 < chroma(1.0) < chroma(2.0)


def test_client_second_model_and_alpha(client: Any, tmp_path: Path) -> None:
    """A model from the menu by name; a photo with transparency keeps it exactly."""
    from gradio_client import handle_file

    gray = np.asarray(Image.open(gray_photo(tmp_path, (300, 200))))
    alpha = np.tile(np.linspace(0, 255, 300).astype(np.uint8), (200, 1))
    photo = tmp_path / "faded.png"
    Image.fromarray(np.dstack([gray, alpha]), "LA").save(photo)
    _, full = client.predict(handle_file(str(photo)), model=str(DEFAULT_MODEL_DIR),
                             api_name="/colorize")
    result = np.asarray(Image.open(full))
    assert result.shape == (200, 300, 4) and np.array_equal(result[..., 3], alpha)


def test_model_menu_lists_default_then_configured(app: ModuleType,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLORIZE_MODELS", "hf://someone/sepia, ./mine  default")
    assert app.model_refs() == ["default", "hf://someone/sepia", "./mine"]


@pytest.mark.parametrize(("arguments", "message"), [
    ({"model": "nonexistent"}, "The model must be one of: default, "),
    ({"render_size": 5000}, "5000"),
    ({"photo": None}, "Upload a black-and-white photo first"),
])
def test_client_bad_settings_are_refused(client: Any, tmp_path: Path, arguments: dict,
                                         message: str) -> None:
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    call = {"photo": handle_file(str(gray_photo(tmp_path, (64, 64)))), **arguments}
    with pytest.raises(AppError, match=message):
        client.predict(**call, api_name="/colorize")


@pytest.mark.parametrize("name", [name for name in BAD_FILES if name.endswith(".png")
                                  and name != "bulky.png"] + ["notes.txt", "half.jpg"])
def test_client_bad_file_is_refused_then_next_works(client: Any, tmp_path: Path,
                                                    name: str) -> None:
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    contents, message = BAD_FILES[name]
    bad = tmp_path / name
    bad.write_bytes(contents())
    expected = "notes.txt: not an image" if name == "notes.txt" else message
    with pytest.raises(AppError, match=re.escape(expected)):
        client.predict(handle_file(str(bad)), api_name="/colorize")
    photo = gray_photo(tmp_path, (128, 96))
    _, full = client.predict(handle_file(str(photo)), api_name="/colorize")
    assert_colorized(Path(full), photo)


# --- Load, against `python space/app.py` as users start it ---------------------

def serve(log: Path | None = None, **env: str) -> tuple[str, subprocess.Popen]:
    """``python space/app.py`` on a free port, with ``env`` added: (base URL, process).

    A process of its own, so its memory is the app's alone, not this test's
    clients' and browser's; its output goes to ``log`` (appended), if given.
    """
    port = free_port()
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, str(ROOT / "space" / "app.py")],
                               env={**os.environ, "GRADIO_SERVER_PORT": str(port), **env},
                               stdout=output, stderr=subprocess.STDOUT)
    if log:
        output.close()  # the server holds its own copy
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        assert process.poll() is None, "space/app.py exited"
        try:
            urllib.request.urlopen(url).close()
            return url, process
        except OSError:
            assert time.monotonic() < deadline, "space/app.py never answered"
            time.sleep(0.2)


@pytest.fixture
def served_app() -> Iterator[tuple[str, int]]:
    """The demo's main command on a free port: (base URL, process id)."""
    url, process = serve()
    yield url, process.pid
    process.terminate()
    process.wait()


def rss_bytes(pid: int) -> int:
    fields = Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()
    return int(fields[0]) * 1024


def test_load_8_clients_5_requests_each_then_memory_steady(served_app: tuple[str, int],
                                                           tmp_path: Path) -> None:
    """Every answer belongs to its own request, and more rounds grow no memory.

    The photos are half a megapixel or more. The first round warms caches,
    threads and malloc's arenas; two more (80 requests) must then stay within
    64 MB, which keeping half of each result's pixels would already pass.
    """
    from gradio_client import Client, handle_file

    url, pid = served_app
    photos = [gray_photo(tmp_path, (800 + 32 * i, 600 + 24 * i), name)
              for i, name in enumerate(["coffee", "chelsea", "rocket", "astronaut"] * 2)]

    def one_client(photo: Path) -> int:
        client = Client(url, download_files=str(tmp_path / photo.stem), verbose=False)
        for _ in range(5):
            _, full = client.predict(handle_file(str(photo)), api_name="/colorize")
            assert_colorized(Path(full), photo)
        return 5

    def one_round() -> int:
        with ThreadPoolExecutor(len(photos)) as pool:
            futures = [pool.submit(one_client, photo) for photo in photos]
            return sum(future.result(timeout=WAIT_MS / 1000 * 5) for future in futures)

    assert one_round() == 40
    steady = rss_bytes(pid)
    assert one_round() + one_round() == 80
    assert rss_bytes(pid) - steady < 64 * 2**20
