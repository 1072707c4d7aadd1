"""The web demo: drop in an old photo, compare gray and colour on a slider, download the result.

Runs locally with ``python space/app.py`` (http://127.0.0.1:7860) and unchanged
as a Hugging Face Space (``app_file: app.py``). Only the package's public API
is used, so the demo shows exactly what the command-line tool does.

Settings come from the environment: ``COLORIZE_MODELS`` lists extra model
references (local folders or ``hf://owner/name[@revision]``, separated by
commas or spaces) offered next to the embedded default; ``GRADIO_SERVER_NAME``
and ``GRADIO_SERVER_PORT`` move the server as usual for Gradio.
"""

from __future__ import annotations

import os

# Before Gradio is imported: it reads these once, and the demo must not reach
# the internet, neither at start nor per request.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import tempfile  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from colorize_model import Colorizer  # noqa: E402
from colorize_model.errors import InputImageError  # noqa: E402
from colorize_model.imageio import load_image, save_image  # noqa: E402
from colorize_model.lab import l_to_gray8  # noqa: E402
from colorize_model.pipeline import lightness_and_alpha  # noqa: E402

EXAMPLES_DIR = Path(__file__).parent / "examples"
MAX_UPLOAD = "20mb"  # what a scanned print or a phone photo needs, not a raw TIFF
MAX_PIXELS = 24_000_000  # about 5 s of work on 2 cores; beyond, the queue backs up
DISPLAY_MAX_SIDE = 2048  # the slider shows at most this; the download is full size
RENDER_SIZES = (128, 1024, 32)  # min, max, step offered for the network's render size
CONCURRENCY = 1  # photos colorized at once: one already uses every core, and a
                 # loaded model serves one call at a time
QUEUE_SIZE = 64  # waiting requests beyond this are turned away at once
CACHE_LIFETIME = (1800, 3600)  # every 30 min, delete results older than an hour


def model_refs() -> list[str]:
    """The embedded default first, then the references listed in COLORIZE_MODELS."""
    extra = os.environ.get("COLORIZE_MODELS", "").replace(",", " ").split()
    return list(dict.fromkeys(["default", *extra]))


def load_colorizers(refs: list[str]) -> dict[str, Colorizer]:
    """Load every offered model once, at start, so no request waits on a download."""
    return {ref: Colorizer.load(ref) for ref in refs}


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

    def colorize(photo: dict | None, render_size: float, saturation: float, model: str,
                 ) -> tuple[tuple[str, str], str]:
        """Colorize one uploaded photo: (gray, colour) for the slider, and the full-size PNG.

        Registered with preprocess=False: gr.Image would open the upload with
        Pillow before this runs and answer a non-image with Gradio's generic
        error, where the package's loader names the problem. Gradio has still
        checked that the path is an upload; the settings get Gradio's own range
        and choice checks here.
        """
        render_size, saturation, model = (control.preprocess(value) for control, value in
                                          zip(settings, (render_size, saturation, model)))
        photo = (photo or {}).get("path")
        if photo is None:
            raise gr.Error("Upload a black-and-white photo first, or pick an example.")
        try:
            image = load_image(photo)
        except InputImageError as error:
            raise gr.Error(str(error), print_exception=False) from None
        if image.width * image.height > MAX_PIXELS:
            raise gr.Error(f"{Path(photo).name}: {image.width}×{image.height} is "
                           f"{image.width * image.height / 1e6:.0f} megapixels; this demo takes "
                           f"at most {MAX_PIXELS / 1e6:.0f}. The command-line tool has no "
                           "such limit.", print_exception=False)
        colour = colorizers[model].colorize(image, render_size=int(render_size),
                                            saturation=saturation)
        # Files go straight into Gradio's cache: served from there without a
        # copy, and deleted with it (delete_cache below).
        folder = Path(tempfile.mkdtemp(dir=result.GRADIO_CACHE))
        full = folder / f"{Path(photo).stem}-colorized.png"
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
                        *RENDER_SIZES[:2], step=RENDER_SIZES[2], value=default.render_size,
                        label="Render size",
                        info="The network sees the photo at this size: smaller gives steadier "
                             "colours, larger more detail. Full resolution is kept either way.")
                    saturation = gr.Slider(0.0, 2.0, step=0.05, value=1.0, label="Saturation")
                    model = gr.Dropdown(list(colorizers), value=next(iter(colorizers)),
                                        label="Model", visible=len(colorizers) > 1)
            with gr.Column():
                slider = gr.ImageSlider(label="Before / after", format="png", type="filepath",
                                        interactive=False, buttons=["fullscreen"], elem_id="slider")
                result = gr.File(label="Full-resolution result", interactive=False,
                                 elem_id="result")

        # One queue for every way of asking: the button, a new upload, an example.
        settings = [render_size, saturation, model]
        run = {"fn": colorize, "inputs": [photo, *settings], "outputs": [slider, result],
               "preprocess": False, "concurrency_limit": CONCURRENCY, "concurrency_id": "colorize"}
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
    return demo.launch(max_file_size=MAX_UPLOAD, show_error=True, footer_links=["api"],
                       **options)


def main() -> None:
    """Serve the demo on http://127.0.0.1:7860 (or as GRADIO_SERVER_NAME/PORT say)."""
    launch(build_demo(load_colorizers(model_refs())))


if __name__ == "__main__":
    main()
