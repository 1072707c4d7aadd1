"""Colorizing a whole archive on a Ray cluster (the ``colorize-bulk`` command).

Ray Data streams the photos' paths to a pool of actors; each actor loads the
model once and writes every result as soon as it is made, under a temporary
name that a rename turns into the result, so no reader and no crash ever sees
half a file. SRC and DST are local folders (seen by every node) or URIs that
pyarrow's filesystems understand (``s3://``, ``gs://``, ``abfs://``, ``hdfs://``).

Results already in DST are skipped, so a crashed or stopped run is finished by
running it again, and a run over a finished folder does nothing. A photo that
cannot be colorized never stops the run: it is listed with a one-line reason
in DST's report (``REPORT``). The pixels are the ``colorize`` command's: the
same pipeline, the same model files (sent from the driver, so every node runs
exactly the model named on the command line) and the same naming rule.

Ray is an optional dependency (the ``bulk`` extra: ``pip install ".[bulk]"``): only
this module imports it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import numpy as np
import pyarrow.fs as pafs
import ray
import ray.data

from PIL import Image

from . import metadata
from .atomic import PART_SUFFIX
from .errors import ColorizeError, describe, one_line
from .imageio import MAX_PIXELS, load_image, save_image
from .models import CONFIG_FILE, RUNTIME_FILE, ModelRef, resolve
from .naming import IMAGE_SUFFIXES, output_name
from .pipeline import Colorizer
from .settings import check_settings

REPORT = "colorize-bulk-report.json"
TEMP_SUFFIX = PART_SUFFIX  # results being written (as atomic_write names them); left only by a killed worker
BLOCK_PHOTOS = 8  # photos per Ray task: what a killed worker's task redoes, and the progress step
_LOCAL = pafs.LocalFileSystem()


class BulkError(ColorizeError):
    """A run that cannot start: a missing or overlapping folder, an unreachable cluster."""


@dataclass(frozen=True)
class Tree:
    """A folder on some filesystem: a local path or a pyarrow URI (s3://bucket/prefix)."""

    location: str

    def open(self) -> tuple[pafs.FileSystem, str]:
        """(filesystem, root path on it); local paths need no scheme."""
        if "://" not in self.location:
            return _LOCAL, os.path.abspath(self.location)
        try:
            filesystem, root = pafs.FileSystem.from_uri(self.location)
        except (OSError, ValueError) as error:
            raise BulkError(f"{self.location}: {one_line(error, self.location)}") from None
        return filesystem, root.rstrip("/") or "/"

    def files(self, must_exist: bool) -> list[str]:
        """Every file under the folder, as sorted paths relative to it."""
        filesystem, root = self.open()
        try:
            kind = filesystem.get_file_info(root).type
            if kind != pafs.FileType.Directory and (must_exist or kind != pafs.FileType.NotFound):
                raise BulkError(f"{self.location}: no such folder")
            if kind == pafs.FileType.NotFound:  # DST, before the first run
                names = []
            elif _is_local(filesystem):
                names = _local_files(root)
            else:
                selector = pafs.FileSelector(root, recursive=True, allow_not_found=True)
                prefix = root.rstrip("/") + "/"
                names = [info.path[len(prefix):] for info in filesystem.get_file_info(selector)
                         if info.type == pafs.FileType.File]
        except OSError as error:
            raise BulkError(f"{self.location}: cannot list it ({one_line(error, root)})") from None
        except UnicodeError:  # pyarrow cannot give such a name at all, not even to report it
            raise BulkError(f"{self.location}: holds a file or folder whose name is not UTF-8; "
                            "rename it (colorize reads such names)") from None
        return sorted(names)


def _local_files(root: str) -> list[str]:
    """The files under a local folder, not following links to folders as pyarrow's listing does
    (a link to '.' gave 41 jobs for one photo; a link to / would list the whole disk)."""
    def unlisted(error: OSError) -> None:
        raise error

    names = []
    for folder, _, files in os.walk(root, onerror=unlisted):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                names.append(os.path.relpath(path, root).encode().decode())  # a name not in UTF-8 raises here
    return names


def _is_local(filesystem: pafs.FileSystem) -> bool:
    """A local folder, named by path or by a file:// URI (pyarrow makes another instance for that)."""
    return filesystem.type_name == _LOCAL.type_name


def join(root: str, relative: str) -> str:
    return f"{root.rstrip('/')}/{relative}"


@dataclass
class Plan:
    """What a run has to do: the photos without a result yet, and what is already known."""

    source: Tree
    target: Tree
    jobs: list[tuple[str, str]]  # (photo, result), relative to SRC and DST
    already_done: int  # photos whose result is already in DST
    failed: list[tuple[str, str]] = field(default_factory=list)  # (photo, reason), known before colorizing


def plan(source: str, target: str, *, overwrite: bool = False) -> Plan:
    """List SRC and DST once (one listing, not a request per photo, on object stores)."""
    src, dst = (Tree(p if "://" in p else os.path.abspath(p)) for p in (source, target))  # as every node sees it
    _refuse_overlap(src, dst)
    done = set(dst.files(must_exist=False))
    result = Plan(src, dst, [], 0)
    claimed: dict[str, str] = {}
    into_photos = _linked_into(src, dst)
    for photo in src.files(must_exist=True):
        if PurePosixPath(photo).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        target_name = output_name(PurePosixPath(photo)).as_posix()
        if target_name in claimed:  # a.gif and a.png both give a.png
            result.failed.append((photo, f"its result {target_name} is {claimed[target_name]}'s"))
            continue
        if into_photos(PurePosixPath(target_name).parent.as_posix()):
            result.failed.append((photo, f"its result {target_name} would be written among the photos "
                                         f"(a folder in {dst.location} links there)"))
            continue
        claimed[target_name] = photo
        if target_name in done and not overwrite:
            result.already_done += 1
        else:
            result.jobs.append((photo, target_name))
    return result


def _refuse_overlap(src: Tree, dst: Tree) -> None:
    """DST inside SRC would colorize its own results; SRC inside DST could overwrite photos."""
    (src_fs, src_root), (dst_fs, dst_root) = src.open(), dst.open()
    if src_fs.type_name != dst_fs.type_name:
        return
    if _is_local(src_fs):  # a link to the photos' folder is the photos' folder
        src_root, dst_root = os.path.realpath(src_root), os.path.realpath(dst_root)
    a, b = src_root.rstrip("/") + "/", dst_root.rstrip("/") + "/"
    if a.startswith(b) or b.startswith(a):
        raise BulkError(f"{dst.location}: the results folder must be outside the photos' folder, and not hold it")


def _linked_into(src: Tree, dst: Tree) -> Callable[[str], bool]:
    """Whether a folder under DST (relative) is, through a link, under SRC: a result written there
    could replace a photo (the rename follows a link to a folder). Object stores have no links."""
    (src_fs, src_root), (dst_fs, dst_root) = src.open(), dst.open()
    if not (_is_local(src_fs) and _is_local(dst_fs)):
        return lambda folder: False
    photos = os.path.realpath(src_root).rstrip("/") + "/"

    @functools.cache
    def linked(folder: str) -> bool:
        return (os.path.realpath(join(dst_root, folder)).rstrip("/") + "/").startswith(photos)
    return linked


def model_files(model: ModelRef) -> dict[str, bytes]:
    """The files a worker needs to run ``model``, checked here (a model that does not load stops
    the run before Ray starts) and sent to every worker, so nodes need no copy of it."""
    folder = resolve(model)
    Colorizer(folder.path, num_threads=1)
    return {name: (folder.path / name).read_bytes() for name in (CONFIG_FILE, RUNTIME_FILE)}


class _Worker:
    """One Ray actor: loads the model once, then colorizes batches of (photo, result) paths."""

    def __init__(self, model: list[ray.ObjectRef], source: str, target: str, render_size: int | None,
                 saturation: float, max_pixels: int, threads: int, keep_metadata: bool):
        self._scratch = tempfile.TemporaryDirectory(prefix="colorize-bulk-")
        scratch = Path(self._scratch.name)
        for name, data in ray.get(model[0]).items():
            (scratch / name).write_bytes(data)
        self._colorizer = Colorizer(scratch, num_threads=threads)
        self._settings = {"render_size": render_size, "saturation": saturation}
        self._max_pixels = max_pixels
        self._keep_metadata = keep_metadata
        if Image.MAX_IMAGE_PIXELS is not None:  # as the CLI: Pillow's own check must not refuse first
            Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS, max_pixels)
        self._source, self._target = Tree(source).open(), Tree(target).open()
        self._inbox, self._outbox = scratch / "in", scratch / "out"
        self._inbox.mkdir()
        self._outbox.mkdir()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        reasons = [self._colorize(photo, result) for photo, result in zip(batch["photo"], batch["result"])]
        return {"photo": batch["photo"], "reason": np.array(reasons, dtype=object)}

    def _colorize(self, photo: str, result: str) -> str:
        """"" when done, else why not. Anything a photo raises is its own failure, never the run's:
        an exception escaping here would fail the whole dataset."""
        local_in = self._inbox / PurePosixPath(photo).name  # the name the CLI's messages show
        local_out = self._outbox / PurePosixPath(result).name
        try:
            filesystem, root = self._source
            pafs.copy_files(join(root, photo), str(local_in), source_filesystem=filesystem,
                            destination_filesystem=_LOCAL, use_threads=False)
            image = load_image(local_in, max_pixels=self._max_pixels)
            kept = metadata.of(image) if self._keep_metadata else None
            save_image(self._colorizer.colorize_image(image, **self._settings), local_out, metadata=kept)
            write_atomically(*self._target, result, local_out.read_bytes())
            return ""
        except Exception as error:  # noqa: BLE001 - see the docstring
            return describe(error, local_in.name)
        finally:
            local_in.unlink(missing_ok=True)
            local_out.unlink(missing_ok=True)


def write_atomically(filesystem: pafs.FileSystem, root: str, relative: str, data: bytes) -> None:
    """Write under a temporary name beside the file, then rename it (a rename is atomic on local
    and POSIX filesystems; on object stores an object appears whole anyway)."""
    path = join(root, relative)
    folder, name = path.rsplit("/", 1)
    temporary = f"{folder}/.{name}.{uuid.uuid4().hex}{TEMP_SUFFIX}"
    filesystem.create_dir(folder or "/", recursive=True)
    try:
        with filesystem.open_output_stream(temporary) as stream:
            stream.write(data)
        filesystem.move(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):  # the failure itself is what gets reported
            filesystem.delete_file(temporary)
        raise


@dataclass(frozen=True)
class Settings:
    """How to colorize, and with how much of the cluster."""

    model: ModelRef = "default"
    render_size: int | None = None
    saturation: float = 1.0
    max_megapixels: float = MAX_PIXELS / 1e6  # larger photos are refused from their header
    workers: int | None = None  # actors; default: the cluster's CPUs less one
    cpus_per_worker: int = 1
    address: str | None = None  # None: a local Ray started for this run; "auto", "ray://head:10001"
    keep_metadata: bool = True  # results keep their photos' EXIF, XMP, comments and dpi (colorize_model.metadata)


def run(job: Plan, settings: Settings) -> Iterator[tuple[str, str]]:
    """Colorize the plan's photos: (photo, "" or the reason it failed) as each one finishes.

    The model is checked and Ray started (or joined) before this returns, so
    errors that stop everything come first; when the iterator is exhausted,
    temporary files of killed workers are gone and the report is in DST.
    """
    try:
        check_settings(settings.render_size, settings.saturation)
    except (TypeError, ValueError) as error:
        raise BulkError(str(error)) from None
    files = model_files(settings.model)
    if job.jobs:
        _start_ray(settings.address)
    return _results(job, settings, files)


def _start_ray(address: str | None) -> None:
    options = {"logging_level": logging.ERROR, "log_to_driver": False}
    if address is None:  # a Ray of this machine only: nothing listens beyond loopback
        options.update(include_dashboard=False, _node_ip_address="127.0.0.1")
    try:
        ray.init(address=address, **options)
    except Exception as error:  # noqa: BLE001 - Ray raises many kinds (ConnectionError, RuntimeError, ...)
        raise BulkError(f"cannot start or reach Ray{f' at {address}' if address else ''}: "
                        f"{one_line(error, '')}") from None
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the command shows its own, counted in photos
    logging.getLogger("ray.data").setLevel(logging.ERROR)


def _results(job: Plan, settings: Settings, files: dict[str, bytes]) -> Iterator[tuple[str, str]]:
    failures = list(job.failed)
    yield from job.failed
    if job.jobs:
        try:
            cpus = int(ray.cluster_resources().get("CPU", 1))
            workers = settings.workers or max(1, (cpus - 1) // settings.cpus_per_worker)
            # Held here for the whole run, so a worker restarted on another node can still fetch it
            # (wrapped in a list: Ray passes it to the workers as a reference, not as 5 MB of arguments).
            model = [ray.put(files)]
            photos = ray.data.from_items([{"photo": p, "result": r} for p, r in job.jobs],
                                         override_num_blocks=math.ceil(len(job.jobs) / BLOCK_PHOTOS))
            done = photos.map_batches(
                _Worker, batch_size=None, compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=settings.cpus_per_worker,
                fn_constructor_kwargs={"model": model, "source": job.source.location,
                                       "target": job.target.location, "render_size": settings.render_size,
                                       "saturation": settings.saturation,
                                       "max_pixels": int(settings.max_megapixels * 1e6),
                                       "threads": settings.cpus_per_worker,
                                       "keep_metadata": settings.keep_metadata})
            for row in done.iter_rows():
                if row["reason"]:
                    failures.append((row["photo"], row["reason"]))
                yield row["photo"], row["reason"]
        except ray.exceptions.RayError as error:  # e.g. workers that cannot import this package
            raise BulkError(f"the Ray job failed: {str(error).strip().splitlines()[0]}") from None
        finally:
            ray.shutdown()
    _finish(job, settings, failures)


def _finish(job: Plan, settings: Settings, failures: list[tuple[str, str]]) -> None:
    """Remove killed workers' temporary files (of this run or an earlier one), write the report."""
    filesystem, root = job.target.open()
    for leftover in job.target.files(must_exist=False):
        if leftover.endswith(TEMP_SUFFIX):
            with contextlib.suppress(OSError):
                filesystem.delete_file(join(root, leftover))
    report = {"source": job.source.location, "destination": job.target.location, "model": str(settings.model),
              "render_size": settings.render_size, "saturation": settings.saturation,
              "colorized": len(job.jobs) - (len(failures) - len(job.failed)), "already_done": job.already_done,
              "failed": [{"path": photo, "reason": reason} for photo, reason in sorted(failures)]}
    write_atomically(filesystem, root, REPORT, (json.dumps(report, indent=1) + "\n").encode())
