"""Where a model comes from: the embedded default, a local folder, or the Hub.

A model folder holds ``config.json`` (which architecture, at what render size,
with which input convention), ``model.tflite`` (what inference runs) and
``model.weights.h5`` (the Keras weights, for training and re-export).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from .errors import ModelError

DEFAULT_MODEL_DIR = Path(__file__).parent / "default"
CONFIG_FILE = "config.json"
RUNTIME_FILE = "model.tflite"
WEIGHTS_FILE = "model.weights.h5"
CONFIG_FORMAT = "colorize-model/1"
HUB_PREFIX = "hf://"

ModelRef = Union[str, os.PathLike]


@dataclass(frozen=True)
class ModelConfig:
    """What ``config.json`` says: enough to rebuild, export and run the model."""

    architecture: str
    render_size: int
    input_channels: int = 1  # L*, then optional hint channels (zeros when unused)
    architecture_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def to_json(self) -> str:
        return json.dumps({"format": CONFIG_FORMAT, **self.__dict__}, indent=2) + "\n"

    @classmethod
    def from_file(cls, path: Path) -> "ModelConfig":
        try:
            data = json.loads(path.read_text())
            if data.pop("format", None) != CONFIG_FORMAT:
                raise ValueError(f"not a {CONFIG_FORMAT} config")
            return cls(**data)
        except (OSError, ValueError, TypeError) as error:
            raise ModelError(f"{path}: invalid model config ({error})") from None


@dataclass(frozen=True)
class ModelFolder:
    path: Path
    config: ModelConfig

    @property
    def runtime_file(self) -> Path:
        return self.path / RUNTIME_FILE

    @property
    def weights_file(self) -> Path:
        return self.path / WEIGHTS_FILE


def resolve(ref: ModelRef = "default") -> ModelFolder:
    """Find the folder ``ref`` names ("default", a path, or hf://owner/name[@rev])."""
    ref = os.fspath(ref)
    if ref == "default":
        path = DEFAULT_MODEL_DIR
    elif ref.startswith(HUB_PREFIX):
        from . import hub  # only Hub users pay for importing huggingface_hub

        path = hub.download_model(*hub.parse_ref(ref))
    else:
        path = Path(ref)
    if not (path / CONFIG_FILE).is_file():
        raise ModelError(f"{ref}: not a model folder (no {CONFIG_FILE})")
    folder = ModelFolder(path, ModelConfig.from_file(path / CONFIG_FILE))
    if not folder.runtime_file.is_file():
        raise ModelError(f"{ref}: model folder has no {RUNTIME_FILE}")
    return folder
