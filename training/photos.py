"""Finding training photos: any folder tree of JPEG/PNG/WebP files, grouped by source.

A photo's source is its first folder below the root (e.g. ``pets`` in
``train/pets/cat.1.jpg``), so per-source sampling weights can keep one large
collection from dominating.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}


def find_photos(root: str | Path) -> dict[str, list[str]]:
    """Photo paths under ``root`` by source, sorted so runs are reproducible."""
    root = Path(root)
    by_source: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in EXTENSIONS and path.is_file():
            relative = path.relative_to(root)
            source = relative.parts[0] if len(relative.parts) > 1 else root.name
            by_source[source].append(str(path))
    return dict(by_source)


def is_validation(path: str, percent: float) -> bool:
    """A fixed split by a hash of the file name, stable across machines and runs."""
    digest = hashlib.sha1(Path(path).name.encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10_000 < percent * 100
