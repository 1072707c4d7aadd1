"""Average the weights of several runs into one model (a "model soup").

    python -m training.soup runs/unet2 runs/unet3 runs/unet4 --run runs/soup

Runs fine-tuned from the same weights stay in one basin of the loss, so the
mean of their weights is a model too, and usually a better one than any
ingredient (Wortsman et al. 2022): each run's own noise averages out. Here
single runs move by ±0.2 ΔE2000 on the development sets from one export to
the next; their soup does not pay for that noise. The result is a run folder
(``export/`` and ``config.yaml``, from the first run) that ``training.tune``
and ``training.export`` take like any other. Batch-norm statistics are
averaged too: close enough for runs this close.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

from colorize_model.export import export_model, load_keras
from colorize_model.models import CONFIG_FILE, ModelConfig


def soup(runs: list[Path], out: Path) -> Path:
    """Write ``out/export``: the mean of the runs' exported weights."""
    configs = [ModelConfig.from_file(run / "export" / CONFIG_FILE) for run in runs]
    if len({(c.architecture, c.input_channels) for c in configs}) > 1:
        raise SystemExit("error: the runs have different architectures; only one kind can be averaged")
    models = [load_keras(run / "export") for run in runs]
    weights = [model.get_weights() for model in models]
    models[0].set_weights([np.mean(layer, axis=0).astype(layer[0].dtype) for layer in zip(*weights)])
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(runs[0] / "config.yaml", out / "config.yaml")
    return export_model(models[0], configs[0], out / "export")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="run folders, each with export/ and config.yaml")
    parser.add_argument("--run", required=True, type=Path, help="run folder to write the soup to")
    args = parser.parse_args()
    print(f"averaged {len(args.runs)} runs into {soup(args.runs, args.run)}")


if __name__ == "__main__":
    main()
