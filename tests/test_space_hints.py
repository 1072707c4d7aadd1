"""Colour hints in the web demo (space/app.py): clicks in a real browser, and the API's hints.

As tests/test_space.py: the app runs in this process on a free loopback port,
the browser is Debian's Chromium driven by Playwright, nothing is mocked. The
model is the package's built-in one; COLORIZE_HINT_MODEL names a model folder
to test instead (a candidate, before it replaces the built-in one).

Colours are compared in CIE Lab on the full-resolution PNG the page offers
for download. Set COLORIZE_SCREENSHOT=docs/screenshot.png to keep the page's
screenshot after a suggested colour is picked.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from colorize_model.hints import default_radius, parse_colour
from colorize_model.lab import lab_to_rgb8, rgb_to_lab
from png_bomb import black_png  # tests/, on sys.path under pytest
from test_space import SLIDER_SHOWN, gray_photo, slider_sources, start_app, upload
from test_space import app, browser, client, page  # noqa: F401 - fixtures, with this module's server
from test_space_security import call, queue_event, upload as upload_file, with_meta

MODEL = os.environ.get("COLORIZE_HINT_MODEL", "default")
SIZE = (600, 400)  # shown at its own size in the page, so a click lands on a known photo pixel

# The picture clicked on (the result with the hints drawn) is in the page, decoded, and not `old`.
CANVAS_SHOWN = """old => {
    const image = document.querySelector('#canvas img');
    return image !== null && image.complete && image.naturalWidth > 0 && image.src !== old;
}"""
# Where on the page photo pixel (x, y) of the picture is: Gradio fits it in its box, centred.
PIXEL_ON_PAGE = """(image, [x, y]) => {
    const box = image.getBoundingClientRect();
    const scale = Math.min(box.width / image.naturalWidth, box.height / image.naturalHeight, 1);
    return [box.left + (box.width - image.naturalWidth * scale) / 2 + (x + 0.5) * scale,
            box.top + (box.height - image.naturalHeight * scale) / 2 + (y + 0.5) * scale];
}"""


# --- Helpers: the page ----------------------------------------------------------------

def canvas_source(page: Any) -> str:
    return page.eval_on_selector("#canvas img", "image => image.src") if page.locator("#canvas img").count() else ""


def colorized(page: Any, action: Any) -> None:
    """Do ``action``, then wait until the slider and the picture with the hints show its result."""
    slider, canvas = slider_sources(page), canvas_source(page)
    action()
    page.wait_for_function(SLIDER_SHOWN, arg=slider)
    page.wait_for_function(CANVAS_SHOWN, arg=canvas)


def click_photo(page: Any, x: int, y: int) -> list[str]:
    """Click pixel (x, y) of the result; the suggested colours then shown, most likely first."""
    canvas = canvas_source(page)
    page.locator("#canvas img").scroll_into_view_if_needed()
    at = page.locator("#canvas img").evaluate(PIXEL_ON_PAGE, [x, y])
    page.mouse.click(*at)
    page.wait_for_function(CANVAS_SHOWN, arg=canvas)  # redrawn with the clicked point ringed
    return page.eval_on_selector_all("#swatches .swatch", "swatches => swatches.map(s => s.dataset.colour)")


def pick_suggestion(page: Any, colour: str) -> None:
    colorized(page, lambda: page.locator(f"#swatches .swatch[data-colour='{colour}']").click())


def pick_any_colour(page: Any, colour: str) -> None:
    """Type ``colour`` into the colour picker, then use it."""
    page.locator("#picker button.dialog-button").click()
    page.locator("#picker input[type=text]").fill(colour)
    page.locator("#picker input[type=text]").press("Enter")
    page.locator("h2", has_text="Guide the colours").click()  # closes the picker
    colorized(page, lambda: page.get_by_role("button", name="Use this colour").click())


def result(page: Any) -> np.ndarray:
    """The full-resolution result the page offers for download, as RGB."""
    href = page.locator("#result a[download]").get_attribute("href")
    return np.asarray(Image.open(io.BytesIO(page.request.get(href).body())).convert("RGB"))


def canvas(page: Any) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.request.get(canvas_source(page)).body())).convert("RGB"))


# --- Helpers: colour ----------------------------------------------------------------------

def ab(rgb: np.ndarray) -> np.ndarray:
    return rgb_to_lab(np.asarray(rgb, np.uint8))[..., 1:]


def colour_ab(colour: str) -> np.ndarray:
    return ab(np.array([[parse_colour(colour)]]))[0, 0]


def distances(shape: tuple[int, ...], x: float, y: float) -> np.ndarray:
    rows, cols = np.mgrid[:shape[0], :shape[1]]
    return np.hypot(cols + 0.5 - x, rows + 0.5 - y)


def assert_hinted(rgb: np.ndarray, x: float, y: float, colour: str) -> None:
    """The pixels of a hint's dot have its chroma at their own lightness, as far as sRGB can
    show it there: a*, b* within 3 of ``colour``'s."""
    height, width = rgb.shape[:2]
    dot = distances(rgb.shape, x, y) <= default_radius(width, height) - 1
    lab = rgb_to_lab(rgb[dot][None])
    lab[..., 1:] = colour_ab(colour)
    error = np.linalg.norm(ab(rgb[dot]) - ab(lab_to_rgb8(lab))[0], axis=-1)
    assert np.median(error) < 3.0, f"the hint's dot is {np.median(error):.1f} from {colour} in a*b*"


def assert_moves_towards(before: np.ndarray, after: np.ndarray, x: float, y: float, colour: str) -> None:
    """Around the hint (up to four dot radii, the dot itself left out) the colour came at least
    15 % closer to ``colour`` in a*b*, on average; far away (beyond 40 % of the short side) it
    changed at most a third as much as near the hint. (Far is not always another object: the
    cat's fur fills the frame, and a model that carries a hint across its object changes some
    of it too; 0.26 of the change near the hint with the default of 2026-11-30.)"""
    height, width = before.shape[:2]
    radius = default_radius(width, height)
    distance = distances(before.shape, x, y)
    near, far = (distance > radius + 1.5) & (distance <= 4 * radius), distance > 0.4 * min(width, height)
    target, ab_before, ab_after = colour_ab(colour), ab(before), ab(after)
    gap_before = np.linalg.norm(ab_before[near] - target, axis=-1).mean()
    gap_after = np.linalg.norm(ab_after[near] - target, axis=-1).mean()
    assert gap_after <= 0.85 * gap_before, f"around the hint: {gap_before:.1f} -> {gap_after:.1f} from {colour}"
    near_change = np.linalg.norm(ab_after[near] - ab_before[near], axis=-1).mean()
    far_change = np.linalg.norm(ab_after[far] - ab_before[far], axis=-1).mean()
    assert far_change <= near_change / 3, f"far away {far_change:.2f} changed, near the hint {near_change:.2f}"


def hint_picture(path: Path, size: tuple[int, int], box: tuple[int, int, int, int], colour: str) -> Path:
    """A transparent RGBA image of ``size`` with an opaque rectangle ``box`` of ``colour``."""
    picture = np.zeros((size[1], size[0], 4), np.uint8)
    left, top, right, bottom = box
    picture[top:bottom, left:right] = (*parse_colour(colour), 255)
    Image.fromarray(picture).save(path)
    return path


def farthest(colours: list[str], rgb: np.ndarray, x: float, y: float) -> str:
    """Of ``colours``, the one farthest in a*b* from the result's colour at (x, y)."""
    here = ab(rgb)[int(y), int(x)]
    return max(colours, key=lambda colour: np.linalg.norm(colour_ab(colour) - here))


# --- Fixtures ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(app: ModuleType) -> Iterator[str]:
    """The demo with the model under test, twice in the menu (by another name: its folder)."""
    from colorize_model.models import resolve

    demo, url = start_app(app, (MODEL, f"{resolve(MODEL).path}/"))
    yield url
    demo.close()


def colorized_photo(page: Any, folder: Path, name: str = "chelsea") -> Path:
    photo = gray_photo(folder, SIZE, name)
    colorized(page, lambda: upload(page, photo))
    return photo


# --- In the browser ---------------------------------------------------------------------

def test_browser_suggested_colour_moves_the_clicked_region(page: Any, tmp_path: Path) -> None:
    colorized_photo(page, tmp_path)
    automatic = result(page)
    x, y = 180, 200  # the cat's fur
    colours = click_photo(page, x, y)
    assert colours, "no suggested colours: the model has no colour distribution"
    assert len(set(colours)) == len(colours) > 1
    colour = farthest(colours, automatic, x + 0.5, y + 0.5)
    pick_suggestion(page, colour)
    assert page.eval_on_selector("#picker button.dialog-button", "b => getComputedStyle(b).backgroundColor") \
        == "rgb({}, {}, {})".format(*parse_colour(colour))  # the picker shows the hint's colour
    page.screenshot(path=os.environ.get("COLORIZE_SCREENSHOT", str(tmp_path / "screenshot.png")),
                    full_page=True, animations="disabled")  # not mid-way through the outputs' fade-in

    hinted = result(page)
    assert_hinted(hinted, x + 0.5, y + 0.5, colour)
    assert_moves_towards(automatic, hinted, x + 0.5, y + 0.5, colour)
    # The hint is drawn as a dot of its colour, ringed in white and black.
    shown = canvas(page).astype(int)
    assert np.abs(shown[y, x] - parse_colour(colour)).max() < 24  # a JPEG
    row = shown[y, x:x + 20].sum(axis=-1)
    assert row.min() < 3 * 60 and row.max() > 3 * 200


def test_browser_undo_restores_the_result_and_clear_the_automatic_one(page: Any, tmp_path: Path) -> None:
    colorized_photo(page, tmp_path, "coffee")
    automatic = result(page)
    click_photo(page, 150, 200)
    pick_any_colour(page, "#2a6fd0")
    one_hint = result(page)
    assert_hinted(one_hint, 150.5, 200.5, "#2a6fd0")
    click_photo(page, 450, 100)
    pick_any_colour(page, "#d04030")
    two_hints = result(page)
    assert_hinted(two_hints, 450.5, 100.5, "#d04030")

    colorized(page, lambda: page.get_by_role("button", name="Undo last hint").click())
    assert np.array_equal(result(page), one_hint)
    click_photo(page, 300, 300)
    pick_any_colour(page, "#40a040")
    colorized(page, lambda: page.get_by_role("button", name="Clear hints").click())
    assert np.array_equal(result(page), automatic)


def test_browser_hints_kept_when_settings_change_and_a_new_photo_starts_without(
        page: Any, tmp_path: Path, client: Any) -> None:
    from gradio_client import handle_file

    colorized_photo(page, tmp_path)
    click_photo(page, 400, 120)
    pick_any_colour(page, "#c03080")
    first = result(page)
    # Another model (it resets the render size to its own) and another render size: still hinted.
    page.get_by_role("button", name="Settings").click()
    size = page.get_by_label("number input for Render size")
    size.fill("320")
    page.get_by_role("combobox", name="Model").click()
    page.get_by_role("option").nth(1).click()
    page.wait_for_function("size => size.value === '160'", arg=size.element_handle())  # the model's own
    size.fill("320")
    size.press("Enter")
    colorized(page, lambda: page.get_by_role("button", name="Colorize").click())
    assert not np.array_equal(result(page), first)  # the render size did change
    assert_hinted(result(page), 400.5, 120.5, "#c03080")

    photo = gray_photo(tmp_path, SIZE, "rocket")
    colorized(page, lambda: upload(page, photo))
    model = page.get_by_role("combobox", name="Model").input_value()
    _, automatic = client.predict(handle_file(str(photo)), render_size=320, model=model, api_name="/colorize")
    assert np.array_equal(result(page), np.asarray(Image.open(automatic).convert("RGB")))


def test_browser_hint_image_adds_to_the_clicks_and_clear_removes_it(page: Any, tmp_path: Path) -> None:
    colorized_photo(page, tmp_path, "astronaut")
    automatic = result(page)
    click_photo(page, 100, 300)
    pick_any_colour(page, "#2a6fd0")
    strokes = hint_picture(tmp_path / "strokes.png", (300, 200), (200, 20, 260, 60), "#30b040")
    page.get_by_role("button", name="Hint image").click()
    colorized(page, lambda: page.locator("#hint-image input[type=file]").set_input_files(strokes))
    both = result(page)
    assert_hinted(both, 100.5, 300.5, "#2a6fd0")
    stroke = np.s_[45:115, 405:515]  # the image's rectangle on the photo (twice its size), less a margin
    error = np.linalg.norm(ab(both[stroke]) - colour_ab("#30b040"), axis=-1)
    assert np.median(error) < 3.0
    colorized(page, lambda: page.get_by_role("button", name="Clear hints").click())
    assert np.array_equal(result(page), automatic)
    assert page.locator("#hint-image img").count() == 0  # the hint image is gone too


# --- Through the API -------------------------------------------------------------------

def test_client_colorizes_with_points_a_hint_image_or_both(client: Any, tmp_path: Path) -> None:
    """Points in photo pixels; a hint image of another size, stretched to the photo."""
    from gradio_client import handle_file

    photo = handle_file(str(gray_photo(tmp_path, (300, 200), "astronaut")))
    points = [[60.5, 50.5, "#d03020"], [240, 150, [40, 90, 220]]]
    strokes = handle_file(str(hint_picture(tmp_path / "strokes.png", (150, 100), (60, 10, 90, 30), "#30b040")))

    def colorize(**hints: Any) -> np.ndarray:
        _, full = client.predict(photo, api_name="/colorize", **hints)
        return np.asarray(Image.open(full).convert("RGB"))

    automatic = colorize()
    assert np.array_equal(colorize(hints=[], hint_image=None), automatic)
    with_points = colorize(hints=points)
    assert_hinted(with_points, 60.5, 50.5, "#d03020")
    assert_hinted(with_points, 240, 150, "#285adc")
    stroke = np.s_[25:55, 125:175]  # the image's rectangle, on the photo (twice its size), less a margin
    with_image = colorize(hint_image=strokes)
    error = np.linalg.norm(ab(with_image[stroke]) - colour_ab("#30b040"), axis=-1)
    assert np.median(error) < 3.0
    both = colorize(hints=points, hint_image=strokes)
    assert_hinted(both, 60.5, 50.5, "#d03020")
    assert np.array_equal(both[stroke], with_image[stroke])


def _half_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 4), np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()[:buffer.tell() // 2]


BAD_HINTS = [  # (hints, what the refusal starts with)
    ("red", "Hints must be a list of points [x, y, colour] or [x, y, colour, radius], not 'red'."),
    ({"x": 1, "y": 2}, "Hints must be a list of points"),
    ([[10, 20]], "Hints must be a list of points [x, y, colour] or [x, y, colour, radius], with numbers "
                 "for x, y and radius; not [10, 20]."),
    ([[10, 20, "#ff0000", 3, 4]], "Hints must be a list of points"),
    ([["10", 20, "#ff0000"]], "Hints must be a list of points"),
    ([[True, 20, "#ff0000"]], "Hints must be a list of points"),
    ([[10, 20, "#ff0000", None]], "Hints must be a list of points"),
    ([[1e300, 20, "#ff0000"]], "Hints must be a list of points"),
    ([[10**400, 20, "#ff0000"]], "Hints must be a list of points"),
    ([[300, 20, "#ff0000"]], "Hint point (300, 20) is outside the 300x200 photo."),
    ([[10, -0.5, "#ff0000"]], "Hint point (10, -0.5) is outside the 300x200 photo."),
    ([[10, 20, "red"]], "Colour 'red' is not of the form #rrggbb."),
    ([[10, 20, [300, 0, 0]]], "Colour [300, 0, 0] is not #rrggbb or three integers 0..255."),
    ([[10, 20, {"r": 1}]], "Colour {'r': 1} is not #rrggbb or three integers 0..255."),
    ([[10, 20, "#ff0000", 0]], "Hint point radius 0 is not between 0 and the photo's size."),
    ([[10, 20, "#ff0000", 21]], "Hint point radius 21 is over this demo's 20 (a tenth of the photo's short "
                                "side): paint larger areas in a hint image."),
    ([[10, 20, "#ff0000"]] * 5000, "5000 hint points: this demo takes at most 500."),
    ([[5, 5, "<b>#ff0000</b>"]], "Colour '&lt;b&gt;#ff0000&lt;/b&gt;' is not of the form #rrggbb."),
]


@pytest.mark.parametrize(("hints", "message"), BAD_HINTS)
def test_client_bad_hints_are_refused_then_next_works(client: Any, tmp_path: Path, hints: Any,
                                                      message: str) -> None:
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    photo = handle_file(str(gray_photo(tmp_path, (300, 200))))
    with pytest.raises(AppError) as refused:
        client.predict(photo, hints=hints, api_name="/colorize")
    assert str(refused.value).startswith(message)
    _, full = client.predict(photo, hints=[[10, 20, "#ff0000"]], api_name="/colorize")
    assert Image.open(full).size == (300, 200)


BAD_HINT_IMAGES = {  # name: (contents, the refusal)
    "half.png": (_half_png, "half.png: corrupt or truncated image"),
    "notes.png": (lambda: b"not an image", "notes.png: not an image"),
    "empty.png": (lambda: b"", "empty.png: empty file"),
    "opaque.jpg": (lambda: (Path(__file__).parents[1] / "space" / "examples" / "coffee.jpg").read_bytes(),
                   "opaque.jpg: a hint image needs transparency (only its opaque pixels are hints)."),
}


@pytest.mark.parametrize("name", BAD_HINT_IMAGES)
def test_client_bad_hint_image_is_refused_then_next_works(client: Any, tmp_path: Path, name: str) -> None:
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    contents, message = BAD_HINT_IMAGES[name]
    (tmp_path / name).write_bytes(contents())
    photo = handle_file(str(gray_photo(tmp_path, (300, 200))))
    with pytest.raises(AppError) as refused:
        client.predict(photo, hint_image=handle_file(str(tmp_path / name)), api_name="/colorize")
    assert str(refused.value).startswith(message)
    good = hint_picture(tmp_path / "good.png", (30, 20), (0, 0, 10, 10), "#ff0000")
    _, full = client.predict(photo, hint_image=handle_file(str(good)), api_name="/colorize")
    assert Image.open(full).size == (300, 200)


def test_hint_image_bomb_and_paths_outside_the_cache_are_refused(app: ModuleType, server: str,
                                                                 tmp_path: Path) -> None:
    """Raw HTTP, as any client can: the hint image gets the photo's checks."""
    photo = {"path": upload_file(server, gray_photo(tmp_path, (64, 48)))}
    bomb = {"path": upload_file(server, black_png(tmp_path / "bomb.png", 12000, 12000))}
    settings = [160, 1.0, MODEL]
    assert call(server, photo, settings, [[], bomb]) == (
        "error", "bomb.png: 12000×12000 is 144.0 megapixels, over the limit of 24 "
                 "(the colorize command takes up to 150).")
    for path in ("/etc/passwd", f"{tmp_path}/bomb.png", "space/examples/coffee.jpg", ""):
        assert call(server, photo, settings, [[], {"path": path}]) == ("error", app.HINT_IMAGE_NOT_ON_SERVER)
    assert call(server, photo, settings, [[[float("nan"), 1, "#ff0000"]], None]) == (
        "error", "Hints must be a list of points [x, y, colour] or [x, y, colour, radius], with numbers "
                 "for x, y and radius; not [nan, 1, '#ff0000'].")
    assert call(server, photo, settings, [[[1, 1, "#ff0000"]], None])[0] == "complete"


def test_page_handlers_take_no_more_than_the_page_sends(app: ModuleType, server: str, tmp_path: Path) -> None:
    """What the page never sends and a client could, each costly or crashing before: a picture
    to draw hints on larger than the slider shows (every dot enlarged with it: 7.6 s for 500
    points on a 24 MP picture over a 1-pixel 'result'), a click on a picture larger than the
    photo (rounded onto its edge), a model the menu does not offer."""
    photo = gray_photo(tmp_path, (64, 48))
    uploaded = {name: with_meta(upload_file(server, path)) for name, path in (
        ("photo", photo), ("vast", black_png(tmp_path / "vast.png", 3000, 2000)),
        ("dot", black_png(tmp_path / "dot.png", 1, 1)), ("canvas", black_png(tmp_path / "canvas.png", 640, 480)))}
    many = [[0.5, 0.5, "#ff0000", 1]] * 20
    assert queue_event(server, "show_hints", [[uploaded["vast"]] * 2, uploaded["vast"], many, None]) == (
        "error", "vast.png: 3000×2000 is larger than this demo shows.")
    assert queue_event(server, "show_hints", [[uploaded["photo"]] * 2, uploaded["dot"], many, None]) == (
        "error", f"{photo.name}: the picture shown is larger than the result.")
    assert queue_event(server, "show_hints", [[uploaded["photo"]] * 2, uploaded["photo"], many, None])[0] == "complete"

    settings = [160, 1.0, MODEL, [], None]
    select = [uploaded["photo"], *settings, uploaded["canvas"]]
    event, (_, swatches, _) = queue_event(server, "select_point", select, {"index": [639, 479], "value": None})
    assert event == "complete" and swatches["colours"]  # suggested for the photo's corner (63.9, 47.9)

    for model in (None, ["default"], "nope"):
        event, message = queue_event(server, "model_changed", [model])
        assert event == "error" and message.startswith("The model must be one of: default"), message


def test_page_handlers_check_what_a_client_sends(app: ModuleType, server: str, tmp_path: Path) -> None:
    """The handlers behind clicks are reachable without the page: each refuses with a sentence."""
    photo = {"path": upload_file(server, gray_photo(tmp_path, (64, 48)))}
    settings = [160, 1.0, MODEL, [], None]
    select = [photo, *settings, photo]  # the photo itself stands for the picture clicked on
    for index in ([1000000, 0], [64, 0], [-1, 0], [True, 0], [1.5, 2], "x", None):
        assert queue_event(server, "select_point", select, {"index": index, "value": None}) == (
            "error", f"A click must be on a pixel of the 64x48 picture, not {index!r}.")
    pick = [photo, *settings, None]  # no point selected: this client never clicked
    assert queue_event(server, "pick_suggestion", pick, {"colour": "<i>red</i>"}) == (
        "error", "The colour must be of the form #rrggbb, not '&lt;i&gt;red&lt;/i&gt;'.")
    assert queue_event(server, "pick_suggestion", pick, 5) == (
        "error", "The colour must be of the form #rrggbb, not None.")
    assert queue_event(server, "pick_suggestion", pick, {"colour": "#ff0000"}) == ("error", app.CLICK_FIRST)
    assert queue_event(server, "pick_colour", [photo, 160, 1.0, MODEL, [[1, 2]], None, None, "#ff0000"]
                       )[1].startswith("Hints must be")
    assert queue_event(server, "undo", [photo, *settings]) == ("error", "There is no hint to undo.")
    drawn = [[{"path": "/etc/passwd"}] * 2, with_meta(photo["path"]), [], None]
    assert queue_event(server, "show_hints", drawn) == ("error", app.NOT_ON_SERVER)
    event, (_, swatches, picker) = queue_event(server, "select_point", select, {"index": [10, 20], "value": None})
    assert event == "complete"
    if swatches["colours"]:  # the first suggestion is put in the colour picker
        assert picker == swatches["colours"][0]["colour"]
    else:
        assert swatches["note"] == app.NO_SUGGESTIONS
