"""Keras model -> model folder -> LiteRT runtime: the same numbers."""

import contextlib
import io

import numpy as np
import pytest

from colorize_model import architectures
from colorize_model.export import export_model, load_keras
from colorize_model.models import ModelConfig, resolve
from colorize_model.pipeline import Colorizer
from colorize_model.runtime import RuntimeModel


@pytest.mark.parametrize("name,channels,size", [("seed", 1, 128), ("unet", 4, 96), ("unet_branch", 4, 64)])
def test_runtime_matches_keras(tmp_path, name, channels, size):
    config = ModelConfig(name, 256, channels)
    model = architectures.build(name)
    folder = resolve(export_model(model, config, tmp_path / name))
    l_star = np.random.default_rng(0).uniform(0, 100, (size, size)).astype(np.float32)
    batch = np.zeros((1, size, size, channels), np.float32)
    batch[..., 0] = l_star
    outputs = model(batch)
    expected = (outputs["ab"] if isinstance(outputs, dict) else outputs).numpy()[0]
    runtime = RuntimeModel(folder.runtime_file, channels)
    ab, distribution = runtime.run(l_star)
    assert np.abs(ab - expected).max() < 1e-4
    assert runtime.has_distribution == isinstance(outputs, dict)
    if distribution is not None:
        assert np.abs(distribution - outputs["probabilities"].numpy()[0]).max() < 1e-4
    # the same file renders other sizes too
    assert runtime(l_star[: size // 2, : size // 2]).shape[0] == expected.shape[0] // 2


def test_export_round_trip_and_replace(tmp_path):
    config = ModelConfig("unet", 128, 4, {"temperature": 0.5, "mix": 0.3})
    model = architectures.build("unet", **config.architecture_args)
    target = export_model(model, config, tmp_path / "model")
    reloaded = load_keras(target)
    x = np.random.default_rng(1).uniform(0, 100, (1, 64, 64, 4)).astype(np.float32)
    assert np.allclose(reloaded(x)["ab"].numpy(), model(x)["ab"].numpy(), atol=1e-6)
    assert Colorizer.load(target).render_size == 128
    export_model(architectures.build("unet"), ModelConfig("unet", 192, 4), target)  # replaces whole
    assert Colorizer.load(target).render_size == 192
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_the_runtime_skips_the_hint_branch_without_hints(tmp_path):
    """unet_branch keeps its branch behind a conditional in the runtime model (a subgraph of its own),
    and the runtime's automatic colours are its base's."""
    import tensorflow as tf

    model = architectures.build("unet_branch")
    rng = np.random.default_rng(1)
    for weight in model.get_layer("hint_gate").weights:
        if "kernel" in weight.path:  # a branch that adds something (its last layers start at zero)
            weight.assign(rng.normal(0, 0.05, weight.shape))
    folder = resolve(export_model(model, ModelConfig("unet_branch", 64, 4), tmp_path / "branch"))
    analysis = io.StringIO()
    with contextlib.redirect_stdout(analysis):
        tf.lite.experimental.Analyzer.analyze(model_path=str(folder.runtime_file))
    assert "Subgraph#1" in analysis.getvalue()  # the branch, run only when there are hints
    runtime = RuntimeModel(folder.runtime_file, 4)
    l_star = rng.uniform(0, 100, (64, 64)).astype(np.float32)
    batch = np.zeros((1, 64, 64, 4), np.float32)
    batch[..., 0] = l_star
    base = architectures.for_inference("unet", model.get_layer("unet_base"))
    assert np.abs(runtime.run(l_star)[0] - base(batch)["ab"].numpy()[0]).max() < 1e-4
    hints = np.zeros((64, 64, 3), np.float32)
    hints[20:30, 20:30] = (0.4, 0.2, 1.0)
    assert np.abs(runtime.run(l_star, hints)[0] - runtime.run(l_star)[0]).max() > 1e-3
