"""Running an exported model with LiteRT, so colorizing never imports TensorFlow.

LiteRT starts in ~0.1 s and a few MB where TensorFlow takes ~2 s and ~700 MB;
the CLI, the GIMP worker and the web app only ever need this.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

# LiteRT logs "Created TensorFlow Lite XNNPACK delegate" on every load; keep
# stderr for messages meant for people (a caller's own setting wins).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from ai_edge_litert.interpreter import Interpreter  # noqa: E402


class RuntimeModel:
    """One exported network: L* (S, S) and optional hint channels in, ab / 128 (s, s, 2) out,
    any square S; networks with a classifier head also give its colour distribution."""

    def __init__(self, path: Path, input_channels: int = 1, num_threads: int | None = None):
        self._interpreter = Interpreter(model_path=str(path), num_threads=num_threads or os.cpu_count())
        self._input = self._interpreter.get_input_details()[0]["index"]
        # The decoded ab has 2 channels; a second output, if any, is the distribution over ab bins.
        outputs = sorted(self._interpreter.get_output_details(), key=lambda d: d["shape"][-1] != 2)
        self._output = outputs[0]["index"]
        self._distribution = outputs[1]["index"] if len(outputs) > 1 else None
        self._channels = input_channels
        self._size = None
        self._lock = threading.Lock()  # one interpreter: calls from threads take turns

    @property
    def takes_hints(self) -> bool:
        return self._channels > 1

    @property
    def has_distribution(self) -> bool:
        return self._distribution is not None

    def __call__(self, l_star: np.ndarray, hints: np.ndarray | None = None) -> np.ndarray:
        """ab / 128 for a render of L* (S, S) and its hint channels (S, S, C - 1), if any."""
        return self.run(l_star, hints)[0]

    def run(self, l_star: np.ndarray, hints: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """(ab / 128, the distribution over ab bins or None) for one render."""
        size = l_star.shape[0]
        batch = np.zeros((1, size, size, self._channels), dtype=np.float32)
        batch[0, :, :, 0] = l_star
        if hints is not None:  # otherwise the hint channels stay zero: the automatic mode
            batch[0, :, :, 1:] = hints
        with self._lock:
            if size != self._size:
                self._interpreter.resize_tensor_input(self._input, [1, size, size, self._channels])
                self._interpreter.allocate_tensors()
                self._size = size
            self._interpreter.set_tensor(self._input, batch)
            self._interpreter.invoke()
            ab = self._interpreter.get_tensor(self._output)[0].copy()
            if self._distribution is None:
                return ab, None
            return ab, self._interpreter.get_tensor(self._distribution)[0].copy()
