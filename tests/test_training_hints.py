"""Simulated hints for training (training/hints.py): natural disks, and recoloured regions."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from colorize_model import lab
from training import hints, locality


def two_halves() -> np.ndarray:
    """A batch of crops (ab / 128), left half one colour, right half another, with a little texture."""
    rng = np.random.default_rng(0)
    ab = np.zeros((8, 48, 64, 2), np.float32)
    ab[:, :, :32] = (0.3, 0.2)
    ab[:, :, 32:] = (-0.1, -0.25)
    return ab + rng.normal(0, 0.005, ab.shape).astype(np.float32)


def stripes(width: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """A batch of crops (ab / 128, L*): five upright stripes of ``width`` px, two colours in turn,
    each stripe its own lightness, so that one stripe is a region (a fifth of the crop)."""
    rng = np.random.default_rng(0)
    ab = np.zeros((8, 48, 5 * width, 2), np.float32)
    lightness = np.zeros(ab.shape[:3], np.float32)
    for k in range(5):
        ab[:, :, k * width:(k + 1) * width] = (0.3, 0.2) if k % 2 == 0 else (-0.1, -0.25)
        lightness[:, :, k * width:(k + 1) * width] = 30 + 10 * k
    return ab + rng.normal(0, 0.005, ab.shape).astype(np.float32), lightness


def test_natural_hints_hold_the_photos_own_colour():
    ab = two_halves()
    lightness = np.full(ab.shape[:3], 50, np.float32)
    planes, target = hints.simulate(ab, lightness, np.random.default_rng(1))
    assert np.array_equal(target, ab)
    mask = planes[..., 2]
    assert mask.max() <= 1.0 and (mask > 0).any()
    assert not planes[mask == 0].any()
    whole = mask == 1.0  # cells well inside a half, under disks of that half only: its colour
    left, right = whole.copy(), whole.copy()  # (a disk's radius is at most 4 cells)
    left[..., 22:], right[..., :42] = False, False
    np.testing.assert_allclose(planes[left][:, :2], np.broadcast_to((0.3, 0.2), (left.sum(), 2)), atol=0.02)
    np.testing.assert_allclose(planes[right][:, :2], np.broadcast_to((-0.1, -0.25), (right.sum(), 2)), atol=0.02)
    again, _ = hints.simulate(ab, lightness, np.random.default_rng(1), recolour_share=0.0)
    assert np.array_equal(again, planes)  # the same draws: resumed runs see the same hints


def test_the_share_of_crops_without_hints_is_a_setting():
    ab = two_halves()
    lightness = np.full(ab.shape[:3], 50, np.float32)

    def hinted_crops(share: float) -> int:
        planes, _ = hints.simulate(ab, lightness, np.random.default_rng(3), no_hint_share=share)
        return int((planes[..., 2].reshape(len(ab), -1).max(axis=1) > 0).sum())

    assert hinted_crops(1.0) == 0
    assert hinted_crops(0.0) == len(ab)
    assert 0 < hinted_crops(hints.NO_HINT_SHARE) < len(ab)


def test_recoloured_region_is_hinted_and_is_the_target():
    ab, lightness = stripes()
    planes, target = hints.simulate(ab, lightness, np.random.default_rng(2), recolour_share=1.0)
    hinted = [i for i in range(len(ab)) if planes[i, ..., 2].any()]
    assert hinted
    changed = 0
    for i in hinted:
        moved = np.abs(target[i] - ab[i]).max(axis=-1) > 1e-6
        if not moved.any():
            continue  # no region large enough under this crop's seeds
        changed += 1
        columns = np.flatnonzero(moved.any(axis=0))
        assert moved[:, columns].all() and len(columns) == 16 and columns[0] % 16 == 0, \
            "exactly one stripe (one region of like colour, bounded by lightness edges) is recoloured"
        shift = (target[i] - ab[i])[moved]
        np.testing.assert_allclose(shift, np.broadcast_to(shift[0], shift.shape), atol=1e-5)  # texture kept
        chroma = np.hypot(*target[i][moved].mean(axis=0))
        assert hints.NEW_CHROMA[0] - 0.01 <= chroma <= hints.NEW_CHROMA[1] + 0.01
        inside = planes[i, ..., 2] == 1.0
        on_region = inside & moved
        assert on_region.any(), "a disk lies in the recoloured region"
        np.testing.assert_allclose(planes[i][on_region][:, :2].mean(axis=0), target[i][on_region].mean(axis=0),
                                   atol=0.02)  # and holds its new colour
    assert changed >= len(hinted) // 2


def test_locality_recolours_one_region_and_hints_it(colorizer):
    rgb = np.zeros((96, 160, 3), np.uint8)
    for k in range(5):  # five stripes, two colours in turn, lightness edges between them
        rgb[:, k * 32:(k + 1) * 32] = (170 + 15 * k, 70, 60) if k % 2 == 0 else (70, 100 + 15 * k, 170)
    case = locality.make_case(rgb, seed=3)
    assert case is not None
    columns = np.flatnonzero(case.inside.any(axis=0))
    assert case.inside[:, columns].all() and len(columns) == 32 and columns[0] % 32 == 0  # one stripe
    x, y, colour, radius = case.point
    assert case.inside[int(y), int(x)] and radius == 2
    l_star = lab.rgb_to_l(rgb)[case.inside].mean()
    new = lab.lab_to_rgb8(np.array([[[l_star, *case.new_ab[case.inside].mean(axis=0)]]], np.float32))
    assert np.abs(np.subtract(colour, new[0, 0], dtype=float)).max() <= 1  # the hint: the new colour, as sRGB shows it
    assert np.abs(lab.gray_to_l(case.gray) - lab.rgb_to_l(rgb)).max() < 0.05  # the photo, in black and white
    scores = locality.measure(colorizer, [case])
    assert scores["region_error"] < scores["region_error_automatic"]  # the real model follows the hint
    assert 0 <= scores["rest_moved"] < 40 and np.isfinite(scores["rest_moved_per_unit_removed"])
    assert locality.make_case(np.full((32, 32, 3), 128, np.uint8), seed=3) is None  # one region: nothing outside


def test_locality_command_refuses_bad_settings_in_one_line(tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "training.locality", *args], capture_output=True, text=True,
                              cwd=Path(__file__).parents[1], timeout=300)

    (tmp_path / "notes.yaml").write_text("just: words\n")
    (tmp_path / "broken.yaml").write_text("data: [unclosed\n")
    for config in ("missing.yaml", "notes.yaml", "broken.yaml"):
        result = run("--config", str(tmp_path / config), "--model", "default")
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
    zero = run("--config", str(tmp_path / "notes.yaml"), "--model", "default", "--photos", "0")
    assert zero.returncode == 2 and "--photos" in zero.stderr and "Traceback" not in zero.stderr
