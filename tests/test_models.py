"""Model folders come from anyone (a download, the Hub): every bad one is one clear line, never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from colorize_model import Colorizer, ModelError
from colorize_model.models import DEFAULT_MODEL_DIR, MAX_CONFIG_BYTES
from colorize_model.runtime import RuntimeModel

DEFAULT_CONFIG = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())


def model_folder(tmp_path: Path, config: object = None, runtime: bytes | None = None, *,
                 raw_config: str | None = None) -> Path:
    """A copy of the built-in model with its config.json or model.tflite replaced."""
    folder = tmp_path / "model"
    folder.mkdir()
    text = raw_config if raw_config is not None else json.dumps(DEFAULT_CONFIG if config is None else config)
    (folder / "config.json").write_text(text)
    if runtime is None:
        shutil.copyfile(DEFAULT_MODEL_DIR / "model.tflite", folder / "model.tflite")
    else:
        (folder / "model.tflite").write_bytes(runtime)
    return folder


def changed(**values: object) -> dict:
    return {**DEFAULT_CONFIG, **values}


@pytest.mark.parametrize("config,message", [
    (changed(render_size=0), "'render_size' is 0, not a multiple of 16 from 16 to 1024"),
    (changed(render_size=-160), "'render_size' is -160"),
    (changed(render_size=None), "'render_size' must be a whole number, not null"),
    (changed(render_size="160"), "'render_size' must be a whole number, not \"160\""),
    (changed(render_size=160.0), "'render_size' must be a whole number, not 160.0"),
    (changed(render_size=True), "'render_size' must be a whole number, not true"),
    (changed(render_size=100000), "'render_size' is 100000"),
    (changed(render_size=150), "'render_size' is 150, not a multiple of 16"),
    (changed(input_channels=0), "'input_channels' is 0, not 1 to 16"),
    (changed(input_channels=1), "takes 4 input channels where config.json says 1"),
    (changed(input_channels=9), "takes 4 input channels where config.json says 9"),
    (changed(architecture_args=[1]), "'architecture_args' must be an object"),
    (changed(format="colorize-model/2"), "'format' is 'colorize-model/2'"),
    (changed(colour="yes"), "unknown key 'colour'"),
    ({k: v for k, v in DEFAULT_CONFIG.items() if k != "architecture"}, "'architecture' is missing"),
    ([DEFAULT_CONFIG], "not a JSON object"),
    ("colorize-model/1", "not a JSON object"),
])
def test_bad_config_is_one_clear_line(tmp_path, config, message):
    folder = model_folder(tmp_path, config)
    with pytest.raises(ModelError) as error:
        Colorizer.load(folder)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_every_problem_is_named(tmp_path):
    folder = model_folder(tmp_path, changed(render_size="big", input_channels=-1, extra=1))
    with pytest.raises(ModelError) as error:
        Colorizer.load(folder)
    text = str(error.value)
    assert "unknown key 'extra'" in text and "'render_size' must be" in text and "'input_channels' is -1" in text


@pytest.mark.parametrize("raw,message", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"format": ', "Expecting value"),
    (json.dumps(changed(render_size="X")).replace('"X"', "NaN"), "'render_size' must be a whole number, not NaN"),
    (" " * (MAX_CONFIG_BYTES + 1), "larger than"),
    ('{"render_size": 1' + "0" * 5000 + "}", "integer string conversion"),
])
def test_unreadable_config(tmp_path, raw, message):
    folder = model_folder(tmp_path, raw_config=raw)
    with pytest.raises(ModelError, match=message) as error:
        Colorizer.load(folder)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("runtime", [
    b"", b"not a model at all", b"\0\0\0\0TFL3" + bytes(range(256)) * 8,
    (DEFAULT_MODEL_DIR / "model.tflite").read_bytes()[:100_000],
])
def test_bad_runtime_file(tmp_path, runtime):
    folder = model_folder(tmp_path, runtime=runtime)
    with pytest.raises(ModelError, match="LiteRT cannot load it") as error:
        Colorizer.load(folder)
    assert "\n" not in str(error.value)


def test_cli_says_one_line_for_a_bad_model(tmp_path):
    folder = model_folder(tmp_path, changed(render_size=None))
    photo = tmp_path / "photo.png"
    from PIL import Image

    Image.new("L", (32, 24), 90).save(photo)
    for model in (folder, DEFAULT_MODEL_DIR / "MODEL_CARD.md", tmp_path / "missing"):
        result = subprocess.run([sys.executable, "-m", "colorize_model", str(photo), "-o", str(tmp_path / "out"),
                                 "--model", str(model)], capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.startswith("colorize: error: ") and result.stderr.count("\n") == 1


def test_runtime_errors_are_one_short_line_that_does_not_grow():
    """A failed call leaves LiteRT's interpreter adding to its error text; the runtime starts afresh."""
    runtime = RuntimeModel(DEFAULT_MODEL_DIR / "model.tflite", 4)
    messages = []
    for _ in range(3):
        with pytest.raises(ModelError) as error:
            runtime(np.zeros((300, 300), np.float32))  # not a multiple of 16: the unet cannot take it
        messages.append(str(error.value))
    assert len(set(messages)) == 1 and len(messages[0]) < 200 and "\n" not in messages[0]
    assert "render size 300" in messages[0]
    assert runtime(np.zeros((304, 304), np.float32)).shape == (76, 76, 2)  # and it still works


def exported(tmp_path: Path, name: str, network) -> Path:
    """A model folder (render size 16) around a Keras network taking L* and giving what it gives,
    through LiteRT."""
    from colorize_model.models import ModelConfig

    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.json").write_text(ModelConfig(name, render_size=16, description=name).to_json())
    network.export(str(folder / "model.tflite"), format="litert", verbose=False)
    return folder


def test_a_model_whose_output_is_not_finite_is_refused_not_a_black_photo(tmp_path):
    """sqrt of a negative number: NaN everywhere (a broken or hostile model); it used to give
    'colorized' and a black photo, the photo's own tones lost."""
    import keras

    inputs = keras.Input((None, None, 1))
    zero = keras.layers.Conv2D(2, 1, kernel_initializer="zeros")(inputs)
    network = keras.Model(inputs, keras.layers.Lambda(lambda x: keras.ops.sqrt(x - 1.0))(zero))
    runtime = RuntimeModel(exported(tmp_path, "nan", network) / "model.tflite")
    with pytest.raises(ModelError, match=r"at render size 16 \(its output is not finite \(NaN or infinity\)\)$"):
        runtime(np.zeros((16, 16), np.float32))
    with pytest.raises(ModelError, match="not finite"):  # the colorizer runs it once as it loads
        Colorizer.load(tmp_path / "nan")


def test_a_distribution_of_the_wrong_size_is_refused_at_load(tmp_path):
    """A second output must be the distribution over the ab bins (suggestions index it by bin)."""
    import keras

    inputs = keras.Input((None, None, 1))
    network = keras.Model(inputs, [keras.layers.Conv2D(2, 1)(inputs), keras.layers.Conv2D(7, 1)(inputs)])
    with pytest.raises(ModelError, match="maybe a distribution over 261 ab bins"):
        Colorizer.load(exported(tmp_path, "seven", network))
