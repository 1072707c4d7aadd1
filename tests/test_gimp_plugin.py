"""Colors > Auto Colorize... (and its colour hints layer) run in a real headless GIMP 3 with the real model.

GIMP comes from scripts/provision-gimp.sh (apt on Debian 13, a trixie root on
Debian 12). All GIMP cases run in one GIMP process (tests/gimp/batch_cases.py);
the exported PNGs are checked here with PIL. Without GIMP these tests skip, or
fail when CI is set, since CI must provision it. Set
COLORIZE_GIMP_HINTS_PICTURE=docs/gimp-hints.jpg to keep the hint case's before /
hint layer / after picture (gimp_plugin/README.md shows it). The pixels always go through
the worker's stdin and stdout, as in a Flatpak; the Flatpak cases run in a second
GIMP, whose root has a stand-in /.flatpak-info and a stand-in flatpak-spawn
(tests/gimp/flatpak_spawn_standin.py): the real one needs a Flatpak sandbox and
its host, which a test machine does not have.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageDraw

from colorize_model import Colorizer
from colorize_model.lab import rgb_to_lab
from gimp.headless import find_gimp3  # tests/gimp/, importable as pytest puts tests/ on sys.path

ROOT = Path(__file__).resolve().parents[1]
BATCH = Path(__file__).resolve().parent / "gimp" / "batch_cases.py"
STANDIN = Path(__file__).resolve().parent / "gimp" / "flatpak_spawn_standin.py"
SELECTION = (120, 60, 200, 150)  # x, y, width, height, inside the 451 x 300 photo
MIN_CHROMA = 3.0  # mean a*b* distance from gray of a coloured result; a gray photo has 0
MAX_DELTA_L = 1.0  # any pixel's L* change: 8-bit rounding only
# Hints painted as a user would: a red disk on the cloth right of the cat, a blue one on its left eye
# ((x, y) centre in the photo, radius, colour).
DISKS = {"red": ((415, 215), 22, (255, 0, 0)), "blue": ((172, 113), 18, (0, 0, 255))}
MAX_HUE_ERROR = 25.0  # degrees between a disk's mean a*b* in the result and its hint colour's
# A hint layer of another size than the photo, overhanging it left and right, with the same disks
# where they are in the photo, and green paint outside the photo that must count for nothing.
OFFSET_LAYER = {"size": (520, 160), "offsets": (-40, 90)}
OUTSIDE_PAINT = [((-20, 170), 15, (0, 255, 0)), ((470, 140), 8, (0, 255, 0))]
SUGGEST_SELECTION = (380, 200, 10, 14)  # on the cloth, beside the red disk: centre (385, 207)
FLATPAK_PERMISSION = "flatpak override --user --talk-name=org.freedesktop.Flatpak org.gimp.GIMP"
# Red "painted" on the photo while the model runs (see test_paint_during_the_run_is_kept).
PAINT_MEANWHILE = {"rect": (40, 30, 60, 50), "rgb": (255, 0, 0)}  # x, y, width, height

CASES = {
    "rgb": {"input": "rgb"},
    "rgba": {"input": "rgba"},
    "gray": {"input": "gray"},
    "graya": {"input": "graya"},
    "indexed": {"input": "indexed"},
    "rgba-new": {"input": "rgba", "settings": {"new-layer": True}},
    "gray-new": {"input": "gray", "settings": {"new-layer": True, "saturation": 1.5}},
    "rgb-selection": {"input": "rgb", "selection": SELECTION},
    "graya-selection-new": {"input": "graya", "selection": SELECTION, "settings": {"new-layer": True}},
    "gray-no-python": {"input": "gray", "broken_interpreter": True},
    "gray-render-64": {"input": "gray", "settings": {"render-size": 64}},
    "gray-bad-model": {"input": "gray", "settings": {"model": "/nonexistent-model"}},
    "gray-render-8": {"input": "gray", "settings": {"render-size": 8}},
    "gray-locked": {"input": "gray", "lock_content": True},
    "gray-locked-group": {"input": "gray", "in_locked_group": True, "settings": {"new-layer": True}},
    "too-large": {"input": "gray", "new_layer_size": (13000, 12000), "export": False},
    "gray-blank-model": {"input": "gray", "settings": {"model": " "}, "export": False},
    "gray16": {"input": "gray16", "tones": True, "export": False},
    "rgb-painted-meanwhile": {"input": "rgb", "paint_meanwhile": PAINT_MEANWHILE},
    # colour hints: the gray photo, New Hint Layer, the disks painted on it
    "hints": {"input": "gray", "hints": {"command": True, "png": "hints"}},
    "hints-offset": {"input": "rgb", "hints": {"png": "hints-offset", "offsets": OFFSET_LAYER["offsets"]}},
    "hints-transparent": {"input": "rgb", "hints": {"png": "transparent", "offsets": (30, 20)}},
    "hints-indexed": {"input": "rgb", "hints": {"png": "hints", "indexed": True}},
    "hints-gray": {"input": "gray", "hints": {"png": "hints"}},
    "hints-no-alpha": {"input": "rgb", "hints": {"png": "rgb"}},
    "hints-photo": {"input": "rgb", "hints": {"png": "hints", "use": "photo"}},
    "preselect": {"input": "gray", "kind": "preselect"},
    # Suggest Colours at the centre of a small selection, without and with a "Colour hints" layer
    "suggest": {"input": "gray", "kind": "suggest", "selection": SUGGEST_SELECTION},
    "suggest-hints": {"input": "rgb", "kind": "suggest", "selection": SUGGEST_SELECTION, "hints": {"png": "hints"}},
    "suggest-no-selection": {"input": "gray", "kind": "suggest"},
}
# Run in a second GIMP, in a root with a stand-in /.flatpak-info and flatpak-spawn.
FLATPAK_CASES = {
    "flatpak": {"input": "rgb", "standin": {"mode": "host"}},
    "flatpak-hints": {"input": "rgb", "standin": {"mode": "host"},
                      "hints": {"png": "hints-offset", "offsets": OFFSET_LAYER["offsets"]}},
    "flatpak-denied": {"input": "rgb", "standin": {"mode": "denied"}},
}


def make_inputs(folder: Path) -> dict[str, Path]:
    """The same gray photo as RGB, RGBA, GRAY, GRAYA and INDEXED PNGs, alpha a ramp 0..255."""
    gray = Image.fromarray(skimage.data.chelsea()).convert("L")
    ramp = Image.fromarray(np.tile(np.linspace(0, 255, gray.width).astype(np.uint8), (gray.height, 1)))
    images = {"rgb": gray.convert("RGB"), "gray": gray, "indexed": gray.convert("P")}
    images["gray16"] = Image.fromarray(np.asarray(gray, np.uint16) * 257  # a 16-bit scan: 4113 levels
                                       + np.tile(np.arange(gray.width, dtype=np.uint16) % 16, (gray.height, 1)))
    images["rgba"] = gray.convert("RGBA")
    images["rgba"].putalpha(ramp)
    images["graya"] = gray.convert("LA")
    images["graya"].putalpha(ramp)
    images["hints"] = hint_image(gray.size)
    images["hints-offset"] = hint_image(OFFSET_LAYER["size"], OFFSET_LAYER["offsets"], OUTSIDE_PAINT)
    images["transparent"] = hint_image((200, 100), disks=())
    paths = {}
    for name, image in images.items():
        paths[name] = folder / f"{name}.png"
        image.save(paths[name])
    return paths


def hint_image(size: tuple[int, int], offsets: tuple[int, int] = (0, 0), extra=(),
               disks=tuple(DISKS.values())) -> Image.Image:
    """A transparent RGBA hint layer of size at offsets in the photo, with disks painted (no
    antialiasing) where they are in the photo."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for (x, y), radius, colour in [*disks, *extra]:
        x, y = x - offsets[0], y - offsets[1]
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(*colour, 255))
    return image


def batch_cases(cases: dict[str, dict], inputs: dict[str, Path], work: Path) -> list[dict]:
    """The cases as batch_cases.py reads them: file names made paths, a stand-in's setting a file to write."""
    batch = []
    for name, case in cases.items():
        entry = {**case, "name": name, "input": str(inputs[case["input"]]), "settings": case.get("settings", {})}
        if "hints" in case:
            entry["hints"] = {**case["hints"], "png": str(inputs[case["hints"]["png"]])}
        if "standin" in case:
            setting = {**case["standin"], "interpreter": os.path.realpath(sys.executable)}
            entry["write_file"] = [str(work / "standin" / "standin.json"), json.dumps(setting)]
        batch.append(entry)
    return batch


def run_cases(gimp, work: Path, cases: list[dict], **options) -> dict:
    """Run the cases in one GIMP process with the plug-in installed in work/profile; their facts."""
    cases_file = work / "cases.json"
    cases_file.write_text(json.dumps({"cases": cases, "out_dir": str(work / "out")}))
    code = f"CASES_FILE = {str(cases_file)!r}\n" + BATCH.read_text()
    run = gimp.run_batch(code, work / "profile", binds=[work], **options)
    results_file = work / "results.json"
    assert run.returncode == 0 and results_file.exists(), f"GIMP exited {run.returncode}:\n{run.stderr[-4000:]}"
    return json.loads(results_file.read_text())


def need_gimp3():
    """The provisioned GIMP 3, or skip (fail under CI, which must provision it)."""
    gimp = find_gimp3()
    if gimp is None:
        reason = "no GIMP 3: run scripts/provision-gimp.sh (as root)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return gimp


def install_plugin(profile: Path, plugins: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real installer, as a user runs it, into the GIMP profile given by GIMP3_DIRECTORY."""
    args = [sys.executable, "-m", "gimp_plugin", "install"] + (["--dir", str(plugins)] if plugins else [])
    return subprocess.run(args, cwd=ROOT, env={**os.environ, "GIMP3_DIRECTORY": str(profile)},
                          capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def gimp_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, dict[str, Path]]:
    """Install the plug-in in a fresh profile and run every case in one GIMP process."""
    gimp = need_gimp3()
    work = tmp_path_factory.mktemp("gimp")
    (work / "out").mkdir()
    inputs = make_inputs(work)
    installed = install_plugin(work / "profile")
    assert installed.returncode == 0, installed.stderr
    return run_cases(gimp, work, batch_cases(CASES, inputs, work)), work / "out", inputs


@pytest.fixture(scope="module")
def flatpak_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, list[dict]]:
    """FLATPAK_CASES in a GIMP whose root has a stand-in /.flatpak-info, with the stand-in
    flatpak-spawn first on its PATH; returns the facts, the exports and the stand-in's calls."""
    gimp = need_gimp3()
    if os.geteuid() != 0:
        pytest.skip("the stand-in Flatpak root needs root (unshare --mount)")
    work = tmp_path_factory.mktemp("gimp-flatpak")
    (work / "out").mkdir()
    standin = work / "standin"
    standin.mkdir()
    shutil.copy(STANDIN, standin / "flatpak-spawn")
    (standin / "flatpak-spawn").chmod(0o755)
    info = work / "flatpak-info"
    info.write_text("[Application]\nname=org.gimp.GIMP\n")  # what the plug-in looks for is the file itself
    inputs = make_inputs(work)
    assert install_plugin(work / "profile").returncode == 0
    results = run_cases(gimp, work, batch_cases(FLATPAK_CASES, inputs, work),
                        root_files={"/.flatpak-info": info}, path=[standin])
    calls = [json.loads(line) for line in (standin / "calls.jsonl").read_text().splitlines()]
    return results, work / "out", calls


def load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """RGB uint8 and alpha (255 where the image has none) of a PNG."""
    image = Image.open(path).convert("RGBA")
    array = np.asarray(image)
    return array[..., :3], array[..., 3]


def assert_colorized(result: np.ndarray, source: np.ndarray, where: np.ndarray) -> float:
    """Coloured where asked, with the source's lightness; returns the mean chroma."""
    lab_out, lab_in = rgb_to_lab(result)[where], rgb_to_lab(source)[where]
    chroma = float(np.hypot(lab_out[:, 1], lab_out[:, 2]).mean())
    assert chroma > MIN_CHROMA, f"mean chroma {chroma:.2f}: not coloured"
    delta_l = np.abs(lab_out[:, 0] - lab_in[:, 0]).max()
    assert delta_l < MAX_DELTA_L, f"lightness moved by up to {delta_l:.2f} L*"
    return chroma


def selection_mask(shape: tuple[int, ...]) -> np.ndarray:
    """True inside SELECTION."""
    x, y, w, h = SELECTION
    mask = np.zeros(shape[:2], dtype=bool)
    mask[y:y + h, x:x + w] = True
    return mask


def outcome(gimp_run, name: str, layers: int, view: str = "") -> tuple[np.ndarray, ...]:
    """Check the call succeeded, left an RGB image with `layers` layers; returns the input's
    RGB and alpha, then those of the export `name + view`."""
    results, out, inputs = gimp_run
    facts = results[name]
    assert facts["status"] == "SUCCESS", facts["message"]
    assert facts["base_type_after"] == "RGB"
    assert facts["layers_after"] == layers
    assert facts["new_layer_on_top"] == (layers == 2)
    return (*load(inputs[CASES[name]["input"]]), *load(out / f"{name}{view}.png"))


@pytest.mark.parametrize("name", ["rgb", "rgba", "gray", "graya", "indexed"])
def test_colorizes_the_layer_in_place(gimp_run, name):
    source, source_alpha, result, alpha = outcome(gimp_run, name, layers=1)
    assert result.shape == source.shape
    np.testing.assert_array_equal(alpha, source_alpha)
    assert_colorized(result, source, source_alpha > 0)


@pytest.mark.parametrize("name", ["rgba-new", "gray-new"])
def test_new_layer_above_leaves_the_original(gimp_run, name):
    source, source_alpha, below, below_alpha = outcome(gimp_run, name, layers=2, view="-below")
    np.testing.assert_array_equal(below_alpha, source_alpha)
    np.testing.assert_array_equal(below[source_alpha > 0], source[source_alpha > 0])
    *_, layer, alpha = outcome(gimp_run, name, layers=2, view="-new")
    np.testing.assert_array_equal(alpha, source_alpha)
    assert_colorized(layer, source, source_alpha > 0)


def test_settings_reach_the_model(gimp_run):
    """gray-new asked for saturation 1.5, gray-render-64 for a smaller render than gray's."""
    source, _, default, _ = outcome(gimp_run, "gray", layers=1)
    everywhere = np.ones(source.shape[:2], dtype=bool)
    stronger = outcome(gimp_run, "gray-new", layers=2, view="-new")[2]
    ratio = assert_colorized(stronger, source, everywhere) / assert_colorized(default, source, everywhere)
    assert 1.35 < ratio < 1.65, f"saturation 1.5 scaled chroma by {ratio:.2f}"
    small = outcome(gimp_run, "gray-render-64", layers=1)[2]
    assert_colorized(small, source, everywhere)
    assert not np.array_equal(small, default), "render size 64 changed nothing"


def test_selection_limits_the_change(gimp_run):
    source, _, result, _ = outcome(gimp_run, "rgb-selection", layers=1)
    inside = selection_mask(source.shape)
    np.testing.assert_array_equal(result[~inside], source[~inside])
    assert_colorized(result, source, inside)


def test_selection_with_new_layer_leaves_the_rest_transparent(gimp_run):
    source, source_alpha, layer, alpha = outcome(gimp_run, "graya-selection-new", layers=2, view="-new")
    inside = selection_mask(source.shape)
    assert not alpha[~inside].any()
    np.testing.assert_array_equal(alpha[inside], source_alpha[inside])
    assert_colorized(layer, source, inside & (source_alpha > 0))


def assert_failed(facts: dict, export: Path, source: Path, expected: str) -> None:
    """The call failed with one line naming `expected`, and the image (the hint layer too) is as it was."""
    assert facts["status"] == "EXECUTION_ERROR"
    assert expected in facts["message"] and "\n" not in facts["message"].strip(), facts["message"]
    assert facts["base_type_after"] == facts["base_type_before"] and facts["layers_after"] == 1
    assert facts.get("hints_after") == facts.get("hints_before")
    for got, expected in zip(load(export), load(source), strict=True):  # RGB, then alpha
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(("name", "expected"), [("gray-no-python", "/nonexistent/bin/python"),
                                                 ("gray-bad-model", "/nonexistent-model"),
                                                 ("gray-render-8", "render size 8"),
                                                 ("gray-locked", "locked"),
                                                 ("gray-locked-group", "'locked group' has its pixels locked"),
                                                 ("hints-gray", "Image > Mode > RGB"),
                                                 ("hints-no-alpha", "Add Alpha Channel"),
                                                 ("hints-photo", "the layer being colorized")])
def test_failure_is_reported_and_changes_nothing(gimp_run, name, expected):
    results, out, inputs = gimp_run
    assert_failed(results[name], out / f"{name}.png", inputs[CASES[name]["input"]], expected)


def test_paint_during_the_run_is_kept(gimp_run):
    """GIMP stays usable while the model runs: paint put on the layer meanwhile stays, the result goes
    to a new layer above (the colours of the photo as it was read), and one message says so. No one
    can paint in a test: batch_cases.py calls the plug-in's colorize itself, with a worker that fills
    PAINT_MEANWHILE's rectangle through GIMP's API (a brush stroke's stand-in) before the real one runs."""
    name = "rgb-painted-meanwhile"
    source, _, below, _ = outcome(gimp_run, name, layers=2, view="-below")
    x, y, width, height = PAINT_MEANWHILE["rect"]
    painted = np.zeros(source.shape[:2], dtype=bool)
    painted[y:y + height, x:x + width] = True
    assert (below[painted] == PAINT_MEANWHILE["rgb"]).all(), "the paint was overwritten"
    np.testing.assert_array_equal(below[~painted], source[~painted])
    results, out, _ = gimp_run
    np.testing.assert_array_equal(load(out / f"{name}-new.png")[0], load(out / "rgb.png")[0])
    assert results[name]["messages"] == [
        "The layer changed while it was being colorized, so the result is on a new layer above it."]


def test_a_16_bit_layer_keeps_its_tones(gimp_run):
    """The model works in 8 bits; a 16-bit scan gets its colour and keeps its own lightness (it
    was rounded to 8 bits: at saturation 0, 4113 levels became 17)."""
    tones = gimp_run[0]["gray16"]["tones"]
    assert tones["levels_after"] >= 0.95 * tones["levels_before"] and tones["max_change"] <= 4, tones
    assert tones["mean_chroma"] > MIN_CHROMA, tones


def test_a_layer_over_the_pixel_limit_is_refused_before_it_is_read(gimp_run):
    facts = gimp_run[0]["too-large"]
    assert facts["status"] == "EXECUTION_ERROR" and "150-megapixel limit" in facts["message"], facts


def test_a_cleared_model_field_is_the_built_in_model(gimp_run):
    assert gimp_run[0]["gray-blank-model"]["status"] == "SUCCESS", gimp_run[0]["gray-blank-model"]


def disk_mask(shape: tuple[int, ...], disk: str, inset: int = 2) -> np.ndarray:
    """The pixels of one hint disk, `inset` px inside its edge."""
    (x, y), radius, _ = DISKS[disk]
    rows, cols = np.ogrid[:shape[0], :shape[1]]
    return (cols - x) ** 2 + (rows - y) ** 2 <= (radius - inset) ** 2


def hue_error(ab: np.ndarray, colour: tuple[int, int, int]) -> float:
    """Degrees between the mean a*b* of pixels and a colour's a*b*."""
    target = rgb_to_lab(np.array([[colour]], np.uint8))[0, 0, 1:]
    mean = ab.mean(axis=0)
    cosine = mean @ target / (np.linalg.norm(mean) * np.linalg.norm(target))
    return float(np.degrees(np.arccos(np.clip(cosine, -1, 1))))


def keep_picture(out: Path, name: str, path: Path) -> None:
    """Before / hint layer / after of a hint case, side by side, as a JPEG for the README."""
    panels = [Image.open(out / f"{name}-{view}.png").convert("RGB") for view in ("before", "painted")]
    panels.append(Image.open(out / f"{name}.png").convert("RGB"))
    gap = 8
    width, height = panels[0].size
    sheet = Image.new("RGB", (3 * width + 2 * gap, height), "white")
    for i, panel in enumerate(panels):
        sheet.paste(panel, (i * (width + gap), 0))
    sheet.save(path, quality=88, optimize=True)


@pytest.mark.parametrize("name", ["hints", "hints-indexed"])
def test_hint_layer_colours_its_disks_and_keeps_lightness(gimp_run, name):
    """Red where the red disk was painted, blue where the blue one was, far more colourful there than
    the automatic result; the photo's lightness everywhere; the hint layer as it was."""
    results, out, _ = gimp_run
    facts = results[name]
    result = outcome(gimp_run, name, layers=1)[2]
    assert facts["hints_after"] == facts["hints_before"], "the hint layer changed"
    before = load(out / f"{name}-before.png")[0]
    delta_l = np.abs(rgb_to_lab(result)[..., 0] - rgb_to_lab(before)[..., 0]).max()
    assert delta_l < MAX_DELTA_L, f"lightness moved by up to {delta_l:.2f} L*"
    automatic = rgb_to_lab(load(out / "gray.png")[0])[..., 1:]
    coloured = rgb_to_lab(result)[..., 1:]
    for disk, (_, _, colour) in DISKS.items():
        inside = disk_mask(result.shape, disk)
        error = hue_error(coloured[inside], colour)
        assert error < MAX_HUE_ERROR, f"{disk} disk: hue {error:.0f} degrees from the hint's"
        chroma, before_hints = (float(np.hypot(*ab[inside].T).mean()) for ab in (coloured, automatic))
        assert chroma > max(2 * before_hints, before_hints + 15), \
            f"{disk} disk: chroma {chroma:.1f}, automatic {before_hints:.1f}"
    if name == "hints" and os.environ.get("COLORIZE_GIMP_HINTS_PICTURE"):
        keep_picture(out, name, Path(os.environ["COLORIZE_GIMP_HINTS_PICTURE"]))


def test_new_hint_layer_makes_an_empty_rgba_layer_above(gimp_run):
    """New Hint Layer on a gray photo: the image becomes RGB, an empty transparent "Colour hints" layer
    of the photo's size lies just above it, selected."""
    results, _, inputs = gimp_run
    facts = results["hints"]
    assert facts["new_hint_layer_status"] == ["SUCCESS", ""]
    assert facts["new_hint_layer"] == {"name": "Colour hints", "rgba": True,
                                       "size": list(Image.open(inputs["gray"]).size), "offsets": [0, 0],
                                       "above_photo": True, "selected": True, "base_type": "RGB", "max_alpha": 0}


def test_hint_layer_position_and_size_are_respected(gimp_run):
    """A hint layer of another size, overhanging the photo, at offsets: the plug-in sends the hints where
    they are in the photo (the paint outside it dropped), so the result is the full-size layer's."""
    results, out, inputs = gimp_run
    expected = np.asarray(Image.open(inputs["hints"]))
    for name in ("hints", "hints-offset"):
        sent = np.fromfile(out / f"{name}-hints.rgba", np.uint8).reshape(expected.shape)
        np.testing.assert_array_equal(sent, expected)
    np.testing.assert_array_equal(outcome(gimp_run, "hints-offset", layers=1)[2], load(out / "hints.png")[0])
    assert results["hints-offset"]["hints_after"] == results["hints-offset"]["hints_before"]


def test_transparent_hint_layer_is_no_hints(gimp_run):
    results, out, _ = gimp_run
    assert not np.fromfile(out / "hints-transparent-hints.rgba", np.uint8).any()
    np.testing.assert_array_equal(outcome(gimp_run, "hints-transparent", layers=1)[2], load(out / "rgb.png")[0])
    assert results["hints-transparent"]["hints_after"] == results["hints-transparent"]["hints_before"]


def test_dialog_starts_with_the_colour_hints_layer(gimp_run):
    """What the dialog offers (hint_layer.preselect, run in GIMP; the dialog itself needs a display):
    none, switched off, without a hint layer; else the topmost layer named "Colour hints" (or
    "Colour hints #n", as GIMP names a second one), inside groups too, switched on."""
    assert gimp_run[0]["preselect"] == {
        "none": [None, False],
        "named": ["Colour hints", True],
        "in_a_group": ["Colour hints #1", True],
    }


@pytest.mark.parametrize("name", ["suggest", "suggest-hints"])
def test_suggest_colours_fills_a_palette_and_the_foreground(gimp_run, name):
    """Suggest Colours: the package's suggestions at the selection's centre (given the "Colour
    hints" layer when there is one), in order, named with colour and probability, in the palette;
    the likeliest as the foreground colour; the photo untouched."""
    facts = gimp_run[0][name]
    assert facts["status"] == "SUCCESS", facts["message"]
    assert facts["photo_unchanged"]
    gray = np.asarray(Image.fromarray(skimage.data.chelsea()).convert("L"))
    photo = np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    hints = np.asarray(hint_image(Image.fromarray(gray).size)) if name == "suggest-hints" else None
    x, y, width, height = SUGGEST_SELECTION
    expected = Colorizer.load().suggest(photo, x + width // 2, y + height // 2, 8, hints=hints)
    assert facts["colours"] == [list(rgb) for rgb, _ in expected]
    assert facts["names"] == ["#{:02x}{:02x}{:02x} {:.0%}".format(*rgb, p) for rgb, p in expected]
    assert facts["foreground"] == facts["colours"][0]
    assert len(facts["colours"]) >= 2
    if hints is not None:  # the red disk beside the place counts
        assert facts["colours"] != gimp_run[0]["suggest"]["colours"]


def test_suggest_colours_needs_a_selection(gimp_run):
    facts = gimp_run[0]["suggest-no-selection"]
    assert facts["status"] == "EXECUTION_ERROR" and "Select the place" in facts["message"]
    assert facts["photo_unchanged"]


def test_flatpak_starts_the_worker_on_the_host(gimp_run, flatpak_run):
    """Stand-in Flatpak (see the module's docstring): the worker is started with flatpak-spawn --host,
    and its pixels and hints come and go through the pipes, with the same results as without."""
    results, out, calls = flatpak_run
    for name, same_as in (("flatpak", "rgb"), ("flatpak-hints", "hints-offset")):
        assert results[name]["status"] == "SUCCESS", results[name]["message"]
        np.testing.assert_array_equal(load(out / f"{name}.png")[0], load(gimp_run[1] / f"{same_as}.png")[0])
    plugin_dir = out.parent / "profile" / "plug-ins" / "colorize-layer"
    for call in calls:
        assert call["options"] == ["--host", "--watch-bus", f"--directory={plugin_dir}"]
        assert call["command"][:2] == [sys.executable, str(plugin_dir / "colorize_worker.py")]
    assert len(calls) == len(FLATPAK_CASES)
    assert "--hints" in calls[1]["command"] and "--hints" not in calls[0]["command"]


def test_flatpak_without_permission_says_how_to_allow_it(flatpak_run):
    """Stand-in flatpak-spawn failing as it does without the talk permission."""
    results, out, _ = flatpak_run
    assert_failed(results["flatpak-denied"], out / "flatpak-denied.png", out.parent / "rgb.png", FLATPAK_PERMISSION)


def test_install_replaces_and_uninstall_removes(tmp_path):
    plugins = tmp_path / "plug-ins"
    for _ in range(2):  # the second install replaces the first
        assert install_plugin(tmp_path, plugins).returncode == 0
    folder = plugins / "colorize-layer"
    assert sorted(p.name for p in folder.iterdir()) == ["colorize-layer.py", "colorize_worker.py", "hint_layer.py",
                                                        "interpreter.txt", "plugin_error.py", "worker_client.py"]
    interpreter, run_as = (folder / "interpreter.txt").read_text().splitlines()
    assert (interpreter, run_as) == (os.path.realpath(sys.executable), sys.executable)
    # run as the plug-in runs it: the real file, under the venv's path, has this environment's packages
    probe = subprocess.run([run_as, "-c", "import sys, colorize_model; print(sys.prefix)"], executable=interpreter,
                           env={"PATH": os.defpath}, capture_output=True, text=True, check=False)
    assert probe.stdout.strip() == sys.prefix, probe.stderr
    assert (folder / "colorize-layer.py").stat().st_mode & stat.S_IXUSR
    for module in ("colorize_worker.py", "hint_layer.py", "plugin_error.py", "worker_client.py"):
        assert not (folder / module).stat().st_mode & stat.S_IXUSR  # GIMP must not run it
    uninstall = [sys.executable, "-m", "gimp_plugin", "uninstall", "--dir", str(plugins)]
    assert "Removed" in subprocess.run(uninstall, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert not folder.exists()
    assert "not installed" in subprocess.run(uninstall, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_worker_rejects_short_input_and_writes_nothing():
    """Fewer bytes than the layer's (the plug-in died, or a wrong size): one line, no pixels out."""
    worker = ROOT / "gimp_plugin" / "colorize-layer" / "colorize_worker.py"
    for extra, what in (([], "4x4 RGBA pixels"), (["--hints"], "4x4 RGBA colour hints")):
        given = bytes(4 * 10) if not extra else bytes(4 * 16 + 4 * 10)
        run = subprocess.run([sys.executable, str(worker), "--width", "4", "--height", "4", *extra],
                             input=given, capture_output=True, check=False)
        assert run.returncode == 1
        assert run.stderr.decode().strip().count("\n") == 0 and what in run.stderr.decode()
        assert run.stdout == b""


def test_worker_answers_on_stdout_with_the_hints_followed():
    """The pipe protocol outside GIMP: W*H*4 bytes back; a hint image changes the colours; the L* is kept."""
    worker = ROOT / "gimp_plugin" / "colorize-layer" / "colorize_worker.py"
    photo = np.asarray(Image.fromarray(skimage.data.chelsea()).convert("RGBA").resize((96, 64)))
    hints = np.asarray(hint_image((451, 300)).resize((96, 64), Image.NEAREST))
    outputs = []
    for extra, given in (([], photo.tobytes()), (["--hints"], photo.tobytes() + hints.tobytes())):
        run = subprocess.run([sys.executable, str(worker), "--width", "96", "--height", "64", *extra],
                             input=given, capture_output=True, check=False)
        assert run.returncode == 0, run.stderr.decode()
        outputs.append(np.frombuffer(run.stdout, np.uint8).reshape(photo.shape))
    for result in outputs:
        np.testing.assert_array_equal(result[..., 3], photo[..., 3])
        assert np.abs(rgb_to_lab(result[..., :3])[..., 0] - rgb_to_lab(photo[..., :3])[..., 0]).max() < MAX_DELTA_L
    assert not np.array_equal(outputs[0], outputs[1]), "the hints changed nothing"


def test_worker_suggests_on_stdout():
    """--suggest X,Y: the package's suggestions at that pixel as JSON, the pixels' protocol unchanged."""
    worker = ROOT / "gimp_plugin" / "colorize-layer" / "colorize_worker.py"
    photo = np.asarray(Image.fromarray(skimage.data.chelsea()).convert("RGBA").resize((96, 64)))
    run = subprocess.run([sys.executable, str(worker), "--width", "96", "--height", "64", "--suggest", "40,20"],
                         input=photo.tobytes(), capture_output=True, check=False)
    assert run.returncode == 0, run.stderr.decode()
    expected = Colorizer.load().suggest(photo, 40, 20, 8)
    assert json.loads(run.stdout) == [[*rgb, p] for rgb, p in expected]
    outside = subprocess.run([sys.executable, str(worker), "--width", "96", "--height", "64", "--suggest", "96,0"],
                             input=photo.tobytes(), capture_output=True, check=False)
    assert outside.returncode == 1 and outside.stdout == b"" and "outside" in outside.stderr.decode()
