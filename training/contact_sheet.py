"""A contact sheet of models side by side: gray input, each model, ground truth.

    python -m training.contact_sheet --model default --model runs/seed/export --out docs/samples.jpg

The photos are scikit-image's bundled samples (public domain or CC0), so the
sheet can be published.
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image, ImageDraw
from skimage import data

from colorize_model import Colorizer, lab
from colorize_model.imageio import save_image

SAMPLES = ("astronaut", "coffee", "chelsea", "rocket")
HEIGHT = 240


def row(photo: np.ndarray, colorizers: list[Colorizer]) -> list[np.ndarray]:
    gray = np.repeat(lab.l_to_gray8(lab.rgb_to_l(photo))[..., None], 3, axis=-1)
    return [gray, *(c.colorize(photo) for c in colorizers), photo]


def sheet(colorizers: list[Colorizer], labels: list[str]) -> Image.Image:
    rows = []
    for name in SAMPLES:
        photo = getattr(data, name)()[..., :3]
        width = round(photo.shape[1] * HEIGHT / photo.shape[0])
        cells = [Image.fromarray(c).resize((width, HEIGHT), Image.LANCZOS) for c in row(photo, colorizers)]
        strip = Image.new("RGB", (sum(c.width for c in cells) + 4 * (len(cells) - 1), HEIGHT), "white")
        x = 0
        for cell in cells:
            strip.paste(cell, (x, 0))
            x += cell.width + 4
        rows.append(strip)
    width = max(r.width for r in rows)
    canvas = Image.new("RGB", (width, 24 + sum(r.height + 4 for r in rows)), "white")
    draw = ImageDraw.Draw(canvas)
    column = rows[0].width // len(labels)
    for i, label in enumerate(labels):
        draw.text((i * column + 6, 6), label, fill="black")
    y = 24
    for strip in rows:
        canvas.paste(strip, (0, y))
        y += strip.height + 4
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True, help="model to show (repeatable)")
    parser.add_argument("--label", action="append", help="column label per model (default: the model)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    labels = args.label or args.model
    image = sheet([Colorizer.load(m) for m in args.model], ["input (gray)", *labels, "ground truth"])
    save_image(image, args.out, quality=88)


if __name__ == "__main__":
    main()
