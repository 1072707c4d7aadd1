"""The networks, by name. Each module has ``build(render_size=..., **args) -> keras.Model``.

Every network maps L* (0..100, plus optional hint channels) to ab / 128; the
output may be smaller than the input, the pipeline resizes it. Importing this
package imports Keras: inference code never does.
"""

from __future__ import annotations

from importlib import import_module

import keras

ARCHITECTURES = ("seed", "unet", "unet_branch")


def _module(name: str):
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    return import_module(f"{__name__}.{name}")


def build(name: str, render_size: int | None = None, **args) -> keras.Model:
    """The inference network ``name``; ``render_size=None`` accepts any square size."""
    return _module(name).build(render_size=render_size, **args)


def build_for_training(name: str, render_size: int | None = None) -> keras.Model:
    """The network as trained: for some architectures, outputs before decoding."""
    module = _module(name)
    return getattr(module, "build_for_training", module.build)(render_size=render_size)


def for_inference(name: str, network: keras.Model, **args) -> keras.Model:
    """The inference network around trained ``network``, sharing its weights."""
    module = _module(name)
    return module.for_inference(network, **args) if hasattr(module, "for_inference") else network


def part_taking(name: str, network: keras.Model, source: str) -> keras.Model:
    """The part of training ``network`` (architecture ``name``) that an exported ``source`` model's
    weights fill: all of it, or the base of an architecture built on ``source`` (``unet_branch``)."""
    if source == name:
        return network
    module = _module(name)
    if getattr(module, "BASE", None) != source:
        raise ValueError(f"a {source!r} model's weights do not fit a {name!r} network")
    return module.base_of(network)
