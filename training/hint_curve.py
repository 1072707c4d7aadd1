"""Plot what hints buy: PSNR and CIEDE2000 against the number of hints, from an evaluate sweep.

    python -m colorize_model.evaluate --hints 0,1,2,5,10,20,50 --sets ... --out sweep.json
    python -m training.hint_curve sweep.json --out docs/hint_curve.png

One line for the model with hints, one for the non-learned "nearest hint"
baseline over the model's automatic result, and the automatic result and gray
as flat references (pooled over the sets).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from colorize_model.atomic import atomic_write  # noqa: E402
from colorize_model.evaluate import GRAY, NEAREST, hinted_name  # noqa: E402

PANELS = (("psnr", "PSNR (dB), higher is better"), ("ciede2000", "CIEDE2000, lower is better"))


def curves(sweep: list[dict]) -> dict[str, dict[str, list[float]]]:
    """Per line ("model + hints", baselines), per metric, the pooled means in sweep order."""
    model = next(name for name in sweep[0]["models"] if name != GRAY)
    lines: dict[str, dict[str, list[float]]] = {}
    for report in sweep:
        count, pooled = report["hints"], report["pooled"]["mean"]
        sources = {f"{model} with hints": hinted_name(model, count) if count else model,
                   "nearest hint (not learned)": NEAREST if count else model,
                   f"{model}, automatic": model, "gray": GRAY}
        for line, column in sources.items():
            for metric, _ in PANELS:
                lines.setdefault(line, {}).setdefault(metric, []).append(pooled[column][metric])
    return lines


def plot(sweep: list[dict], out: Path) -> None:
    counts = [report["hints"] for report in sweep]
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.4), dpi=110)
    styles = ("o-", "s--", ":", ":")
    for (metric, title), axis in zip(PANELS, axes):
        for (line, values), style in zip(curves(sweep).items(), styles):
            axis.plot(counts, values[metric], style, label=line, markersize=4)
        axis.set_xscale("symlog", linthresh=1)
        axis.set_xticks(counts, [str(c) for c in counts])
        axis.set_xlabel("hints per photo")
        axis.set_title(title, fontsize=10)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    with atomic_write(out, "wb") as handle:
        figure.savefig(handle, format="png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", type=Path, help="JSON report of an evaluate --hints sweep")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    args = parser.parse_args()
    plot(json.loads(args.report.read_text())["sweep"], args.out)


if __name__ == "__main__":
    main()
