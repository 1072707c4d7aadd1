"""The training input pipeline (tf.data): photos in, random square RGB crops out.

* per-source sampling weights (n ** power) so pets or one ImageNet class
  cannot dominate;
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

import numpy as np
import tensorflow as tf

from colorize_model import lab

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


def training_dataset(by_source: dict[str, list[str]], *, size: int, batch: int, seed: int,
                     source_power: float = 0.5, min_scale: float = 0.6) -> tf.data.Dataset:
    """An endless, checkpointable stream of uint8 RGB batches (batch, size, size, 3)."""
    sources = sorted(by_source)
    weights = np.array([len(by_source[s]) for s in sources], dtype=np.float64) ** source_power
    streams = [
        tf.data.Dataset.from_tensor_slices(by_source[s])
        .shuffle(len(by_source[s]), seed=seed + i, reshuffle_each_iteration=True)
        .repeat()
        for i, s in enumerate(sources)
    ]
    paths = tf.data.Dataset.sample_from_datasets(streams, weights / weights.sum(), seed=seed)
    crops = (
        tf.data.Dataset.zip(paths, tf.data.Dataset.random(seed=seed).batch(2))
        .map(lambda path, s: _random_crop(_decode(path), s, size, min_scale),
             num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .ignore_errors()
        .filter(_is_colourful)
    )
    return crops.batch(batch, drop_remainder=True).prefetch(2)


def validation_batches(paths: list[str], *, size: int, batch: int) -> tf.data.Dataset:
    """The validation photos, centre-cropped, in a fixed order."""
    def centre(image):
        side = tf.minimum(tf.shape(image)[0], tf.shape(image)[1])
        crop = tf.image.resize_with_crop_or_pad(image, side, side)
        return tf.cast(tf.round(tf.image.resize(crop, [size, size], antialias=True)), tf.uint8)

    images = tf.data.Dataset.from_tensor_slices(paths).map(lambda p: centre(_decode(p))).ignore_errors()
    return images.filter(_is_colourful).batch(batch)


def to_model_batch(rgb: np.ndarray, input_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 RGB batch -> (network input: L* then zero hint channels, target ab / 128)."""
    lab_batch = lab.rgb_to_lab(rgb)
    inputs = np.zeros(rgb.shape[:3] + (input_channels,), dtype=np.float32)
    inputs[..., 0] = lab_batch[..., 0]
    return inputs, lab_batch[..., 1:] / lab.AB_SCALE
