#!/usr/bin/env python3
"""GIMP 3 plug-in: Colors > Auto Colorize... colours the active layer with colorize-model,
following the colour hints painted on another layer when asked; Colors > Auto Colorize: New
Hint Layer adds an empty layer to paint them on; Colors > Auto Colorize: Suggest Colours puts
the model's likeliest colours at the selected place in a palette, to paint hints with.

The model runs in another Python (worker_client.py); nothing in the image changes
unless it succeeds, and then in one undo step.
"""

import sys
import traceback
from array import array

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, GimpUi, GLib, GObject  # noqa: E402

import hint_layer  # noqa: E402  (beside this file, on sys.path as the script's folder)
from plugin_error import PluginError  # noqa: E402
from worker_client import Worker  # noqa: E402

PROC_NAME = "plug-in-colorize-layer"
NEW_HINT_LAYER_PROC = "plug-in-colorize-new-hint-layer"
SUGGEST_PROC = "plug-in-colorize-suggest-colours"
SUGGESTIONS_PALETTE = "Auto Colorize suggestions"
PIXEL_FORMAT = "R'G'B'A u8"  # sRGB bytes whatever the layer's type, precision or profile
TONES_FORMAT = "CIE Lab alpha float"  # how a 16- or 32-bit layer keeps its own lightness and alpha
EIGHT_BIT = (Gimp.Precision.U8_LINEAR, Gimp.Precision.U8_NON_LINEAR, Gimp.Precision.U8_PERCEPTUAL)
# colorize_model's limits (settings.MIN/MAX_RENDER_SIZE, imageio.MAX_PIXELS): GIMP's Python cannot
# import the package, and a layer past them is refused before its pixels are read.
MIN_RENDER_SIZE, MAX_RENDER_SIZE = 16, 1024
MAX_PIXELS = 150_000_000
COMPARED_ROWS = 256  # rows of the layer read back at a time to see whether it changed during a run


def one_layer(drawables):
    """The one plain layer selected: masks, channels and groups hold no colour pixels."""
    if len(drawables) != 1:
        raise PluginError("Select exactly one layer to colorize.")
    layer = drawables[0]
    if not isinstance(layer, Gimp.Layer) or isinstance(layer, Gimp.GroupLayer):
        raise PluginError("Auto Colorize works on a pixel layer, not a mask, channel or layer group.")
    return layer


def target_layer(drawables, config):
    """The layer to colour, if its pixels may change (or the result goes to a new layer)."""
    layer = writable_place(one_layer(drawables))
    if layer.get_lock_content() and not config.get_property("new-layer"):
        raise PluginError("The layer's pixels are locked: unlock them or put the result in a new layer.")
    return layer


def writable_place(layer):
    """layer, if no layer group around it has its pixels locked: that lock covers every layer in
    the group, new ones too, and GIMP refuses the writes only once the image is half changed."""
    group = layer.get_parent()
    while group is not None:
        if group.get_lock_content():
            raise PluginError(f"The layer group '{group.get_name()}' has its pixels locked: unlock them "
                              "(Layers dialog, lock icon) to colorize a layer in it.")
        group = group.get_parent()
    return layer


def checked_size(layer, config):
    """The layer's width and height, if the worker can take them at the chosen render size."""
    size = config.get_property("render-size")
    if 0 < size < MIN_RENDER_SIZE:
        raise PluginError(f"The render size {size} is too small: use 0 (the model's own) or "
                          f"{MIN_RENDER_SIZE} to {MAX_RENDER_SIZE}.")
    width, height = layer.get_width(), layer.get_height()
    if width * height > MAX_PIXELS:
        raise PluginError(f"The layer is {width} x {height} pixels, over the {MAX_PIXELS // 10**6}-megapixel "
                          "limit: scale it down (Layer > Scale Layer) or colorize a copy in parts.")
    return width, height


def chosen_hints(image, layer, config, run_mode):
    """The hint layer to follow, checked, or None. A script's hint-layer counts by itself: use-hints
    is the dialog's switch."""
    hints = config.get_property("hint-layer")
    if run_mode != Gimp.RunMode.NONINTERACTIVE and not config.get_property("use-hints"):
        hints = None
    if hints is not None:
        hint_layer.check(image, hints, layer)
    return hints


def write_pixels(drawable, pixels, width, height, pixel_format=PIXEL_FORMAT):
    """Write through the shadow buffer so GIMP applies the selection (and its feathering)."""
    shadow = drawable.get_shadow_buffer()
    shadow.set(Gegl.Rectangle.new(0, 0, width, height), pixel_format, pixels)
    shadow.flush()
    drawable.merge_shadow(True)
    drawable.update(0, 0, width, height)


def with_own_tones(tones, result, width, height):
    """The 8-bit result's colour (a*, b*) with the layer's own L* and alpha, as TONES_FORMAT bytes:
    the model works in 8 bits, and a 16- or 32-bit layer would otherwise lose its tones."""
    area = Gegl.Rectangle.new(0, 0, width, height)
    scratch = Gegl.Buffer.new(TONES_FORMAT, 0, 0, width, height)
    scratch.set(area, PIXEL_FORMAT, result)
    coloured, own = array("f"), array("f")
    coloured.frombytes(scratch.get(area, 1.0, TONES_FORMAT, Gegl.AbyssPolicy.CLAMP))
    own.frombytes(tones)
    coloured[0::4], coloured[3::4] = own[0::4], own[3::4]
    return coloured.tobytes()


def changed_since(layer, rgba, tones, width, height):
    """Whether the layer's pixels differ from those sent to the worker (rgba, and tones when read):
    GIMP stays usable while the model runs, and paint added meanwhile must not be overwritten.
    Compared a band of rows at a time, so a large layer is not held twice more."""
    buffer = layer.get_buffer()
    for pixels, pixel_format in ((rgba, PIXEL_FORMAT), (tones, TONES_FORMAT)):
        if pixels is None:
            continue
        row_bytes, stored = len(pixels) // height, memoryview(pixels)
        for top in range(0, height, COMPARED_ROWS):
            rows = min(COMPARED_ROWS, height - top)
            band = buffer.get(Gegl.Rectangle.new(0, top, width, rows), 1.0, pixel_format, Gegl.AbyssPolicy.CLAMP)
            if band != stored[top * row_bytes:(top + rows) * row_bytes]:
                return True
    return False


def colorize(image, layer, hints, config):
    """Read, colorize in the worker, then change the image in one undo step."""
    width, height = checked_size(layer, config)
    if not layer.mask_intersect()[0]:
        raise PluginError("The selection does not touch this layer: nothing to colorize.")
    Gimp.progress_init("Auto Colorize")
    worker = Worker(width, height, config, hints=hints is not None)
    try:
        area = Gegl.Rectangle.new(0, 0, width, height)
        rgba = layer.get_buffer().get(area, 1.0, PIXEL_FORMAT, Gegl.AbyssPolicy.CLAMP)
        tones = None if image.get_precision() in EIGHT_BIT else \
            layer.get_buffer().get(area, 1.0, TONES_FORMAT, Gegl.AbyssPolicy.CLAMP)
        hint_pixels = None if hints is None else hint_layer.read(hints, layer)
        Gimp.progress_update(0.1)
        result = worker.colorize(rgba, hint_pixels)
    finally:
        worker.stop()
    Gimp.progress_update(0.9)
    if not layer.is_valid() or (layer.get_width(), layer.get_height()) != (width, height):
        raise PluginError("The layer was removed or resized while it was being colorized: run Auto Colorize again.")
    changed = changed_since(layer, rgba, tones, width, height)
    pixel_format = PIXEL_FORMAT
    if tones is not None:
        result, pixel_format = with_own_tones(tones, result, width, height), TONES_FORMAT
    image.undo_group_start()
    try:
        if image.get_base_type() != Gimp.ImageBaseType.RGB:
            image.convert_rgb()  # gray and indexed images cannot hold colour
        target = layer
        if changed or config.get_property("new-layer"):
            target = hint_layer.transparent_layer_above(image, layer, f"{layer.get_name()} (colorized)")
        write_pixels(target, result, width, height, pixel_format)
    finally:
        image.undo_group_end()
    Gimp.progress_update(1.0)
    Gimp.displays_flush()
    if changed:
        Gimp.message("The layer changed while it was being colorized, so the result is on a new layer above it.")


def selected_place(image, layer):
    """The centre of the selection's bounds, in the layer's pixels: where to suggest colours."""
    _, non_empty, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    if not non_empty:
        raise PluginError("Select the place to suggest colours for (a small selection on it), then run "
                          "Suggest Colours again.")
    _, x, y = layer.get_offsets()
    place = ((x1 + x2) // 2 - x, (y1 + y2) // 2 - y)
    if not (0 <= place[0] < layer.get_width() and 0 <= place[1] < layer.get_height()):
        raise PluginError("The selection's centre is not on this layer: select a place on the photo.")
    return place


def suggest(image, layer, config):
    """The model's likeliest colours at the selected place, given the "Colour hints" layer if there is one."""
    place = selected_place(image, layer)
    hints = hint_layer.named(image)
    if hints is not None:
        hint_layer.check(image, hints, layer)
    width, height = checked_size(layer, config)
    Gimp.progress_init("Auto Colorize: Suggest Colours")
    worker = Worker(width, height, config, hints=hints is not None, suggest_at=place)
    try:
        rgba = layer.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, PIXEL_FORMAT,
                                      Gegl.AbyssPolicy.CLAMP)
        suggestions = worker.suggest(rgba, None if hints is None else hint_layer.read(hints, layer))
    finally:
        worker.stop()
    Gimp.progress_update(1.0)
    return place, suggestions


def offer(suggestions):
    """The suggestions as the palette SUGGESTIONS_PALETTE (made, or emptied first), most likely first,
    each named with its colour and probability; the likeliest becomes the foreground colour."""
    palette = Gimp.Palette.get_by_name(SUGGESTIONS_PALETTE) or Gimp.Palette.new(SUGGESTIONS_PALETTE)
    while palette.get_color_count():
        palette.delete_entry(0)
    names = []
    for rank, (red, green, blue, probability) in enumerate(suggestions):
        hex_colour = f"#{red:02x}{green:02x}{blue:02x}"
        colour = Gegl.Color.new(hex_colour)
        names.append(f"{hex_colour} {probability:.0%}")
        palette.add_entry(names[-1], colour)
        if rank == 0:
            Gimp.context_set_foreground(colour)
    Gimp.context_set_palette(palette)
    return names


def show_dialog(procedure, config):
    """The settings dialog; False when cancelled."""
    GimpUi.init(PROC_NAME)
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config)
    dialog.set_sensitive("hint-layer", True, config, "use-hints", False)
    dialog.fill(["render-size", "saturation", "new-layer", "model", "use-hints", "hint-layer"])
    accepted = dialog.run()
    dialog.destroy()
    return accepted


def outcome(procedure, work):
    """Run work(); its PluginError (or any failure) becomes the procedure's one-line error."""
    try:
        work()
    except PluginError as error:
        message = str(error)
    except OSError as error:
        message = f"Auto Colorize failed: {error.strerror or error}"
    except Exception as error:  # a bug: still a message in GIMP, with the traceback on stderr
        traceback.print_exc()
        message = f"Auto Colorize failed: {type(error).__name__}: {error}"
    else:
        return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())
    return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR, GLib.Error(message))


def run(procedure, run_mode, image, drawables, config, run_data):
    """PDB entry point of Auto Colorize: show the dialog when interactive, then colorize."""
    if run_mode == Gimp.RunMode.INTERACTIVE:  # a script says which hint layer, if any
        hint_layer.preselect(image, config)
    elif run_mode == Gimp.RunMode.WITH_LAST_VALS:  # the switch as last set; GIMP keeps no layer argument
        config.set_property("hint-layer", hint_layer.named(image))
    if run_mode == Gimp.RunMode.INTERACTIVE and not show_dialog(procedure, config):
        return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())

    def work():
        layer = target_layer(drawables, config)
        colorize(image, layer, chosen_hints(image, layer, config, run_mode), config)
    return outcome(procedure, work)


def run_new_hint_layer(procedure, run_mode, image, drawables, config, run_data):
    """PDB entry point of New Hint Layer: one undo step, the new layer selected."""
    def work():
        photo = writable_place(one_layer(drawables))
        image.undo_group_start()
        try:
            hint_layer.add(image, photo)
        finally:
            image.undo_group_end()
        Gimp.displays_flush()
    return outcome(procedure, work)


def add_render_size(procedure):
    procedure.add_int_argument("render-size", "Render si_ze",
                               "Side in pixels the network sees; 0 = the model's default. "
                               "Larger costs time, may add detail to colours.",
                               0, MAX_RENDER_SIZE, 0, GObject.ParamFlags.READWRITE)


def add_model(procedure):
    procedure.add_string_argument("model", "_Model", "'default', a model folder, or hf://owner/name[@revision]",
                                  "default", GObject.ParamFlags.READWRITE)


def run_suggest(procedure, run_mode, image, drawables, config, run_data):
    """PDB entry point of Suggest Colours: nothing in the image changes."""
    def work():
        place, suggestions = suggest(image, one_layer(drawables), config)
        names = offer(suggestions)
        if run_mode == Gimp.RunMode.INTERACTIVE:
            Gimp.message(f"Colours the model suggests at ({place[0]}, {place[1]}), most likely first: "
                         f"{', '.join(names)}. They are in the palette '{SUGGESTIONS_PALETTE}' (Windows > "
                         "Dockable Dialogs > Palettes), and the first is now the foreground colour: paint "
                         "it on the colour hints layer.")
    return outcome(procedure, work)


class ColorizeLayer(Gimp.PlugIn):
    """Registers Colors > Auto Colorize..., Auto Colorize: New Hint Layer and Auto Colorize: Suggest Colours."""

    def do_set_i18n(self, name):
        return False, None, None  # no translations shipped

    def do_query_procedures(self):
        return [PROC_NAME, NEW_HINT_LAYER_PROC, SUGGEST_PROC]

    def do_create_procedure(self, name):
        if name == NEW_HINT_LAYER_PROC:
            return self.colors_procedure(
                name, run_new_hint_layer, "Auto Colorize: New _Hint Layer", "Add a layer to paint colour hints on",
                f"Adds an empty transparent layer named '{hint_layer.NAME}' with the size of the selected "
                "layer, just above it, and selects it: paint colours there, then run Auto Colorize, which "
                "offers it as the colour hints layer. Gray and indexed images are converted to RGB.")
        if name == SUGGEST_PROC:
            procedure = self.colors_procedure(
                name, run_suggest, "Auto Colorize: _Suggest Colours", "Suggest colours for the selected place",
                f"Puts the colours the model finds likeliest at the centre of the selection, given the "
                f"'{hint_layer.NAME}' layer if there is one, in the palette '{SUGGESTIONS_PALETTE}' "
                "(most likely first, named with their probability), and makes the likeliest the "
                "foreground colour, to paint hints with. The image does not change.")
            add_render_size(procedure)
            add_model(procedure)
            return procedure
        procedure = self.colors_procedure(
            name, run, "Auto Colori_ze…", "Colorize a black-and-white photo automatically",
            "Predicts plausible colours for the active layer with a small neural network and keeps "
            "its lightness and alpha. Only the selection changes when there is one. Gray and indexed "
            "images are converted to RGB. Colour painted on a hint layer (its pixels of alpha 50 % "
            "or more) says which colour goes where: only its hue and colourfulness count.")
        flags = GObject.ParamFlags.READWRITE
        add_render_size(procedure)
        procedure.add_double_argument("saturation", "Sat_uration",
                                      "Colour strength: 0 = gray, 1 = as predicted, 2 = double",
                                      0.0, 2.0, 1.0, flags)
        procedure.add_boolean_argument("new-layer", "Result in a _new layer",
                                       "Put the colours in a new layer above instead of changing this one",
                                       False, flags)
        add_model(procedure)
        procedure.add_boolean_aux_argument("use-hints", "Follow colour _hints",
                                           "Colour as painted on the colour hints layer",
                                           False, flags)
        procedure.add_layer_argument("hint-layer", "Colour hints la_yer",
                                     "Layer whose painted pixels (alpha 50 % or more) are colour hints; "
                                     "none for automatic colours",
                                     True, flags)
        return procedure

    def colors_procedure(self, name, run_func, label, blurb, help_text):
        """A procedure in the Colors menu for one selected layer of any image type."""
        procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run_func, None)
        procedure.set_image_types("*")
        procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        procedure.set_menu_label(label)
        procedure.add_menu_path("<Image>/Colors/")
        procedure.set_documentation(blurb, help_text, name)
        procedure.set_attribution("colorize-model contributors", "MIT licence", "2026")
        return procedure


Gimp.main(ColorizeLayer.__gtype__, sys.argv)
