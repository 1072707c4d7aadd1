"""Simulated hints for training (training/hints.py): natural disks, and recoloured regions."""

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


def test_natural_hints_hold_the_photos_own_colour():
    ab = two_halves()
    planes, target = hints.simulate(ab, np.random.default_rng(1))
    assert np.array_equal(target, ab)
    mask = planes[..., 2]
    assert mask.max() <= 1.0 and (mask > 0).any()
    assert not planes[mask == 0].any()
    whole = mask == 1.0  # cells well inside a half, under disks of that half only: its colour
    left, right = whole.copy(), whole.copy()  # (a disk's radius is at most 4 cells)
    left[..., 22:], right[..., :42] = False, False
    np.testing.assert_allclose(planes[left][:, :2], np.broadcast_to((0.3, 0.2), (left.sum(), 2)), atol=0.02)
    np.testing.assert_allclose(planes[right][:, :2], np.broadcast_to((-0.1, -0.25), (right.sum(), 2)), atol=0.02)
    again, _ = hints.simulate(ab, np.random.default_rng(1), recolour_share=0.0)
    assert np.array_equal(again, planes)  # the same draws: resumed runs see the same hints


def test_recoloured_region_is_hinted_and_is_the_target():
    ab = two_halves()
    planes, target = hints.simulate(ab, np.random.default_rng(2), recolour_share=1.0)
    hinted = [i for i in range(len(ab)) if planes[i, ..., 2].any()]
    assert hinted
    changed = 0
    for i in hinted:
        moved = np.abs(target[i] - ab[i]).max(axis=-1) > 1e-6
        if not moved.any():
            continue  # no region large enough under this crop's seeds
        changed += 1
        halves = (moved[:, :32].all() and not moved[:, 32:].any()) or (moved[:, 32:].all() and not moved[:, :32].any())
        assert halves, "exactly one half (one region of like colour) is recoloured"
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
    rgb = np.zeros((96, 128, 3), np.uint8)
    rgb[:, :64], rgb[:, 64:] = (170, 70, 60), (70, 100, 170)  # two regions, a lightness edge between them
    case = locality.make_case(rgb, seed=3)
    assert case is not None
    half = case.inside[:, :64].all() and not case.inside[:, 64:].any()
    assert half or (case.inside[:, 64:].all() and not case.inside[:, :64].any())
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
