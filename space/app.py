"""The web demo: drop in an old photo, compare gray and colour on a slider, download the result.

Runs locally with ``python space/app.py`` (http://127.0.0.1:7860) and unchanged
as a Hugging Face Space (``app_file: app.py``). Only the package's public API
is used, so the demo shows exactly what the command-line tool does.

Settings come from the environment: ``COLORIZE_MODELS`` lists extra model
references (local folders or ``hf://owner/name[@revision]``, separated by
commas or spaces) offered next to the embedded default; ``GRADIO_SERVER_NAME``
and ``GRADIO_SERVER_PORT`` move the server as usual for Gradio;
``GRADIO_TEMP_DIR`` moves the cache folder (see own_cache).

Colour hints: after a photo is colorized, a click on the result (shown again
under the slider, with the hints drawn as dots) selects a point; the model's
suggested colours for it appear as swatches, most likely first, beside a
colour picker, and choosing one adds a hint there and colorizes again. Hints
are points in the photo's pixel coordinates, kept in the page (a JSON list
the API takes too), so they survive a change of settings; a new photo starts
without any. A hint image (colours on transparency) can be uploaded as well.

Anyone who can reach the page can call its API with any JSON, so every
argument is checked here: the photo and the hint image must be files Gradio
stored in this server's cache, the settings must be what the sliders and the
menu offer, hints must be few points inside the photo with real colours.
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
import math  # noqa: E402
import reprlib  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable, Collection, Mapping  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import IO, Any, NoReturn  # noqa: E402

import cv2  # noqa: E402
import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from colorize_model import Colorizer, metadata  # noqa: E402
from colorize_model.errors import ImageTooLargeError, InputImageError  # noqa: E402
from colorize_model.hints import OPAQUE, Hints, draw_points, parse_colour, parse_points  # noqa: E402
from colorize_model.imageio import MAX_PIXELS as COMMAND_MAX_PIXELS  # noqa: E402
from colorize_model.imageio import READ_FORMATS, load_image, save_image  # noqa: E402
from colorize_model.lab import l_to_gray8  # noqa: E402
from colorize_model.lightness import lightness_and_alpha  # noqa: E402
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
# ...and never hold more than this: a client repeating a 24 MP photo writes 42 MB
# a request, some 40 GB before the first hour is up. Beyond, the oldest go first.
CACHE_BUDGET = 4 * 2**30
# This app's own folder for Gradio's uploads and its results; read before
# own_cache points GRADIO_TEMP_DIR at the folder of one server inside it.
CACHE_ROOT = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "colorize-demo")
MAX_MESSAGE = 300  # characters of a refusal sent or logged: a client may send a megabyte string
MAX_HINTS = 500  # hint points per request: far more than anyone clicks; a script's thousands are refused
# A hint point's largest radius, as a share of the photo's short side: 500 disks
# as large as the photo would cost every band of a 24 MP photo seconds to draw.
MAX_RADIUS = 0.1
SUGGESTIONS = 8  # suggested colours shown for a clicked point
CANVAS_QUALITY = 90  # JPEG quality of the picture clicked on: encoded in milliseconds, never downloaded
DOT_RADIUS, RING_RADIUS = 4, 12  # pixels on screen: the smallest hint dot, the selected point's ring
BLACK, WHITE = (0, 0, 0), (255, 255, 255)

UPLOAD_FIRST = "Upload a black-and-white photo first, or pick an example."
NOT_ON_SERVER = "That photo is not on the server (any more): upload it again."
HINT_IMAGE_NOT_ON_SERVER = "That hint image is not on the server (any more): upload it again."
POINTS_FORM = "Hints must be a list of points [x, y, colour] or [x, y, colour, radius]"
CLICK_FIRST = "Click the photo first, where the colour should go."
NO_SUGGESTIONS = "This model gives no suggestions: choose any colour below."
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


def uploaded_file(photo: Any, cache: Path, missing: str = NOT_ON_SERVER) -> Path:
    """The real path of the upload ``photo`` names, if Gradio stored it in ``cache``.

    With preprocess=False a client can send ``{"path": ANY}`` without the
    ``meta`` key that makes Gradio check the path itself, so nothing is
    trusted: the path is resolved (``..`` and every symlink followed) and must
    be a file inside ``cache``. Everything else gets the same answer, so a
    client learns nothing about the server's files (``missing`` is that answer).
    """
    if photo is None:
        refuse(UPLOAD_FIRST)
    path = photo.get("path") if isinstance(photo, dict) else None
    if not isinstance(path, str) or "\0" in path or not os.path.isabs(path):
        refuse(missing)
    try:
        real = Path(os.path.realpath(path))
        ours = real.is_relative_to(cache) and real.is_file()
    except (OSError, ValueError):  # a name too long, or not encodable (a lone surrogate)
        ours = False
    if not ours:
        refuse(missing)
    return real


def sentence(error: Exception) -> str:
    """The package's message (\"render size 5000 is outside ...\") as a sentence for the client."""
    text = str(error)
    return f"{text[:1].upper()}{text[1:]}."


def opened(path: Path) -> Image.Image:
    """The photo or hint image at ``path``, refused from its header when over MAX_PIXELS.

    The refusal is raised after the loader's error is gone: Gradio keeps a
    refusal in a reference cycle, and with it anything its traceback holds.
    """
    try:
        return load_image(path, max_pixels=MAX_PIXELS)
    except ImageTooLargeError as error:
        message = f"{error} (the colorize command takes up to {COMMAND_MAX_PIXELS / 1e6:g})."
    except InputImageError as error:
        message = str(error)
    refuse(message)


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
        refuse(sentence(error))
    if not SATURATION[0] <= saturation <= SATURATION[1]:
        refuse(f"Saturation {saturation:g} is outside this demo's {SATURATION[0]:g}..{SATURATION[1]:g}.")
    if not isinstance(model, str) or model not in models:
        refuse(f"The model must be one of: {', '.join(models)}.")
    return render_size, float(saturation), model


def coordinate(value: Any) -> bool:
    """Whether ``value`` is a JSON number fit for a place in a photo: not a boolean, NaN, infinite or huge."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e9


def checked_points(points: Any) -> list:
    """Hint points as JSON: a list of at most MAX_HINTS [x, y, colour] or [x, y, colour, radius]
    with numbers for x, y and radius; null is none. Where they fall, and their colours, the
    package checks once the photo's size is known (``placed``)."""
    if points is None:
        return []
    if not isinstance(points, list):
        refuse(f"{POINTS_FORM}, not {reprlib.repr(points)}.")
    if len(points) > MAX_HINTS:
        refuse(f"{len(points)} hint points: this demo takes at most {MAX_HINTS}.")
    for point in points:
        if not (isinstance(point, list) and len(point) in (3, 4)
                and all(coordinate(value) for value in point[:2] + point[3:])):
            refuse(f"{POINTS_FORM}, with numbers for x, y and radius; not {reprlib.repr(point)}.")
    return points


def placed(points: list, size: tuple[int, int]) -> list[tuple[float, float, tuple, float]]:
    """The points as the package reads them, (x, y, RGB, radius), if all are inside a photo of
    ``size``, have real colours and radii up to MAX_RADIUS; else a refusal naming the first
    that does not."""
    try:
        points = parse_points(points, *size)
    except (TypeError, ValueError) as error:
        refuse(sentence(error))
    largest = max(2.0, MAX_RADIUS * min(size))
    for *_, radius in points:
        if radius > largest:
            refuse(f"Hint point radius {radius:g} is over this demo's {largest:g} (a tenth of the photo's "
                   "short side): paint larger areas in a hint image.")
    return points


def checked_hint_image(hint_image: Any, cache: Path) -> np.ndarray | None:
    """An uploaded hint image as RGBA, or None. One without transparency is refused: every
    pixel of it would be a hint."""
    if hint_image is None:
        return None
    path = uploaded_file(hint_image, cache, HINT_IMAGE_NOT_ON_SERVER)
    picture = opened(path)
    if not picture.has_transparency_data:
        refuse(f"{path.name}: a hint image needs transparency (only its opaque pixels are hints).")
    return np.asarray(picture.convert("RGBA"))


def hints_for(colorizer: Colorizer, points: list, hint_image: np.ndarray | None,
              size: tuple[int, int]) -> Hints:
    """The hints as ``colorizer`` takes them: None, the points, the hint image, or both in one
    image (the points drawn over it at up to DISPLAY_MAX_SIDE, the hint image stretched to the
    photo), once checked against the photo's ``size`` and the model."""
    placed(points, size)
    if not points and hint_image is None:
        return None
    if colorizer.config.input_channels == 1:
        refuse(f"The model {colorizer.name} does not take colour hints: clear them, or choose another model.")
    if hint_image is None or not points:
        return points or hint_image
    dots = draw_points(points, *size, scale=min(1.0, DISPLAY_MAX_SIDE / max(size)))
    both = cv2.resize(hint_image, dots.shape[1::-1], interpolation=cv2.INTER_NEAREST)
    drawn = dots[..., 3] >= OPAQUE
    both[drawn] = dots[drawn]
    return both


def photo_point(index: Any, shown: tuple[int, int], size: tuple[int, int]) -> list[float]:
    """The point of the photo (of ``size``) under a click on pixel ``index`` of its picture of
    size ``shown``: the pixel's centre, to a tenth of a photo pixel (down, so always inside
    the photo, even on a picture larger than it)."""
    if not (isinstance(index, list) and len(index) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < side
                    for v, side in zip(index, shown))):
        refuse(f"A click must be on a pixel of the {shown[0]}x{shown[1]} picture, not {reprlib.repr(index)}.")
    return [math.floor((v + 0.5) * full / part * 10) / 10 for v, full, part in zip(index, size, shown)]


def hex_colour(rgb: tuple[int, int, int]) -> str:
    """``rgb`` as the page and the API write colours: #rrggbb."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def picked_colour(colour: Any) -> str:
    """A colour a client picked, as #rrggbb."""
    try:
        return hex_colour(parse_colour(colour if isinstance(colour, str) else ""))
    except ValueError:
        refuse(f"The colour must be of the form #rrggbb, not {reprlib.repr(colour)}.")


def with_hint(points: Any, selected: list | None, colour: Any) -> list:
    """The hints and a new one of ``colour`` at the selected point. It replaces a hint already
    at that point, so trying one suggested colour after another does not pile them up."""
    points, colour = checked_points(points), picked_colour(colour)
    if selected is None:
        refuse(CLICK_FIRST)
    if points and points[-1][:2] == selected:
        points = points[:-1]
    if len(points) >= MAX_HINTS:
        refuse(f"This demo takes at most {MAX_HINTS} hint points.")
    return [*points, [*selected, colour]]


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


def tree_size(path: str) -> int:
    """Bytes of the files under ``path``, links not followed (os.scandir: a cache of 2,000 folders in
    50 ms on a busy 2-core machine, where pathlib's rglob took 190)."""
    total = 0
    with os.scandir(path) as entries:
        for entry in entries:
            is_folder = entry.is_dir(follow_symlinks=False)
            total += tree_size(entry.path) if is_folder else entry.stat(follow_symlinks=False).st_size
    return total


def trim_cache(cache: Path, budget: int) -> None:
    """Delete the oldest folders of uploads and results in ``cache`` until the rest fit ``budget`` bytes."""
    folders = []
    with os.scandir(cache) as entries:
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.stat(follow_symlinks=False).st_mtime, tree_size(entry.path), entry.path))
            except OSError:  # deleted meanwhile (delete_cache)
                continue
    total = sum(size for _, size, _ in folders)
    for _, size, folder in sorted(folders):
        if total <= budget:
            break
        shutil.rmtree(folder, ignore_errors=True)
        total -= size


def write_for_slider(image: np.ndarray, path: Path) -> Path:
    """Write ``image`` for the slider, shrunk to DISPLAY_MAX_SIDE when larger."""
    picture = Image.fromarray(image)
    picture.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE), Image.Resampling.LANCZOS)
    save_image(picture, path)
    return path


class Befores:
    """The slider's gray 'before' picture of each recent upload, written once: with every hint
    the photo is colorized again, and its gray is the same each time."""

    KEPT = 64  # uploads remembered; older ones are written again if asked for

    def __init__(self) -> None:
        self._written: dict[Path, Path] = {}
        self._lock = threading.Lock()

    def get(self, photo: Path, image: Image.Image, folder: Path) -> Path:
        """The gray picture of the upload ``photo`` (decoded as ``image``), written into ``folder``
        unless an earlier one is still in the cache."""
        with self._lock:
            known = self._written.pop(photo, None)
        if known is None or not known.is_file():  # delete_cache removes files after an hour
            known = write_for_slider(gray_of(image), folder / "before.png")
        with self._lock:
            self._written[photo] = known  # now the most recent
            while len(self._written) > self.KEPT:
                del self._written[next(iter(self._written))]
        return known


def image_size(path: Path, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """Width and height of an image file in the cache, read from its header (of a format the
    package reads: none of those decodes when opened), if at most ``max_pixels``."""
    try:
        with Image.open(path, formats=READ_FORMATS) as image:
            size = image.size
    except Exception:  # noqa: BLE001 - not an image: what a client named is not one of ours
        refuse(NOT_ON_SERVER)
    if size[0] * size[1] > max_pixels:
        refuse(f"{path.name}: {size[0]}×{size[1]} is larger than this demo shows.")
    return size


def draw_hints(shown: np.ndarray, points: list[tuple[float, float, tuple, float]],
               size: tuple[int, int], selected: list | None) -> np.ndarray:
    """``shown`` (the result at display size; the photo is ``size``) with each hint as a dot of
    its colour ringed in white and black, seen on any background, and the selected point as a
    hollow ring."""
    canvas = np.array(shown[..., :3])
    scale = canvas.shape[1] / size[0]

    def circle(x: float, y: float, radius: float, colour: tuple, thickness: int = -1) -> None:
        cv2.circle(canvas, (round(x * scale * 16), round(y * scale * 16)), round(radius * 16),
                   colour, thickness, cv2.LINE_AA, shift=4)

    for x, y, colour, radius in points:
        dot = max(DOT_RADIUS, radius * scale)
        circle(x, y, dot + 3, BLACK)
        circle(x, y, dot + 1.5, WHITE)
        circle(x, y, dot, colour)
    if selected is not None:
        circle(*selected, RING_RADIUS, BLACK, 5)
        circle(*selected, RING_RADIUS, WHITE, 2)
    return canvas


def swatches_of(suggestions: list[tuple[tuple[int, int, int], float]], note: str = "") -> dict:
    """The swatches' value: each suggested colour as #rrggbb with its likelihood, and a note."""
    return {"colours": [{"colour": hex_colour(rgb), "share": f"{share:.0%}"} for rgb, share in suggestions],
            "note": note}


def suggests(colorizer: Colorizer) -> bool:
    """Whether the model has the colour distribution that suggestions come from (asked once, at start)."""
    try:
        colorizer.suggest(np.zeros((16, 16), np.uint8), 0, 0, k=1)
    except ValueError:
        return False
    return True


# The suggested colours: round swatches, each a button that sends its colour as a 'pick' event.
SWATCHES_HTML = """<div class="swatches">{{#each value.colours}}<button type="button" class="swatch"
    data-colour="{{this.colour}}" title="{{this.colour}}: {{this.share}}" aria-label="{{this.colour}}"
    style="background: {{this.colour}}"></button>{{/each}}</div><p class="note">{{value.note}}</p>"""
SWATCHES_CSS = """.swatches { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 1.2rem; }
.swatch { width: 2.6rem; height: 2.6rem; border-radius: 50%; cursor: pointer;
          border: 2px solid white; box-shadow: 0 0 0 2px black; }
.note { margin: 0.4rem 0 0; color: var(--body-text-color-subdued); }"""
PICK_ON_CLICK = """element.addEventListener('click', (event) => {
    const swatch = event.target.closest('[data-colour]');
    if (swatch) trigger('pick', {colour: swatch.dataset.colour});
});"""


def build_demo(colorizers: Mapping[str, Colorizer]) -> gr.Blocks:
    """The app around already loaded colorizers (keyed by the name shown in the model menu)."""
    default = next(iter(colorizers.values()))
    suggesting = {name: suggests(colorizer) for name, colorizer in colorizers.items()}
    cache = own_cache()
    befores = Befores()

    def colorize_photo(photo: Any, render_size: Any, saturation: Any, model: Any, hints: Any,
                       hint_image: Any = None) -> tuple[tuple[str, str], str]:
        """Colorize one uploaded photo with its hints: (gray, colour) for the slider, and the full-size PNG.

        Registered with preprocess=False: gr.Image would open the upload with
        Pillow before this runs and answer a non-image with Gradio's generic
        error, where the package's loader names the problem. So every argument
        is checked here, the cheap checks first, and no image is decoded
        before its size is known from its header.
        """
        path = uploaded_file(photo, cache)
        render_size, saturation, model = checked_settings(render_size, saturation, model, colorizers)
        points, hint_picture = checked_points(hints), checked_hint_image(hint_image, cache)
        image = opened(path)
        colorizer = colorizers[model]
        colour = colorizer.colorize(image, render_size=render_size, saturation=saturation,
                                    hints=hints_for(colorizer, points, hint_picture, image.size))
        # Files go straight into Gradio's cache: served from there without a
        # copy, and deleted with it (delete_cache below), or sooner when it is full.
        trim_cache(cache, CACHE_BUDGET)
        folder = Path(tempfile.mkdtemp(dir=cache))
        full = folder / f"{path.stem}-colorized.png"
        save_image(colour, full, metadata=metadata.of(image))  # the download keeps the photo's EXIF, dpi...
        after = full if max(colour.shape[:2]) <= DISPLAY_MAX_SIDE else write_for_slider(
            colour, folder / "after.png")
        return (str(befores.get(path, image, folder)), str(after)), str(full)

    colorize = answered(colorize_photo)  # the API's endpoint, and every way of colorizing in the page

    @answered
    def show_hints(slider: Any, result: Any, hints: Any, selected: list | None) -> str:
        """The result as the slider shows it, with the hints and the selected point drawn on it."""
        shown_file = slider[1] if isinstance(slider, (list, tuple)) and len(slider) == 2 else None
        shown_path = uploaded_file(shown_file, cache)
        size = image_size(uploaded_file(result, cache))
        # The slider's picture is the result, shrunk to DISPLAY_MAX_SIDE: a client's larger one
        # (or a 1-pixel "result" under a 24 MP picture) would enlarge every dot it draws.
        width, height = image_size(shown_path, DISPLAY_MAX_SIDE ** 2)
        if width > size[0] or height > size[1]:
            refuse(f"{shown_path.name}: the picture shown is larger than the result.")
        shown = np.asarray(opened(shown_path).convert("RGB"))
        canvas = draw_hints(shown, placed(checked_points(hints), size), size, selected)
        path = Path(tempfile.mkdtemp(dir=cache)) / "hints.jpg"
        save_image(canvas, path, quality=CANVAS_QUALITY)
        return str(path)

    @answered
    def select_point(photo: Any, render_size: Any, saturation: Any, model: Any, hints: Any,
                     hint_image: Any, canvas: Any, event: gr.SelectData) -> tuple[list, dict, Any]:
        """Select the clicked point, and suggest colours for it given the hints (the first is
        put in the colour picker): (point in the photo, swatches, picker)."""
        path = uploaded_file(photo, cache)
        render_size, _, model = checked_settings(render_size, saturation, model, colorizers)
        points, hint_picture = checked_points(hints), checked_hint_image(hint_image, cache)
        shown = image_size(uploaded_file(canvas, cache))
        image = opened(path)
        point = photo_point(event.index, shown, image.size)
        if not suggesting[model]:
            return point, swatches_of([], NO_SUGGESTIONS), gr.skip()
        colorizer = colorizers[model]
        suggestions = colorizer.suggest(image, *point, k=SUGGESTIONS, render_size=render_size,
                                        hints=hints_for(colorizer, points, hint_picture, image.size))
        swatches = swatches_of(suggestions, "Most likely first. Or choose any colour below.")
        return point, swatches, swatches["colours"][0]["colour"]

    # A hint added or undone is one request, colorizing included: the slider updates sooner.
    @answered
    def pick_suggestion(photo: Any, render_size: Any, saturation: Any, model: Any, hints: Any,
                        hint_image: Any, selected: list | None, event: gr.EventData) -> tuple:
        """Add a hint of the swatch's colour at the selected point (the colour picker shows it
        too) and colorize: (hints, picker, slider, result)."""
        data = event._data if isinstance(event._data, dict) else {}
        points = with_hint(hints, selected, data.get("colour"))
        return points, points[-1][2], *colorize_photo(photo, render_size, saturation, model, points, hint_image)

    @answered
    def pick_colour(photo: Any, render_size: Any, saturation: Any, model: Any, hints: Any,
                    hint_image: Any, selected: list | None, colour: Any) -> tuple:
        """Add a hint of the colour picker's colour at the selected point and colorize: (hints, slider, result)."""
        points = with_hint(hints, selected, colour)
        return points, *colorize_photo(photo, render_size, saturation, model, points, hint_image)

    @answered
    def undo(photo: Any, render_size: Any, saturation: Any, model: Any, hints: Any,
             hint_image: Any) -> tuple:
        """Remove the last hint and colorize: (hints, slider, result)."""
        points = checked_points(hints)
        if not points:
            refuse("There is no hint to undo.")
        return points[:-1], *colorize_photo(photo, render_size, saturation, model, points[:-1], hint_image)

    def forget_hints() -> tuple[list, None, None, dict]:
        """No hints, no hint image, nothing selected: for a new photo, or to clear them."""
        return [], None, None, swatches_of([], CLICK_FIRST)

    @answered
    def model_changed(model: Any) -> int:
        """The chosen model's own render size, for the slider."""
        return colorizers[checked_settings(None, 1.0, model, colorizers)[2]].render_size

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
        gr.Markdown("## Guide the colours\nWhere a colour is wrong, click that spot on the result "
                    "below, then choose one of the suggested colours or any colour: it becomes a "
                    "hint, drawn as a dot, and the photo is colorized again at once. Hints stay "
                    "when you change the settings; a new photo starts without.")
        with gr.Row():
            with gr.Column(scale=3):
                canvas = gr.Image(label="Click where the colour should change", type="filepath",
                                  interactive=False, buttons=[], elem_id="canvas")
            with gr.Column(scale=2):
                swatches = gr.HTML(swatches_of([], CLICK_FIRST), label="Suggested colours",
                                   show_label=True, container=True, elem_id="swatches",
                                   html_template=SWATCHES_HTML, css_template=SWATCHES_CSS,
                                   js_on_load=PICK_ON_CLICK)
                with gr.Row(equal_height=True):
                    picker = gr.ColorPicker("#3a78c8", label="Any colour", elem_id="picker")
                    use_picker = gr.Button("Use this colour")
                with gr.Row():
                    undo_button = gr.Button("Undo last hint")
                    clear_button = gr.Button("Clear hints")
                with gr.Accordion("Hint image", open=False):
                    hint_image = gr.Image(
                        label="Colours painted on transparency (PNG), any size: its opaque pixels "
                              "are hints", type="filepath", image_mode=None, sources=["upload"],
                        elem_id="hint-image")
        hints = gr.JSON([], visible=False)  # the hint points, [x, y, "#rrggbb"] in photo pixels
        selected = gr.State(None)  # the clicked point, [x, y] in photo pixels

        # Every way of colorizing shares one queue and ends with the hints drawn on the result.
        inputs = [photo, render_size, saturation, model, hints, hint_image]
        one_at_a_time = {"preprocess": False, "concurrency_limit": CONCURRENCY, "concurrency_id": "colorize"}
        run = {"fn": colorize, "inputs": inputs, "outputs": [slider, result], **one_at_a_time}
        draw = {"fn": show_hints, "inputs": [slider, result, hints, selected], "outputs": canvas,
                "api_visibility": "private", **one_at_a_time}
        forget = {"fn": forget_hints, "outputs": [hints, hint_image, selected, swatches],
                  "api_visibility": "private"}

        def colorize_after(listener: Callable[..., Any]) -> None:
            """Colorize when ``listener``'s event happens (or, for an event's .success, succeeds)."""
            listener(api_visibility="private", **run).success(**draw)

        button.click(api_name="colorize", **run).success(**draw)
        # A new photo, uploaded or an example, starts without hints.
        colorize_after(photo.upload(**forget).success)
        examples = gr.Examples([str(path) for path in sorted(EXAMPLES_DIR.glob("*.jpg"))], photo,
                               label="Examples (public-domain and CC0 photos, made gray)")
        colorize_after(examples.load_input_event.then(**forget).success)
        # Hints: click the result, then pick a colour; undo, clear; or a hint image.
        private = {"api_visibility": "private", **one_at_a_time}
        canvas.select(select_point, [*inputs, canvas], [selected, swatches, picker], **private).success(**draw)
        swatches.pick(pick_suggestion, [*inputs, selected], [hints, picker, slider, result],
                      **private).success(**draw)
        use_picker.click(pick_colour, [*inputs, selected, picker], [hints, slider, result],
                         **private).success(**draw)
        undo_button.click(undo, inputs, [hints, slider, result], **private).success(**draw)
        colorize_after(clear_button.click(**forget).success)
        colorize_after(hint_image.upload)
        colorize_after(hint_image.clear)
        model.change(model_changed, model, render_size, api_visibility="private", preprocess=False)
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
