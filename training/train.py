"""Train a colorizer on folders of photos.

    python -m training.train --config training/configs/unet.yaml [--run runs/unet] [--resume]

Checkpoints (model, optimizer, step and the data iterator's position) are
written every few minutes and on Ctrl-C or SIGTERM, atomically, so ``--resume``
continues exactly where the run stopped. The run folder also gets TensorBoard
logs and, every ``export_minutes`` and at the end, ``export/``: a model folder
the package can load (``colorize --model runs/unet/export``).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import yaml
from tqdm import tqdm

from colorize_model import Colorizer, architectures, lab
from colorize_model.errors import ColorizeError
from colorize_model.evaluate import evaluate_sets
from colorize_model.export import export_model, load_keras
from colorize_model.models import CONFIG_FILE, ModelConfig

from . import data, distribute, hints, losses, run_config

SAMPLES = 6  # validation photos shown in TensorBoard at each export
VALIDATION_HINT_SEED = 2**31  # the validation hints: the same draws at every export, apart from any run seed


class Trainer:
    """One training run: the model, its optimizer, its data, and its run folder."""

    def __init__(self, config: dict, run_dir: Path):
        self.config = run_config.check(config)
        self.run_dir = run_dir
        self.channels = config.get("input_channels", 1)
        self.place = distribute.placement(config)  # first: devices and collectives are set up before use
        keras.utils.set_random_seed(config.get("seed", 0))
        if config.get("deterministic"):
            tf.config.experimental.enable_op_determinism()  # bit-exact resumes, a little slower
        if config.get("mixed_precision"):
            keras.mixed_precision.set_global_policy("mixed_bfloat16")
        with self.place.strategy.scope():
            self.model = architectures.build_for_training(config["architecture"])
            self.teacher = None
            if config.get("teacher"):  # holds the automatic mode (losses.py): crops without hints follow it
                self.teacher = architectures.build_for_training(config["architecture"])
                self._load_weights(self.teacher, Path(config["teacher"]))
        if self.place.distributed:
            distribute.synchronize_batch_norm(self.model)
        keras.mixed_precision.set_global_policy("float32")  # exports stay float32

        if config.get("loss", "hybrid") == "hybrid":
            self.loss = losses.HybridLoss(**config.get("loss_args", {}), decode=config.get("decode"))
        else:
            self.loss = losses.mse_loss
        warmup = min(config.get("warmup_steps", 500), config["steps"] // 2)
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0, config["steps"] - warmup, warmup_target=config["learning_rate"],
            warmup_steps=warmup, alpha=0.02)
        ema = config.get("ema")  # e.g. 0.999: validate and export a moving average of the weights
        with self.place.strategy.scope():
            self.optimizer = keras.optimizers.Adam(schedule, use_ema=bool(ema), ema_momentum=ema or 0.99)

        train, self.validation = data.split_photos(config["data"], config.get("validation_percent", 2))
        train = self.place.shard(train)
        self.dataset = data.training_dataset(train, size=config["crop"], batch=self.place.worker_batch(config["batch"]),
                                             seed=config.get("seed", 0),
                                             source_power=config.get("source_power", 0.5),
                                             source_scale=config.get("source_scale"),
                                             native_sizes=config.get("native_sizes"))
        self.iterator = iter(self.dataset)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.checkpoint = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer,
                                              step=self.step, iterator=self.iterator)
        # Every worker keeps its own checkpoints: the weights are the same, its data position is not.
        checkpoints = run_dir / ("checkpoints" if self.place.chief else f"checkpoints-worker{self.place.index}")
        self.manager = tf.train.CheckpointManager(self.checkpoint, checkpoints, max_to_keep=2)
        self.writer = (tf.summary.create_file_writer(str(run_dir / "logs")) if self.place.chief
                       else tf.summary.create_noop_writer())
        tqdm.write(f"{sum(map(len, train.values()))} training photos from {len(train)} sources, "
                   f"{len(self.validation)} for validation")
        if self.place.distributed:
            tqdm.write(f"distribute: {config['distribute']}, {self.place.replicas} replicas on "
                       f"{self.place.workers} worker(s); this is worker {self.place.index}")

    def model_config(self) -> ModelConfig:
        return ModelConfig(self.config["architecture"], self.config["render_size"], self.channels,
                           self.config.get("decode", {}), self.config.get("description", ""))

    def _train_step(self, inputs: np.ndarray, target: np.ndarray) -> dict:
        """One step on this worker's batch, split over its replicas; the losses averaged over all."""
        return self._distributed_step(self.place.split(inputs), self.place.split(target))

    @tf.function
    def _distributed_step(self, inputs, target):
        results = self.place.strategy.run(self._replica_step, args=(inputs, target))
        return {name: self.place.strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
                for name, value in results.items()}

    def _replica_step(self, inputs, target):
        teacher = None
        if self.teacher is not None:
            teacher = {**self.teacher(inputs, training=False),
                       "crops": tf.reduce_max(inputs[..., -1], axis=[1, 2]) == 0}  # no hint mask: no hints
        with tf.GradientTape() as tape:
            result = self.loss(target, self.model(inputs, training=True), teacher)
            loss = result["loss"] / self.place.replicas if self.place.distributed else result["loss"]
        gradients = tape.gradient(loss, self.model.trainable_variables)  # summed over the replicas
        self.optimizer.apply_gradients(zip(gradients, self.model.trainable_variables))
        return result

    @tf.function
    def _validation_step(self, inputs, target):
        return self.loss(target, self.model(inputs, training=False))

    def initialise_from(self, folder: Path) -> None:
        """Start from an exported model's weights (e.g. the package's default)."""
        self._load_weights(self.model, folder)
        tqdm.write(f"initialised from {folder}")

    def _load_weights(self, model: keras.Model, folder: Path) -> None:
        """An exported model's weights into a training network (or into its base, see ``part_taking``)."""
        config, source = self.model_config(), ModelConfig.from_file(folder / CONFIG_FILE)
        part = architectures.part_taking(config.architecture, model, source.architecture)
        network = architectures.for_inference(source.architecture, part, **config.architecture_args)
        network.set_weights(load_keras(folder).get_weights())

    def restore(self) -> None:
        if self.manager.latest_checkpoint:
            self.checkpoint.restore(self.manager.latest_checkpoint).assert_existing_objects_matched()
            tqdm.write(f"resumed from {self.manager.latest_checkpoint} at step {int(self.step)}")

    def hint_rng(self, step: int) -> np.random.Generator | None:
        """The simulated hints' draws for one step (none unless the config trains hints); each
        worker has its own."""
        worker = [self.place.index] if self.place.index else []
        return np.random.default_rng([self.config.get("seed", 0), step, *worker]) if self.config.get("hints") else None

    def validate(self) -> dict[str, float]:
        """Validation loss without hints, and with simulated hints (fixed draws) if trained with them."""
        totals: dict[str, list[float]] = {"loss": [], "loss_hints": []}
        batches = data.validation_batches(self.validation[:self.config.get("validation_photos", 512)],
                                          size=self.config["crop"], batch=self.config["batch"])
        for i, rgb in enumerate(batches.as_numpy_iterator()):
            totals["loss"].append(float(self._validation_step(*data.to_model_batch(rgb, self.channels))["loss"]))
            if self.config.get("hints"):
                batch = data.to_model_batch(rgb, self.channels, np.random.default_rng([VALIDATION_HINT_SEED, i]))
                totals["loss_hints"].append(float(self._validation_step(*batch)["loss"]))
        return {name: float(np.mean(values)) for name, values in totals.items() if values}

    @contextlib.contextmanager
    def averaged_weights(self):
        """The model holds the optimizer's moving average of its weights, if it keeps one.

        Single checkpoints of a run swing by ±0.2 ΔE2000 on the development sets
        while the validation loss falls steadily; the average does not.
        """
        if not self.optimizer.use_ema or not self.optimizer.built:
            yield
            return
        current = [variable.numpy() for variable in self.model.trainable_variables]
        self.optimizer.finalize_variable_values(self.model.trainable_variables)
        try:
            yield
        finally:
            for variable, value in zip(self.model.trainable_variables, current):
                variable.assign(value)

    def export(self) -> Path:
        config = self.model_config()
        model = architectures.for_inference(config.architecture, self.model, **config.architecture_args)
        return export_model(model, config, self.run_dir / "export")

    def run(self) -> None:
        stop = {"asked": False}

        def ask_to_stop(signum, frame):
            stop["asked"] = True

        signal.signal(signal.SIGTERM, ask_to_stop)
        signal.signal(signal.SIGINT, ask_to_stop)
        total = self.config["steps"]
        batch = self.config["batch"]
        every = {"checkpoint": 60 * self.config.get("checkpoint_minutes", 5),
                 "export": 60 * self.config.get("export_minutes", 15)}
        last = {name: time.monotonic() for name in every}
        if self.place.distributed and not self.optimizer.built:  # not inside the step: its variables are mirrored
            with self.place.strategy.scope():
                self.optimizer.build(self.model.trainable_variables)
        bar = tqdm(total=total, initial=int(self.step), unit="step", dynamic_ncols=True)
        started, start_step = time.monotonic(), int(self.step)
        while int(self.step) < total and not stop["asked"]:
            rgb = next(self.iterator).numpy()
            result = self._train_step(*data.to_model_batch(rgb, self.channels, self.hint_rng(int(self.step)),
                                                            self.config.get("hint_recolour", 0.0),
                                                            self.config.get("no_hint_share", hints.NO_HINT_SHARE)))
            self.step.assign_add(1)
            step = int(self.step)
            bar.update(1)
            if step % self.config.get("log_every", 25) == 0:
                rate = (step - start_step) * batch / (time.monotonic() - started)
                bar.set_postfix(loss=f"{float(result['loss']):.4f}", img_s=f"{rate:.1f}")
                with self.writer.as_default(step=step):
                    for name, value in result.items():
                        tf.summary.scalar(f"train/{name}", value)
                    tf.summary.scalar("train/images_per_second", rate)
            now = time.monotonic()
            save, export, stopping = self.place.agree(now - last["checkpoint"] > every["checkpoint"],
                                                      now - last["export"] > every["export"], stop["asked"])
            if save:
                self.manager.save(checkpoint_number=step)
                last["checkpoint"] = now
            if export:
                self._export_and_validate(step)
                last["export"] = time.monotonic()
            if stopping:  # asked on any worker
                stop["asked"] = True
        bar.close()
        self.manager.save(checkpoint_number=int(self.step))
        self._export_and_validate(int(self.step))
        tqdm.write("stopped on request; resume with --resume" if stop["asked"] else "done")

    def _export_and_validate(self, step: int) -> None:
        if not self.place.chief:
            return
        with self.averaged_weights():
            scores = self.validate()
            folder = self.export()
        colorizer = Colorizer.load(folder)
        with self.writer.as_default(step=step):
            for name, value in scores.items():
                tf.summary.scalar(f"validation/{name}", value)
            tf.summary.image("validation/samples", self._samples(colorizer), max_outputs=SAMPLES)
            if self.config.get("eval_sets"):
                report = evaluate_sets({"model": colorizer.colorize}, self.config["eval_sets"], progress=False)
                for metric, value in report["pooled"]["mean"]["model"].items():
                    tf.summary.scalar(f"eval/{metric}", value)
        shown = ", ".join(f"{name} {value:.4f}" for name, value in scores.items())
        tqdm.write(f"step {step}: validation {shown}, exported {folder}")

    def _samples(self, colorizer: Colorizer) -> np.ndarray:
        """A few validation photos: gray input above, colorized below."""
        batch = next(data.validation_batches(self.validation[:SAMPLES], size=self.config["crop"],
                                             batch=SAMPLES).as_numpy_iterator())
        l_star = lab.rgb_to_lab(batch)[..., 0]
        gray = np.repeat(lab.l_to_gray8(l_star)[..., None], 3, axis=-1)
        colour = np.stack([colorizer.colorize_l(plane, render_size=self.config["crop"]) for plane in l_star])
        return np.concatenate([gray, colour], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="YAML file (see training/configs)")
    parser.add_argument("--run", help="run folder (default: runs/<config name>)")
    parser.add_argument("--resume", action="store_true", help="continue from the run's latest checkpoint")
    parser.add_argument("--init-from", type=Path, metavar="MODEL_FOLDER",
                        help="start from an exported model's weights (e.g. colorize_model/default)")
    parser.add_argument("--steps", type=int, help="override the config's number of steps")
    parser.add_argument("--data", help="override the config's training photo folder")
    args = parser.parse_args()
    try:  # a bad config, teacher or starting model: one line, before any training
        config = run_config.read(args.config)
        config.update({k: v for k, v in (("steps", args.steps), ("data", args.data)) if v is not None})
        run_dir = Path(args.run or Path("runs") / Path(args.config).stem)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
        trainer = Trainer(config, run_dir)
        if args.init_from:
            trainer.initialise_from(args.init_from)
        if args.resume:
            trainer.restore()
    except (ColorizeError, OSError, ValueError) as error:
        sys.exit(f"error: {error}")
    trainer.run()


if __name__ == "__main__":
    main()
