"""The README's "guide the colours" picture: the gray photo with its hints drawn, the automatic
result, and the result with the hints.

    python -m training.hints_figure --out docs/hints.jpg

The photos are scikit-image's bundled samples (public domain or CC0), and the
hints are a few clicks a person could make, given here as points.
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image, ImageDraw
from skimage import data

from colorize_model import Colorizer, lab
from colorize_model.hints import default_radius, parse_colour
from colorize_model.imageio import save_image

# (sample, [(x, y, colour)]) in the sample's pixel coordinates: a red car would be a red car.
EXAMPLES = (
    ("coffee", [(120, 330, "#2a62b8"), (470, 330, "#2a62b8"), (560, 60, "#8a5a30"), (40, 300, "#8a5a30")]),
    ("chelsea", [(400, 80, "#3c7a3c"), (420, 250, "#3c7a3c"), (150, 200, "#c08040")]),
    ("rocket", [(100, 60, "#4a80c8"), (560, 80, "#4a80c8")]),
)
HEIGHT = 260
LABELS = ("black and white, with the hints", "automatic", "with the hints")


def marked(gray: np.ndarray, points: list) -> Image.Image:
    """The gray photo with each hint (x, y, colour, radius) drawn as a dot of its colour, ringed
    black and white."""
    picture = Image.fromarray(np.repeat(gray[..., None], 3, axis=-1))
    draw = ImageDraw.Draw(picture)
    for x, y, colour, radius in points:
        box = (x - radius, y - radius, x + radius, y + radius)
        draw.ellipse(box, fill=parse_colour(colour), outline="white", width=2)
        draw.ellipse((box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2), outline="black", width=1)
    return picture


def figure(colorizer: Colorizer) -> Image.Image:
    rows = []
    for name, points in EXAMPLES:
        photo = getattr(data, name)()[..., :3]
        gray = lab.l_to_gray8(lab.rgb_to_l(photo))
        dots = [(x, y, colour, 3 * default_radius(*gray.shape[::-1])) for x, y, colour in points]
        cells = [marked(gray, dots), Image.fromarray(colorizer.colorize(gray)),
                 Image.fromarray(colorizer.colorize(gray, hints=dots))]
        width = round(photo.shape[1] * HEIGHT / photo.shape[0])
        rows.append([cell.resize((width, HEIGHT), Image.LANCZOS) for cell in cells])
    width = max(sum(c.width + 4 for c in row) for row in rows)
    canvas = Image.new("RGB", (width, 24 + len(rows) * (HEIGHT + 4)), "white")
    draw = ImageDraw.Draw(canvas)
    x = 0
    for label, cell in zip(LABELS, rows[0]):
        draw.text((x + 6, 6), label, fill="black")
        x += cell.width + 4
    for i, row in enumerate(rows):
        x = 0
        for cell in row:
            canvas.paste(cell, (x, 24 + i * (HEIGHT + 4)))
            x += cell.width + 4
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default", help="model to show")
    parser.add_argument("--out", required=True, help="picture to write (JPEG or PNG)")
    args = parser.parse_args()
    save_image(np.asarray(figure(Colorizer.load(args.model))), args.out)


if __name__ == "__main__":
    main()
