"""``unet``: the project's own colorizer, sized for a 2-core CPU.

A residual U-Net of depthwise-separable blocks over four scales, a dilated
bottleneck that sees the whole picture at 1/16 scale, and a global-context
branch (pooled features fed back, as Iizuka et al. did) so a scene's overall
look (sky, foliage, indoor light) informs every pixel.

Two heads share the decoder, at 1/4 of the render size:

* a classifier over the in-gamut ab bins of ``ab_grid`` (Zhang et al.): it can
  say "red or blue, not gray-brown", which is what makes colours vivid;
* a regression of ab: the safe average, accurate where the classes disagree.

At inference ``AnnealedMeanBlend`` turns both into one ab map: the annealed
mean of the class distribution (temperature ``T``), mixed with the regression
by the weight ``mix``. Both are settings of the exported model, chosen on
held-out photos, not trained.

Input channels: L* (0..100), then ab hints / 128 and a hint mask (see
``colorize_model.hints``), zeros when there are no hints.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from .. import ab_grid
from ..lab import AB_SCALE, L_MAX
from .layers import UpSampling2D, global_context, separable_block

INPUT_CHANNELS = 4
WIDTHS = (32, 64, 128, 256)  # at 1/2, 1/4, 1/8, 1/16 of the render size
DILATIONS = (1, 2, 4, 8)


def _down(x, width: int):
    x = layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False)(x)
    return layers.ReLU()(layers.BatchNormalization()(x))


def _up(x, skip, width: int):
    x = UpSampling2D(2, interpolation="bilinear")(x)
    x = layers.Concatenate()([x, skip])
    x = layers.Conv2D(width, 1, use_bias=False)(x)
    return layers.ReLU()(layers.BatchNormalization()(x))


class AnnealedMeanBlend(layers.Layer):
    """Class logits + regressed ab -> one ab / 128 map (see module docstring)."""

    def __init__(self, temperature: float = 0.38, mix: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.temperature = temperature
        self.mix = mix
        self.centres = ops.convert_to_tensor(ab_grid.BIN_CENTRES / AB_SCALE, dtype="float32")

    def call(self, logits, ab):
        weights = ops.softmax(ops.cast(logits, "float32") / self.temperature, axis=-1)
        annealed = ops.einsum("bhwq,qc->bhwc", weights, self.centres)
        return self.mix * annealed + (1.0 - self.mix) * ops.cast(ab, "float32")

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature, "mix": self.mix}


def build_for_training(render_size: int | None = None) -> keras.Model:
    """The network with both heads as outputs: {"logits": ..., "ab": ...}."""
    inputs = keras.Input((render_size, render_size, INPUT_CHANNELS), name="l_and_hints")
    l_star, hints = inputs[..., :1], inputs[..., 1:]
    x = layers.Concatenate()([l_star * (2.0 / L_MAX) - 1.0, hints])

    skips = []
    x = _down(x, WIDTHS[0])
    for width in WIDTHS[1:3]:
        x = _down(x, width)
        x = separable_block(separable_block(x, width), width)
        skips.append(x)
    x = _down(x, WIDTHS[3])
    for dilation in DILATIONS:
        x = separable_block(x, WIDTHS[3], dilation)
    x = global_context(x, WIDTHS[3])
    for skip, width in zip(reversed(skips), reversed(WIDTHS[1:3])):
        x = _up(x, skip, width)
        x = separable_block(separable_block(x, width), width)

    logits = layers.Conv2D(len(ab_grid.BIN_CENTRES), 1, dtype="float32", name="logits")(x)
    ab = layers.Conv2D(2, 3, padding="same", activation="tanh", dtype="float32", name="ab")(x)
    return keras.Model(inputs, {"logits": logits, "ab": ab}, name="unet_training")


def for_inference(network: keras.Model, temperature: float = 0.38, mix: float = 1.0) -> keras.Model:
    """Put the decoder on a (trained) network; the layers, and so weights, are shared.

    Outputs: "ab", the decoded colour, and "probabilities", the classifier's
    distribution over the ab bins (at temperature 1), from which the package
    suggests colours to a user.
    """
    logits = network.output["logits"]
    decoded = AnnealedMeanBlend(temperature, mix, name="decode")(logits, network.output["ab"])
    probabilities = layers.Softmax(name="probabilities")(logits)
    return keras.Model(network.input, {"ab": decoded, "probabilities": probabilities}, name="unet")


def build(render_size: int | None = None, temperature: float = 0.38, mix: float = 1.0) -> keras.Model:
    """The inference network: L* and hints in, ab / 128 (and the bins' probabilities) out at
    1/4 of the size."""
    return for_inference(build_for_training(render_size), temperature, mix)
