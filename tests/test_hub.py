"""Hub pull and publish, against real servers on loopback, with no network at all.

Every Hub client and server here runs inside a private network namespace that
has only a loopback interface (``unshare --net``, entered with ``nsenter``), so
a test passes only if nothing needs the internet.

* Pulls come from a real ``olah`` server (a self-hosted Hub mirror) serving git
  repositories the tests build: two commits, two tags, large files in LFS.
* Publishing goes to ``hub_standin.py``, a STAND-IN for the Hub's upload API
  (no self-hostable server accepts uploads); it writes git repositories that
  the olah server then serves, so what was published is pulled back for real.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from colorize_model.models import ModelConfig
from sandbox import Sandbox

BIN = Path(sys.executable).parent
TESTS = Path(__file__).parent
OLAH, STANDIN, OLAH_PUBLISHED = "http://127.0.0.1:8090", "http://127.0.0.1:8091", "http://127.0.0.1:8092"
ANY_REVISION = "http://127.0.0.1:8093"  # hub_any_revision.py
DEAD = "http://127.0.0.1:9"  # nothing listens there: "no network"
TOKEN = "hf_standin_token"
LFS_SUFFIXES = (".tflite", ".h5")
PREDICT = (
    "import sys, numpy as np\n"
    "from colorize_model import Colorizer\n"
    "ref, revision, image, out = sys.argv[1:]\n"
    "model = Colorizer.from_pretrained(ref, revision=revision) if revision else Colorizer.load(ref)\n"
    "np.save(out, model.colorize(image))\n"
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    home = tmp_path_factory.mktemp("sandbox")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and "proxy" not in k.lower()}
    env.update(HF_HOME=str(home / "hf-home"), HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1",
               PYTHONPATH=str(TESTS.parent))
    box = Sandbox(home, env)
    yield box
    box.close()


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait()


# --- models and repos ---------------------------------------------------------

def tiny_model(folder: Path, seed: int) -> Path:
    """A real (tiny) model folder, exported the way ``colorize_model.export`` does."""
    import keras

    keras.utils.set_random_seed(seed)
    net = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Rescaling(0.02, offset=-1.0),
                            keras.layers.Conv2D(2, 3, padding="same", activation="tanh")])
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(ModelConfig("tiny", render_size=32, description=f"seed {seed}").to_json())
    net.export(str(folder / "model.tflite"), format="litert", verbose=False)
    net.save_weights(folder / "model.weights.h5")
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {name: tiny_model(root / name, seed) for seed, name in enumerate(("v1", "v2"), 1)}


@pytest.fixture(scope="module")
def photo(sandbox) -> Path:
    path = sandbox.home / "old.png"
    ramp = np.add.outer(np.arange(30), np.arange(40)) * 3
    Image.fromarray(ramp.astype(np.uint8), "L").save(path)
    return path


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def mirror_commit(repo: Path, files: dict[str, bytes], tag: str | None = None) -> str:
    """Commit ``files`` into an olah mirror repo, binaries as git-LFS pointers like the Hub's."""
    if not repo.exists():
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
    for name, data in files.items():
        if name.endswith(LFS_SUFFIXES):
            oid = hashlib.sha256(data).hexdigest()
            stored = repo / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
            stored.parent.mkdir(parents=True, exist_ok=True)
            stored.write_bytes(data)
            data = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n".encode()
        (repo / name).write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"upload {', '.join(files)}")
    if tag:
        git(repo, "tag", tag)
    return git(repo, "rev-parse", "HEAD")


def folder_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def start_olah(sandbox: Sandbox, mirrors: Path, url: str) -> subprocess.Popen:
    work = mirrors.parent / "olah"
    work.mkdir()
    (work / "olah.toml").write_text(
        f'[basic]\nhost = "127.0.0.1"\nport = {url.rsplit(":", 1)[1]}\nrepos-path = "{work / "repos"}"\n'
        f'mirrors-path = ["{mirrors}"]\nmetadata-cache-ttl = 0\n[accessibility]\noffline = true\n'
    )
    return sandbox.start([BIN / "olah-cli", "-c", work / "olah.toml"], "Uvicorn running on", work)


@pytest.fixture(scope="module")
def hub(sandbox, models, tmp_path_factory):
    """olah serving alice/tiny (v1, v2), alice/no-runtime and alice/pickled; yields the commit ids."""
    mirrors = tmp_path_factory.mktemp("pull") / "mirrors"
    tiny = mirrors / "models" / "alice" / "tiny"
    commits = {"v1": mirror_commit(tiny, {"README.md": b"# tiny\n", **folder_files(models["v1"])}, "v1")}
    commits["v2"] = mirror_commit(tiny, {**folder_files(models["v2"]), "pytorch_model.bin": b"\x80\x04pickle"}, "v2")
    config = (models["v1"] / "config.json").read_bytes()
    mirror_commit(mirrors / "models" / "alice" / "no-runtime", {"config.json": config})
    pickled = {**folder_files(models["v1"]), "model.tflite": b"\x80\x04\x95 a pickle, not a flatbuffer"}
    mirror_commit(mirrors / "models" / "alice" / "pickled", pickled)
    server = start_olah(sandbox, mirrors, OLAH)
    yield commits
    stop(server)


# --- pulling ------------------------------------------------------------------

def predict(sandbox: Sandbox, ref: str, photo: Path, revision: str = "", cwd: Path | None = None,
            **env: str) -> np.ndarray:
    out = sandbox.home / "prediction.npy"
    done = sandbox.run([sys.executable, "-c", PREDICT, ref, revision, photo, out], cwd, **env)
    assert done.returncode == 0, done.stderr
    return np.load(out)


def cli(sandbox: Sandbox, model: str, photo: Path, **env: str) -> subprocess.CompletedProcess:
    out = sandbox.home / "cli-out"
    shutil.rmtree(out, ignore_errors=True)
    return sandbox.run([BIN / "colorize", photo, "-o", out, "--model", model], **env)


def one_line_error(done: subprocess.CompletedProcess, *needles: str) -> str:
    """The CLI failed with one readable line naming the problem, no traceback."""
    assert done.returncode != 0, done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_sandbox_has_no_network_but_loopback(sandbox):
    done = sandbox.run([sys.executable, "-c", "import socket; print(socket.if_nameindex())"])
    assert done.stdout.strip() == "[(1, 'lo')]"


def test_pinned_revisions_give_exactly_that_version(sandbox, hub, models, photo):
    cache = str(sandbox.home / "cache-pinned")
    local = {name: predict(sandbox, str(folder), photo) for name, folder in models.items()}
    assert not np.array_equal(local["v1"], local["v2"])

    assert np.array_equal(predict(sandbox, "hf://alice/tiny@v1", photo, HF_ENDPOINT=OLAH, HF_HUB_CACHE=cache),
                          local["v1"])
    assert np.array_equal(predict(sandbox, "hf://alice/tiny", photo, HF_ENDPOINT=OLAH, HF_HUB_CACHE=cache),
                          local["v2"])  # no revision: main
    pinned = predict(sandbox, "alice/tiny", photo, revision=hub["v1"], HF_ENDPOINT=OLAH, HF_HUB_CACHE=cache)
    assert np.array_equal(pinned, local["v1"])  # from_pretrained with a commit id

    done = cli(sandbox, "hf://alice/tiny@v2", photo, HF_ENDPOINT=OLAH, HF_HUB_CACHE=cache)
    assert done.returncode == 0, done.stderr
    assert np.array_equal(np.asarray(Image.open(sandbox.home / "cli-out" / "old.png")), local["v2"])

    snapshots = Path(cache, "models--alice--tiny", "snapshots")
    assert {path.name for path in snapshots.iterdir()} == set(hub.values())
    fetched = {path.name for snapshot in snapshots.iterdir() for path in snapshot.iterdir()}
    assert fetched == {"README.md", "config.json", "model.tflite", "model.weights.h5"}  # never the pickle


def test_cached_model_works_without_network(sandbox, hub, models, photo):
    cache = str(sandbox.home / "cache-offline")
    expected = predict(sandbox, "hf://alice/tiny@v1", photo, HF_ENDPOINT=OLAH, HF_HUB_CACHE=cache)
    assert np.array_equal(predict(sandbox, "hf://alice/tiny@v1", photo, HF_ENDPOINT=DEAD, HF_HUB_CACHE=cache),
                          expected)
    assert np.array_equal(predict(sandbox, "hf://alice/tiny@v1", photo, HF_ENDPOINT=DEAD, HF_HUB_CACHE=cache,
                                  HF_HUB_OFFLINE="1"), expected)
    done = cli(sandbox, "hf://alice/tiny@v1", photo, HF_ENDPOINT=DEAD, HF_HUB_CACHE=cache)
    assert done.returncode == 0, done.stderr
    # A revision never fetched is not made up from another one.
    one_line_error(cli(sandbox, "hf://alice/tiny@v2", photo, HF_ENDPOINT=DEAD, HF_HUB_CACHE=cache),
                   "hf://alice/tiny@v2", "cache")


@pytest.mark.parametrize(("model", "env", "needles"), [
    ("hf://alice/nope", {}, ("hf://alice/nope", "no such model repo")),
    ("hf://alice/tiny@v9", {}, ("hf://alice/tiny@v9", "revision 'v9' not found")),
    ("hf://alice/no-runtime", {}, ("hf://alice/no-runtime", "model.tflite")),
    ("hf://alice/pickled", {}, ("hf://alice/pickled", "model.tflite", "refusing")),
    ("hf://alice/tiny@v1", {"HF_ENDPOINT": DEAD}, ("hf://alice/tiny@v1", "cannot be reached")),
    ("hf://alice/tiny@v1", {"HF_HUB_OFFLINE": "1"}, ("hf://alice/tiny@v1", "HF_HUB_OFFLINE")),
    ("hf://alice", {}, ("hf://alice", "hf://owner/name")),
])
def test_pull_errors_are_one_clear_line(sandbox, hub, photo, model, env, needles):
    cache = sandbox.home / "cache-errors"
    shutil.rmtree(cache, ignore_errors=True)
    one_line_error(cli(sandbox, model, photo, **{"HF_ENDPOINT": OLAH, "HF_HUB_CACHE": str(cache), **env}), *needles)


@pytest.mark.parametrize("ref", [
    "hf://alice/tiny@../../../escaped", "hf://alice/tiny@/tmp/escaped", "hf://alice/tiny@refs/../../x",
    "hf://alice/tiny@a\\..\\x", "hf://alice/tiny@.git", "hf://alice/tiny@v1/", "hf://alice/tiny@v1 x",
    "hf://alice/tiny@v1\nx", "hf://alice/tiny@x@y", "hf://alice/tiny@" + "v" * 256,
    "hf://../tiny", "hf://alice/..", "hf://alice/.tiny", "hf://alice/tiny-", "hf://al--ice/tiny",
    "hf://alice/ti..ny", "hf://alice/tiny/x", "hf://ålice/tiny", "hf://alice/" + "t" * 97,
])
def test_names_the_hub_cannot_have_are_refused_before_any_request(ref):
    """Through the Python API, in this process: one line that names the bad part."""
    from colorize_model import Colorizer
    from colorize_model.errors import ModelError

    refusal = (r"^[^\n]*: ((owner|name) '.*' is not a Hub name|revision '.*' is not a branch, tag or commit name"
               r"|expected hf://owner/name or hf://owner/name@revision)( \(.*\))?$")
    with pytest.raises(ModelError, match=refusal):
        Colorizer.load(ref)
    repo_id, _, revision = ref[len("hf://"):].partition("@")
    with pytest.raises(ModelError, match=refusal):
        Colorizer.from_pretrained(repo_id, revision=revision or None)


@pytest.mark.parametrize("ref", ["hf://alice/tiny", "hf://alice/tiny@v1.0+cpu", "hf://Alice_1/tiny.v2-x@refs/pr/1",
                                 "hf://alice/tiny@" + "c" * 40])
def test_names_the_hub_can_have_are_accepted(ref):
    from colorize_model.hub import parse_ref

    repo_id, revision = parse_ref(ref)
    assert f"hf://{repo_id}" + (f"@{revision}" if revision else "") == ref


def test_revision_cannot_write_outside_the_cache(sandbox, photo, tmp_path):
    """Against a server that resolves any revision, huggingface_hub would write the
    commit to cache/models--alice--tiny/refs/REVISION: outside the cache for these."""
    server = sandbox.start([sys.executable, TESTS / "hub_any_revision.py", ANY_REVISION.rsplit(":", 1)[1]],
                           "ready", tmp_path)
    cache = tmp_path / "home" / "cache"
    try:
        for revision in ("../../../escaped", str(tmp_path / "absolute")):
            done = cli(sandbox, f"hf://alice/tiny@{revision}", photo, HF_ENDPOINT=ANY_REVISION,
                       HF_HUB_CACHE=str(cache))
            one_line_error(done, revision, "revision")
        assert list(tmp_path.iterdir()) == []  # no request (the server logs each), no cache, no escape
        # A proper revision reaches the server, which answers with a folder that has no model.
        one_line_error(cli(sandbox, "hf://alice/tiny@v1", photo, HF_ENDPOINT=ANY_REVISION,
                           HF_HUB_CACHE=str(cache)), "hf://alice/tiny@v1", "none of the model's files")
        assert "GET /api/models/alice/tiny/revision/v1" in (tmp_path / "requests.log").read_text()
        assert (cache / "models--alice--tiny" / "refs" / "v1").read_text() == "c" * 40
    finally:
        stop(server)


def test_answers_that_would_be_paths_are_refused_before_anything_is_written(sandbox, photo, tmp_path):
    """huggingface_hub stores a file under the etag a server gives and a snapshot under its commit:
    from a mirror that sends '../' there it wrote outside the cache (and loaded the model)."""
    server = sandbox.start([sys.executable, TESTS / "hub_any_revision.py", ANY_REVISION.rsplit(":", 1)[1]],
                           "ready", tmp_path)
    cache = tmp_path / "home" / "cache"
    try:
        for repo, needle in (("alice/etag", "etag is not a checksum"), ("alice/commit", "commit is not a sha1")):
            done = cli(sandbox, f"hf://{repo}", photo, HF_ENDPOINT=ANY_REVISION, HF_HUB_CACHE=str(cache))
            one_line_error(done, f"hf://{repo}", needle)
        log = (tmp_path / "requests.log").read_text()
        assert "/alice/etag/resolve/" in log and "/api/models/alice/commit/" in log  # the server was asked
        written = {path.relative_to(tmp_path) for path in tmp_path.rglob("*") if not path.is_dir()}
        assert all(path.parts[:2] == ("home", "cache") for path in written - {Path("requests.log")}), written
        assert not list(tmp_path.rglob("escaped*"))
    finally:
        stop(server)


BOUNDED_CLI = ("import sys\n"
               "from colorize_model import cli, hub\n"
               "hub.TIMEOUT, hub.DEADLINE, hub.MAX_FILE_BYTES = 0.5, 1.0, 1 << 20  # the test's: 60 s, 600 s, 1 GiB\n"
               "sys.argv[0] = 'colorize'\n"
               "sys.exit(cli.main())\n")


def test_answers_too_slow_too_large_or_compressed_are_refused(sandbox, photo, tmp_path):
    """huggingface_hub's own client waits for ever on a silent server, as long as a server keeps
    sending (and retries a download that timed out after any byte), and stores whatever it is
    sent: each answer is bounded in time and size, and asked for uncompressed, so a small
    answer cannot unpack into a huge one."""
    server = sandbox.start([sys.executable, TESTS / "hub_any_revision.py", ANY_REVISION.rsplit(":", 1)[1]],
                           "ready", tmp_path)
    try:
        for repo, needle in (("alice/silent", "did not answer within 0.5 s"),
                             ("alice/slow", "a file took more than 1 s"),
                             ("alice/endless", "a file is larger than 1 MB"),
                             ("alice/huge", "a file is larger than 1 MB"),
                             ("alice/zipped", "a file compressed (gzip) though asked for uncompressed")):
            done = sandbox.run([sys.executable, "-c", BOUNDED_CLI, photo, "-o", tmp_path / "out", "--model",
                                f"hf://{repo}"], HF_ENDPOINT=ANY_REVISION, HF_HUB_CACHE=str(tmp_path / "cache"))
            one_line_error(done, f"hf://{repo}", needle)
        # huggingface_hub retries a download that timed out five times (its own timeout), with
        # two lines of warning each: one line here
        done = sandbox.run([sys.executable, "-c", BOUNDED_CLI, photo, "-o", tmp_path / "out", "--model",
                            "hf://alice/stalled"], HF_ENDPOINT=ANY_REVISION, HF_HUB_CACHE=str(tmp_path / "cache"),
                           HF_HUB_DOWNLOAD_TIMEOUT="1")
        one_line_error(done, "hf://alice/stalled", "ReadTimeout")
        done = sandbox.run([BIN / "colorize", photo, "-o", tmp_path / "out", "--model", "hf://alice/stalled"],
                           HF_ENDPOINT=ANY_REVISION, HF_HUB_DOWNLOAD_TIMEOUT="0.2")  # not a number it takes
        one_line_error(done, "hf://alice/stalled", "check the HF_* environment variables")
        log = (tmp_path / "requests.log").read_text().splitlines()
        assert {line.split()[-1] for line in log} == {"identity"}, log
        assert "GET /alice/endless/resolve/" in "\n".join(log)  # refused while it was sent, not before
        assert not (tmp_path / "out").exists()
    finally:
        stop(server)


def test_bad_token_is_one_clear_line(sandbox, tmp_path, photo):
    standin = start_standin(sandbox, tmp_path / "mirrors")
    try:
        done = cli(sandbox, "hf://alice/tiny", photo, HF_ENDPOINT=STANDIN, HF_TOKEN="hf_wrong",
                   HF_HUB_CACHE=str(tmp_path / "cache"))
    finally:
        stop(standin)
    one_line_error(done, "hf://alice/tiny", "token")


def test_cached_file_that_differs_from_the_hub_checksum_is_refused(sandbox, hub, photo):
    cache = sandbox.home / "cache-corrupt"
    predict(sandbox, "hf://alice/tiny@v1", photo, HF_ENDPOINT=OLAH, HF_HUB_CACHE=str(cache))
    runtime = next((cache / "models--alice--tiny" / "snapshots").glob("*/model.tflite")).resolve()
    assert len(runtime.name) == 64  # an LFS file: its etag is its sha256
    runtime.write_bytes(runtime.read_bytes()[:-1] + b"!")
    one_line_error(cli(sandbox, "hf://alice/tiny@v1", photo, HF_ENDPOINT=OLAH, HF_HUB_CACHE=str(cache)),
                   "model.tflite", "checksum")


# --- publishing ---------------------------------------------------------------

def start_standin(sandbox: Sandbox, root: Path) -> subprocess.Popen:
    root.mkdir(parents=True, exist_ok=True)
    return sandbox.start([sys.executable, TESTS / "hub_standin.py", root, 8091, TOKEN], "ready", root)


METRICS = {"sets": {
    "kodak24": {"folder": "eval/kodak24", "mean": {"model": {"psnr": 24.5, "ssim": 0.91, "auc": None},
                                                   "gray": {"psnr": 23.0}}},
    "mcmaster": {"model": {"psnr": 22.25, "delta_e2000": 9.5}, "gray": {"psnr": 21.0}},
}, "pooled": {"mean": {"model": {"psnr": 23.9}}}}


def make_run(root: Path, model: Path, **drop: bool) -> Path:
    export = root / "export"
    shutil.copytree(model, export)
    (export / "metrics.json").write_text(json.dumps(METRICS))
    (export / "MODEL_CARD.md").write_text("---\nlicense: cc-by-nc-4.0\ndatasets:\n- imagenette\n---\n# Tiny\n")
    for name in drop:
        (export / name).unlink()
    return root


def publish(sandbox: Sandbox, run: Path, *args: str, token: str = TOKEN) -> subprocess.CompletedProcess:
    return sandbox.run([sys.executable, "-m", "training.publish", "--run", run, *args],
                       HF_ENDPOINT=STANDIN, HF_TOKEN=token, HF_HUB_CACHE=str(sandbox.home / "publish-cache"))


@pytest.fixture
def published(sandbox, tmp_path):
    """The stand-in upload API, and olah serving what it stores."""
    mirrors = tmp_path / "mirrors"
    standin, olah = start_standin(sandbox, mirrors), start_olah(sandbox, mirrors, OLAH_PUBLISHED)
    yield mirrors
    stop(standin)
    stop(olah)


def front_matter(text: str) -> dict:
    return yaml.safe_load(re.match(r"---\n(.*?)\n---\n", text, re.S).group(1))


def test_publish_then_pull_gives_the_same_predictions(sandbox, published, models, photo, tmp_path):
    run = make_run(tmp_path / "run-1", models["v1"])
    done = publish(sandbox, run, "--repo", "alice/colorizer", "--space", "alice/demo")
    assert done.returncode == 0, done.stderr
    (model_url, model_oid), (space_url, space_oid) = [line.split() for line in done.stdout.splitlines()]
    assert model_url == f"{STANDIN}/alice/colorizer/commit/{model_oid}"
    assert space_url == f"{STANDIN}/spaces/alice/demo/commit/{space_oid}"

    repo = published / "models" / "alice" / "colorizer"
    assert git(repo, "rev-list", "--count", "HEAD") == "2"  # the Hub's initial commit, then one
    assert set(git(repo, "ls-files").split()) == {".gitattributes", "README.md", "config.json", "model.tflite",
                                                  "model.weights.h5", "metrics.json"}
    card = front_matter((repo / "README.md").read_text())
    assert (card["library_name"], card["pipeline_tag"], card["license"]) == ("keras", "image-to-image", "cc-by-nc-4.0")
    assert "colorization" in card["tags"] and card["datasets"] == ["imagenette"]
    scores = {(r["dataset"]["name"], m["type"]): m["value"]
              for r in card["model-index"][0]["results"] for m in r["metrics"]}
    assert scores == {("kodak24", "psnr"): 24.5, ("kodak24", "ssim"): 0.91,
                      ("mcmaster", "psnr"): 22.25, ("mcmaster", "delta_e2000"): 9.5}

    pulled = predict(sandbox, f"hf://alice/colorizer@{model_oid}", photo, HF_ENDPOINT=OLAH_PUBLISHED,
                     HF_HUB_CACHE=str(tmp_path / "cache"))
    local = predict(sandbox, str(models["v1"]), photo)
    assert np.array_equal(pulled, local)

    space = published / "spaces" / "alice" / "demo"
    files = set(git(space, "ls-files").split())
    assert {"app.py", "README.md", "requirements.txt", "colorize_model/__init__.py", "colorize_model/hub.py"} <= files
    assert not any("__pycache__" in name for name in files)
    space_card = front_matter((space / "README.md").read_text())
    assert (space_card["sdk"], space_card["sdk_version"]) == ("gradio", metadata.version("gradio"))
    assert not any(name.endswith(".weights.h5") for name in files)  # the demo only runs the LiteRT model
    assert "ai-edge-litert" in (space / "requirements.txt").read_text()
    variables = json.loads((space.parent / "demo.variables.json").read_text())
    assert variables["COLORIZE_MODELS"]["value"] == f"hf://alice/colorizer@{model_oid}"

    # The deployed bundle runs on its own package and pulls the model its variable names.
    bundle = sandbox.run([sys.executable, "-c", "import colorize_model; print(colorize_model.__file__)"], space)
    assert bundle.stdout.strip() == str(space / "colorize_model" / "__init__.py"), bundle.stderr
    in_space = predict(sandbox, variables["COLORIZE_MODELS"]["value"], photo, cwd=space,
                       HF_ENDPOINT=OLAH_PUBLISHED, HF_HUB_CACHE=str(tmp_path / "space-cache"))
    assert np.array_equal(in_space, local)


def test_republish_replaces_the_model_in_one_commit(sandbox, published, models, tmp_path):
    assert publish(sandbox, make_run(tmp_path / "a", models["v1"]), "--repo", "alice/m").returncode == 0
    done = publish(sandbox, make_run(tmp_path / "b", models["v2"], **{"model.weights.h5": True}), "--repo", "alice/m")
    one_line_error(done, "model.weights.h5")  # an incomplete run is refused before anything is sent
    done = publish(sandbox, make_run(tmp_path / "c", models["v2"]), "--repo", "alice/m")
    assert done.returncode == 0, done.stderr
    repo = published / "models" / "alice" / "m"
    assert git(repo, "rev-list", "--count", "HEAD") == "3"
    assert (repo / "model.tflite").read_bytes() == (models["v2"] / "model.tflite").read_bytes()


@pytest.mark.parametrize(("args", "token", "needles"), [
    (("--license", "not-a-licence"), TOKEN, ("licence",)),
    ((), "hf_wrong", ("401",)),
    (("--space", "alice/demo"), "hf_wrong", ("401",)),
])
def test_failed_publish_leaves_nothing(sandbox, published, models, tmp_path, args, token, needles):
    run = make_run(tmp_path / "run", models["v1"])
    one_line_error(publish(sandbox, run, "--repo", "alice/colorizer", *args, token=token), *needles)
    assert not (published / "models" / "alice" / "colorizer").exists()
