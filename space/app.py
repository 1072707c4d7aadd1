"""The web demo: drop in an old photo, compare gray and colour on a slider, download the result.

Runs locally with ``python space/app.py`` (http://127.0.0.1:7860) and unchanged
as a Hugging Face Space (``app_file: app.py``). Only the package's public API
is used, so the demo shows exactly what the command-line tool does.

Settings come from the environment: ``COLORIZE_MODELS`` lists extra model
references (local folders or ``hf://owner/name[@revision]``, separated by
commas or spaces) offered next to the embedded default; ``GRADIO_SERVER_NAME``
and ``GRADIO_SERVER_PORT`` move the server as usual for Gradio;
``GRADIO_TEMP_DIR`` moves the cache folder (see own_cache).

Anyone who can reach the page can call its API with any JSON, so every
argument is checked here: the photo must be a file Gradio stored in this
server's cache, the settings must be what the sliders and the menu offer.
Every refusal and failure is a sentence for the client and one line in the
server's log; no internal error text ever reaches a client.
"""

from __future__ import annotations

import os

# Before Gradio is imported: it reads these once, and the demo must not reach
# the internet, neither at start nor per request.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import ctypes  # noqa: E402
import fcntl  # noqa: E402
import functools  # noqa: E402
import html  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable, Collection, Mapping  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import IO, Any, NoReturn  # noqa: E402

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from colorize_model import Colorizer  # noqa: E402
from colorize_model.errors import ImageTooLargeError, InputImageError  # noqa: E402
from colorize_model.imageio import MAX_PIXELS as COMMAND_MAX_PIXELS  # noqa: E402
from colorize_model.imageio import load_image, save_image  # noqa: E402
from colorize_model.lab import l_to_gray8  # noqa: E402
from colorize_model.pipeline import lightness_and_alpha  # noqa: E402
from colorize_model.settings import (MAX_RENDER_SIZE, MIN_RENDER_SIZE, RENDER_STEP,  # noqa: E402
                                     check_settings)

EXAMPLES_DIR = Path(__file__).parent / "examples"
MAX_UPLOAD = "20mb"  # what a scanned print or a phone photo needs, not a raw TIFF
MAX_PIXELS = 24_000_000  # about 5 s of work on 2 cores; beyond, the queue backs up
DISPLAY_MAX_SIDE = 2048  # the slider shows at most this; the download is full size
SATURATION = (0.0, 2.0, 0.05)  # min, max, step of the saturation slider
CONCURRENCY = 1  # photos colorized at once: one already uses every core, and a
                 # loaded model serves one call at a time
QUEUE_SIZE = 64  # waiting requests beyond this are turned away at once
CACHE_LIFETIME = (1800, 3600)  # every 30 min, delete results older than an hour
# This app's own folder for Gradio's uploads and its results; read before
# own_cache points GRADIO_TEMP_DIR at the folder of one server inside it.
CACHE_ROOT = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "colorize-demo")
MAX_MESSAGE = 300  # characters of a refusal sent or logged: a client may send a megabyte string

UPLOAD_FIRST = "Upload a black-and-white photo first, or pick an example."
NOT_ON_SERVER = "That photo is not on the server (any more): upload it again."
INTERNAL = ("Sorry, this photo could not be colorized because of an error in the demo. "
            "Try again, or with other settings.")

log = logging.getLogger("colorize-demo")
_held_locks: list[IO] = []  # each server's cache lock, held open for as long as the process runs


def model_refs() -> list[str]:
    """The embedded default first, then the references listed in COLORIZE_MODELS."""
    extra = os.environ.get("COLORIZE_MODELS", "").replace(",", " ").split()
    return list(dict.fromkeys(["default", *extra]))


def load_colorizers(refs: list[str]) -> dict[str, Colorizer]:
    """Load every offered model once, at start, so no request waits on a download."""
    return {ref: Colorizer.load(ref) for ref in refs}


def own_cache(root: Path = CACHE_ROOT) -> Path:
    """A new cache folder for this server inside ``root``, where Gradio will keep uploads and results.

    First the folders of servers that no longer run are deleted: a crash, a kill
    or a restart left them behind (570 MB after one adversarial probe). Each
    folder FOLDER comes with FOLDER.lock, locked for as long as its server
    runs, so servers sharing ``root`` never delete each other's files; nothing
    else in ``root`` is touched.
    """
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "sweeping", "a") as sweeping:
        fcntl.flock(sweeping, fcntl.LOCK_EX)  # one starting server at a time
        for lock_path in root.glob("*.lock"):
            with open(lock_path, "a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its server is running
                shutil.rmtree(lock_path.with_suffix(""), ignore_errors=True)
                lock_path.unlink()
        folder = Path(tempfile.mkdtemp(dir=root)).resolve()
        lock = open(folder.with_suffix(".lock"), "a")  # noqa: SIM115 - held until the process ends
        fcntl.flock(lock, fcntl.LOCK_EX)
    _held_locks.append(lock)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)  # Gradio reads it when each app and block is made
    return folder


def bounded(text: str) -> str:
    """``text`` cut to MAX_MESSAGE characters."""
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


def refuse(message: str) -> NoReturn:
    """Answer the request with ``message``: plain text (Gradio shows it as HTML), bounded."""
    raise gr.Error(html.escape(bounded(message), quote=False), print_exception=False)


def uploaded_file(photo: Any, cache: Path) -> Path:
    """The real path of the upload ``photo`` names, if Gradio stored it in ``cache``.

    With preprocess=False a client can send ``{"path": ANY}`` without the
    ``meta`` key that makes Gradio check the path itself, so nothing is
    trusted: the path is resolved (``..`` and every symlink followed) and must
    be a file inside ``cache``. Everything else gets the same answer, so a
    client learns nothing about the server's files.
    """
    if photo is None:
        refuse(UPLOAD_FIRST)
    path = photo.get("path") if isinstance(photo, dict) else None
    if not isinstance(path, str) or "\0" in path or not os.path.isabs(path):
        refuse(NOT_ON_SERVER)
    real = Path(os.path.realpath(path))
    if not (real.is_relative_to(cache) and real.is_file()):
        refuse(NOT_ON_SERVER)
    return real


def checked_settings(render_size: Any, saturation: Any, model: Any,
                     models: Collection[str]) -> tuple[int | None, float, str]:
    """The settings as the package takes them, or a refusal.

    A client may send any JSON (NaN, strings, nulls, lists, huge numbers): the
    package's own check gives the reasons, then the saturation must be on the
    slider and the model in the menu. A null render size is the model's own.
    """
    if isinstance(render_size, float) and render_size.is_integer():
        render_size = int(render_size)  # JSON does not tell 160 from 160.0
    try:
        check_settings(render_size, saturation)
    except (TypeError, ValueError) as error:
        text = str(error)
        refuse(f"{text[:1].upper()}{text[1:]}.")
    if not SATURATION[0] <= saturation <= SATURATION[1]:
        refuse(f"Saturation {saturation:g} is outside this demo's {SATURATION[0]:g}..{SATURATION[1]:g}.")
    if not isinstance(model, str) or model not in models:
        refuse(f"The model must be one of: {', '.join(models)}.")
    return render_size, float(saturation), model


def one_line(text: str) -> str:
    """``text`` fit for one line of the log: control characters escaped, bounded."""
    return bounded("".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[:MAX_MESSAGE]))


# glibc keeps freed memory for reuse, in one pool (arena) per thread by default:
# after photos of 1-20 megapixels the server stayed at 423 MB (30 in a row) or
# 547 MB (8 clients, 96 photos) where it started at 290, growing no further (a
# high-water mark, not a leak). Two arenas, and malloc_trim after each request
# (see answered), bring that to 337 and 381 MB.
M_ARENA_MAX = -8  # mallopt's parameter number
try:
    _libc = ctypes.CDLL("libc.so.6")
    _libc.mallopt(M_ARENA_MAX, 2)
    _malloc_trim = _libc.malloc_trim
except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
    _malloc_trim = None


def answered(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler`` for Gradio: every refusal and failure is a sentence and one log line.

    Refusals (gr.Error) go to the client as they are; anything else is an
    error in the demo, whose text (LiteRT's, OpenCV's, NumPy's) stays in the
    log. Afterwards the freed memory goes back to the system: each request
    frees hundreds of megabytes that glibc would otherwise keep.
    """
    @functools.wraps(handler)
    def answer(*args: Any) -> Any:
        try:
            return handler(*args)
        except gr.Error as refusal:
            log.warning("refused: %s", one_line(html.unescape(refusal.message)))
            raise
        except Exception as error:  # noqa: BLE001 - anything else is the demo's own fault
            log.error("failed: %s: %s", type(error).__name__, one_line(str(error)))
            raise gr.Error(INTERNAL, print_exception=False) from None
        finally:
            if _malloc_trim is not None:
                _malloc_trim(0)
    return answer


def gray_of(image: Image.Image) -> np.ndarray:
    """The 'before' image: the photo's L* as gray (alpha kept), exactly what the model sees."""
    l_star, alpha = lightness_and_alpha(image)
    gray = l_to_gray8(l_star)
    return gray if alpha is None else np.dstack([gray, alpha])


def write_for_slider(image: np.ndarray, path: Path) -> Path:
    """Write ``image`` for the slider, shrunk to DISPLAY_MAX_SIDE when larger."""
    picture = Image.fromarray(image)
    picture.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE), Image.Resampling.LANCZOS)
    save_image(picture, path)
    return path


def build_demo(colorizers: Mapping[str, Colorizer]) -> gr.Blocks:
    """The app around already loaded colorizers (keyed by the name shown in the model menu)."""
    default = next(iter(colorizers.values()))
    cache = own_cache()

    @answered
    def colorize(photo: Any, render_size: Any, saturation: Any, model: Any,
                 ) -> tuple[tuple[str, str], str]:
        """Colorize one uploaded photo: (gray, colour) for the slider, and the full-size PNG.

        Registered with preprocess=False: gr.Image would open the upload with
        Pillow before this runs and answer a non-image with Gradio's generic
        error, where the package's loader names the problem. So every argument
        is checked here.
        """
        path = uploaded_file(photo, cache)
        render_size, saturation, model = checked_settings(render_size, saturation, model, colorizers)
        try:
            image = load_image(path, max_pixels=MAX_PIXELS)  # refused from the header when larger
        except ImageTooLargeError as error:
            refuse(f"{error} (the colorize command takes up to {COMMAND_MAX_PIXELS / 1e6:g}).")
        except InputImageError as error:
            refuse(str(error))
        colour = colorizers[model].colorize(image, render_size=render_size, saturation=saturation)
        # Files go straight into Gradio's cache: served from there without a
        # copy, and deleted with it (delete_cache below).
        folder = Path(tempfile.mkdtemp(dir=cache))
        full = folder / f"{path.stem}-colorized.png"
        save_image(colour, full)
        before = write_for_slider(gray_of(image), folder / "before.png")
        after = full if max(colour.shape[:2]) <= DISPLAY_MAX_SIDE else write_for_slider(
            colour, folder / "after.png")
        return (str(before), str(after)), str(full)

    def model_changed(model: str) -> int:
        return colorizers[model].render_size

    with gr.Blocks(title="Colorize old photos", delete_cache=CACHE_LIFETIME) as demo:
        gr.Markdown("# Colorize old photos\nDrop in a black-and-white photo, then drag the "
                    "slider to compare. The colours are a small neural network's guess; "
                    "the brightness of every pixel stays exactly as in your photo.")
        with gr.Row():
            with gr.Column():
                photo = gr.Image(label="Black-and-white photo", type="filepath", elem_id="photo",
                                 image_mode=None, sources=["upload", "clipboard", "webcam"])
                button = gr.Button("Colorize", variant="primary")
                with gr.Accordion("Settings", open=False):
                    render_size = gr.Slider(
                        MIN_RENDER_SIZE, MAX_RENDER_SIZE, step=RENDER_STEP, value=default.render_size,
                        label="Render size",
                        info="The network sees the photo at this size: smaller gives steadier "
                             "colours, larger more detail. Full resolution is kept either way.")
                    saturation = gr.Slider(*SATURATION[:2], step=SATURATION[2], value=1.0,
                                           label="Saturation")
                    model = gr.Dropdown(list(colorizers), value=next(iter(colorizers)),
                                        label="Model", visible=len(colorizers) > 1)
            with gr.Column():
                slider = gr.ImageSlider(label="Before / after", format="png", type="filepath",
                                        interactive=False, buttons=["fullscreen"], elem_id="slider")
                result = gr.File(label="Full-resolution result", interactive=False,
                                 elem_id="result")

        # One queue for every way of asking: the button, a new upload, an example.
        run = {"fn": colorize, "inputs": [photo, render_size, saturation, model],
               "outputs": [slider, result], "preprocess": False,
               "concurrency_limit": CONCURRENCY, "concurrency_id": "colorize"}
        gr.on([button.click, photo.upload], api_name="colorize", **run)
        # Picking an example fills in the photo, then colorizes it with the current settings.
        examples = gr.Examples([str(path) for path in sorted(EXAMPLES_DIR.glob("*.jpg"))], photo,
                               label="Examples (public-domain and CC0 photos, made gray)")
        examples.load_input_event.then(api_visibility="private", **run)
        model.change(model_changed, model, render_size, api_visibility="private")
    demo.queue(max_size=QUEUE_SIZE)
    return demo


def launch(demo: gr.Blocks, **options: Any) -> Any:
    """Serve ``demo`` with the upload limit; ``options`` go on to ``gr.Blocks.launch``."""
    return demo.launch(max_file_size=MAX_UPLOAD, show_error=False, footer_links=["api"],
                       **options)


def main() -> None:
    """Serve the demo on http://127.0.0.1:7860 (or as GRADIO_SERVER_NAME/PORT say)."""
    logging.basicConfig(format="%(asctime)s %(name)s %(message)s")  # warnings and errors: refusals, failures
    launch(build_demo(load_colorizers(model_refs())))


if __name__ == "__main__":
    main()
