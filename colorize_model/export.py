"""Turning a trained Keras model into a model folder the runtime can use.

This module and ``architectures`` are the only parts of the package that
import Keras and TensorFlow: training and export need them, colorizing does not.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import keras

from . import architectures
from .atomic import umask
from .models import CONFIG_FILE, RUNTIME_FILE, WEIGHTS_FILE, ModelConfig


def build_model(config: ModelConfig, render_size: int | None = None) -> keras.Model:
    """The Keras network ``config`` describes, accepting any square size by default."""
    return architectures.build(config.architecture, render_size=render_size, **config.architecture_args)


def export_model(model: keras.Model, config: ModelConfig, folder: str | os.PathLike) -> Path:
    """Write config, weights and runtime model into ``folder``, replacing it whole.

    The files are made in a sibling temp folder first, so a reader never sees
    a model folder with new weights but an old runtime model.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    dynamic = build_model(config)  # same weights, any input size
    dynamic.set_weights(model.get_weights())
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        staging.chmod(0o755 & ~umask())  # mkdtemp makes it private; a model folder is not
        (staging / CONFIG_FILE).write_text(config.to_json())
        dynamic.save_weights(staging / WEIGHTS_FILE)
        dynamic.export(str(staging / RUNTIME_FILE), format="litert", verbose=False)
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            folder.rename(old)
            staging.rename(folder)
            shutil.rmtree(old)
        else:
            staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def load_keras(folder: str | os.PathLike, render_size: int | None = None) -> keras.Model:
    """Rebuild the Keras model of a model folder from its config and weights."""
    folder = Path(folder)
    config = ModelConfig.from_file(folder / CONFIG_FILE)
    model = build_model(config, render_size)
    model.load_weights(folder / WEIGHTS_FILE)
    return model
