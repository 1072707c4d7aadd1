"""Training configs: every command reads them through one checker that refuses bad ones in one line."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from training import run_config

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_configs_are_read():
    configs = sorted((ROOT / "training/configs").glob("*.yaml"))
    assert configs
    for path in configs:
        assert run_config.read(path)["steps"] > 0


@pytest.mark.parametrize("text, message", [
    ("data: [unclosed\n", "not readable YAML"),
    ("- a list\n- of things\n", "not a mapping"),
    ("just: words\n", "no 'architecture', 'data'"),
])
def test_what_is_not_a_config_is_refused_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as refused:
        run_config.read(path)
    assert str(refused.value).startswith(str(path)) and "\n" not in str(refused.value)
    with pytest.raises(ValueError, match="cannot read"):
        run_config.read(tmp_path / "missing.yaml")


def test_only_what_a_command_needs_is_asked_for(tmp_path):
    path = tmp_path / "split.yaml"
    path.write_text("data: photos\n")
    assert run_config.read(path, needs=("data",)) == {"data": "photos"}
    with pytest.raises(ValueError, match="'render_size'"):
        run_config.read(path, needs=("data", "render_size"))


@pytest.mark.parametrize("key", run_config.SHARES)
@pytest.mark.parametrize("value", [-0.1, 2, "half", True, [0.5]])
def test_shares_outside_0_to_1_are_refused(key, value):
    with pytest.raises(ValueError, match=f"{key} is a share"):
        run_config.check({key: value, "hints": True})


@pytest.mark.parametrize("value", [0, 0.5, 1])
def test_shares_from_0_to_1_are_kept(value):
    assert run_config.check({"no_hint_share": value, "hint_recolour": value}) == {
        "no_hint_share": value, "hint_recolour": value}


@pytest.mark.parametrize("key, value", [("steps", 0), ("steps", 2.5), ("batch", -4), ("crop", "128"),
                                        ("crop", True), ("learning_rate", 0), ("learning_rate", "1e-4"),
                                        ("learning_rate", float("nan")), ("learning_rate", 3)])
def test_counts_and_rates_out_of_range_are_refused(key, value):
    with pytest.raises(ValueError, match=key):
        run_config.check({key: value})


@pytest.mark.parametrize("loss_args, message", [
    ({"smothing": 0.5}, "no setting 'smothing'"),
    ({"rebalance_teacher": "no"}, "rebalance_teacher must be true or false"),
    ({"teacher_weight": -1}, "teacher_weight must be a number from 0 up"),
    ({"regression_weight": float("inf")}, "regression_weight must be"),
    ({"smoothing": 1.5}, "smoothing must be a number from 0 to 1"),
    ("hybrid", "loss_args must be a mapping"),
    ({"decoded_weight": 10.0}, "needs the model's decode settings"),
])
def test_loss_settings_the_loss_has_not_or_of_the_wrong_kind_are_refused(loss_args, message):
    with pytest.raises(ValueError, match=message):
        run_config.check({"loss_args": loss_args})


def test_loss_settings_of_the_right_kind_are_kept():
    config = {"loss_args": {"smoothing": 0.5, "regression_weight": 50.0, "decoded_weight": 10, "teacher_weight": 2,
                            "rebalance_teacher": False}, "decode": {"temperature": 0.2, "mix": 0.4}}
    assert run_config.check(config) == config


def test_a_teacher_needs_hints():
    with pytest.raises(ValueError, match="hints: true"):
        run_config.check({"teacher": "colorize_model/default"})
    assert run_config.check({"teacher": "colorize_model/default", "hints": True})


def train(tmp_path: Path, **changes) -> subprocess.CompletedProcess:
    config = {**yaml.safe_load((ROOT / "training/configs/unet-hints-distil.yaml").read_text()),
              "data": str(tmp_path), **changes}  # refused before any photo is read
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run([sys.executable, "-m", "training.train", "--config", str(path), "--run",
                           str(tmp_path / "run")], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("changes, message", [
    ({"no_hint_share": 2}, "no_hint_share is a share"),
    ({"teacher": "no/such/model"}, "no/such/model"),
    ({"steps": 0}, "steps must be"),
])
def test_training_refuses_a_bad_config_in_one_line_before_starting(tmp_path, changes, message):
    done = train(tmp_path, **changes)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], done.stderr[-2000:]
    assert not (tmp_path / "run" / "checkpoints").exists()
