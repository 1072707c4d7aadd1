"""Training end to end on photos the test makes: checkpoint, kill, resume, export, colorize."""

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
import yaml
from PIL import Image
from skimage import data as samples

from colorize_model import Colorizer, architectures
from colorize_model.export import export_model, load_keras
from colorize_model.models import ModelConfig

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """Two sources of small colour photos, plus a corrupt file and a gray photo to skip."""
    root = tmp_path_factory.mktemp("photos")
    crops = [samples.astronaut(), samples.coffee(), samples.chelsea(), samples.rocket()]
    for source in ("people", "things"):
        (root / source).mkdir()
    for i in range(24):
        image = crops[i % 4]
        y, x = (i * 7) % 40, (i * 11) % 60
        tile = Image.fromarray(image[y:y + 200, x:x + 200]).resize((64, 64))
        tile.save(root / ("people" if i % 3 else "things") / f"photo{i}.jpg")
    (root / "things" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    Image.fromarray(samples.camera()).resize((64, 64)).convert("RGB").save(root / "people" / "gray.png")
    return root


def write_config(tmp_path: Path, photos: Path, steps: int, seed: int = 0, **changes) -> Path:
    config = yaml.safe_load((ROOT / "training/configs/unet.yaml").read_text())
    config.update(data=str(photos), crop=32, batch=4, steps=steps, warmup_steps=2, mixed_precision=False,
                  deterministic=True, checkpoint_minutes=0, export_minutes=1000, validation_percent=20,
                  render_size=64, log_every=2, eval_sets=[str(photos / "people")], seed=seed, ema=0.9,
                  hints=True, hint_recolour=0.5)
    config.update(changes)
    path = tmp_path / f"tiny{steps}-{seed}{''.join(f'-{k}' for k in sorted(changes))}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def train(config: Path, run: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "training.train", "--config", str(config), "--run", str(run),
                             *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_data_pipeline_skips_bad_and_gray_photos(photos):
    from training import data

    train, validation = data.split_photos(str(photos), validation_percent=20)
    assert set(train) == {"people", "things"} and validation
    again, _ = data.split_photos(str(photos), validation_percent=20)
    assert again == train  # the split is fixed
    batches = data.training_dataset(train, size=32, batch=4, seed=1).take(12)
    for rgb in batches.as_numpy_iterator():
        assert rgb.shape == (4, 32, 32, 3) and rgb.dtype == np.uint8
        chroma = rgb.max(axis=-1).astype(int) - rgb.min(axis=-1)
        assert chroma.mean(axis=(1, 2)).min() >= data.GRAY_CHROMA
    inputs, target = data.to_model_batch(rgb, 4)
    assert inputs.shape == (4, 32, 32, 4) and not inputs[..., 1:].any()
    assert 0 <= inputs[..., 0].min() and inputs[..., 0].max() <= 100 and np.abs(target).max() <= 1


def test_train_kill_resume_export(photos, tmp_path):
    config = write_config(tmp_path, photos, steps=8)
    straight = train(config, tmp_path / "straight")
    assert straight.wait(timeout=900) == 0, straight.stdout.read()

    interrupted = train(config, tmp_path / "run")
    checkpoints = tmp_path / "run" / "checkpoints"
    deadline = time.monotonic() + 600
    while not list(checkpoints.glob("ckpt-*.index")) and time.monotonic() < deadline:
        time.sleep(0.2)
    interrupted.send_signal(signal.SIGTERM)
    log = interrupted.communicate(timeout=600)[0]
    assert interrupted.returncode == 0 and "stopped on request" in log, log
    stopped_at = max(int(p.name.split("-")[1].split(".")[0]) for p in checkpoints.glob("ckpt-*.index"))
    assert stopped_at < 8

    resumed = train(config, tmp_path / "run", "--resume")
    log = resumed.communicate(timeout=900)[0]
    assert resumed.returncode == 0 and "resumed from" in log, log

    # the interrupted-and-resumed run ends exactly where the uninterrupted one did
    a, b = load_keras(tmp_path / "straight" / "export"), load_keras(tmp_path / "run" / "export")
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(x, y, atol=1e-6)

    events = list((tmp_path / "run" / "logs").glob("events.out.tfevents.*"))
    tags = {value.tag for path in events for event in tf.compat.v1.train.summary_iterator(str(path))
            for value in event.summary.value}
    assert {"train/loss", "validation/loss", "validation/loss_hints", "validation/samples", "eval/psnr",
            "eval/auc"} <= tags

    colorizer = Colorizer.load(tmp_path / "run" / "export")
    result = colorizer.colorize(samples.camera())
    assert result.shape == samples.camera().shape + (3,)


def test_initialise_from_an_exported_model(photos, tmp_path):
    config = write_config(tmp_path, photos, steps=3)  # after one step the moving average equals the weights
    first = train(config, tmp_path / "first")
    assert first.wait(timeout=900) == 0
    other_seed = write_config(tmp_path, photos, steps=1, seed=7)  # a different random start
    again = train(other_seed, tmp_path / "again", "--init-from", str(tmp_path / "first" / "export"))
    log = again.communicate(timeout=900)[0]
    assert again.returncode == 0 and "initialised from" in log, log
    # one step on from the first run's weights, not from a new random start
    start, continued = load_keras(tmp_path / "first" / "export"), load_keras(tmp_path / "again" / "export")
    difference = max(float(np.abs(x - y).max()) for x, y in zip(start.get_weights(), continued.get_weights()))
    assert difference < 0.05

    # export --from-checkpoint: the weights as trained, not the run's moving average
    raw = subprocess.run([sys.executable, "-m", "training.export", "--run", str(tmp_path / "first"),
                          "--from-checkpoint", "--out", str(tmp_path / "raw")],
                         cwd=ROOT, capture_output=True, text=True)
    assert raw.returncode == 0, raw.stderr
    averaged, trained = start.get_weights(), load_keras(tmp_path / "raw").get_weights()
    assert any(not np.allclose(x, y) for x, y in zip(averaged, trained))
    assert max(float(np.abs(x - y).max()) for x, y in zip(averaged, trained)) < 0.05


def test_tuning_decodes_like_the_exported_model():
    """training.tune sweeps a numpy twin of the model's decoder: the two must agree."""
    from colorize_model.architectures.unet import AnnealedMeanBlend
    from training import tune

    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (1, 4, 5, 261)).astype(np.float32)
    ab = rng.uniform(-0.5, 0.5, (1, 4, 5, 2)).astype(np.float32)
    for temperature, mix in [(0.38, 0.6), (1.0, 0.0), (0.5, 1.0)]:
        layer = np.asarray(AnnealedMeanBlend(temperature, mix)(logits, ab))
        decoded = tune.blend(tune.annealed_mean(logits, temperature), ab, mix)
        assert np.abs(decoded - layer).max() < 1e-5


def test_tuning_picks_the_best_vivid_setting():
    from training import tune

    def row(psnr, ciede, cf):
        return {"psnr": psnr, "ciede2000": ciede, "colourfulness_ratio_of_means": cf, "colourfulness_ratio": cf / 2,
                "auc_rebalanced": 0.8}

    results = {(256, 1.0, 0.0): row(25.0, 8.0, 0.5), (192, 0.5, 0.5): row(24.8, 8.3, 0.9),
               (256, 0.38, 0.5): row(24.9, 8.4, 0.95)}
    assert tune.choose(results, "ciede2000", 0.85) == (192, 0.5, 0.5)  # the muted best is not vivid enough
    assert tune.choose(results, "psnr", 0.85) == (256, 0.38, 0.5)
    assert tune.choose(results, "ciede2000", 2.0) == (256, 1.0, 0.0)  # none vivid enough: best of all
    assert tune.choose(results, "ciede2000", 0.0) == (256, 1.0, 0.0)
    assert tune.choose(results, "ciede2000", 0.0, slack=0.35) == (192, 0.5, 0.5)  # more colour, 0.3 from the best
    assert tune.choose(results, "ciede2000", 0.0, slack=0.45) == (256, 0.38, 0.5)


def test_validation_and_export_see_the_moving_average(photos, tmp_path):
    """With ``ema`` set, the optimizer averages the weights; export swaps the average in, then back."""
    from training import data
    from training.run_config import read
    from training.train import Trainer

    config = {**read(write_config(tmp_path, photos, steps=3)), "ema": 0.5, "deterministic": False}
    trainer = Trainer(config, tmp_path / "run")
    weights = trainer.model.trainable_variables
    expected = None
    for _ in range(3):
        trainer._train_step(*data.to_model_batch(next(trainer.iterator).numpy(), trainer.channels))
        now = [w.numpy() for w in weights]
        expected = now if expected is None else [0.5 * e + 0.5 * w for e, w in zip(expected, now)]
    with trainer.averaged_weights():
        averaged = [w.numpy() for w in weights]
    for want, got in zip(expected, averaged):
        np.testing.assert_allclose(got, want, atol=1e-6)
    assert any(not np.allclose(a, b) for a, b in zip(averaged, now))  # the average is not the last step
    for before, after in zip(now, weights):
        np.testing.assert_array_equal(after.numpy(), before)  # training goes on from its own weights


def test_a_teacher_holds_the_automatic_mode(photos, tmp_path):
    """Trained on crops without hints, a student that starts as its teacher stays near it; without the
    teacher the same steps pull it toward the photos' own colours. (A random network as teacher: its
    batch statistics are off, so the student moves some way all the same.)"""
    from training import data
    from training.run_config import read
    from training.train import Trainer

    steps = 20
    base = {**read(write_config(tmp_path, photos, steps=steps)), "learning_rate": 0.003, "ema": None}
    first = Trainer(base, tmp_path / "start")  # a random network: the teacher and the start
    teacher = first.export()
    inputs = data.to_model_batch(next(first.iterator).numpy(), first.channels)[0]
    taught_colours = load_keras(teacher).predict(inputs, verbose=0)["ab"]

    def drift(config: dict, run: Path) -> float:
        """How far the student's automatic colours moved from the teacher's."""
        trainer = Trainer(config, run)
        trainer.initialise_from(teacher)
        for _ in range(steps):
            trainer._train_step(*data.to_model_batch(next(trainer.iterator).numpy(), trainer.channels))
        colours = load_keras(trainer.export()).predict(inputs, verbose=0)["ab"]
        return float(np.abs(colours - taught_colours).mean())

    taught, untaught = drift({**base, "teacher": str(teacher)}, tmp_path / "taught"), drift(base, tmp_path / "free")
    # the batch norms' running statistics move either way (0.014 of ab / 128 here), the rest only without
    assert taught < 0.75 * untaught, (taught, untaught)
    with pytest.raises(ValueError, match="hints"):
        Trainer({**base, "teacher": str(teacher), "hints": False}, tmp_path / "refused")


def test_a_hint_branch_trains_on_a_frozen_unet(photos, tmp_path):
    """unet_branch from a unet export (--init-from fills its base): training changes the branch only,
    so the exported model's automatic colours are the unet's, and its hinted ones are not."""
    start = train(write_config(tmp_path, photos, steps=2), tmp_path / "unet")
    assert start.wait(timeout=900) == 0
    config = write_config(tmp_path, photos, steps=6, architecture="unet_branch", no_hint_share=0.0,
                          learning_rate=0.01)
    branch = train(config, tmp_path / "branch", "--init-from", str(tmp_path / "unet" / "export"))
    log = branch.communicate(timeout=900)[0]
    assert branch.returncode == 0 and "initialised from" in log, log
    unet, trained = load_keras(tmp_path / "unet" / "export"), load_keras(tmp_path / "branch" / "export")
    photo = np.zeros((2, 64, 64, 4), np.float32)
    photo[..., 0] = np.random.default_rng(5).uniform(0, 100, (2, 64, 64))
    hinted = photo.copy()
    hinted[:, 8:40, 8:40, 1:] = (0.3, 0.3, 1.0)
    np.testing.assert_allclose(trained(photo)["ab"].numpy(), unet(photo)["ab"].numpy(), atol=1e-6)
    assert np.abs(trained(hinted)["ab"].numpy() - unet(hinted)["ab"].numpy()).max() > 1e-3
    # a seed export fits neither part: one line, no traceback
    export_model(architectures.build("seed"), ModelConfig("seed", 64, 1), tmp_path / "seed" / "export")
    refused = train(config, tmp_path / "refused", "--init-from", str(tmp_path / "seed" / "export"))
    output = refused.communicate(timeout=900)[0]
    assert refused.returncode == 1 and "do not fit" in output and "Traceback" not in output, output


def test_soup_averages_the_runs_weights(tmp_path):
    from colorize_model.export import build_model, export_model
    from colorize_model.models import ModelConfig
    from training.soup import soup

    runs = []
    for seed, architecture in [(1, "unet"), (2, "unet"), (3, "seed")]:
        keras.utils.set_random_seed(seed)
        config = ModelConfig(architecture, 64, 4 if architecture == "unet" else 1, {}, "")
        run = tmp_path / f"run{seed}"
        export_model(build_model(config), config, run / "export")
        (run / "config.yaml").write_text(f"architecture: {architecture}\n")
        runs.append(run)
    folder = soup(runs[:2], tmp_path / "soup")
    a, b, mean = (load_keras(run / "export").get_weights() for run in [*runs[:2], tmp_path / "soup"])
    assert any(not np.allclose(x, y) for x, y in zip(a, b))
    for x, y, m in zip(a, b, mean):
        np.testing.assert_allclose(m, (x + y) / 2, atol=1e-6)
    assert Colorizer.load(folder).colorize(samples.camera()).shape == samples.camera().shape + (3,)
    with pytest.raises(SystemExit, match="different architectures"):
        soup(runs[1:], tmp_path / "mixed")


def test_tuning_command_sweeps_render_sizes(photos, tmp_path):
    """End to end on an untrained network: every (render size, T, mix) is scored, one is chosen."""
    from colorize_model.export import build_model, export_model
    from colorize_model.models import ModelConfig
    from training import tune

    keras.utils.set_random_seed(0)
    config = ModelConfig("unet", 64, 4, {}, "")
    run = tmp_path / "run"
    export_model(build_model(config), config, run / "export")
    (run / "config.yaml").write_text(yaml.safe_dump({"data": str(photos), "validation_percent": 20,
                                                     "render_size": 64, "input_channels": 4}))
    done = subprocess.run([sys.executable, "-m", "training.tune", "--run", str(run), "--photos", "3",
                           "--render-sizes", "32,48"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines() if line[:6].strip() in ("32", "48")]
    assert len(rows) == 2 * len(tune.TEMPERATURES) * len(tune.MIXES)
    assert all(np.isfinite([float(x) for x in row[3:]]).all() for row in rows)
    chosen = done.stdout.splitlines()[-1]
    assert chosen.startswith("chosen: render size ") and chosen.split()[3].rstrip(",") in ("32", "48")


def logged(run: Path, tag: str) -> dict[int, float]:
    """The scalar a run logged under ``tag``, by step."""
    return {event.step: float(tf.make_ndarray(value.tensor))
            for path in (run / "logs").glob("events.out.tfevents.*")
            for event in tf.compat.v1.train.summary_iterator(str(path))
            for value in event.summary.value if value.tag == tag}


def test_mirrored_over_two_devices_is_one_device_and_resumes(photos, tmp_path):
    """distribute: mirrored, on the CPU split into two logical devices, each replica getting half of
    the global batch of 4, killed and resumed: its losses are the single-device run's (the same the
    first step, before any update; then within the drift of float rounding through Adam)."""
    quick = {"log_every": 1, "eval_sets": []}
    single = train(write_config(tmp_path, photos, steps=5, **quick), tmp_path / "single")
    log = single.communicate(timeout=900)[0]
    assert single.returncode == 0, log

    mirrored = write_config(tmp_path, photos, steps=5, distribute="mirrored", distribute_cpus=2, **quick)
    interrupted = train(mirrored, tmp_path / "run")
    checkpoints = tmp_path / "run" / "checkpoints"
    while not list(checkpoints.glob("ckpt-*.index")) and interrupted.poll() is None:
        time.sleep(0.2)
    interrupted.send_signal(signal.SIGTERM)
    log = interrupted.communicate(timeout=600)[0]
    assert interrupted.returncode == 0 and "2 replicas on 1 worker" in log and "stopped on request" in log, log
    resumed = train(mirrored, tmp_path / "run", "--resume")
    log = resumed.communicate(timeout=900)[0]
    assert resumed.returncode == 0 and "done" in log, log
    assert int(re.search(r"resumed from \S+ at step (\d+)", log).group(1)) < 5, log

    one, two = logged(tmp_path / "single", "train/loss"), logged(tmp_path / "run", "train/loss")
    assert sorted(one) == sorted(two) == [1, 2, 3, 4, 5]
    assert two[1] == pytest.approx(one[1], rel=1e-5)
    np.testing.assert_allclose([two[step] for step in one], list(one.values()), rtol=1e-2)
