"""Colors > Auto Colorize... run in a real headless GIMP 3 with the real model.

GIMP comes from scripts/provision-gimp.sh (apt on Debian 13, a trixie root on
Debian 12). All GIMP cases run in one GIMP process (tests/gimp/batch_cases.py);
the exported PNGs are checked here with PIL. Without GIMP these tests skip, or
fail when CI is set, since CI must provision it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from colorize_model.lab import rgb_to_lab
from gimp.headless import find_gimp3  # tests/gimp/, importable as pytest puts tests/ on sys.path

ROOT = Path(__file__).resolve().parents[1]
BATCH = Path(__file__).resolve().parent / "gimp" / "batch_cases.py"
SELECTION = (120, 60, 200, 150)  # x, y, width, height, inside the 451 x 300 photo
MIN_CHROMA = 3.0  # mean a*b* distance from gray of a coloured result; a gray photo has 0
MAX_DELTA_L = 1.0  # any pixel's L* change: 8-bit rounding only

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
}


def make_inputs(folder: Path) -> dict[str, Path]:
    """The same gray photo as RGB, RGBA, GRAY, GRAYA and INDEXED PNGs, alpha a ramp 0..255."""
    gray = Image.fromarray(skimage.data.chelsea()).convert("L")
    ramp = Image.fromarray(np.tile(np.linspace(0, 255, gray.width).astype(np.uint8), (gray.height, 1)))
    images = {"rgb": gray.convert("RGB"), "gray": gray, "indexed": gray.convert("P")}
    images["rgba"] = gray.convert("RGBA")
    images["rgba"].putalpha(ramp)
    images["graya"] = gray.convert("LA")
    images["graya"].putalpha(ramp)
    paths = {}
    for name, image in images.items():
        paths[name] = folder / f"{name}.png"
        image.save(paths[name])
    return paths


def install_plugin(profile: Path, plugins: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real installer, as a user runs it, into the GIMP profile given by GIMP3_DIRECTORY."""
    args = [sys.executable, "-m", "gimp_plugin", "install"] + (["--dir", str(plugins)] if plugins else [])
    return subprocess.run(args, cwd=ROOT, env={**os.environ, "GIMP3_DIRECTORY": str(profile)},
                          capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def gimp_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, dict[str, Path]]:
    """Install the plug-in in a fresh profile and run every case in one GIMP process."""
    gimp = find_gimp3()
    if gimp is None:
        reason = "no GIMP 3: run scripts/provision-gimp.sh (as root)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("gimp")
    (work / "out").mkdir()
    inputs = make_inputs(work)
    installed = install_plugin(work / "profile")
    assert installed.returncode == 0, installed.stderr
    cases = [{"name": name, "input": str(inputs[case["input"]]), "settings": case.get("settings", {}),
              "selection": case.get("selection"), "lock_content": case.get("lock_content", False),
              "broken_interpreter": case.get("broken_interpreter", False)}
             for name, case in CASES.items()]
    cases_file = work / "cases.json"
    cases_file.write_text(json.dumps({"cases": cases, "out_dir": str(work / "out")}))
    code = f"CASES_FILE = {str(cases_file)!r}\n" + BATCH.read_text()
    run = gimp.run_batch(code, work / "profile", binds=[work])
    results_file = work / "results.json"
    assert run.returncode == 0 and results_file.exists(), f"GIMP exited {run.returncode}:\n{run.stderr[-4000:]}"
    return json.loads(results_file.read_text()), work / "out", inputs


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


@pytest.mark.parametrize(("name", "expected"), [("gray-no-python", "/nonexistent/bin/python"),
                                                 ("gray-bad-model", "/nonexistent-model"),
                                                 ("gray-render-8", "render size 8"),
                                                 ("gray-locked", "locked")])
def test_failure_is_reported_and_changes_nothing(gimp_run, name, expected):
    results, out, inputs = gimp_run
    facts = results[name]
    assert facts["status"] == "EXECUTION_ERROR"
    assert expected in facts["message"] and "\n" not in facts["message"].strip()
    assert facts["base_type_after"] == "GRAY" and facts["layers_after"] == 1
    np.testing.assert_array_equal(np.asarray(Image.open(out / f"{name}.png")), np.asarray(Image.open(inputs["gray"])))


def test_install_replaces_and_uninstall_removes(tmp_path):
    plugins = tmp_path / "plug-ins"
    for _ in range(2):  # the second install replaces the first
        assert install_plugin(tmp_path, plugins).returncode == 0
    folder = plugins / "colorize-layer"
    assert sorted(p.name for p in folder.iterdir()) == ["colorize-layer.py", "colorize_worker.py", "interpreter.txt"]
    interpreter, run_as = (folder / "interpreter.txt").read_text().splitlines()
    assert (interpreter, run_as) == (os.path.realpath(sys.executable), sys.executable)
    # run as the plug-in runs it: the real file, under the venv's path, has this environment's packages
    probe = subprocess.run([run_as, "-c", "import sys, colorize_model; print(sys.prefix)"], executable=interpreter,
                           env={"PATH": os.defpath}, capture_output=True, text=True, check=False)
    assert probe.stdout.strip() == sys.prefix, probe.stderr
    assert (folder / "colorize-layer.py").stat().st_mode & stat.S_IXUSR
    assert not (folder / "colorize_worker.py").stat().st_mode & stat.S_IXUSR  # GIMP must not run it
    uninstall = [sys.executable, "-m", "gimp_plugin", "uninstall", "--dir", str(plugins)]
    assert "Removed" in subprocess.run(uninstall, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert not folder.exists()
    assert "not installed" in subprocess.run(uninstall, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_worker_rejects_a_wrong_size_and_writes_nothing(tmp_path):
    source, target = tmp_path / "in.rgba", tmp_path / "out.rgba"
    source.write_bytes(bytes(4 * 10))
    worker = ROOT / "gimp_plugin" / "colorize-layer" / "colorize_worker.py"
    run = subprocess.run([sys.executable, str(worker), str(source), str(target), "--width", "4", "--height", "4"],
                         input="go\n", capture_output=True, text=True, check=False)
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0 and "4x4" in run.stderr
    assert not target.exists()
