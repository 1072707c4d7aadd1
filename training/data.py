"""The training input pipeline (tf.data): photos in, random square RGB crops out.

* per-source sampling weights (n ** power, times a factor per source) so pets
  or one ImageNet class cannot dominate; sources of tiny photos cropped at
  their own scale;
* decode, random scale/crop/flip with stateless random ops, drop near-gray
  photos (their ab teaches nothing), skip unreadable files;
* a fixed validation split by file-name hash.

The iterator holds only file names and small buffers, and every random draw
comes from a seeded stream, so its position can be checkpointed and a resumed
run sees exactly the batches it would have seen.

The Lab conversion is the last step, in ``to_model_batch``: it runs the
project's one colour module (``colorize_model.lab``) on each batch, outside
tf.data, because Python functions inside tf.data cannot be checkpointed.
"""

from __future__ import annotations

import random

import numpy as np
import tensorflow as tf

from colorize_model import lab

from . import hints
from .photos import find_photos, is_validation

GRAY_CHROMA = 6.0  # mean max(RGB)-min(RGB) below this (of 255): a gray photo


def _decode(path: tf.Tensor) -> tf.Tensor:
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def _random_crop(image: tf.Tensor, seed: tf.Tensor, size: int, min_scale: float) -> tf.Tensor:
    """A random square covering min_scale..1 of the short side, resized to size, maybe flipped."""
    seeds = tf.random.experimental.stateless_split(seed, 4)
    shape = tf.shape(image)
    short = tf.cast(tf.minimum(shape[0], shape[1]), tf.float32)
    scale = tf.random.stateless_uniform([], seeds[0], min_scale, 1.0)
    side = tf.maximum(tf.cast(short * scale, tf.int32), 1)
    top = tf.random.stateless_uniform([], seeds[1], 0, shape[0] - side + 1, tf.int32)
    left = tf.random.stateless_uniform([], seeds[2], 0, shape[1] - side + 1, tf.int32)
    crop = image[top:top + side, left:left + side]
    crop = tf.image.resize(crop, [size, size], antialias=True)
    crop = tf.image.stateless_random_flip_left_right(crop, seeds[3])
    return tf.cast(tf.clip_by_value(tf.round(crop), 0, 255), tf.uint8)


def _is_colourful(image: tf.Tensor) -> tf.Tensor:
    pixels = tf.cast(image, tf.float32)
    chroma = tf.reduce_max(pixels, axis=-1) - tf.reduce_min(pixels, axis=-1)
    return tf.reduce_mean(chroma) >= GRAY_CHROMA


def split_photos(root: str, validation_percent: float) -> tuple[dict[str, list[str]], list[str]]:
    """Training photos by source, and the fixed validation list."""
    train, validation = {}, []
    for source, paths in find_photos(root).items():
        train[source] = [p for p in paths if not is_validation(p, validation_percent)]
        validation += [p for p in paths if is_validation(p, validation_percent)]
    return {s: p for s, p in train.items() if p}, validation


def _crops(paths: dict[str, list[str]], weights: dict[str, float], *, size: int, seed: int,
           min_scale: float) -> tf.data.Dataset:
    """An endless stream of colourful random crops from ``paths``, sources drawn by ``weights``."""
    sources = sorted(paths)
    total = sum(weights[s] for s in sources)
    streams = [
        tf.data.Dataset.from_tensor_slices(paths[s])
        .shuffle(len(paths[s]), seed=seed + i, reshuffle_each_iteration=True)
        .repeat()
        for i, s in enumerate(sources)
    ]
    chosen = tf.data.Dataset.sample_from_datasets(streams, [weights[s] / total for s in sources], seed=seed)
    return (
        tf.data.Dataset.zip(chosen, tf.data.Dataset.random(seed=seed).batch(2))
        .map(lambda path, s: _random_crop(_decode(path), s, size, min_scale),
             num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .ignore_errors()
        .filter(_is_colourful)
    )


def source_weights(by_source: dict[str, list[str]], power: float = 0.5,
                   scale: dict[str, float] | None = None) -> dict[str, float]:
    """Sampling weight of each source: n ** power, times an optional per-source factor."""
    scale = scale or {}
    return {s: len(paths) ** power * scale.get(s, 1.0) for s, paths in by_source.items()}


def training_dataset(by_source: dict[str, list[str]], *, size: int, batch: int, seed: int,
                     source_power: float = 0.5, source_scale: dict[str, float] | None = None,
                     native_sizes: dict[str, int] | None = None, min_scale: float = 0.6) -> tf.data.Dataset:
    """An endless, checkpointable stream of uint8 RGB batches (batch, size, size, 3).

    Sources named in ``native_sizes`` (e.g. 64-px Tiny-ImageNet) are cropped at
    their own scale instead of blown up: they come in batches of their own,
    ``(size / native) ** 2`` times as many crops, so every batch has as many pixels.
    """
    weights = source_weights(by_source, source_power, source_scale)
    groups: dict[int, list[str]] = {}
    for source in sorted(by_source):
        groups.setdefault((native_sizes or {}).get(source, size), []).append(source)
    streams, shares = [], []
    for i, (crop, sources) in enumerate(sorted(groups.items(), reverse=True)):
        crops = _crops({s: by_source[s] for s in sources}, weights, size=crop, seed=seed + 1000 * i,
                       min_scale=min_scale)
        streams.append(crops.batch(max(1, round(batch * (size / crop) ** 2)), drop_remainder=True))
        shares.append(sum(weights[s] for s in sources))
    if len(streams) == 1:
        return streams[0].prefetch(2)
    total = sum(shares)
    mixed = tf.data.Dataset.sample_from_datasets(streams, [w / total for w in shares], seed=seed)
    return mixed.prefetch(2)


CHECK_PHOTOS = 300  # validation photos kept for checking a finished model, never tuned on


def tuning_and_check_photos(validation: list[str]) -> tuple[list[str], list[str]]:
    """The validation photos in a fixed random order, split into those decoding settings
    are tuned on and the first CHECK_PHOTOS (at most half), kept to check the chosen model
    on photos nothing was chosen by (sources mixed, unlike the sorted list)."""
    shuffled = list(validation)
    random.Random(0).shuffle(shuffled)
    kept = min(CHECK_PHOTOS, len(shuffled) // 2)
    return shuffled[kept:], shuffled[:kept]


def validation_batches(paths: list[str], *, size: int, batch: int) -> tf.data.Dataset:
    """The validation photos, centre-cropped, in a fixed order."""
    def centre(image):
        side = tf.minimum(tf.shape(image)[0], tf.shape(image)[1])
        crop = tf.image.resize_with_crop_or_pad(image, side, side)
        return tf.cast(tf.round(tf.image.resize(crop, [size, size], antialias=True)), tf.uint8)

    images = tf.data.Dataset.from_tensor_slices(paths).map(lambda p: centre(_decode(p))).ignore_errors()
    return images.filter(_is_colourful).batch(batch)


def to_model_batch(rgb: np.ndarray, input_channels: int, rng: np.random.Generator | None = None,
                   recolour_share: float = 0.0,
                   no_hint_share: float = hints.NO_HINT_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """uint8 RGB batch -> (network input: L* then hint channels, target ab / 128).

    The hint channels are simulated from the photo when ``rng`` is given
    (``training.hints``: none in ``no_hint_share`` of the crops; ``recolour_share``
    of hinted crops get a recoloured region, in the target too), zeros (no
    hints) otherwise.
    """
    lab_batch = lab.rgb_to_lab(rgb)
    target = lab_batch[..., 1:] / lab.AB_SCALE
    inputs = np.zeros(rgb.shape[:3] + (input_channels,), dtype=np.float32)
    inputs[..., 0] = lab_batch[..., 0]
    if rng is not None and input_channels > 1:
        inputs[..., 1:], target = hints.simulate(target, inputs[..., 0], rng, recolour_share, no_hint_share)
    return inputs, target
