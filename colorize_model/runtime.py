"""Running an exported model with LiteRT, so colorizing never imports TensorFlow.

LiteRT starts in ~0.1 s and a few MB where TensorFlow takes ~2 s and ~700 MB;
the CLI, the GIMP worker and the web app only ever need this.

A model file may come from anyone: it is checked when loaded (LiteRT's own
flatbuffer verifier, then its inputs and outputs against the config), and any
LiteRT failure becomes a one-line ModelError.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from .ab_grid import BIN_CENTRES
from .errors import ModelError

# Quietens TensorFlow's C++ logging where training imports both (a caller's own
# setting wins). It does not reach LiteRT's delegate line: see _quiet_stderr.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from ai_edge_litert.interpreter import Interpreter  # noqa: E402

# Printed by LiteRT's C++ logger on file descriptor 2 when an interpreter first allocates.
_DELEGATE_LINE = b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
_STDERR_LOCK = threading.Lock()
_MAX_MESSAGE = 120


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Hold back LiteRT's delegate line, which C++ writes straight to file descriptor 2.

    Everything else written meanwhile (a genuine error, another thread's output)
    is passed on, in order, when the block ends; one block at a time in the process.
    """
    with _STDERR_LOCK:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all: nothing to hide
            yield
            return
        try:
            with tempfile.TemporaryFile() as held:
                _flush_stderr()
                os.dup2(held.fileno(), 2)
                try:
                    yield
                finally:
                    _flush_stderr()
                    os.dup2(saved, 2)
                    held.seek(0)
                    _write_all(2, b"".join(line for line in held.read().splitlines(keepends=True)
                                           if line.rstrip(b"\r\n") != _DELEGATE_LINE))
        finally:
            os.close(saved)


def _flush_stderr() -> None:
    if sys.stderr is not None:
        sys.stderr.flush()


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


def _one_line(error: Exception) -> str:
    """LiteRT's message on one short line (it can run to many, and grows with each failure)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 3] + "..."


class RuntimeModel:
    """One exported network: L* (S, S) and optional hint channels in, ab / 128 (s, s, 2) out,
    any square S; networks with a classifier head also give its colour distribution."""

    def __init__(self, path: Path, input_channels: int = 1, num_threads: int | None = None):
        self._path = Path(path)
        self._threads = num_threads or os.cpu_count()
        self._open()
        inputs = self._interpreter.get_input_details()
        # The decoded ab has 2 channels; a second output, if any, is the distribution over ab bins.
        outputs = sorted(self._interpreter.get_output_details(), key=lambda d: d["shape"][-1] != 2)
        _check_signature(self._path, inputs, outputs, input_channels)
        self._input = inputs[0]["index"]
        self._output = outputs[0]["index"]
        self._distribution = outputs[1]["index"] if len(outputs) > 1 else None
        self._channels = input_channels
        self._lock = threading.Lock()  # one interpreter: calls from threads take turns

    def _open(self) -> None:
        """A fresh interpreter; also after a failed call, as LiteRT keeps adding to a failed one's error text."""
        try:
            with _quiet_stderr():
                interpreter = Interpreter(model_path=str(self._path), num_threads=self._threads)
                interpreter.allocate_tensors()
        except Exception as error:  # noqa: BLE001 - LiteRT raises ValueError or RuntimeError on bad files
            raise ModelError(f"{self._path}: LiteRT cannot load it ({_one_line(error)})") from None
        self._interpreter = interpreter
        self._size = None

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
            try:
                return self._invoke(batch)
            except Exception as error:  # noqa: BLE001 - any LiteRT failure, as one line
                self._open()
                raise ModelError(f"the model failed at render size {size} ({_one_line(error)})") from None

    def _invoke(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """One interpreter call (the caller holds the lock)."""
        size = batch.shape[1]
        if size != self._size:
            self._interpreter.resize_tensor_input(self._input, [1, size, size, self._channels])
            self._interpreter.allocate_tensors()
            self._size = size
        self._interpreter.set_tensor(self._input, batch)
        self._interpreter.invoke()
        ab = self._interpreter.get_tensor(self._output)[0].copy()
        distribution = None
        if self._distribution is not None:
            distribution = self._interpreter.get_tensor(self._distribution)[0].copy()
        if not (np.isfinite(ab).all() and (distribution is None or np.isfinite(distribution).all())):
            raise ValueError("its output is not finite (NaN or infinity)")  # it would make every pixel black
        return ab, distribution


def _check_signature(path: Path, inputs: list[dict], outputs: list[dict], input_channels: int) -> None:
    """Refuse a model whose input or output is not what the pipeline feeds it and reads from it."""
    if len(inputs) != 1 or len(inputs[0]["shape"]) != 4:
        raise ModelError(f"{path}: expected one (1, S, S, C) input, found {[list(i['shape']) for i in inputs]}")
    channels = int(inputs[0]["shape"][-1])
    if channels != input_channels:
        raise ModelError(f"{path}: takes {channels} input channels where config.json says {input_channels}")
    if not outputs or len(outputs[0]["shape"]) != 4 or outputs[0]["shape"][-1] != 2:
        raise ModelError(f"{path}: has no (1, s, s, 2) ab output, found {[list(o['shape']) for o in outputs]}")
    if len(outputs) > 2 or (len(outputs) == 2 and list(outputs[1]["shape"][1:]) != [*outputs[0]["shape"][1:3],
                                                                                   len(BIN_CENTRES)]):
        raise ModelError(f"{path}: expected an ab output and maybe a distribution over {len(BIN_CENTRES)} ab "
                         f"bins of the same size, found {[list(o['shape']) for o in outputs]}")
    if any(output["dtype"] != np.float32 for output in outputs):
        raise ModelError(f"{path}: outputs {[np.dtype(o['dtype']).name for o in outputs]}, not float32")
