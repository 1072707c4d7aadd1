"""The layer of colour hints: which one the dialog starts with, whether a layer can hold hints,
its pixels in the photo layer's coordinates, and a new empty one to paint on.

Users paint colour on a transparent layer above the photo; its pixels of alpha
>= 50 % are hints (the worker's package decides that, and keeps only their
chroma). The hint layer is only read, never changed.
"""

import re

from gi.repository import Gegl, Gimp

from plugin_error import PluginError

NAME = "Colour hints"
DEFAULT_NAME = re.compile(re.escape(NAME) + r"(?: #\d+)?")  # GIMP names a second one "Colour hints #1"
PIXEL_FORMAT = "R'G'B'A u8"  # as the plug-in reads the photo


def layers_of(image):
    """Every layer of image, top to bottom, those inside groups too."""
    pending = list(image.get_layers())
    while pending:
        layer = pending.pop(0)
        yield layer
        if layer.is_group_layer():
            pending[0:0] = layer.get_children()


def in_image(layer, image):
    """Whether layer exists and belongs to image (a script may pass one of another image)."""
    return layer.is_valid() and layer.get_image().get_id() == image.get_id()


def named(image):
    """The topmost layer named "Colour hints" (or "Colour hints #N"), or None."""
    return next((layer for layer in layers_of(image) if DEFAULT_NAME.fullmatch(layer.get_name())), None)


def preselect(image, config):
    """Start the dialog with the topmost layer named "Colour hints" and the switch on, else with
    none and the switch off. (GIMP keeps no layer argument from one run to the next.)"""
    named_layer = named(image)
    config.set_property("hint-layer", named_layer)
    config.set_property("use-hints", named_layer is not None)


def check(image, hints, photo):
    """Refuse, in one line, a layer that cannot hold colour hints for photo."""
    name = hints.get_name()
    if not in_image(hints, image):
        raise PluginError(f"The colour hints layer '{name}' is not in this image.")
    if hints.get_id() == photo.get_id():
        raise PluginError("The colour hints layer is the layer being colorized: select the photo's layer "
                          "in the Layers dialog, not the hints (they belong on a layer of their own: Colors > "
                          "Auto Colorize: New Hint Layer).")
    if hints.is_group_layer():
        raise PluginError(f"The colour hints layer '{name}' is a layer group: choose the layer painted on.")
    if hints.is_gray():
        raise PluginError(f"The colour hints layer '{name}' is gray, as grayscale images are: convert the image "
                          "with Image > Mode > RGB (or use Colors > Auto Colorize: New Hint Layer), then paint "
                          "the hints in colour.")
    if not hints.has_alpha():
        raise PluginError(f"The colour hints layer '{name}' has no transparency, so all of it would be hints: "
                          "add an alpha channel (Layer > Transparency > Add Alpha Channel) and paint on "
                          "transparency.")


def read(hints, photo):
    """The hint layer's RGBA bytes over photo's area (its offsets taken into account); transparent
    where the hint layer does not reach."""
    _, photo_x, photo_y = photo.get_offsets()
    _, hints_x, hints_y = hints.get_offsets()
    area = Gegl.Rectangle.new(photo_x - hints_x, photo_y - hints_y, photo.get_width(), photo.get_height())
    return hints.get_buffer().get(area, 1.0, PIXEL_FORMAT, Gegl.AbyssPolicy.NONE)


def transparent_layer_above(image, layer, name):
    """A new empty RGBA layer with layer's size and offsets, just above it."""
    above = Gimp.Layer.new(image, name, layer.get_width(), layer.get_height(), Gimp.ImageType.RGBA_IMAGE,
                           100.0, Gimp.LayerMode.NORMAL)
    _, x, y = layer.get_offsets()
    above.set_offsets(x, y)
    image.insert_layer(above, layer.get_parent(), image.get_item_position(layer))
    above.fill(Gimp.FillType.TRANSPARENT)
    return above


def add(image, photo):
    """An empty "Colour hints" layer over photo, selected for painting; the image becomes RGB
    first if it is not (gray and indexed layers cannot hold the colours)."""
    if image.get_base_type() != Gimp.ImageBaseType.RGB:
        image.convert_rgb()
    hints = transparent_layer_above(image, photo, NAME)
    image.set_selected_layers([hints])
    return hints
