"""Whole-image work done in bands of rows, so that no full-size float plane is ever needed.

A 100-megapixel photo's L* alone is 400 MB of float32; its a*, b* and Lab
twice as much again. Everything between the decoded photo and the encoded
result is done a band of rows at a time instead, the bands shared out to a
pool of threads: this module holds that machinery, and the two resizes
whose results, taken band by band, are OpenCV's whole-image ones to float
rounding (so banding moves no pixel by more than a rounding level).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import cv2
import numpy as np

BAND_PIXELS = 1 << 17  # about 0.5 MB per float32 plane: a band's planes stay in the core's cache
_local = threading.local()


def _mark_worker() -> None:
    _local.worker = True


_POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, initializer=_mark_worker)
Result = TypeVar("Result")


def band_rows(width: int) -> int:
    """Rows per band for an image ``width`` pixels wide."""
    return max(1, BAND_PIXELS // width)


def in_bands(work: Callable[[slice], Result], height: int, rows: int) -> list[Result]:
    """``work`` on each band of ``rows`` rows, in parallel, results in band order.

    numpy's and OpenCV's loops mostly use one core each, so bands go to a pool
    of threads (a band's work holds its memory only while it runs). Called
    from one of the pool's own threads, it runs the bands in turn: waiting
    there on the pool could deadlock it.
    """
    bands = [slice(start, min(start + rows, height)) for start in range(0, height, rows)]
    if len(bands) < 2 or getattr(_local, "worker", False):
        return [work(band) for band in bands]
    return list(_POOL.map(work, bands))


def _area_taps(source: int, target: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(target index, source index, weight) of each term of OpenCV's INTER_AREA shrinking.

    The same cells and weights as OpenCV's computeResizeAreaTab: each target
    pixel averages the source pixels its cell covers, partial ones pro rata.
    """
    scale = 1.0 / (target / source)
    taps = []
    for t in range(target):
        start, end = t * scale, t * scale + scale
        cell = min(scale, source - start)
        last = min(int(np.floor(end)), source - 1)
        first = min(int(np.ceil(start)), last)
        if first - start > 1e-3:
            taps.append((t, first - 1, (first - start) / cell))
        taps += [(t, s, 1.0 / cell) for s in range(first, last)]
        if end - last > 1e-3:
            taps.append((t, last, min(end - last, 1.0, cell) / cell))
    target_index, source_index, weight = zip(*taps)
    return np.array(target_index), np.array(source_index), np.array(weight, np.float32)


class AreaShrink:
    """``cv2.resize(plane, size, interpolation=cv2.INTER_AREA)`` of a plane read in bands.

    Only for shrinking (or keeping) both sides, where OpenCV averages whole
    cells: across each band by OpenCV itself, down the bands by the same
    weights. ``part`` may run on any thread; ``add`` the parts in band order,
    so the sums, and the result, do not depend on timing.
    """

    def __init__(self, shape: tuple[int, int], size: tuple[int, int]):
        height, width = shape
        if size[0] > width or size[1] > height:
            raise ValueError(f"AreaShrink only shrinks: {width}x{height} to {size[0]}x{size[1]}")
        self.size = size
        self._taps = _area_taps(height, size[1])
        self._sum = np.zeros((size[1], size[0]), np.float64)

    def part(self, band: np.ndarray, rows: slice) -> tuple[int, np.ndarray]:
        """The band's share of the result: (first target row, its rows' sums)."""
        across = cv2.resize(band, (self.size[0], band.shape[0]), interpolation=cv2.INTER_AREA)
        target, source, weight = self._taps
        mine = (source >= rows.start) & (source < rows.stop)
        target = target[mine]
        terms = across.reshape(band.shape[0], -1)[source[mine] - rows.start] * weight[mine, None]
        return int(target[0]), np.add.reduceat(terms, np.flatnonzero(np.diff(target, prepend=-1)))

    def add(self, part: tuple[int, np.ndarray]) -> None:
        first, sums = part
        self._sum[first:first + len(sums)] += sums

    def result(self) -> np.ndarray:
        return self._sum.astype(np.float32)


def linear_rows(planes: np.ndarray, size: tuple[int, int], rows: slice) -> np.ndarray:
    """Rows ``rows`` of ``cv2.resize(plane, size, interpolation=cv2.INTER_LINEAR)`` for each
    of ``planes`` (C, h, w), alone: (C, rows, W).

    OpenCV resizes each source row across, then blends two of them per target
    row, with weights from the same arithmetic as here: so only the few source
    rows a band needs are resized, and the band is blended from them.
    """
    height = planes.shape[1]
    scale = 1.0 / (size[1] / height)
    position = (np.arange(rows.start, rows.stop) + 0.5) * scale - 0.5
    below = np.floor(position)
    fraction = (position - below).astype(np.float32)
    below = below.astype(np.intp)
    top, bottom = np.clip(below, 0, height - 1), np.clip(below + 1, 0, height - 1)
    first, last = int(top[0]), int(bottom[-1]) + 1
    if last - first < min(2, height):  # OpenCV resizes a lone row by another method
        first, last = (first - 1, last) if first else (first, last + 1)
    across = np.hstack([cv2.resize(plane[first:last], (size[0], last - first), interpolation=cv2.INTER_LINEAR)
                        for plane in planes])
    blend = np.empty((len(fraction), across.shape[1]), np.float32)
    for row, upper, lower, weight in zip(blend, top - first, bottom - first, fraction.tolist()):
        cv2.addWeighted(across[upper], 1.0 - weight, across[lower], weight, 0.0, dst=row)
    return blend.reshape(len(blend), len(planes), size[0]).transpose(1, 0, 2)
