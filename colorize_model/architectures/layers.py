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
