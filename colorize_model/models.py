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
from .settings import MAX_RENDER_SIZE, MIN_RENDER_SIZE, RENDER_STEP

DEFAULT_MODEL_DIR = Path(__file__).parent / "default"
CONFIG_FILE = "config.json"
RUNTIME_FILE = "model.tflite"
WEIGHTS_FILE = "model.weights.h5"
CONFIG_FORMAT = "colorize-model/1"
HUB_PREFIX = "hf://"

MAX_INPUT_CHANNELS = 16  # L* and a few hint channels; more is not a model of this project
MAX_CONFIG_BYTES = 1 << 20

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
        """Read and check ``config.json``: a model folder may come from anyone (the Hub)."""
        try:
            with open(path, "rb") as stream:
                text = stream.read(MAX_CONFIG_BYTES + 1)
            if len(text) > MAX_CONFIG_BYTES:
                raise ValueError(f"larger than {MAX_CONFIG_BYTES:,} bytes")
            data = json.loads(text)
        except RecursionError:
            raise ModelError(f"{path}: invalid model config (nested too deeply)") from None
        except (OSError, ValueError) as error:
            raise ModelError(f"{path}: invalid model config ({str(error).splitlines()[0]})") from None
        problems = config_problems(data)
        if problems:
            raise ModelError(f"{path}: invalid model config: {'; '.join(problems)}")
        del data["format"]
        return cls(**data)


# config.json's keys, their JSON types, and whether a config must have them.
_SCHEMA = {"format": (str, True), "architecture": (str, True), "render_size": (int, True),
           "input_channels": (int, False), "architecture_args": (dict, False), "description": (str, False)}
_TYPE_NAMES = {str: "a string", int: "a whole number", dict: "an object"}


def config_problems(data: Any) -> list[str]:
    """What is wrong with a parsed config.json, one short phrase per problem (none: it is usable)."""
    if not isinstance(data, dict):
        return ["not a JSON object"]
    problems = [f"unknown key {key!r}" for key in data if key not in _SCHEMA]
    for key, (kind, required) in _SCHEMA.items():
        if key not in data:
            problems += [f"{key!r} is missing"] if required else []
        elif not isinstance(data[key], kind) or isinstance(data[key], bool):
            problems.append(f"{key!r} must be {_TYPE_NAMES[kind]}, not {json.dumps(data[key])[:40]}")
    if isinstance(data.get("format"), str) and data["format"] != CONFIG_FORMAT:
        problems.append(f"'format' is {data['format'][:40]!r}, not {CONFIG_FORMAT!r}")
    size = data.get("render_size")
    if type(size) is int and not (MIN_RENDER_SIZE <= size <= MAX_RENDER_SIZE and size % RENDER_STEP == 0):
        problems.append(f"'render_size' is {size}, not a multiple of {RENDER_STEP} "
                        f"from {MIN_RENDER_SIZE} to {MAX_RENDER_SIZE}")
    channels = data.get("input_channels")
    if type(channels) is int and not 1 <= channels <= MAX_INPUT_CHANNELS:
        problems.append(f"'input_channels' is {channels}, not 1 to {MAX_INPUT_CHANNELS}")
    return problems


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
