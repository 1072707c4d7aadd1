"""The web demo (space/app.py) against a hostile client: raw HTTP, gradio_client, any JSON.

The API can be called without the page, with payloads the page never sends.
These tests check what such a client can reach: only files Gradio stored in the
app's own cache, whatever the path says; every refusal is a sentence, the
same one for every path that is not an upload; no internal error text is ever
sent; the server's log gets one line per refused request. The app runs in this
process (the in-process tests) or as ``python space/app.py`` (log, memory,
restart); nothing is mocked.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from png_bomb import black_png  # tests/, on sys.path under pytest
from test_models import exported
from test_space import WAIT_MS, free_port, gray_photo, load_app, rss_bytes, serve

GRADIO_FILE = {"_type": "gradio.FileData"}  # the `meta` that makes Gradio check a path itself
SETTINGS = [160, 1.0, "default"]
NO_HINTS = [[], None]  # the hint points and the hint image


# --- Talking to the app as any HTTP client can ------------------------------------

def call(url: str, photo: Any, settings: list | None = None, hints: list = NO_HINTS) -> tuple[str, Any]:
    """POST /gradio_api/call/colorize and read its event stream: ("complete", outputs) or ("error", message)."""
    body = json.dumps({"data": [photo, *(SETTINGS if settings is None else settings), *hints]})
    posted = httpx.post(f"{url}gradio_api/call/colorize", content=body,
                        headers={"Content-Type": "application/json"}, timeout=WAIT_MS / 1000)
    posted.raise_for_status()
    stream = httpx.get(f"{url}gradio_api/call/colorize/{posted.json()['event_id']}",
                       timeout=WAIT_MS / 1000).text
    event, data = None, None
    for line in stream.splitlines():
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif line.startswith("data: ") and event in ("complete", "error"):
            data = json.loads(line[len("data: "):])
            return (event, data) if event == "complete" else (event, data and data.get("error"))
    raise AssertionError(f"no result in {stream!r}")


def join_queue(url: str, photo: Any, settings: list | None = None, hints: list = NO_HINTS) -> tuple[str, Any]:
    """The page's own route to colorize: see queue_event."""
    return queue_event(url, "colorize", [photo, *(SETTINGS if settings is None else settings), *hints])


def queue_event(url: str, name: str, data: list, event_data: Any = None) -> tuple[str, Any]:
    """The page's own route: POST /gradio_api/queue/join for the handler ``name`` (any, in the API
    or not), then read /gradio_api/queue/data: ("complete", outputs) or ("error", message)."""
    config = httpx.get(f"{url}config").json()
    fn_index = next(dep["id"] for dep in config["dependencies"] if dep.get("api_name") == name)
    session = os.urandom(8).hex()
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": event_data,
            "trigger_id": None}
    httpx.post(f"{url}gradio_api/queue/join", json=body, timeout=WAIT_MS / 1000).raise_for_status()
    with httpx.stream("GET", f"{url}gradio_api/queue/data", params={"session_hash": session},
                      timeout=WAIT_MS / 1000) as stream:
        for line in stream.iter_lines():
            message = json.loads(line[len("data: "):]) if line.startswith("data: ") else {}
            if message.get("msg") == "process_completed":
                output = message["output"]
                return ("complete", output["data"]) if message["success"] else ("error", output.get("error"))
    raise AssertionError("the queue never completed the call")


def upload(url: str, photo: Path) -> str:
    """Upload through Gradio's own route: the path in the cache that the page would send."""
    with open(photo, "rb") as stream:
        answer = httpx.post(f"{url}gradio_api/upload", files={"files": (photo.name, stream)})
    answer.raise_for_status()
    return answer.json()[0]


def with_meta(path: str) -> dict:
    return {"path": path, "meta": GRADIO_FILE}


def slider_gray(outputs: list) -> np.ndarray:
    """The 'before' image of a completed call, as the client downloads it."""
    before = outputs[0][0]
    return np.asarray(Image.open(io.BytesIO(httpx.get(before["url"]).content)))


# --- The app in this process --------------------------------------------------------

@pytest.fixture(scope="module")
def app() -> ModuleType:
    return load_app()


@pytest.fixture(scope="module")
def fixed_size_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real model that runs only at render size 16: any other size fails inside LiteRT,
    with LiteRT's own text (the demo's stand-in for an internal error)."""
    import keras

    net = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Flatten(),
                            keras.layers.Dense(16 * 16 * 2, activation="tanh"),
                            keras.layers.Reshape((16, 16, 2))])
    return exported(tmp_path_factory.mktemp("models"), "fixed16", net)


@pytest.fixture(scope="module")
def server(app: ModuleType, fixed_size_model: Path) -> Iterator[tuple[str, Path]]:
    """The demo with the default model and the fixed-size one: (base URL, its cache folder)."""
    demo = app.build_demo(app.load_colorizers(["default", str(fixed_size_model)]))
    _, url, _ = app.launch(demo, server_name="127.0.0.1", server_port=free_port(),
                           prevent_thread_lock=True, quiet=True)
    yield url, Path(os.environ["GRADIO_TEMP_DIR"])
    demo.close()


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Files outside the cache that a client must never reach: a photo, a text, a folder."""
    folder = tmp_path_factory.mktemp("server-files")
    photo = folder / "secret.png"
    Image.fromarray(np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1)), "L").save(photo)
    (folder / "notes.txt").write_text("not for clients")
    return {"photo": photo, "text": folder / "notes.txt", "folder": folder,
            "missing": folder / "missing.png"}


def hostile_paths(url: str, cache: Path, outside: dict[str, Path]) -> dict[str, str]:
    """Every way the issue found (and a few more) to name a file that is not an upload."""
    links = cache / "links"
    links.mkdir(exist_ok=True)
    for name, target in (("photo.png", outside["photo"]), ("folder", outside["folder"])):
        if not (links / name).is_symlink():
            (links / name).symlink_to(target)
    photo = outside["photo"]
    return {
        "absolute photo": str(photo),
        "absolute text": str(outside["text"]),
        "absolute folder": str(outside["folder"]),
        "absolute missing": str(outside["missing"]),
        "system file": "/etc/passwd",
        "relative to the server": "space/examples/coffee.jpg",
        "relative name": "secret.png",
        "cache/..": f"{cache}/../../../../../../../..{photo}",
        "cache/x/../..": f"{cache}/links/../../../../../../../../..{outside['text']}",
        "symlink to a file": str(links / "photo.png"),
        "through a symlinked folder": str(links / "folder" / photo.name),
        "the cache itself": str(cache),
        "nul byte": f"{photo}\0.png",
        "file URL": f"file://{photo}",
        "URL of this server's file route": f"{url}gradio_api/file={photo}",
        "empty": "",
    }


def test_paths_outside_the_cache_all_get_one_neutral_answer(app: ModuleType, server: tuple[str, Path],
                                                            outside: dict[str, Path], tmp_path: Path) -> None:
    """Without `meta` Gradio checks nothing: the app must. Both HTTP routes, one answer for all."""
    url, cache = server
    paths = hostile_paths(url, cache, outside)
    for transport in (call, join_queue):
        answers = {name: transport(url, {"path": path}) for name, path in paths.items()}
        assert set(answers.values()) == {("error", app.NOT_ON_SERVER)}, answers
        # The same client, naming a real upload, is served: the check refuses only what it must.
        uploaded = upload(url, gray_photo(tmp_path, (96, 64)))
        event, outputs = transport(url, {"path": uploaded})
        assert event == "complete"
        assert slider_gray(outputs).shape == (64, 96)


def test_paths_with_meta_are_refused_and_tell_nothing(app: ModuleType, server: tuple[str, Path],
                                                      outside: dict[str, Path], tmp_path: Path) -> None:
    """With `meta`, Gradio's own upload check answers first for paths outside its folder, with
    a bare error (its text is not passed on); the app answers the rest. Whether a file outside
    exists, is a folder or an image never changes the answer."""
    url, cache = server
    answers = {name: call(url, with_meta(path)) for name, path in hostile_paths(url, cache, outside).items()}
    assert {event for event, _ in answers.values()} == {"error"}, answers
    assert {message for _, message in answers.values()} <= {None, app.NOT_ON_SERVER}, answers
    about_files = {answers[name] for name in ("absolute photo", "absolute text", "absolute folder",
                                              "absolute missing", "system file")}
    assert len(about_files) == 1, answers
    uploaded = upload(url, gray_photo(tmp_path, (80, 60)))
    assert call(url, with_meta(uploaded))[0] == "complete"


def test_gradio_client_with_a_plain_dict_cannot_read_server_files(app: ModuleType, server: tuple[str, Path],
                                                                  outside: dict[str, Path],
                                                                  tmp_path: Path) -> None:
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    url, cache = server
    client = Client(url, download_files=str(tmp_path), verbose=False)
    for name, path in hostile_paths(url, cache, outside).items():
        with pytest.raises(AppError) as refused:
            client.predict({"path": path}, api_name="/colorize")
        assert str(refused.value) == app.NOT_ON_SERVER, name
    (before, _), _ = client.predict(handle_file(str(outside["photo"])), api_name="/colorize")
    assert np.asarray(Image.open(before)).shape == (48, 64)  # the same file, uploaded: served


def test_names_the_system_cannot_take_are_not_on_the_server(app: ModuleType, server: tuple[str, Path],
                                                           tmp_path: Path) -> None:
    """A name too long for the file system, or with a lone surrogate (not encodable): the same
    answer as any other path that is not an upload, for the photo and the hint image alike."""
    url, cache = server
    photo = {"path": upload(url, gray_photo(tmp_path, (64, 48)))}
    for path in (f"{cache}/{'a' * 300}.png", f"{cache}/\ud800.png", f"{cache}/{'a/' * 3000}x.png"):
        assert call(url, {"path": path}) == ("error", app.NOT_ON_SERVER)
        assert call(url, photo, hints=[[], {"path": path}]) == ("error", app.HINT_IMAGE_NOT_ON_SERVER)


def test_not_a_file_object_gets_a_bare_error(server: tuple[str, Path]) -> None:
    """Payloads Gradio's data model refuses before the app runs: no internal text comes back."""
    url, _ = server
    for photo in ("/etc/passwd", ["/etc/passwd"], 42, {"path": 42}, {"path": ["/etc/passwd"]}):
        assert call(url, photo) == ("error", None), photo


# --- Settings: any JSON ------------------------------------------------------------

@pytest.mark.parametrize(("settings", "message"), [
    ([float("nan"), 1.0, "default"], "Render size must be a whole number, not nan."),
    ([float("inf"), 1.0, "default"], "Render size must be a whole number, not inf."),
    (["160", 1.0, "default"], "Render size must be a whole number, not '160'."),
    ([[160], 1.0, "default"], "Render size must be a whole number, not [160]."),
    ([True, 1.0, "default"], "Render size must be a whole number, not True."),
    ([160.5, 1.0, "default"], "Render size must be a whole number, not 160.5."),
    ([100000, 1.0, "default"], "Render size 100000 is outside 16..1024."),
    ([8, 1.0, "default"], "Render size 8 is outside 16..1024."),
    ([-160, 1.0, "default"], "Render size -160 is outside 16..1024."),
    ([160, float("nan"), "default"], "Saturation nan is outside 0..10."),
    ([160, float("-inf"), "default"], "Saturation -inf is outside 0..10."),
    ([160, None, "default"], "Saturation must be a number, not None."),
    ([160, "1", "default"], "Saturation must be a number, not '1'."),
    ([160, {"a": 1}, "default"], "Saturation must be a number, not {'a': 1}."),
    ([160, 5.0, "default"], "Saturation 5 is outside this demo's 0..2."),
    ([160, 1e308, "default"], "Saturation 1e+308 is outside 0..10."),
    ([160, 10**400, "default"], "Saturation 10000000000"),  # too large for a float: was an internal error
    ([160, 1.0, None], "The model must be one of:"),
    ([160, 1.0, ["default"]], "The model must be one of:"),
    ([160, 1.0, "hf://someone/else"], "The model must be one of:"),
    ([160, 1.0, "/etc"], "The model must be one of:"),
    (["<b>x</b>", 1.0, "default"], "Render size must be a whole number, not '&lt;b&gt;x&lt;/b&gt;'."),
])
def test_any_json_setting_is_refused_with_a_sentence(server: tuple[str, Path], tmp_path: Path,
                                                     settings: list, message: str) -> None:
    url, _ = server
    uploaded = upload(url, gray_photo(tmp_path, (64, 48)))
    event, answer = call(url, {"path": uploaded}, settings)
    assert event == "error" and answer.startswith(message), answer


def test_huge_values_give_a_bounded_answer(app: ModuleType, server: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = server
    uploaded = upload(url, gray_photo(tmp_path, (64, 48)))
    for settings in (["9" * 100_000, 1.0, "default"], [10**400, 1.0, "default"], [160, 1.0, "m" * 100_000]):
        event, answer = call(url, {"path": uploaded}, settings)
        assert event == "error" and len(answer) <= app.MAX_MESSAGE, answer[:100]


@pytest.mark.parametrize("render_size", [16, 100, 200, 300, 500, 1000, 1024, 160.0, None])
def test_every_render_size_in_range_works(server: tuple[str, Path], tmp_path: Path,
                                          render_size: float | None) -> None:
    """Sizes the network cannot take as they are (300 made XNNPack fail) are rounded by the package;
    null is the model's own size; JSON's 160.0 is 160."""
    url, _ = server
    uploaded = upload(url, gray_photo(tmp_path, (120, 90)))
    event, outputs = call(url, {"path": uploaded}, [render_size, 1.0, "default"])
    assert event == "complete", outputs
    assert slider_gray(outputs).shape == (90, 120)


def test_internal_errors_never_reach_the_client(app: ModuleType, server: tuple[str, Path],
                                                fixed_size_model: Path, tmp_path: Path) -> None:
    """LiteRT's text (it grew with every failure on one interpreter) stays on the server."""
    url, _ = server
    uploaded = upload(url, gray_photo(tmp_path, (64, 48)))
    answers = [call(url, {"path": uploaded}, [160, 1.0, str(fixed_size_model)]) for _ in range(3)]
    assert answers == [("error", app.INTERNAL)] * 3
    assert call(url, {"path": uploaded}, [16, 1.0, str(fixed_size_model)])[0] == "complete"


def test_refusals_are_escaped_for_the_page(app: ModuleType) -> None:
    """gr.Error text is shown as HTML in the page."""
    with pytest.raises(app.gr.Error) as refused:
        app.refuse("<img src=x onerror=alert(1)> & more")
    assert refused.value.message == "&lt;img src=x onerror=alert(1)&gt; &amp; more"


def test_the_cache_never_holds_more_than_its_budget(app: ModuleType, server: tuple[str, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Results stay an hour, unless the cache is over its budget: then the oldest go first (with
    a budget of 0, everything but the result just written)."""
    url, cache = server
    assert call(url, {"path": upload(url, gray_photo(tmp_path, (96, 64)))})[0] == "complete"
    monkeypatch.setattr(app, "CACHE_BUDGET", 0)
    event, outputs = call(url, {"path": upload(url, gray_photo(tmp_path, (80, 60)))})
    assert event == "complete" and slider_gray(outputs).shape == (60, 80)
    (left,) = [folder for folder in cache.iterdir() if folder.is_dir()]
    assert sorted(path.name for path in left.iterdir()) == ["before.png", "coffee-80x60-colorized.png"]


def test_trim_cache_deletes_the_oldest_folders_first(app: ModuleType, tmp_path: Path) -> None:
    for age, name in enumerate(("newest", "middle", "oldest")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "result.png").write_bytes(bytes(1000))
        os.utime(tmp_path / name, (1e9 - age, 1e9 - age))
    (tmp_path / "stray.txt").write_bytes(bytes(5000))  # not a folder of the app's: never counted or deleted
    app.trim_cache(tmp_path, 2500)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["middle", "newest", "stray.txt"]
    app.trim_cache(tmp_path, 1000)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["newest", "stray.txt"]


# --- As `python space/app.py` -------------------------------------------------------

def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    process.send_signal(sig)
    process.wait()


def status_kb(pid: int, key: str) -> int:
    return int(Path(f"/proc/{pid}/status").read_text().split(f"{key}:")[1].split()[0])


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[[Path], tuple[str, subprocess.Popen]]]:
    """Start `python space/app.py` with its cache under a root: (URL, process); all stopped after the test."""
    started: list[subprocess.Popen] = []

    def start(root: Path) -> tuple[str, subprocess.Popen]:
        url, process = serve(tmp_path / "server.log", GRADIO_TEMP_DIR=str(root))
        started.append(process)
        return url, process

    yield start
    for process in started:
        if process.poll() is None:
            stop(process)


@pytest.fixture
def served(start_server: Callable, tmp_path: Path) -> tuple[str, subprocess.Popen, Path, Path]:
    """The demo's main command: (URL, process, log file, cache root)."""
    url, process = start_server(tmp_path / "cache")
    return url, process, tmp_path / "server.log", tmp_path / "cache"


def test_log_has_one_line_per_refused_request(served: tuple, tmp_path: Path) -> None:
    url, _, log, _ = served
    uploaded = upload(url, gray_photo(tmp_path, (64, 48)))
    start = len(log.read_text().splitlines())
    refused = [{"path": "/etc/passwd"}, {"path": "secret\nlines.png"}, None]
    settings = [[float("nan"), 1.0, "default"], [160, "x", "default"], [160, 1.0, "nope"]]
    for photo in refused:
        assert call(url, photo)[0] == "error"
    for setting in settings:
        assert call(url, {"path": uploaded}, setting)[0] == "error"
    assert call(url, {"path": uploaded})[0] == "complete"
    lines = [line for line in log.read_text().splitlines()[start:] if "colorize-demo" in line]
    assert len(lines) == len(refused) + len(settings), lines
    assert all(" refused: " in line for line in lines), lines
    assert "Traceback" not in log.read_text()


def test_bomb_is_refused_from_its_header_without_decoding(served: tuple, tmp_path: Path) -> None:
    """A small PNG declaring 12000x12000: decoding it would take 144 MB and seconds;
    the server's peak memory must not move."""
    url, process, _, _ = served
    bomb = black_png(tmp_path / "bomb.png", 12000, 12000)
    assert bomb.stat().st_size < 1_000_000
    peak = status_kb(process.pid, "VmHWM")
    event, message = call(url, {"path": upload(url, bomb), "meta": GRADIO_FILE})
    assert (event, message) == ("error", "bomb.png: 12000×12000 is 144.0 megapixels, over the limit of 24 "
                                         "(the colorize command takes up to 150).")
    assert status_kb(process.pid, "VmHWM") - peak < 50 * 1024


def test_refused_photos_leave_no_memory_behind(served: tuple, tmp_path: Path) -> None:
    """A truncated photo is decoded to its full size before it fails; that image stayed alive
    with the refusal (Gradio keeps errors in a reference cycle) until Python's cycle collector
    ran: +64 MB for each refusal of this 16 MP RGBA file, gigabytes for a few requests."""
    url, process, _, _ = served
    truncated = black_png(tmp_path / "truncated.png", 4000, 4000, rgba=True)
    truncated.write_bytes(truncated.read_bytes()[:40_000])  # a small part of its pixels, no end
    photo = {"path": upload(url, truncated)}
    assert call(url, photo) == ("error", "truncated.png: corrupt or truncated image (image file is truncated)")
    idle = rss_bytes(process.pid)
    for _ in range(5):
        assert call(url, photo)[0] == "error"
    assert rss_bytes(process.pid) - idle < 40 * 2**20


def test_memory_returns_after_large_photos(served: tuple, tmp_path: Path) -> None:
    """After 20-megapixel photos the server gives back what they took. Their
    working set is over a gigabyte; glibc kept ~130 MB of it after three such
    requests (a high-water mark, not a leak: it grew no further over 30), the
    app's malloc_trim after each request leaves ~20 MB."""
    url, process, _, _ = served
    small = upload(url, gray_photo(tmp_path, (400, 300)))
    assert call(url, {"path": small})[0] == "complete"
    idle = rss_bytes(process.pid)
    large = upload(url, gray_photo(tmp_path, (5200, 3850)))
    for _ in range(3):
        assert call(url, {"path": large})[0] == "complete"
    assert status_kb(process.pid, "VmHWM") * 1024 - idle > 500 * 2**20  # the requests did take memory
    assert rss_bytes(process.pid) - idle < 64 * 2**20


def servers_folders(root: Path) -> list[Path]:
    """The demo servers' folders in a cache root (each has a FOLDER.lock beside it)."""
    return [folder for folder in root.iterdir() if folder.is_dir() and folder.with_suffix(".lock").is_file()]


def test_restart_removes_what_a_killed_server_left_and_nothing_else(start_server: Callable,
                                                                   tmp_path: Path) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    (root / "someone-else.txt").write_text("not the demo's")
    first_url, first = start_server(root)
    assert call(first_url, {"path": upload(first_url, gray_photo(tmp_path, (64, 48)))})[0] == "complete"
    left = servers_folders(root)
    assert len(left) == 1 and any(left[0].rglob("*-colorized.png"))
    stop(first, signal.SIGKILL)  # a crash: nothing of its own clean-up runs

    second_url, _ = start_server(root)
    third_url, _ = start_server(root)  # another server on the same root, meanwhile
    assert not left[0].exists()
    assert (root / "someone-else.txt").read_text() == "not the demo's"
    assert len(servers_folders(root)) == 2  # one each: the third server kept the second's
    for url in (second_url, third_url):
        assert call(url, {"path": upload(url, gray_photo(tmp_path, (64, 48)))})[0] == "complete"
