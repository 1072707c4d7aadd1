"""``seed``: an exact replica of the network this project started from.

Input L* (0..100, as the original fed it) at 256x256, output ab / 128 through
tanh. Kept layer for layer so its figures can be reproduced and compared.
"""

from __future__ import annotations

import keras
from keras import layers

from .layers import UpSampling2D

RENDER_SIZE = 256


def build(render_size: int = RENDER_SIZE) -> keras.Model:
    def conv(filters: int, strides: int = 1, activation: str = "relu") -> layers.Layer:
        return layers.Conv2D(filters, 3, strides=strides, padding="same", activation=activation)

    stack = [
        conv(64), conv(64, 2),
        conv(128), conv(128, 2),
        conv(256), conv(256, 2),
        conv(512), conv(512), conv(256), conv(128),
        UpSampling2D(2), conv(64),
        UpSampling2D(2), conv(32),
        conv(2, activation="tanh"), UpSampling2D(2),
    ]
    return keras.Sequential([keras.Input((render_size, render_size, 1)), *stack], name="seed")
