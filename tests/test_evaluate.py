"""The evaluation command on tiny sets made from scikit-image's sample photos."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from skimage import data

from colorize_model import evaluate
from colorize_model.lab import gray_to_l, rgb_to_l


def small_photo(name: str, size: tuple[int, int] = (48, 36)) -> np.ndarray:
    return np.asarray(Image.fromarray(getattr(data, name)()).resize(size, Image.LANCZOS))


@pytest.fixture
def sets(tmp_path):
    """Two sets: "first" with two photos (PNG, JPEG), "second" with one."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    Image.fromarray(small_photo("astronaut")).save(first / "a.png")
    Image.fromarray(small_photo("coffee")).save(first / "b.jpg", quality=95)
    Image.fromarray(small_photo("chelsea", (30, 40))).save(second / "c.png")
    (first / "notes.txt").write_text("not an image, not listed")
    return first, second


def test_gray_input_keeps_the_ground_truths_lightness():
    photo = small_photo("astronaut")
    gray = evaluate.gray_input(photo)
    assert gray.dtype == np.uint16 and gray.shape == photo.shape[:2]
    assert np.abs(gray_to_l(gray) - rgb_to_l(photo)).max() < 0.01


def test_gray_baseline_is_neutral_with_the_inputs_lightness():
    photo = small_photo("coffee")
    result = evaluate.gray_baseline(evaluate.gray_input(photo))
    assert result.dtype == np.uint8 and result.shape == photo.shape
    assert (result == result[..., :1]).all()
    assert np.abs(rgb_to_l(result) - rgb_to_l(photo)).max() < 0.5  # one 8-bit step


def test_evaluate_sets_scores_an_oracle_perfectly_and_pools_over_images(sets):
    # A "model" that knows the answer: it finds the photo by its gray version.
    truths = {}
    for folder in sets:
        for path in folder.glob("*.[pj][np]g"):
            photo = np.asarray(Image.open(path).convert("RGB"))
            truths[evaluate.gray_input(photo).tobytes()] = photo
    report = evaluate.evaluate_sets({"oracle": lambda gray: truths[gray.tobytes()]}, sets,
                                    progress=False)

    assert report["models"] == ["gray", "oracle"]
    assert [i["file"] for i in report["sets"]["first"]["images"]] == ["a.png", "b.jpg"]
    assert report["sets"]["second"]["images"][0]["size"] == [30, 40]
    oracle = report["sets"]["first"]["mean"]["oracle"]
    assert oracle["auc"] == 1.0 and oracle["auc_rebalanced"] == pytest.approx(1.0)
    assert oracle["ciede2000"] == 0.0 and oracle["psnr"] == 100.0
    gray = report["pooled"]["mean"]["gray"]
    assert gray["colourfulness_ratio"] == 0.0 and 0.5 < gray["auc"] < 1.0
    # Pooled is the mean over the three images, not over the two sets' means.
    every = [i["scores"]["gray"]["ciede2000"]
             for s in report["sets"].values() for i in s["images"]]
    assert report["pooled"]["images"] == 3
    assert gray["ciede2000"] == pytest.approx(np.mean(every))


def test_evaluate_sets_limit_takes_the_first_images(sets):
    report = evaluate.evaluate_sets({}, sets, limit=1, progress=False)
    assert [len(s["images"]) for s in report["sets"].values()] == [1, 1]
    assert report["sets"]["first"]["images"][0]["file"] == "a.png"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorize_model.evaluate", *args],
                          capture_output=True, text=True)


def test_cli_scores_the_default_model_beside_the_gray_baseline(sets, tmp_path):
    out = tmp_path / "report.json"
    done = run_cli("--model", "default", "--sets", ",".join(map(str, sets)), "--out", str(out))
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["models"] == ["gray", "default"]
    assert report["pooled"]["images"] == 3
    model = report["pooled"]["mean"]["default"]
    assert 0 < model["auc"] <= 1 and model["colourfulness_ratio"] > 0
    # The model keeps the input's lightness, so its PSNR cannot be far below gray's.
    assert model["psnr"] > report["pooled"]["mean"]["gray"]["psnr"] - 6
    for title in ("first (2 images)", "second (1 image)", "pooled (3 images)"):
        assert title in done.stdout
    assert "AuC rebalanced" in done.stdout


@pytest.mark.parametrize("problem", ["missing set", "corrupt image"])
def test_cli_bad_input_is_one_line_and_keeps_the_old_report(sets, tmp_path, problem):
    first, _ = sets
    set_arg = str(tmp_path / "nowhere") if problem == "missing set" else str(first)
    (first / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    out = tmp_path / "report.json"
    out.write_text("old report")
    done = run_cli("--sets", set_arg, "--out", str(out))
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in done.stderr
    assert ("nowhere" if problem == "missing set" else "broken.png") in errors[0]
    assert out.read_text() == "old report"


def test_simulated_hints_and_the_nearest_hint_baseline():
    from colorize_model import simulated_hints

    photo = small_photo("astronaut", (200, 160))
    rgba = simulated_hints.disks(photo, 10, seed=3)
    assert np.array_equal(rgba, simulated_hints.disks(photo, 10, seed=3))  # fixed per seed
    hinted = rgba[..., 3] == 255
    assert 10 <= hinted.sum() <= 10 * np.pi * (simulated_hints.disk_radius(200, 160) + 1) ** 2
    assert set(np.unique(rgba[..., 3])) == {0, 255}
    gray = evaluate.gray_baseline(evaluate.gray_input(photo))
    baseline = simulated_hints.nearest_hint(gray, rgba)
    # at the hints the baseline has the hint's chroma, so it beats gray there by far
    assert simulated_hints.hint_error(baseline, rgba) < 0.5 * simulated_hints.hint_error(gray, rgba)
    assert np.abs(rgb_to_l(baseline) - rgb_to_l(gray)).max() < 1.0
    assert np.isnan(simulated_hints.hint_error(gray, np.zeros_like(rgba)))


def test_evaluate_with_hints_reports_hinted_columns(sets, tmp_path):
    out = tmp_path / "hints.json"
    result = subprocess.run([sys.executable, "-m", "colorize_model.evaluate", "--sets", ",".join(map(str, sets)),
                             "--out", str(out), "--hints", "0,2"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "hint error" in result.stdout and "ratio of means" in result.stdout
    sweep = json.loads(out.read_text())["sweep"]
    assert [r["hints"] for r in sweep] == [0, 2]
    assert sweep[0]["models"] == ["gray", "default"] and "default +2 hints" not in sweep[0]["pooled"]["mean"]
    pooled = sweep[1]["pooled"]["mean"]
    assert {"gray", "default", "default +2 hints", "nearest hint"} <= set(pooled)
    for name in ("default +2 hints", "nearest hint"):
        assert pooled[name]["hint_error"] is not None and pooled[name]["hint_error"] < 30
    # the automatic column is the same model without hints: equal in both reports
    assert pooled["default"]["psnr"] == pytest.approx(sweep[0]["pooled"]["mean"]["default"]["psnr"])
    bad = subprocess.run([sys.executable, "-m", "colorize_model.evaluate", "--sets", str(sets[0]),
                          "--out", str(out), "--hints", "2,x"], capture_output=True, text=True)
    assert bad.returncode == 2 and "numbers of hints" in bad.stderr


def test_suggestion_hit_rates(sets):
    from colorize_model import Colorizer

    result = evaluate.suggestion_hits(Colorizer.load(), sets, points=5)
    assert result["points"] == 15
    assert 0 <= result["prior"] <= 1 and 0 <= result["model"] <= 1
    # eight colours at the pixel's own lightness: the model's distribution finds far more
    # true colours than one would by chance
    assert result["model"] >= 0.3
