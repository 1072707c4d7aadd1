"""What a careless user or an attacker tries on the command and the Python API (issue 13):
inputs never written over, every render size and setting either works or is refused
with a message, odd pixel conventions, stray output, signals and file names."""

from __future__ import annotations

import hashlib
import io
import os
import re
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorize_model import InputImageError, lab
from colorize_model.imageio import load_image, unit_levels
from colorize_model.lightness import lightness_and_alpha
from colorize_model.settings import network_render_size
from png_bomb import black_png  # tests/, on sys.path under pytest


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorize_model", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def errors_in(result: subprocess.CompletedProcess) -> list[str]:
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if "error:" in line]


@pytest.fixture
def pair(tmp_path, astronaut, coffee) -> Path:
    """x.gif and x.png side by side: the GIF's result is written as x.png."""
    folder = tmp_path / "pair"
    folder.mkdir()
    Image.fromarray(astronaut).convert("L").save(folder / "x.gif")
    Image.fromarray(coffee).convert("L").save(folder / "x.png")
    return folder


# 4. No run ever writes over one of its inputs, whatever the flags.

def test_result_never_replaces_an_input(pair, tmp_path):
    before = {p.name: digest(p) for p in pair.iterdir()}
    result = cli(pair, "-o", pair, "--overwrite", cwd=tmp_path)
    assert result.returncode == 1
    assert {p.name: digest(p) for p in pair.iterdir()} == before
    assert sum("would replace an input" in line for line in errors_in(result)) == 2  # x.gif's and x.png's


def test_two_inputs_never_share_a_result(pair, tmp_path, coffee):
    result = cli(pair, "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    (line,) = errors_in(result)
    assert "x.gif" in line and "x.png" in line and "also" in line
    assert np.asarray(Image.open(tmp_path / "out" / "x.png")).shape == coffee.shape  # x.png's own result
    again = cli(pair / "x.png", pair / "x.png", "-o", "out2", cwd=tmp_path)  # one input named twice: one job
    assert again.returncode == 0 and "1 of 1 photos" in again.stderr


# 5. Every render size in the documented range works, rounded to what the network takes.

def test_render_size_rule():
    assert [network_render_size(n) for n in (16, 23, 24, 100, 300, 1000, 1024)] == [16, 16, 32, 96, 304, 1008, 1024]


@pytest.mark.parametrize("size", [17, 100, 200, 300, 500, 1000, 1023])
def test_any_render_size_in_range_works(colorizer, size):
    gray = np.random.default_rng(size).integers(0, 256, (40, 60), dtype=np.uint8)
    assert colorizer.colorize(gray, render_size=size).shape == (40, 60, 3)


@pytest.mark.parametrize("kwargs,error", [
    ({"render_size": 15}, ValueError), ({"render_size": 1025}, ValueError), ({"render_size": 100000}, ValueError),
    ({"render_size": 300.0}, TypeError), ({"render_size": "300"}, TypeError),
    ({"saturation": float("nan")}, ValueError), ({"saturation": float("inf")}, ValueError),
    ({"saturation": -0.1}, ValueError), ({"saturation": 1e38}, ValueError), ({"saturation": "1"}, TypeError),
    ({"saturation": 10**400}, ValueError),  # too large for a float: compared exactly, not converted
])
def test_bad_settings_are_refused_with_a_message(colorizer, kwargs, error):
    gray = np.zeros((8, 8), np.uint8)
    with pytest.raises(error, match="render size|saturation"):
        colorizer.colorize(gray, **kwargs)
    with pytest.raises(error, match="render size|saturation"):
        colorizer.colorize_l(np.zeros((8, 8), np.float32), **kwargs)


def test_bad_api_arguments_are_type_and_value_errors(colorizer):
    with pytest.raises(TypeError, match="expected a path"):
        colorizer.colorize(12345)
    with pytest.raises(TypeError, match="float32"):
        colorizer.colorize_l(np.zeros((8, 8), np.int64))
    with pytest.raises(ValueError, match="plane"):
        colorizer.colorize_l(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        colorizer.colorize_l(np.full((8, 8), np.nan, np.float32))


def test_cli_settings(tmp_path, coffee):
    photo = tmp_path / "cup.png"
    Image.fromarray(coffee).convert("L").save(photo)
    assert cli(photo, "-o", "out", "--render-size", "300", cwd=tmp_path).returncode == 0
    for option, value in [("--render-size", "100000"), ("--render-size", "8"), ("--saturation", "nan"),
                          ("--saturation", "inf"), ("--max-megapixels", "0"), ("--max-megapixels", "nan")]:
        result = cli(photo, "-o", "bad", option, value, cwd=tmp_path)
        assert result.returncode == 2 and "Traceback" not in result.stderr, (option, value)
    assert "multiple of 16" in cli("--help", cwd=tmp_path).stdout


# 6. Pixels of every convention come out with their real lightness, never silently black.

@pytest.fixture
def ramp() -> np.ndarray:
    return np.tile(np.linspace(0, 255, 64).round().astype(np.uint8), (16, 1))


def l_of(source) -> np.ndarray:
    return lightness_and_alpha(load_image(source))[0]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_arrays_in_0_to_1(ramp, dtype):
    assert np.abs(l_of((ramp / 255).astype(dtype)) - lab.gray_to_l(ramp)).max() < 0.2
    rgb = np.dstack([ramp / 255] * 3).astype(dtype)
    assert np.abs(l_of(rgb) - lab.gray_to_l(ramp)).max() < 0.2


def test_float_arrays_in_0_to_255(ramp):
    assert np.abs(l_of(ramp.astype(np.float32)) - lab.gray_to_l(ramp)).max() < 0.2


def test_nan_pixels_are_black_and_the_rest_keep_their_level(ramp):
    floats = (ramp / 255).astype(np.float32)
    floats[:, :8] = np.nan
    l_star = l_of(floats)
    assert np.abs(l_star[:, :8]).max() < 1e-3 and np.abs(l_star[:, 8:] - lab.gray_to_l(ramp)[:, 8:]).max() < 0.2


def test_float_and_32_bit_tiffs(tmp_path, ramp, colorizer):
    Image.fromarray((ramp / 255).astype(np.float32)).save(tmp_path / "unit.tif")  # mode F, 0..1
    assert np.abs(l_of(tmp_path / "unit.tif") - lab.gray_to_l(ramp)).max() < 0.2
    levels = ramp.astype(np.int32) * 400  # 32-bit integers up to 102000
    Image.fromarray(levels).save(tmp_path / "wide.tif")  # mode I
    assert Image.open(tmp_path / "wide.tif").mode == "I"
    assert np.abs(l_of(tmp_path / "wide.tif") - lab.gray_to_l(ramp)).max() < 0.2
    assert colorizer.colorize(tmp_path / "unit.tif").mean() > 40  # not black


def test_unit_levels_conventions():
    def top(values, dtype):
        return float(unit_levels(np.array([[0, values]], dtype))[0, 1])

    assert top(1.0, np.float32) == 1.0 and top(1.5, np.float32) == 1.0  # 0..1, overshoot clipped
    assert top(255, np.float32) == 1.0 and top(255, np.int32) == 1.0
    assert top(65535, np.int32) == 1.0 and top(1000, np.int32) == pytest.approx(1000 / 65535)
    assert top(np.inf, np.float32) == 1.0 and top(-5, np.float32) == 0.0


# 8. One photo's failure of any kind is one line, and the rest are done; Ctrl-C and SIGTERM end cleanly.

def odd_file() -> bytes:
    """A TIFF whose strip offsets are typed as floating point: Pillow raises TypeError, not an OSError."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 100).save(buffer, format="TIFF")
    strip_offsets = struct.pack("<HH", 273, 4)  # the tag, typed LONG
    return buffer.getvalue().replace(strip_offsets, struct.pack("<HH", 273, 12), 1)  # typed DOUBLE


def test_any_failure_is_that_photos_one_line(tmp_path, coffee):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_odd.png").write_bytes(odd_file())
    Image.fromarray(coffee).convert("L").save(folder / "b_fine.png")
    result = cli(folder, "-o", "out", cwd=tmp_path)
    (line,) = errors_in(result)
    assert result.returncode == 1 and "a_odd.png" in line and "TypeError" in line
    assert (tmp_path / "out" / "b_fine.png").exists()
    with pytest.raises(InputImageError, match="unreadable image"):
        load_image(folder / "a_odd.png")


def many_photos(folder: Path, count: int) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (600, 800), dtype=np.uint8)).save(folder / f"{i:03}.png")
    return folder


@pytest.mark.parametrize("signum,status,word", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated")])
def test_stopping_a_run(tmp_path, signum, status, word):
    folder = many_photos(tmp_path / "in", 40)
    # Ctrl-C as a terminal sends it: a suite started in the background by a shell without job
    # control (nohup ... &) runs with SIGINT ignored, which its children would inherit.
    process = subprocess.Popen([sys.executable, "-m", "colorize_model", str(folder), "-o", "out"],
                               cwd=tmp_path, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = b""
    while not re.search(rb"\| [1-9][0-9]*/40", seen):  # tqdm's bar: a photo is done, the next under way
        chunk = process.stderr.read1(4096)
        assert chunk, seen
        seen += chunk
    process.send_signal(signum)
    seen += process.stderr.read()
    assert process.wait() == status
    text = seen.decode()
    assert "Traceback" not in text and f"colorize: {word}" in text
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temporary file left


# 9. Leftovers: stale temporary files, earlier results, raw file names.

def test_stale_temporary_files_are_removed(tmp_path, coffee):
    out = tmp_path / "out"
    out.mkdir()
    stale, fresh = out / ".cup.png.ab12cd_9.colorize-part", out / ".cup.png.zz12cd_9.colorize-part"
    others = [out / name for name in (".notes.part", ".db.snapshot.part", ".thesis.20240101.part")]  # not ours
    for path in (stale, fresh, *others):
        path.write_bytes(b"")
    hour_ago = time.time() - 3600
    for path in (stale, *others):
        os.utime(path, (hour_ago, hour_ago))
    photo = tmp_path / "cup.png"
    Image.fromarray(coffee).convert("L").save(photo)
    assert cli(photo, "-o", out, cwd=tmp_path).returncode == 0
    assert not stale.exists() and fresh.exists() and all(path.exists() for path in others)


def test_results_reach_the_disk_before_they_replace_anything(tmp_path, coffee, monkeypatch):
    """A power cut cannot happen here, so the order of the real calls is recorded instead:
    without fsync before the rename, a cut soon after can leave an empty result, which a
    rerun then skips as done."""
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
                        or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda src, dst: calls.append(("replace", str(src), str(dst)))
                        or real_replace(src, dst))
    photo, out = tmp_path / "cup.png", tmp_path / "out" / "cup.png"
    Image.fromarray(coffee).convert("L").save(photo)
    from colorize_model.cli import main

    assert main([str(photo), "-o", str(out.parent)]) == 0
    renames = [i for i, call in enumerate(calls) if call[0] == "replace" and call[2] == str(out)]
    assert len(renames) == 1 and renames[0] > 0, calls
    part = calls[renames[0]][1]
    assert calls[renames[0] - 1] == ("fsync", part), calls  # the part file's bytes, just before it is renamed


def test_paths_this_user_cannot_enter_are_one_line(tmp_path, coffee):
    """Python's Path.exists and is_dir raise on a folder that cannot be entered (EACCES): a
    traceback for a photo, a result or hints behind one. Root ignores permissions, so as root
    the command runs without the capabilities that let it."""
    Image.fromarray(coffee).convert("L").save(tmp_path / "in.png")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0)
    unprivileged = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    try:
        for args, needle in ((["locked/secret.png", "-o", "out"], "locked/secret.png: permission denied"),
                             (["locked", "-o", "out"], "locked: cannot read this folder (Permission denied)"),
                             ([".", "-r", "-o", "out"], "locked: cannot read this folder"),  # not skipped
                             (["in.png", "-o", "locked/result.png"], "Permission denied"),
                             (["in.png", "-o", "out", "--hints", "locked/hints.png"], "cannot read")):
            result = subprocess.run([*unprivileged, sys.executable, "-m", "colorize_model", *args], cwd=tmp_path,
                                    capture_output=True, text=True)
            (line,) = errors_in(result)
            assert result.returncode in (1, 2) and needle in line, line
    finally:
        locked.chmod(0o700)


def test_output_folder_inside_the_input_is_not_read(tmp_path, coffee):
    folder = tmp_path / "album"
    folder.mkdir()
    Image.fromarray(coffee).convert("L").save(folder / "cup.png")
    assert cli(folder, "-r", "-o", folder / "out", cwd=tmp_path).returncode == 0
    again = cli(folder, "-r", "-o", folder / "out", "--overwrite", cwd=tmp_path)
    assert again.returncode == 0 and "1 of 1 photos" in again.stderr
    assert not (folder / "out" / "out").exists()


def test_file_names_are_printed_escaped(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "evil\n\x1b[2Jname.png").write_bytes(b"not an image")
    result = cli(folder, "-o", "out", cwd=tmp_path)
    assert result.returncode == 1 and "\x1b" not in result.stderr
    (line,) = errors_in(result)
    assert "evil\\n\\x1b[2Jname.png" in line
    for command in (["colorize-suggest", folder / "evil\n\x1b[2Jname.png", "1,1"],  # so do the other commands
                    ["colorize-bulk", tmp_path / "missing\x1b[2J", tmp_path / "out2"]):
        done = subprocess.run([Path(sys.executable).parent / command[0], *command[1:]], capture_output=True, text=True)
        assert done.returncode != 0 and "\x1b" not in done.stderr and "\\x1b[2J" in done.stderr, done.stderr


# 10. LiteRT's start-up line does not reach the user; genuine messages do.

def test_stderr_holds_only_the_summary(tmp_path, coffee):
    photo = tmp_path / "cup.png"
    Image.fromarray(coffee).convert("L").save(photo)
    result = cli(photo, "-o", "out", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "1 of 1 photos colorized into out\n"


def test_quieting_keeps_other_messages(tmp_path):
    code = ("import os, sys\n"
            "from colorize_model.runtime import _quiet_stderr\n"
            "print('before', file=sys.stderr)\n"
            "with _quiet_stderr():\n"
            "    os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n')\n"
            "    os.write(2, b'a genuine problem\\n')\n"
            "    print('from python', file=sys.stderr)\n"
            "print('after', file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert result.stderr == "before\na genuine problem\nfrom python\nafter\n"


# 11. Damaged metadata never costs the photo.

def test_jpeg_with_a_garbage_exif_block(tmp_path, colorizer):
    buffer = io.BytesIO()
    Image.new("L", (64, 48), 128).save(buffer, format="JPEG", dpi=(300, 300))  # a scan's resolution: EXIF unread
    jpeg = buffer.getvalue()
    payload = b"Exif\0\0" + b"garbage!" * 20
    path = tmp_path / "old_scan.jpg"
    path.write_bytes(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:])
    assert colorizer.colorize(path).shape == (48, 64, 3)


# 2. The command's pixel limit is its own option, checked from the header.

def broken_png(path: Path, width: int, height: int) -> Path:
    """A PNG declaring ``width`` x ``height`` whose pixel data is not zlib: decoding fails at once."""
    data = bytearray(black_png(path, width, height, rows=1).read_bytes())
    data[41:43] = b"\xff\xff"  # the IDAT's zlib header
    path.write_bytes(data)
    return path


def test_max_megapixels(tmp_path):
    big = broken_png(tmp_path / "big.png", 13000, 12000)  # 156 MP
    refused = cli(big, "-o", "out", cwd=tmp_path)
    assert "over the limit of 150 (see --max-megapixels)" in errors_in(refused)[0]
    allowed = cli(big, "-o", "out", "--max-megapixels", "400", cwd=tmp_path)
    assert "broken data stream" in errors_in(allowed)[0]  # let through to decoding
    vast = broken_png(tmp_path / "vast.png", 20000, 17500)  # 350 MP: beyond Pillow's own check, at 2 x 150 MP
    assert "broken data stream" in errors_in(cli(vast, "-o", "out", "--max-megapixels", "400", cwd=tmp_path))[0]
    small = tmp_path / "small.png"
    Image.new("L", (2000, 1000)).save(small)
    assert "2.0 megapixels, over the limit of 1.5" in errors_in(cli(small, "-o", "o", "--max-megapixels", "1.5",
                                                                    cwd=tmp_path))[0]
