"""The colorizing settings every caller shares (CLI, Python API, demo, GIMP, model configs).

Render sizes: the ``unet`` halves its input four times and joins skip
connections on the way back, so its side must divide by 16 (any other size
fails in LiteRT with "XNNPack delegate failed to reshape"); the ``seed`` runs
at any size but pads to a multiple of 8, which shifts its colours. A size in
MIN_RENDER_SIZE..MAX_RENDER_SIZE is rounded to the nearest multiple of 16; the
upper bound keeps memory bounded (measured on the 2-core development machine:
a 1024 render peaks at 0.44 GB of resident memory with the unet, 0.77 GB with
the seed; 2048 at 1.5 GB with the unet).

This module imports nothing heavy, so the CLI can check its options at once.
"""

from __future__ import annotations

import reprlib
from numbers import Integral, Real

RENDER_STEP = 16
MIN_RENDER_SIZE, MAX_RENDER_SIZE = 16, 1024
# Far beyond what any photo shows (every colour is at sRGB's edge well before);
# much larger values overflow float32 and come out black.
MAX_SATURATION = 10.0


def network_render_size(render_size: int) -> int:
    """The size a render of ``render_size`` really gets: the nearest multiple of RENDER_STEP."""
    return (render_size + RENDER_STEP // 2) // RENDER_STEP * RENDER_STEP


def check_settings(render_size: int | None, saturation: float = 1.0) -> None:
    """Refuse a setting no photo can be colorized with, with a message (TypeError, ValueError)."""
    if render_size is not None:
        if isinstance(render_size, bool) or not isinstance(render_size, Integral):
            raise TypeError(f"render size must be a whole number, not {render_size!r}")
        if not MIN_RENDER_SIZE <= render_size <= MAX_RENDER_SIZE:
            raise ValueError(f"render size {render_size} is outside {MIN_RENDER_SIZE}..{MAX_RENDER_SIZE}")
    if isinstance(saturation, bool) or not isinstance(saturation, Real):
        raise TypeError(f"saturation must be a number, not {saturation!r}")
    if not 0 <= saturation <= MAX_SATURATION:  # NaN too; a huge integer is compared exactly, not converted
        raise ValueError(f"saturation {reprlib.repr(saturation)} is outside 0..{MAX_SATURATION:g}")
