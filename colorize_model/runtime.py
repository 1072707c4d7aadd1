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
    """One exported network: L* (S, S) in, ab / 128 (s, s, 2) out, any square S."""

    def __init__(self, path: Path, input_channels: int = 1, num_threads: int | None = None):
        self._interpreter = Interpreter(model_path=str(path), num_threads=num_threads or os.cpu_count())
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._channels = input_channels
        self._size = None
        self._lock = threading.Lock()  # one interpreter: calls from threads take turns

    def __call__(self, l_star: np.ndarray) -> np.ndarray:
        size = l_star.shape[0]
        batch = np.zeros((1, size, size, self._channels), dtype=np.float32)
        batch[0, :, :, 0] = l_star  # hint channels stay zero: no hints
        with self._lock:
            if size != self._size:
                self._interpreter.resize_tensor_input(self._input, [1, size, size, self._channels])
                self._interpreter.allocate_tensors()
                self._size = size
            self._interpreter.set_tensor(self._input, batch)
            self._interpreter.invoke()
            return self._interpreter.get_tensor(self._output)[0].copy()
