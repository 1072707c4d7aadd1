"""Training throughput at 128x128: the real input pipeline against batches already in memory.

    .venv/bin/python -m benchmarks.bench_training [--config training/configs/unet.yaml] [--steps 30]

If the two rates are close, the model, not the input, is the bottleneck.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import yaml

from training import data
from training.train import Trainer


def rate(trainer: Trainer, batches, steps: int) -> float:
    """Images per second over ``steps`` training steps (after two warm-up steps)."""
    channels = trainer.channels
    for _ in range(2):
        trainer._train_step(*data.to_model_batch(next(batches), channels))
    start = time.perf_counter()
    for _ in range(steps):
        trainer._train_step(*data.to_model_batch(next(batches), channels))
    return steps * trainer.config["batch"] / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="training/configs/unet.yaml")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--run", default="/tmp/bench_training_run")
    args = parser.parse_args()
    config = yaml.safe_load(open(args.config))
    trainer = Trainer(config, Path(args.run))
    pipeline = (rgb.numpy() for rgb in trainer.iterator)
    fixed = next(pipeline)
    in_memory = itertools.repeat(fixed)
    with_pipeline = rate(trainer, pipeline, args.steps)
    without = rate(trainer, in_memory, args.steps)
    print(f"{config['architecture']} at {config['crop']}x{config['crop']}, batch {config['batch']}, "
          f"mixed precision {bool(config.get('mixed_precision'))}:")
    print(f"  with the tf.data pipeline   {with_pipeline:6.1f} images/s")
    print(f"  batches already in memory   {without:6.1f} images/s  (pipeline costs {1 - with_pipeline / without:+.0%})")


if __name__ == "__main__":
    main()
