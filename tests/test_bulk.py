"""colorize-bulk on a real two-node Ray cluster, on loopback only.

The head and a worker node are started with ``ray start`` inside a network
namespace that has only loopback (``sandbox.Sandbox``), as separate nodes on
127.0.0.1; the driver runs there too. Every run is checked against the
``colorize`` command on the same photos: the same files, the same pixels, and
the bad photos in the report. Then the worker node is killed mid-run, and a
stopped run is resumed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import ray
from PIL import ExifTags, Image

from colorize_model import bulk, bulk_cli
from sandbox import Sandbox

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
PORT = 6390
ADDRESS = f"127.0.0.1:{PORT}"
MARK = "COLORIZE_BULK_TEST_NODE"  # in the environment of every process of a node: which node it is
RENDER = "256"  # slower than the default 160, so that a run lasts long enough to be interrupted
GOOD = 200
LIMIT = ("--max-megapixels", "0.01")  # big.png is over it
BAD = {"bad.jpg": "corrupt or truncated image", "empty.png": "empty file", "sub/text.tif": "not an image",
       "big.png": "over the limit of 0.01"}


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """200 small gray photos in several formats (and a sub-folder), four bad files and a note."""
    root = tmp_path_factory.mktemp("photos")
    (root / "sub").mkdir()
    rng = np.random.default_rng(0)
    ramp = np.add.outer(np.arange(48), np.arange(64))
    for i in range(GOOD):
        gray = np.clip(ramp * (i % 5 + 1) + rng.integers(0, 60, ramp.shape), 0, 255).astype(np.uint8)
        suffix = [".jpg", ".png", ".gif", ".tif"][i % 4]  # GIF results become PNG, as the CLI writes them
        exif = Image.Exif()
        exif[ExifTags.Base.DateTime] = f"1950:01:{i % 28 + 1:02d} 12:00:00"  # kept by results, as the CLI keeps it
        Image.fromarray(gray).save(root / ("sub" if i % 3 == 0 else ".") / f"photo{i:03d}{suffix}",
                                   **({"exif": exif, "dpi": (600, 600)} if suffix == ".jpg" else {}))
    (root / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    (root / "empty.png").write_bytes(b"")
    (root / "sub" / "text.tif").write_text("not a picture")
    Image.new("L", (200, 150)).save(root / "big.png")
    (root / "notes.txt").write_text("not a photo either: never listed")
    return root


@pytest.fixture(scope="module")
def reference(photos, tmp_path_factory) -> Path:
    """What the ``colorize`` command makes of the same folder, with the same settings."""
    out = tmp_path_factory.mktemp("reference")
    done = subprocess.run([BIN / "colorize", photos, "--recursive", "-o", out, "--render-size", RENDER, *LIMIT],
                          capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.count("colorize: error:") == len(BAD), done.stderr
    return out


class Cluster:
    """A Ray head node and worker nodes on 127.0.0.1, in a loopback-only namespace."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.workers = 0
        self.start("head", "--head", f"--port={PORT}", "--num-cpus=3", "--include-dashboard=false",
                   "--disable-usage-stats")

    def start(self, node: str, *args: str) -> None:
        done = self.sandbox.run([BIN / "ray", "start", "--node-ip-address=127.0.0.1", *args], **{MARK: node})
        assert done.returncode == 0, done.stdout + done.stderr

    def worker_node(self) -> str:
        """The name of a live worker node (one CPU), started if there is none."""
        name = f"worker{self.workers}"
        if not self.processes(name):
            self.workers += 1
            name = f"worker{self.workers}"
            self.start(name, f"--address={ADDRESS}", "--num-cpus=1")
        return name

    def processes(self, node: str) -> list[tuple[int, str]]:
        """(pid, command line) of every process of ``node``."""
        found = []
        for pid in self.sandbox.processes():
            try:
                environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:  # gone meanwhile
                continue
            if f"{MARK}={node}".encode() in environment:
                found.append((pid, command))
        return found

    def kill(self, node: str) -> None:
        for pid, _ in self.processes(node):
            with_gone_ignored(os.kill, pid, signal.SIGKILL)

    def close(self) -> None:
        for pid in self.sandbox.processes():  # only what this test started lives in the namespace
            with_gone_ignored(os.kill, pid, signal.SIGKILL)


def with_gone_ignored(kill, pid: int, sig: int) -> None:
    try:
        kill(pid, sig)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    home = tmp_path_factory.mktemp("ray-home")
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths must stay short
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    # HOME and RAY_TMPDIR: Ray's token file and session folders stay the test's. A dead node is
    # declared dead after 3 missed health checks, 0.5 s apart (not 5 x 3 s).
    env.update(PYTHONPATH=str(ROOT), HOME=str(home), RAY_TMPDIR=temp, RAY_USAGE_STATS_ENABLED="0",
               RAY_AUTH_MODE="disabled", RAY_health_check_period_ms="500", RAY_health_check_failure_threshold="3")
    sandbox = Sandbox(home, env)
    nodes = None
    try:
        nodes = Cluster(sandbox)
        yield nodes
    finally:
        if nodes:
            nodes.close()
        sandbox.close()
        shutil.rmtree(temp, ignore_errors=True)


def bulk_command(photos: Path, out: Path, *extra: str) -> list:
    return [BIN / "colorize-bulk", photos, out, "--render-size", RENDER, *LIMIT, *extra]


def on_cluster(*extra: str) -> tuple[str, ...]:
    return ("--address", ADDRESS, "--workers", "2", *extra)


def results(out: Path) -> dict[str, Path]:
    return {p.relative_to(out).as_posix(): p for p in out.rglob("*") if p.is_file()}


def stamps(out: Path) -> dict[str, tuple[int, int]]:
    return {name: (path.stat().st_ino, path.stat().st_mtime_ns) for name, path in results(out).items()}


def check_like_the_cli(out: Path, reference: Path) -> dict:
    """Every result once, no stray file (half-written or temporary), the CLI's pixels; the report."""
    made, expected = results(out), results(reference)
    assert made.keys() - {bulk.REPORT} == expected.keys()
    assert len(expected) == GOOD
    for name, path in expected.items():
        assert np.array_equal(np.asarray(Image.open(made[name])), np.asarray(Image.open(path))), name
        made_image, cli_image = Image.open(made[name]), Image.open(path)
        assert (made_image.getexif(), made_image.info.get("dpi")) == (cli_image.getexif(), cli_image.info.get("dpi"))
    assert sum(ExifTags.Base.DateTime in Image.open(path).getexif() for path in expected.values()) == GOOD // 4
    report = json.loads(made[bulk.REPORT].read_text())
    assert {row["path"]: row["reason"] for row in report["failed"]}.keys() == BAD.keys()
    for row in report["failed"]:
        assert BAD[row["path"]] in row["reason"] and "\n" not in row["reason"]
    return report


def one_line_per_bad_photo(stderr: str) -> None:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.replace("\r", "\n").splitlines() if line.startswith("colorize-bulk: error:")]
    assert sorted(line.split(": ")[2] for line in errors) == sorted(BAD), stderr


def wait_for(condition) -> None:
    while not condition():
        time.sleep(0.05)


def test_on_two_nodes_it_is_the_cli_and_a_rerun_does_nothing(cluster, photos, reference, tmp_path):
    cluster.worker_node()
    out = tmp_path / "colour"
    done = cluster.sandbox.run(bulk_command(photos, out, *on_cluster()))
    assert done.returncode == 1, done.stderr  # 1: some photos were bad
    one_line_per_bad_photo(done.stderr)
    assert f"{GOOD} of {GOOD + len(BAD)} photos colorized" in done.stderr
    report = check_like_the_cli(out, reference)
    assert (report["colorized"], report["already_done"]) == (GOOD, 0)

    before = stamps(out)
    again = cluster.sandbox.run(bulk_command(photos, out, *on_cluster()))
    assert again.returncode == 1 and f"{GOOD} results already in" in again.stderr, again.stderr
    assert json.loads((out / bulk.REPORT).read_text())["colorized"] == 0
    after = stamps(out)
    assert {k: v for k, v in after.items() if k != bulk.REPORT} == {k: v for k, v in before.items()
                                                                     if k != bulk.REPORT}


def test_a_killed_worker_node_loses_nothing(cluster, photos, reference, tmp_path):
    node = cluster.worker_node()
    out = tmp_path / "colour"
    driver = subprocess.Popen(cluster.sandbox.command(bulk_command(photos, out, *on_cluster())),
                              env=cluster.sandbox.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def worker_node_is_colorizing() -> bool:
        actor = any("MapWorker" in command for _, command in cluster.processes(node))
        return actor and out.is_dir() and len(list(out.rglob("photo*"))) >= 16 or driver.poll() is not None

    wait_for(worker_node_is_colorizing)
    assert driver.poll() is None and len(list(out.rglob("photo*"))) < GOOD, "the run ended before the kill"
    cluster.kill(node)
    stdout, stderr = driver.communicate()
    assert driver.returncode == 1, stderr
    one_line_per_bad_photo(stderr)
    check_like_the_cli(out, reference)
    assert not cluster.processes(node)


@pytest.mark.parametrize("stop, status", [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGTERM, 143)])
def test_a_stopped_run_is_finished_by_running_it_again(cluster, photos, reference, tmp_path, stop, status):
    """Stopped by killing the driver (a crash) or by SIGTERM (a scheduler); finished by a run on a
    local Ray started on the fly."""
    cluster.worker_node()
    out = tmp_path / "colour"
    driver = subprocess.Popen(cluster.sandbox.command(bulk_command(photos, out, *on_cluster())),
                              env=cluster.sandbox.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: out.is_dir() and len(list(out.rglob("photo*"))) >= 50 or driver.poll() is not None)
    driver.send_signal(stop)
    stderr = driver.communicate()[1]
    assert driver.returncode == status, f"the run ended before it was stopped: {stderr}"
    if stop == signal.SIGTERM:
        assert "Traceback" not in stderr and "run the same command again" in stderr.splitlines()[-1], stderr
    first = {k: v for k, v in stamps(out).items() if not k.endswith(bulk.TEMP_SUFFIX)}

    again = cluster.sandbox.run(bulk_command(photos, out, "--workers", "1"))
    assert again.returncode == 1, again.stderr
    report = check_like_the_cli(out, reference)
    assert report["already_done"] >= len(first) >= 50 and report["already_done"] + report["colorized"] == GOOD
    assert report["colorized"] < GOOD
    later = stamps(out)
    assert all(later[name] == stamp for name, stamp in first.items())  # what was done is not done again


@pytest.mark.parametrize("problem, args, message", [
    ("no photos", ["{empty}", "{out}"], "no images found"),
    ("missing folder", ["{tmp}/missing", "{out}"], "no such folder"),
    ("results inside the photos", ["{photos}", "{photos}/colour"], "must be outside"),
    ("photos inside the results", ["{photos}", "{photos}/.."], "must be outside"),
    # a link to the photos' folder is that folder: --overwrite replaced the photos with their results
    ("results through a link to the photos", ["{photos}", "{link}", "--overwrite"], "must be outside"),
    ("a name that is not UTF-8", ["{odd}", "{out}"], "name is not UTF-8"),
    ("bad model", ["{photos}", "{out}", "--model", "{tmp}"], "not a model folder"),
    ("unknown scheme", ["nosuch://bucket/x", "{out}"], "nosuch://bucket/x"),
])
def test_nothing_starts_on_bad_arguments(photos, tmp_path, capsys, problem, args, message):
    """Exit status 2 and one line, before any Ray is started (so these run here, outside any namespace)."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(photos)
    (tmp_path / "odd").mkdir()
    Path(os.fsdecode(os.fsencode(tmp_path / "odd") + b"/scan\xff.png")).write_bytes(b"")  # Latin-1, say
    names = {"empty": tmp_path / "empty", "out": tmp_path / "out", "tmp": tmp_path, "photos": photos,
             "link": tmp_path / "link", "odd": tmp_path / "odd"}
    assert bulk_cli.main([a.format(**names) for a in args]) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("colorize-bulk: error:") and message in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert not ray.is_initialized() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("option", [["--render-size", "2000"], ["--saturation", "-1"], ["--max-megapixels", "0"],
                                    ["--workers", "0"]])
def test_settings_are_checked_as_the_cli_checks_them(option, capsys):
    with pytest.raises(SystemExit) as stop:
        bulk_cli.main(["photos", "colour", *option])
    assert stop.value.code == 2 and "colorize-bulk: error:" in capsys.readouterr().err


def test_names_that_clash_are_reported_not_overwritten(tmp_path):
    (tmp_path / "photos").mkdir()
    for name in ("a.gif", "a.png", "b.ppm", "c.txt"):
        (tmp_path / "photos" / name).write_bytes(b"")
    job = bulk.plan(str(tmp_path / "photos"), str(tmp_path / "out"))
    assert job.jobs == [("a.gif", "a.png"), ("b.ppm", "b.png")]
    assert job.failed == [("a.png", "its result a.png is a.gif's")]


def test_links_to_folders_among_the_photos_are_not_followed(tmp_path):
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    for name in ("a.png", "sub/b.png"):
        (photos / name).write_bytes(b"")
    (photos / "again").symlink_to(photos)  # a loop: pyarrow's listing went round it to the link limit
    (photos / "everything").symlink_to("/")
    (photos / "c.png").symlink_to(photos / "a.png")  # a link to a file is a photo, as for colorize
    job = bulk.plan(str(photos), str(tmp_path / "out"))
    assert job.jobs == [("a.png", "a.png"), ("c.png", "c.png"), ("sub/b.png", "sub/b.png")]


def test_results_are_never_written_through_a_link_into_the_photos(tmp_path):
    """A rename follows a link to a folder: out/sub -> photos/sub made sub/b.png's result
    replace the photo itself (without --overwrite too: the listing does not follow links)."""
    photos, out = tmp_path / "photos", tmp_path / "out"
    (photos / "sub").mkdir(parents=True)
    for name in ("a.png", "sub/b.png"):
        (photos / name).write_bytes(b"")
    out.mkdir()
    (out / "sub").symlink_to(photos / "sub")
    job = bulk.plan(str(photos), str(out), overwrite=True)
    assert job.jobs == [("a.png", "a.png")]
    assert job.failed == [("sub/b.png", f"its result sub/b.png would be written among the photos "
                                        f"(a folder in {out} links there)")]
    as_uris = bulk.plan(f"file://{photos}", f"file://{out}", overwrite=True)  # local too, as pyarrow names it
    assert as_uris.jobs == job.jobs and [photo for photo, _ in as_uris.failed] == ["sub/b.png"]


def test_only_bulk_imports_ray():
    code = "import sys, colorize_model.cli, colorize_model.bulk_cli; print('ray' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
