"""The colorize command, run as users run it: a real subprocess on real files."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorize_model import lab


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorize_model", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def album(tmp_path, astronaut, coffee) -> Path:
    folder = tmp_path / "album"
    (folder / "1950s").mkdir(parents=True)
    Image.fromarray(astronaut).convert("L").save(folder / "portrait.jpg", quality=90)
    Image.fromarray(coffee).convert("L").save(folder / "cup.png")
    Image.fromarray(coffee).convert("L").save(folder / "1950s" / "cup.gif")
    (folder / "broken.jpg").write_bytes((folder / "portrait.jpg").read_bytes()[:1500])
    (folder / "notes.png").write_text("not an image at all")
    return folder


def test_folder_with_bad_files(album, tmp_path):
    before = {p: digest(p) for p in album.rglob("*") if p.is_file()}
    result = run(str(album), "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 2 and any("broken.jpg" in e for e in errors) and any("notes.png" in e for e in errors)
    assert "Traceback" not in result.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["cup.png", "portrait.jpg"]
    assert Image.open(out / "portrait.jpg").format == "JPEG"
    colour = np.asarray(Image.open(out / "cup.png"))
    gray = np.asarray(Image.open(album / "cup.png"))
    assert colour.shape == gray.shape + (3,)
    assert np.abs(lab.rgb_to_l(colour) - lab.gray_to_l(gray)).mean() < 0.5
    assert {p: digest(p) for p in album.rglob("*") if p.is_file()} == before  # inputs untouched
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]  # no temp files left


def test_each_result_is_its_own_photos(tmp_path, astronaut, coffee, colorizer):
    """The command decodes each photo while the one before is colorized: every result must
    still be exactly what the package gives for its own photo alone."""
    folder = tmp_path / "photos"
    folder.mkdir()
    photos = {"a.png": astronaut, "b.png": coffee, "c.png": astronaut[::-1, 40:], "d.png": coffee[50:, ::-1]}
    for name, rgb in photos.items():
        Image.fromarray(rgb).convert("L").save(folder / name)
    result = run(str(folder), "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in photos:
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / name)),
                                      colorizer.colorize(folder / name), err_msg=name)


def test_recursive_glob_and_options(album, tmp_path):
    result = run(str(album), "--recursive", "-o", "out", "--saturation", "0", "--render-size", "128",
                 cwd=tmp_path)
    assert result.returncode == 1
    written = tmp_path / "out" / "1950s" / "cup.png"  # sub-folders kept, GIF written as PNG
    rgb = np.asarray(Image.open(written)).astype(int)
    assert np.abs(rgb[..., 0] - rgb[..., 2]).max() <= 2  # saturation 0 is gray
    result = run(str(album / "*.png"), "-o", "globbed", cwd=tmp_path)
    assert (tmp_path / "globbed" / "cup.png").exists() and result.returncode == 1


def test_never_overwrites_without_asking(album, tmp_path):
    assert run(str(album / "cup.png"), "-o", "out", cwd=tmp_path).returncode == 0
    first = digest(tmp_path / "out" / "cup.png")
    again = run(str(album / "cup.png"), "-o", "out", "--saturation", "2", cwd=tmp_path)
    assert again.returncode == 1 and "--overwrite" in again.stderr
    assert digest(tmp_path / "out" / "cup.png") == first
    assert run(str(album / "cup.png"), "-o", "out", "--saturation", "2", "--overwrite",
               cwd=tmp_path).returncode == 0
    assert digest(tmp_path / "out" / "cup.png") != first
    original = digest(album / "cup.png")
    into_itself = run(str(album / "cup.png"), "-o", str(album), "--overwrite", cwd=tmp_path)
    assert into_itself.returncode == 1 and digest(album / "cup.png") == original


def test_output_may_name_the_result_of_one_photo(album, tmp_path):
    done = run(str(album / "portrait.jpg"), "-o", "prints/portrait colour.png", cwd=tmp_path)
    result = tmp_path / "prints" / "portrait colour.png"
    assert done.returncode == 0 and str(result.relative_to(tmp_path)) in done.stderr
    assert Image.open(result).format == "PNG" and [p.name for p in result.parent.iterdir()] == [result.name]
    assert run(str(album / "portrait.jpg"), "-o", str(result), cwd=tmp_path).returncode == 1  # exists
    two = run(str(album / "portrait.jpg"), str(album / "cup.png"), "-o", "both.png", cwd=tmp_path)
    assert two.returncode == 2 and "give a folder" in two.stderr and not (tmp_path / "both.png").exists()
    (tmp_path / "shelf.png").mkdir()  # an existing folder stays a folder, whatever its name
    assert run(str(album / "cup.png"), "-o", "shelf.png", cwd=tmp_path).returncode == 0
    assert (tmp_path / "shelf.png" / "cup.png").is_file()
    assert run(str(album / "cup.png"), "-o", "new.png/", cwd=tmp_path).returncode == 0  # so does a final /
    assert (tmp_path / "new.png" / "cup.png").is_file()
    original = digest(album / "cup.png")
    onto_itself = run(str(album / "cup.png"), "-o", str(album / "cup.png"), "--overwrite", cwd=tmp_path)
    assert onto_itself.returncode == 1 and digest(album / "cup.png") == original


def test_usage_errors(tmp_path):
    assert run("--help", cwd=tmp_path).stdout.startswith("usage: colorize")
    missing_model = run("x.png", "-o", "out", "--model", str(tmp_path / "nope"), cwd=tmp_path)
    assert missing_model.returncode == 2 and "Traceback" not in missing_model.stderr
    assert run(str(tmp_path), "-o", "out", cwd=tmp_path).returncode == 2  # no images in it
    (tmp_path / "h.png").write_bytes(b"")
    (tmp_path / "none").mkdir()
    empty = run(str(tmp_path / "none"), "-o", "out", "--hints", str(tmp_path / "h.png"), cwd=tmp_path)
    assert empty.returncode == 2 and "no images found" in empty.stderr  # not "one hint image for 0 inputs"
    assert run("x.png", "-o", "out", "--saturation", "-1", cwd=tmp_path).returncode == 2


def test_does_not_import_tensorflow(tmp_path, album):
    code = ("import sys; from colorize_model.cli import main; main(['%s', '-o', 'o']); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)" % (album / "cup.png"))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.stdout.split() == ["False", "False"]


def test_results_are_readable_like_any_new_file(album, tmp_path):
    import os
    import stat

    assert run(str(album / "cup.png"), "-o", "out", cwd=tmp_path).returncode == 0
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "out" / "cup.png").stat().st_mode) == 0o666 & ~mask


def _gray(width, height):
    """A gray photo with some structure: a diagonal gradient and a bright disk."""
    y, x = np.mgrid[:height, :width]
    levels = 40 + 150 * (x + y) / (width + height) + 50 * (np.hypot(x - width / 2, y - height / 2) < height / 4)
    return Image.fromarray(levels.astype(np.uint8))


def _hint_png(path, size, colour=(220, 30, 30)):
    rgba = np.zeros((size[1], size[0], 4), np.uint8)
    rgba[: size[1] // 2, : size[0] // 2] = (*colour, 255)
    Image.fromarray(rgba).save(path)


def test_hints_folder_matched_by_name(tmp_path):
    """photo.jpg <- hints/photo.png; a photo without a hint file is automatic; a corrupt hint file
    is that photo's one-line error; nothing is overwritten."""
    photos, hints, out = tmp_path / "in", tmp_path / "hints", tmp_path / "out"
    photos.mkdir(), hints.mkdir()
    gray = _gray(96, 64)
    for name in ("a", "b", "c"):
        gray.save(photos / f"{name}.jpg", quality=95)
    _hint_png(hints / "a.png", (48, 32))  # half the photo's size: scaled
    (hints / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    result = subprocess.run([sys.executable, "-m", "colorize_model", str(photos), "-o", str(out), "--hints", str(hints)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "c.jpg" in errors[0] and "hint image" in errors[0] and "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg", "b.jpg"]
    automatic = subprocess.run([sys.executable, "-m", "colorize_model", str(photos / "a.jpg"), "-o", str(tmp_path / "auto")],
                               capture_output=True, text=True)
    assert automatic.returncode == 0
    hinted = np.asarray(Image.open(out / "a.jpg")).astype(int)
    plain = np.asarray(Image.open(tmp_path / "auto" / "a.jpg")).astype(int)
    assert np.abs(hinted - plain).max() > 10  # the hint changed the colours
    red = hinted[4:28, 4:44]
    assert (red[..., 0] - red[..., 1]).mean() > (plain[4:28, 4:44, 0] - plain[4:28, 4:44, 1]).mean() + 10


def test_hints_match_the_whole_stem_and_only_images(tmp_path):
    """scan.v2.png is not scan.png's hint image; b.txt beside b.webp does not hide it (it did:
    the first file by name was taken, then dropped as no image, and b.webp went unprotected)."""
    from colorize_model.cli import find_hints

    hints = tmp_path / "hints"
    hints.mkdir()
    for name in ("scan.v2.png", "b.txt", "b.webp", "c.jpg", "c.png"):
        (hints / name).write_bytes(b"")
    jobs = [(tmp_path / name, Path(name)) for name in ("scan.png", "scan.v2.png", "b.jpg", "c.tif")]
    assert find_hints(hints, jobs) == {tmp_path / "scan.v2.png": hints / "scan.v2.png",
                                       tmp_path / "b.jpg": hints / "b.webp", tmp_path / "c.tif": hints / "c.png"}


def test_hint_image_needs_one_input_and_is_never_overwritten(tmp_path):
    gray = _gray(64, 64)
    for name in ("a", "b"):
        gray.save(tmp_path / f"{name}.png")
    (tmp_path / "other").mkdir()
    gray.save(tmp_path / "other" / "h.png")
    _hint_png(tmp_path / "h.png", (64, 64))
    two = subprocess.run([sys.executable, "-m", "colorize_model", str(tmp_path / "a.png"), str(tmp_path / "b.png"),
                          "-o", str(tmp_path / "out"), "--hints", str(tmp_path / "h.png")], capture_output=True, text=True)
    assert two.returncode == 2 and "one hint image" in two.stderr
    before = (tmp_path / "h.png").read_bytes()
    # other/h.png's result would be the hint image h.png: refused whatever the flags
    same = subprocess.run([sys.executable, "-m", "colorize_model", str(tmp_path / "other" / "h.png"), "-o", str(tmp_path),
                           "--hints", str(tmp_path / "h.png"), "--overwrite"], capture_output=True, text=True)
    assert (tmp_path / "h.png").read_bytes() == before
    assert same.returncode == 1 and "replace an input" in same.stderr
    missing = subprocess.run([sys.executable, "-m", "colorize_model", str(tmp_path / "a.png"), "-o", str(tmp_path / "o"),
                              "--hints", str(tmp_path / "nope")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def suggest(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorize_model.suggest_cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_suggest_command(album, tmp_path, colorizer):
    """colorize-suggest: the package's suggestions at each point, as lines or JSON, given the hints."""
    photo = album / "cup.png"
    hints = np.zeros((*Image.open(photo).size[::-1], 4), np.uint8)
    hints[100:140, 200:240] = (30, 160, 60, 255)
    Image.fromarray(hints).save(tmp_path / "hints.png")
    done = suggest(str(photo), "210,120", "5,5", "-k", "4", "--json", "--hints", str(tmp_path / "hints.png"),
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    expected = colorizer.suggest_at(Image.open(photo), [(210, 120), (5, 5)], 4, hints=hints)
    assert json.loads(done.stdout) == [
        {"x": x, "y": y, "colours": [["#{:02x}{:02x}{:02x}".format(*rgb), p] for rgb, p in colours]}
        for (x, y), colours in zip([(210.0, 120.0), (5.0, 5.0)], expected)]
    assert done.stdout.startswith('[{"x": 210, "y": 120, ')  # points printed as given, as --help shows
    lines = suggest(str(photo), "210,120", cwd=tmp_path).stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("210,120  #") and lines[0].count("#") == len(
        colorizer.suggest(Image.open(photo), 210, 120))
    for args, status, message in ((["210"], 2, "not a point"), (["1,2", "-k", "0"], 2, "1 to 64"),
                                  (["9999,1"], 1, "outside"), (["1,1", "--hints", str(photo)], 1, "transparency")):
        failed = suggest(str(photo), *args, cwd=tmp_path)
        assert failed.returncode == status and message in failed.stderr, failed.stderr
        assert failed.stderr.splitlines()[-1].startswith("colorize-suggest: error:")
        assert failed.stderr.count("error") == 1 and "Traceback" not in failed.stderr
    broken = suggest(str(album / "broken.jpg"), "1,1", cwd=tmp_path)
    assert broken.returncode == 1 and broken.stderr.startswith("colorize-suggest: error:")
