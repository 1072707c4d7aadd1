"""Layers shared by the architectures."""

from __future__ import annotations

import tensorflow as tf
from keras import layers


class UpSampling2D(layers.UpSampling2D):
    """Keras' 2x upsampling, written as a TensorFlow image resize (same numbers).

    Keras implements it with ``repeat`` or a resize whose size must be known
    when the graph is traced; either way a model built for any render size
    could not be exported to LiteRT.
    """

    def call(self, inputs):
        size = tf.shape(inputs)[1:3] * self.size
        return tf.image.resize(inputs, size, method=self.interpolation)


def separable_block(x, width: int, dilation: int = 1):
    """Residual block: two (depthwise 3x3 -> pointwise -> BN) with ReLU."""
    y = x
    for i in range(2):
        y = layers.DepthwiseConv2D(3, padding="same", dilation_rate=dilation, use_bias=False)(y)
        y = layers.Conv2D(width, 1, use_bias=False)(y)
        y = layers.BatchNormalization()(y)
        if i == 0:
            y = layers.ReLU()(y)
    return layers.ReLU()(layers.Add()([x, y]))


def global_context(x, width: int):
    """Pooled features fed back to every cell (Iizuka et al.): a scene's overall look informs each pixel."""
    context = layers.GlobalAveragePooling2D(keepdims=True)(x)
    context = layers.Dense(width, activation="relu")(context)
    context = layers.Dense(width)(context)
    return layers.ReLU()(layers.Add()([x, context]))
