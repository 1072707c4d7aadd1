"""Export a trained run as a finished model folder, with its model card.

    python -m training.export --run runs/unet --out colorize_model/default \\
        --temperature 0.38 --mix 0.75 --report report.json --trained "2 h on 2 CPU cores"

Writes the model folder (config.json, model.tflite, model.weights.h5), the
evaluation report as metrics.json, and MODEL_CARD.md: architecture, size,
cost, training data and time, the metrics table against the gray baseline and
the seed, and what still looks wrong.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import keras
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from colorize_model import architectures
from colorize_model.export import build_model, export_model, load_keras
from colorize_model.models import CONFIG_FILE, ModelConfig

from . import run_config

ROWS = [("auc", "AuC", "{:.3f}"), ("auc_rebalanced", "AuC, rebalanced", "{:.3f}"), ("psnr", "PSNR (dB)", "{:.2f}"),
        ("ssim", "SSIM", "{:.4f}"), ("ciede2000", "ΔE2000 (lower is better)", "{:.2f}"),
        ("colourfulness_ratio", "colourfulness ratio (mean of ratios)", "{:.2f}"),
        ("colourfulness_ratio_of_means", "colourfulness ratio (ratio of means)", "{:.2f}"),
        ("hint_error", "hint error (ΔE2000 at the hints)", "{:.2f}"), ("seed_accuracy", "seed accuracy", "{:.3f}")]

DATA = """\
39,442 colour photos of `shared/data/train` version 2, short side at most 128 px
(less the 2 % kept for validation), sampled per source with weight n^0.5 times a
factor favouring variety (training/configs/unet-hints.yaml): Tiny-ImageNet (200
ImageNet classes, 64x64 originals, cropped at their own scale; ImageNet terms,
non-commercial research), Caltech-101 (CC BY 4.0), Imagenette (ImageNet terms),
Intel Image Classification scenes (terms not stated), PACS photos (people,
houses, animals; research use), CamVid street scenes (research use),
clothing-dataset (CC0), CelebA-derived face crops (non-commercial research),
Microsoft Cats vs Dogs (research terms), Kaggle flowers (terms not stated),
BSDS300 train and T91 (research use). Still few photos of people in everyday
scenes. Because of these terms, the weights are for research and personal use.
Earlier runs this model continues from used version 1 (37,615 photos of the
same sources less the four new ones)."""


def gflops(model: keras.Model, size: int, channels: int) -> float:
    """Floating-point operations of one render (a multiply-add counts as 2)."""
    function = tf.function(lambda x: model(x)).get_concrete_function(tf.TensorSpec([1, size, size, channels]))
    graph = convert_variables_to_constants_v2(function).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops / 1e9


def metrics_table(report: dict) -> str:
    lines = []
    scopes = [(name, report["sets"][name]) for name in report["sets"]] + [("pooled", report["pooled"])]
    for scope, result in scopes:
        models = list(result["mean"])
        count = result["images"] if isinstance(result["images"], int) else len(result["images"])
        lines += [f"**{scope}** ({count} images)", "",
                  "| metric | " + " | ".join(models) + " |", "|---" * (len(models) + 1) + "|"]
        for key, label, form in ROWS:
            cells = [result["mean"][m].get(key) for m in models]
            lines.append(f"| {label} | " + " | ".join("–" if v is None else form.format(v) for v in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def hints_section(sweep: list[dict] | None, figure: str | None) -> str:
    """What colour hints buy, from an evaluate --hints sweep: pooled, per number of hints."""
    if not sweep:
        return ""
    model = next(name for name in sweep[0]["models"] if name != "gray")
    lines = ["## Colour hints", "",
             "Each photo gets N simulated hints: disks of radius max(2, 0.8 % of the short side) at random",
             "places, each opaque with the photo's mean colour inside it (fixed per photo); the hint error",
             "is the mean ΔE2000 between the result and the hint's colour on the hinted pixels.",
             "\"nearest hint\" is a non-learned baseline: every pixel takes its nearest hint's chroma,",
             "fading out over 15 % of the short side, over the automatic result. Pooled over the sets.", "",
             "| hints | PSNR | ΔE2000 | hint error | nearest hint: PSNR | ΔE2000 | hint error |",
             "|---|---|---|---|---|---|---|"]
    for report in sweep:
        count, pooled = report["hints"], report["pooled"]["mean"]
        ours = pooled[f"{model} +{count} hints"] if count else pooled[model]
        near = pooled.get("nearest hint", {})
        cells = [ours.get("psnr"), ours.get("ciede2000"), ours.get("hint_error"),
                 near.get("psnr"), near.get("ciede2000"), near.get("hint_error")]
        lines.append(f"| {count} | " + " | ".join("–" if v is None else f"{v:.2f}" for v in cells) + " |")
    if figure:
        lines += ["", f"![PSNR and ΔE2000 against the number of hints]({figure})"]
    return "\n".join(lines) + "\n"


def model_card(config: ModelConfig, model: keras.Model, report: dict | None, trained: str, notes: str,
               hints: str = "") -> str:
    cost = gflops(model, config.render_size, config.input_channels)
    table = metrics_table(report) if report else "(no evaluation report given)"
    return f"""---
license: other
license_name: research-and-personal-use
library_name: keras
pipeline_tag: image-to-image
tags: [colorization, litert]
datasets: [tiny-imagenet, caltech101, imagenette, intel-image-classification, pacs, camvid, clothing-dataset, celeba, cats_vs_dogs, flowers, bsds300, t91]
---
# Colorizer: `{config.architecture}`

{config.description}

| | |
|---|---|
| architecture | `{config.architecture}` ({", ".join(f"{k}={v}" for k, v in config.architecture_args.items())}) |
| parameters | {model.count_params():,} |
| cost per render | {cost:.2f} GFLOP at {config.render_size}x{config.render_size} |
| input | L* (0..100) at the render size, plus {config.input_channels - 1} hint channels (a*, b* / 128 of the hinted pixels per cell and the hinted share; zeros: no hints) |
| output | a*, b* / 128 at 1/4 of the render size, resized to the photo and joined to its own L* |
| training | {trained} |

## Training data
{DATA}

## Evaluation
Development sets: Kodak24, CBSD68, McMaster (never trained on). Inputs are the
photos' exact L*; "gray" is the baseline a = b = 0. Means over images.

{table}
"Seed accuracy" is what the original project's Keras `accuracy` measured: the
share of pixels where the larger of a and b is the same in prediction and truth.
It says little: a gray prediction is a tie, and whether a tie counts as "a" or "b"
moves the gray baseline between about 0.25 and 0.77.

{hints}
## Limitations
{notes}
"""


def checkpoint_weights(run: Path, config: ModelConfig) -> list:
    """The weights of the run's latest checkpoint, in the inference model's order."""
    network = architectures.build_for_training(config.architecture)
    tf.train.Checkpoint(model=network).restore(tf.train.latest_checkpoint(run / "checkpoints")).expect_partial()
    return architectures.for_inference(config.architecture, network, **config.architecture_args).get_weights()


def renamed(report: dict, name: str | None) -> dict:
    """The report with model ``name`` called "model", as the Hub card expects."""
    if name:
        for result in [*report["sets"].values(), report["pooled"]]:
            result["mean"] = {("model" if k == name else k): v for k, v in result["mean"].items()}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, type=Path, help="run folder (its export/ is read)")
    parser.add_argument("--out", required=True, type=Path, help="model folder to write (replaced whole)")
    parser.add_argument("--temperature", type=float, help="annealed-mean temperature (hybrid models)")
    parser.add_argument("--mix", type=float, help="share of the classifier in the output (hybrid models)")
    parser.add_argument("--render-size", type=int, help="default render size of the exported model")
    parser.add_argument("--report", type=Path, help="evaluation report (colorize_model.evaluate --out)")
    parser.add_argument("--report-name", help="this model's name in the report (shown as 'model')")
    parser.add_argument("--from-checkpoint", action="store_true",
                        help="export the run's latest checkpoint as trained, not its export/ (which holds "
                             "the moving average of the weights when the run keeps one)")
    parser.add_argument("--trained", default="", help="how long, on what, how many steps")
    parser.add_argument("--notes", type=Path, help="a Markdown file: what still looks wrong")
    parser.add_argument("--hints-report", type=Path, help="an evaluate --hints sweep report, for the hints table")
    parser.add_argument("--hints-figure", help="path of the hint curve picture, relative to the card")
    args = parser.parse_args()
    try:  # the run's config says how long it trained, unless --trained does
        settings = run_config.read(args.run / "config.yaml", needs=() if args.trained else ("steps", "batch", "crop"))
    except ValueError as error:
        sys.exit(f"error: {error}")

    source = args.run / "export"
    config = ModelConfig.from_file(source / CONFIG_FILE)
    decode = {k: v for k, v in (("temperature", args.temperature), ("mix", args.mix)) if v is not None}
    config = dataclasses.replace(config, architecture_args={**config.architecture_args, **decode},
                                 render_size=args.render_size or config.render_size)
    model = build_model(config)
    model.set_weights(checkpoint_weights(args.run, config) if args.from_checkpoint else load_keras(source).get_weights())
    folder = export_model(model, config, args.out)
    report = renamed(json.loads(args.report.read_text()), args.report_name) if args.report else None
    if report:
        (folder / "metrics.json").write_text(json.dumps(report, indent=1))
    notes = args.notes.read_text() if args.notes else "Not yet written."
    trained_text = args.trained or (f"{settings['steps']} steps of {settings['batch']} crops"
                                    f" of {settings['crop']}²")
    sweep = json.loads(args.hints_report.read_text())["sweep"] if args.hints_report else None
    card = model_card(config, model, report, trained_text, notes, hints_section(sweep, args.hints_figure))
    (folder / "MODEL_CARD.md").write_text(card)
    print(f"exported {folder}")


if __name__ == "__main__":
    main()
