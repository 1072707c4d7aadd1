"""Models on the Hugging Face Hub: ``hf://owner/name[@revision]``.

A model is fetched once into the Hugging Face cache (``HF_HUB_CACHE``) from
``HF_ENDPOINT`` with ``HF_TOKEN``, and then works offline: with no network, or
with ``HF_HUB_OFFLINE=1``, the cached snapshot of that revision is used.

Safety: only the model folder's own files are fetched (``ALLOWED_FILES``,
top-level names only), none of which is a pickle, and every fetched file is
checked against the etag the Hub gave for it (the sha256 of LFS files, the git
blob sha1 of others; ``huggingface_hub`` stores each file under that etag but
only checks its size). ``huggingface_hub`` also makes paths of what a server
says (a file's etag, a revision's commit), so a mirror in ``HF_ENDPOINT`` that
sent ``../`` there would write outside the cache: this module sets the client
``huggingface_hub`` downloads with (on first use, for the process) to refuse
such answers before anything is written, and to give up on a server that
stops answering (``TIMEOUT``; its own client waits for ever), that trickles an
answer out for ever (``DEADLINE``: huggingface_hub retries a download that
timed out after sending anything, so a slow enough server is never given up
on), or that sends more than a model could need (``MAX_FILE_BYTES``,
``MAX_ANSWER_BYTES``; asked uncompressed, so a small answer cannot unpack
into a huge one).
``huggingface_hub`` is imported only here, on first use: it reads
``HF_ENDPOINT`` at import time, and colorizing local models never needs it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import ModelError

HUB_PREFIX = "hf://"
ALLOWED_FILES = ("config.json", "model.tflite", "model.weights.h5", "README.md")
TIMEOUT = 60.0  # seconds to connect, or between two reads or writes
DEADLINE = 600.0  # seconds for one answer, headers to last byte: 25 MB at 0.35 Mbit/s
MAX_FILE_BYTES = 1 << 30  # one of the model's files (the project's own are under 25 MB)
MAX_ANSWER_BYTES = 16 << 20  # any other answer: JSON about the repo
# What a server may say where huggingface_hub makes a path of it: an etag (a
# sha1 or sha256, quoted, maybe weak) and a commit (a sha1).
_ETAG = re.compile(r'(W/)?"?([0-9a-f]{40}|[0-9a-f]{64})"?')
_COMMIT = re.compile(r"[0-9a-f]{40}")
# The Hub's rules for an owner or a name (huggingface_hub's validate_repo_id):
# ASCII letters, digits, '-', '_', '.', starting and ending with a letter, digit
# or '_', at most 96, no '--' or '..'.
_HUB_NAME = re.compile(r"(?!.*(--|\.\.))\w(?:[\w.-]{0,94}\w)?", re.ASCII)
# A branch, tag or commit: '/'-separated parts of safe characters, none empty,
# none starting with '.' (so never '..'), no backslash. huggingface_hub writes
# the commit it resolves to a file named after the revision, so a revision
# such as '../../x' or '/abs/path' would write outside the cache.
_REVISION = re.compile(r"(?!.*\.lock(/|$))\w[\w.+-]*(?:/\w[\w.+-]*)*", re.ASCII)
_MAX_REVISION = 255
# What each binary must start with, so a renamed pickle is never handed on.
_SIGNATURES = {".tflite": (4, b"TFL3"), ".h5": (0, b"\x89HDF\r\n\x1a\n")}


def parse_ref(ref: str) -> tuple[str, str | None]:
    """Split ``hf://owner/name[@revision]`` into repo id and revision (None: main)."""
    if not ref.startswith(HUB_PREFIX):
        raise ModelError(f"{ref}: not a Hub model reference (expected hf://owner/name[@revision])")
    repo_id, at, revision = ref[len(HUB_PREFIX):].partition("@")
    if at and not revision:
        raise ModelError(f"{ref}: expected hf://owner/name or hf://owner/name@revision")
    check_names(repo_id, revision or None, ref)
    return repo_id, revision or None


def check_names(repo_id: str, revision: str | None, where: str) -> None:
    """Refuse an owner, name or revision the Hub cannot have, before any request or file is made."""
    where = where if where.isprintable() else ascii(where)  # one line, whatever was typed
    if repo_id.count("/") != 1:
        raise ModelError(f"{where}: expected hf://owner/name or hf://owner/name@revision")
    for part, what in zip(repo_id.split("/"), ("owner", "name")):
        if not _HUB_NAME.fullmatch(part):
            raise ModelError(f"{where}: {what} {part!r} is not a Hub name (letters, digits, '-', '_', "
                             "'.'; not starting or ending with '-' or '.'; no '--' or '..'; at most 96)")
    if revision is not None and (len(revision) > _MAX_REVISION or not _REVISION.fullmatch(revision)):
        raise ModelError(f"{where}: revision {revision!r} is not a branch, tag or commit name (parts of "
                         "letters, digits, '_', '-', '+', '.' separated by '/', not starting with '.')")


def download_model(repo_id: str, revision: str | None = None) -> Path:
    """Fetch (or find in the cache) a model folder at ``revision`` and check it."""
    import httpx2

    where = f"{HUB_PREFIX}{repo_id}" + (f"@{revision}" if revision else "")
    check_names(repo_id, revision, where)
    try:  # it reads its settings from the environment as it is imported
        from huggingface_hub import constants, errors, snapshot_download
    except ValueError as error:
        raise ModelError(f"{where}: huggingface_hub cannot start ({error}); check the HF_* environment "
                         "variables") from None
    _use_checked_client()
    hub = constants.ENDPOINT
    try:
        with _warnings_held("huggingface_hub"):
            folder = Path(snapshot_download(repo_id, revision=revision, allow_patterns=list(ALLOWED_FILES)))
    except errors.RevisionNotFoundError:
        raise ModelError(f"{where}: revision {revision!r} not found on {hub}") from None
    except errors.GatedRepoError:
        raise ModelError(f"{where}: gated model on {hub}; accept its terms and set HF_TOKEN") from None
    except errors.RepositoryNotFoundError:
        known = _revisions(repo_id) if revision else None
        if known is not None:
            raise ModelError(f"{where}: revision {revision!r} not found (has: {', '.join(known)})") from None
        raise ModelError(
            f"{where}: no such model repo on {hub} (or it is private and HF_TOKEN gives no access)"
        ) from None
    except errors.LocalEntryNotFoundError:
        reason = "HF_HUB_OFFLINE is set" if constants.HF_HUB_OFFLINE else \
            f"{hub} cannot be reached (or did not answer within {TIMEOUT:g} s)"
        raise ModelError(f"{where}: not in the Hugging Face cache ({constants.HF_HUB_CACHE}) and {reason}") from None
    except errors.HfHubHTTPError as error:
        if error.response.status_code == 401:
            raise ModelError(f"{where}: {hub} rejected the token (check HF_TOKEN)") from None
        raise ModelError(f"{where}: download failed (HTTP {error.response.status_code} from {hub})") from None
    except ValueError as error:  # HFValidationError: a repo id or revision the Hub cannot have
        raise ModelError(f"{where}: {str(error).splitlines()[0]}") from None
    except UnsafeAnswer as error:
        raise ModelError(f"{where}: refused {hub}'s answer ({error})") from None
    except (OSError, httpx2.HTTPError) as error:
        raise ModelError(f"{where}: download from {hub} failed ({type(error).__name__}: {error})") from None
    except Exception as error:  # noqa: BLE001 - an answer huggingface_hub cannot parse (KeyError, TypeError...)
        raise ModelError(f"{where}: {hub} sent an answer that is not the Hub's ({type(error).__name__}: "
                         f"{str(error)[:80]})") from None
    if not folder.is_dir():  # huggingface_hub makes no snapshot folder when nothing matched
        raise ModelError(f"{where}: none of the model's files ({', '.join(ALLOWED_FILES)}) on {hub}")
    for file in sorted(folder.iterdir()):
        _check_file(file, where)
    return folder


@contextlib.contextmanager
def _warnings_held(name: str) -> Iterator[None]:
    """Only errors from logger ``name`` meanwhile: huggingface_hub warns in several lines at each
    retry of a download, and the outcome is reported here in one."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)


class UnsafeAnswer(Exception):
    """A server's answer that huggingface_hub would make a path of, and that is no etag or commit."""


def _checked(response) -> None:
    """Refuse a file's etag or commit that is not hexadecimal, and a revision's commit in the
    model info likewise (a response hook: it runs before huggingface_hub reads the answer)."""
    path = response.request.url.path
    if "/resolve/" in path:  # the etag huggingface_hub takes: X-Linked-Etag (LFS files), else ETag
        etag = response.headers.get("X-Linked-Etag") or response.headers.get("ETag")
        if etag is not None and not _ETAG.fullmatch(etag):
            raise UnsafeAnswer(f"a file's etag is not a checksum: {etag[:80]!r}")
    commit = response.headers.get("X-Repo-Commit")
    if path.startswith("/api/models/") and response.status_code == 200:
        try:
            commit = json.loads(response.read()).get("sha", commit)
        except (ValueError, AttributeError):  # not a JSON object: huggingface_hub refuses it itself
            pass
    if commit is not None and not (isinstance(commit, str) and _COMMIT.fullmatch(commit)):
        raise UnsafeAnswer(f"a commit is not a sha1: {str(commit)[:80]!r}")


@functools.cache
def _use_checked_client() -> None:
    """Have huggingface_hub download with a client that checks answers (``_checked``), waits at
    most TIMEOUT for a server (its own has no timeout, and some of its calls give none), and
    bounds each answer in time and size."""
    import httpx2
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils._http import hf_request_event_hook

    class Bounded(httpx2.SyncByteStream):
        """An answer's body that fails once it runs past DEADLINE or its size limit."""

        def __init__(self, stream: httpx2.SyncByteStream, limit: int, what: str):
            self.stream, self.limit, self.what = stream, limit, what
            self.deadline = time.monotonic() + DEADLINE

        def __iter__(self):
            received = 0
            for chunk in self.stream:
                received += len(chunk)
                if received > self.limit:
                    raise UnsafeAnswer(f"{self.what} is larger than {self.limit >> 20} MB")
                if time.monotonic() > self.deadline:
                    raise UnsafeAnswer(f"{self.what} took more than {DEADLINE:g} s")
                yield chunk

        def close(self) -> None:
            self.stream.close()

    class Timed(httpx2.HTTPTransport):
        def handle_request(self, request: httpx2.Request) -> httpx2.Response:
            asked = request.extensions.get("timeout") or {}
            request.extensions["timeout"] = {key: asked.get(key) or TIMEOUT
                                             for key in ("connect", "read", "write", "pool")}
            request.headers["Accept-Encoding"] = "identity"
            response = super().handle_request(request)
            if "/resolve/" in request.url.path:  # a file; its redirects (to a CDN) share these extensions
                request.extensions["colorize_limit"] = MAX_FILE_BYTES, "a file"
            limit, what = request.extensions.get("colorize_limit", (MAX_ANSWER_BYTES, "an answer"))
            encoding = response.headers.get("Content-Encoding", "identity").lower()
            length = int(response.headers.get("Content-Length", 0))  # h11 has checked it is a number
            if encoding != "identity" or length > limit:
                response.close()
                raise UnsafeAnswer(f"{what} compressed ({encoding[:40]}) though asked for uncompressed"
                                   if encoding != "identity" else f"{what} is larger than {limit >> 20} MB")
            response.stream = Bounded(response.stream, limit, what)
            return response

    set_client_factory(lambda: httpx2.Client(transport=Timed(), follow_redirects=True, timeout=TIMEOUT,
                                             event_hooks={"request": [hf_request_event_hook],
                                                          "response": [_checked]}))


def _revisions(repo_id: str) -> list[str] | None:
    """The repo's branches and tags, or None if it cannot be seen: tells a bad revision from a bad repo."""
    from huggingface_hub import HfApi

    try:
        refs = HfApi().list_repo_refs(repo_id)
    except Exception:  # noqa: BLE001 - not found, no access, no network, or an answer refused or unparsable
        return None
    return [ref.name for ref in (*refs.branches, *refs.tags)]


def _check_file(file: Path, where: str) -> None:
    """Refuse a cached file whose bytes differ from the Hub's etag or its format, and anything
    else: a folder, or a link out of the repo's own blobs."""
    blob = Path(os.path.realpath(file))
    try:
        if file.is_symlink():  # a cache without symlinks records no etag to check
            blobs = file.parents[2] / "blobs"  # REPO/snapshots/COMMIT/FILE -> REPO/blobs/ETAG
            if blob.parent != Path(os.path.realpath(blobs)) or not _ETAG.fullmatch(blob.name):
                raise ModelError(f"{where}: {file.name} is not in the repo's cache; refusing to load it")
            if _etag_of(blob, sha256=len(blob.name) == 64) != blob.name:
                raise ModelError(f"{where}: {file.name} does not match the Hub's checksum {blob.name} "
                                 "(corrupt cache?)")
        if not blob.is_file():
            raise ModelError(f"{where}: {file.name} is not a file; refusing to load it")
        offset, magic = _SIGNATURES.get(file.suffix, (0, b""))
        with open(blob, "rb") as stream:
            stream.seek(offset)
            if stream.read(len(magic)) != magic:
                raise ModelError(f"{where}: {file.name} is not a {file.suffix[1:]} file; refusing to load it")
    except OSError as error:
        raise ModelError(f"{where}: {file.name} cannot be read ({error.strerror or error})") from None


def _etag_of(path: Path, *, sha256: bool) -> str:
    """The Hub's etag for these bytes: sha256 for LFS files, else the git blob sha1 (read in chunks:
    a model file may be large)."""
    digest = hashlib.sha256() if sha256 else hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
