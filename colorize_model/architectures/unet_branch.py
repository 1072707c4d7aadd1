"""``unet_branch``: the ``unet`` with a hint branch that cannot change its automatic colours.

Trained as one network, hints and the automatic mode pull the same weights
two ways: every run that trained hints on made the automatic colours worse
(see training/README.md), and averaging weights only splits the difference.
Here a trained ``unet`` (the base) is kept as it is, frozen, and a small
branch learns to carry hints further. It reads the base's last decoder
features (what the base knows about the objects), the hints at the heads'
scale, and spreads them over the whole picture with dilated blocks and a
global-context step; its outputs are added to the base's class logits and
ab. The additions are multiplied by a gate that is 0 when a photo has no
hints at all, so the automatic result is the base's exactly (and without
hints the branch is not run: the automatic path costs what the base's does),
and they start at zero (zero-initialised last layers, as in ControlNet), so
training starts from the base's hint results too.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers, ops

from .. import ab_grid
from . import unet
from .layers import global_context, separable_block

BASE = "unet"  # the architecture whose exported weights the base takes (training --init-from)
FEATURES = unet.WIDTHS[1]  # the base's last decoder width
WIDTH = 128
DILATIONS = (1, 2, 4, 8, 16)  # at 1/4 of the render: 40 cells at 160, all within reach
HEAD_SCALE = 4  # the heads' cells are 4x4 render pixels


def _branch() -> keras.Model:
    """Base features and pooled hints in, additions to the class logits and ab out (zero at first)."""
    features, hints = keras.Input((None, None, FEATURES)), keras.Input((None, None, 3))
    x = layers.Concatenate()([features, hints])
    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(WIDTH, 1, use_bias=False)(x)))
    for dilation in DILATIONS:
        x = separable_block(x, WIDTH, dilation)
    x = global_context(x, WIDTH)
    logits = layers.Conv2D(len(ab_grid.BIN_CENTRES), 1, kernel_initializer="zeros", dtype="float32")(x)
    ab = layers.Conv2D(2, 3, padding="same", kernel_initializer="zeros", dtype="float32")(x)
    return keras.Model([features, hints], [logits, ab], name="hint_branch")


class HintGate(layers.Layer):
    """The branch's additions for photos with any hint, zero for the others; for a batch without
    hints (every automatic colorize) the branch is not run at all (a conditional the runtime keeps)."""

    def __init__(self, branch: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.branch = branch

    def call(self, features, hints, mask):
        gate = ops.cast(ops.max(mask, axis=(1, 2, 3), keepdims=True) > 0, "float32")

        def run():
            logits, ab = self.branch([features, hints])
            return logits * gate, ab * gate

        def skip():
            size = ops.shape(features)[:3]
            return (ops.zeros((*size, len(ab_grid.BIN_CENTRES)), "float32"), ops.zeros((*size, 2), "float32"))

        return tf.cond(ops.max(gate) > 0, run, skip)


def base_of(network: keras.Model) -> keras.Model:
    """The frozen base inside a training network: a ``unet`` whose outputs include its last features."""
    return network.get_layer("unet_base")


def build_for_training(render_size: int | None = None) -> keras.Model:
    """The base with its branch, outputs {"logits": ..., "ab": ...} as the ``unet``'s."""
    base = unet.build_for_training(render_size)
    base = keras.Model(base.input, {"features": base.get_layer("logits").input, **base.output}, name="unet_base")
    base.trainable = False

    inputs = keras.Input((render_size, render_size, unet.INPUT_CHANNELS), name="l_and_hints")
    out = base(inputs)
    ab_hints, mask = inputs[..., 1:3], inputs[..., 3:]
    # the hints at the heads' scale: hinted ab summed over each cell's pixels, and the cell's hinted share
    pool = layers.AveragePooling2D(HEAD_SCALE)
    hints = layers.Concatenate()([pool(ab_hints * mask), pool(mask)])
    more_logits, more_ab = HintGate(_branch(), dtype="float32", name="hint_gate")(out["features"], hints, mask)
    logits = layers.Add(dtype="float32", name="logits")([out["logits"], more_logits])
    ab = layers.Add(dtype="float32", name="ab")([out["ab"], more_ab])
    return keras.Model(inputs, {"logits": logits, "ab": ab}, name="unet_branch_training")


def build(render_size: int | None = None, temperature: float = 0.38, mix: float = 1.0) -> keras.Model:
    """The inference network: as the ``unet``'s, L* and hints in, ab / 128 and the bins' probabilities out."""
    return for_inference(build_for_training(render_size), temperature, mix)


for_inference = unet.for_inference  # the same heads, so the same decoder
