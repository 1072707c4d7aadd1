"""Writing files so that a reader, or a crash, never sees half of one."""

from __future__ import annotations

import os
import re
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

# A suffix no other program uses: remove_stale_parts deletes what matches (".part"
# alone matched users' own ".db.snapshot.part" and ".thesis.20240101.part").
PART_SUFFIX = ".colorize-part"
# ".NAME.xxxxxxxx.colorize-part": what mkstemp makes below, and nothing else.
_PART_NAME = re.compile(r"\..+\.[a-z0-9_]{8}" + re.escape(PART_SUFFIX))
STALE_AFTER = 15 * 60  # seconds; writing one result takes seconds, and keeps its file's time fresh


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; it replaces ``path`` only on success.

    Its bytes reach the disk before the rename (fsync, 1-2 ms for a 2 MB file
    here): otherwise a power cut soon after can leave ``path`` empty, and an
    empty result is one a rerun skips as done."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PART_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~umask())  # mkstemp makes 0600; give what open() would
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def remove_stale_parts(folder: str | os.PathLike, older_than: float = STALE_AFTER) -> list[Path]:
    """Delete the temporary files atomic_write left in ``folder`` when its process was killed
    (SIGKILL, a power cut: nothing ran to clean up); only those untouched for ``older_than``
    seconds, so a write still in progress elsewhere is left alone. Returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:  # no folder yet: nothing left there
        return removed
    deadline = time.time() - older_than
    for entry in entries:
        if not _PART_NAME.fullmatch(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < deadline:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone meanwhile, or not ours to remove
            continue
    return removed


def umask() -> int:
    """The process's file-creation mask (reading it means setting it: put it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
