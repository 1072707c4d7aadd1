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
hints at all, so the automatic result is the base's exactly, and they start
at zero (zero-initialised last layers, as in ControlNet), so training starts
from the base's hint results too.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from .. import ab_grid
from . import unet
from .layers import global_context, separable_block

BASE = "unet"  # the architecture whose exported weights the base takes (training --init-from)
WIDTH = 128
DILATIONS = (1, 2, 4, 8, 16)  # at 1/4 of the render: 40 cells at 160, all within reach
HEAD_SCALE = 4  # the heads' cells are 4x4 render pixels


class HintGate(layers.Layer):
    """1 for a photo with any hint (a mask above 0 anywhere), else 0: (N, 1, 1, 1)."""

    def call(self, mask):
        return ops.cast(ops.max(mask, axis=(1, 2, 3), keepdims=True) > 0, self.compute_dtype)


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
    x = layers.Concatenate()([out["features"], pool(ab_hints * mask), pool(mask)])
    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(WIDTH, 1, use_bias=False)(x)))
    for dilation in DILATIONS:
        x = separable_block(x, WIDTH, dilation)
    x = global_context(x, WIDTH)

    gate = HintGate(dtype="float32")(mask)
    logits = layers.Conv2D(len(ab_grid.BIN_CENTRES), 1, kernel_initializer="zeros", dtype="float32")(x)
    ab = layers.Conv2D(2, 3, padding="same", kernel_initializer="zeros", dtype="float32")(x)
    logits = layers.Add(dtype="float32", name="logits")([out["logits"], logits * gate])
    ab = layers.Add(dtype="float32", name="ab")([out["ab"], ab * gate])
    return keras.Model(inputs, {"logits": logits, "ab": ab}, name="unet_branch_training")


def build(render_size: int | None = None, temperature: float = 0.38, mix: float = 1.0) -> keras.Model:
    """The inference network: as the ``unet``'s, L* and hints in, ab / 128 and the bins' probabilities out."""
    return unet.for_inference(build_for_training(render_size), temperature, mix)


def for_inference(network: keras.Model, temperature: float = 0.38, mix: float = 1.0) -> keras.Model:
    """The ``unet``'s decoder on a (trained) network."""
    return unet.for_inference(network, temperature, mix)
