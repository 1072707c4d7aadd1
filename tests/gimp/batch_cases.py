"""Batch code for GIMP's python-fu-eval: run Auto Colorize on each case, export what to check.

Not imported by pytest: tests/test_gimp_plugin.py prepends CASES_FILE = "..." and
feeds it to `gimp-console-3.0 --batch-interpreter python-fu-eval -b -`. Each case
(a JSON object) names an input PNG, the procedure's settings, an optional
rectangular selection, whether the layer's pixels (or its group's) are locked,
a large empty layer to colorize instead, whether to compare its 16-bit gray
levels before and after, whether the worker's
interpreter is broken on purpose, an optional colour hints layer (made with New
Hint Layer or loaded from a PNG, at offsets, in an image made indexed), a file to
write first (a stand-in's setting), whether to export, whether to time GIMP's
part alone (for the benchmark), and a rectangle to paint on the layer while the
model runs (see paint_meanwhile). A case of kind "preselect" checks which hint
layer the dialog would start with; one of kind "suggest" runs Suggest Colours. Every outcome goes to results.json beside
CASES_FILE; the PNGs (and the hint bytes the plug-in reads) are checked from
outside GIMP with PIL.
"""

import hashlib
import importlib.util
import json
import math
import os
import sys
import time
import traceback
from array import array
from pathlib import Path

from gi.repository import Babl, Gegl, Gimp, Gio

PROC_NAME = "plug-in-colorize-layer"
NEW_HINT_LAYER_PROC = "plug-in-colorize-new-hint-layer"
SUGGEST_PROC = "plug-in-colorize-suggest-colours"
SUGGESTIONS_PALETTE = "Auto Colorize suggestions"
PIXEL_FORMAT = "R'G'B'A u8"  # as the plug-in reads and writes
BASE_TYPES = {Gimp.ImageBaseType.RGB: "RGB", Gimp.ImageBaseType.GRAY: "GRAY", Gimp.ImageBaseType.INDEXED: "INDEXED"}


def export(image, path):
    """Save the visible layers as a PNG (what a user would export)."""
    Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(path), None)


def export_views(image, layer, stem, hints=None):
    """stem.png (without the hint layer); with a new layer on top also that layer alone and what lies below it."""
    visible = hints is not None and hints.get_visible()
    if visible:
        hints.set_visible(False)
    export(image, f"{stem}.png")
    top = next(item for item in image.get_layers() if item != hints)
    if top != layer:
        top.set_visible(False)
        export(image, f"{stem}-below.png")
        top.set_visible(True)
        layer.set_visible(False)
        export(image, f"{stem}-new.png")
        layer.set_visible(True)
    if visible:
        hints.set_visible(True)


def run_procedure(image, layer, settings, name=PROC_NAME):
    """Call a plug-in procedure as a script would; returns (status name, error message)."""
    proc = Gimp.get_pdb().lookup_procedure(name)
    if proc is None:
        return "NOT_INSTALLED", f"{name} is not registered"
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    for key, value in settings.items():
        config.set_property(key, value)
    result = proc.run(config)
    status = result.index(0)
    message = result.index(1) if status != Gimp.PDBStatusType.SUCCESS and result.length() > 1 else ""
    return status.value_nick.upper().replace("-", "_"), message


def load_layer(image, path):
    """A PNG as a layer for image (of the image's type), not yet inserted."""
    return Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(path))


def layer_state(layer):
    """A digest of everything a run must leave alone on the hint layer."""
    width, height = layer.get_width(), layer.get_height()
    pixels = layer.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, PIXEL_FORMAT,
                                    Gegl.AbyssPolicy.NONE)
    state = repr((layer.get_name(), layer.get_offsets(), width, height, layer.get_visible(), layer.get_opacity(),
                  layer.get_mode().value_nick))  # not its type: an indexed image becomes RGB
    return hashlib.sha256(state.encode() + bytes(pixels)).hexdigest()


def add_hints(image, layer, spec, facts):
    """The case's hint layer: New Hint Layer painted with the PNG's pixels, or the PNG loaded as a
    layer named "Colour hints" at the given offsets; optionally the image made indexed after."""
    if spec.get("command"):
        facts["new_hint_layer_status"] = run_procedure(image, layer, {}, NEW_HINT_LAYER_PROC)
        hints = image.get_selected_layers()[0]
        layers = image.get_layers()
        width, height = hints.get_width(), hints.get_height()
        facts["new_hint_layer"] = {
            "name": hints.get_name(), "rgba": hints.type() == Gimp.ImageType.RGBA_IMAGE,
            "size": [width, height], "offsets": list(hints.get_offsets()[1:]),
            "above_photo": len(layers) == 2 and layers[0] == hints and layers[1] == layer,
            "selected": [item.get_id() for item in image.get_selected_layers()] == [hints.get_id()],
            "base_type": BASE_TYPES[image.get_base_type()],
            "max_alpha": max(hints.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, PIXEL_FORMAT,
                                                    Gegl.AbyssPolicy.NONE)[3::4]),
        }
        painted = load_layer(image, spec["png"])
        area = Gegl.Rectangle.new(0, 0, width, height)
        hints.get_buffer().set(area, PIXEL_FORMAT, painted.get_buffer().get(area, 1.0, PIXEL_FORMAT,
                                                                              Gegl.AbyssPolicy.NONE))
        painted.delete()
    else:
        hints = load_layer(image, spec["png"])
        hints.set_name(spec.get("name", "Colour hints"))
        image.insert_layer(hints, None, 0)
        hints.set_offsets(*spec.get("offsets", (0, 0)))
    if spec.get("indexed"):
        image.convert_indexed(Gimp.ConvertDitherType.NONE, Gimp.ConvertPaletteType.GENERATE, 256, False, False, "")
    return hints


def hints_as_read(plugin_dir, hints, layer, path):
    """Save the RGBA bytes the plug-in sends as hints for layer (its own code reads them)."""
    sys.path.insert(0, str(plugin_dir))
    try:
        import hint_layer
    finally:
        sys.path.remove(str(plugin_dir))
    Path(path).write_bytes(bytes(hint_layer.read(hints, layer)))


def time_gimp_side(image):
    """Seconds for what the plug-in asks of GIMP, done on a copy: read, convert to RGB, write."""
    copy = image.duplicate()
    layer = copy.get_layers()[0]
    width, height = layer.get_width(), layer.get_height()
    rect = Gegl.Rectangle.new(0, 0, width, height)
    times = [time.perf_counter()]
    pixels = layer.get_buffer().get(rect, 1.0, PIXEL_FORMAT, Gegl.AbyssPolicy.CLAMP)
    times.append(time.perf_counter())
    if copy.get_base_type() != Gimp.ImageBaseType.RGB:
        copy.convert_rgb()
    times.append(time.perf_counter())
    shadow = layer.get_shadow_buffer()
    shadow.set(rect, PIXEL_FORMAT, pixels)
    shadow.flush()
    layer.merge_shadow(True)
    layer.update(0, 0, width, height)
    times.append(time.perf_counter())
    copy.delete()
    steps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    return dict(zip(["read_seconds", "convert_seconds", "write_seconds"], steps, strict=True))


def with_broken_interpreter(plugin_dir, call):
    """Point the plug-in at a Python that does not exist for one call, then restore it."""
    recorded = plugin_dir / "interpreter.txt"
    saved = recorded.read_text()
    recorded.write_text("/nonexistent/bin/python\n")
    try:
        return call()
    finally:
        recorded.write_text(saved)


def plugin_module(plugin_dir):
    """colorize-layer.py loaded as a module, as GIMP's Python can; its last line, Gimp.main(...),
    which registers the plug-in when GIMP runs the file, is made a no-op for the load."""
    sys.path.insert(0, str(plugin_dir))  # its own modules beside it
    register, Gimp.main = Gimp.main, lambda *args: 0
    try:
        spec = importlib.util.spec_from_file_location("colorize_layer", plugin_dir / "colorize-layer.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        Gimp.main = register
        sys.path.remove(str(plugin_dir))
    return module


def paint_meanwhile(plugin_dir, image, layer, settings, paint, facts):
    """Run the plug-in's colorize (the procedure's own code, called here) while a user "paints" on the
    layer: no one can paint during a test, so its Worker is replaced by the real one whose colorize first
    fills paint["rect"] (x, y, width, height) with paint["rgb"] through GIMP's API (a brush stroke's
    stand-in). The messages it shows go to facts["messages"]. Returns (status name, error message) as
    run_procedure does."""
    plugin = plugin_module(plugin_dir)

    class PaintingWorker(plugin.Worker):
        def colorize(self, rgba, hints=None):
            x, y, width, height = paint["rect"]
            buffer = layer.get_buffer()
            buffer.set(Gegl.Rectangle.new(x, y, width, height), PIXEL_FORMAT,
                       bytes([*paint["rgb"], 255]) * (width * height))
            buffer.flush()
            layer.update(x, y, width, height)
            return super().colorize(rgba, hints)

    config = Gimp.get_pdb().lookup_procedure(PROC_NAME).create_config()
    for key, value in settings.items():
        config.set_property(key, value)
    plugin.Worker = PaintingWorker
    facts["messages"], show = [], Gimp.message
    Gimp.message = facts["messages"].append
    try:
        plugin.colorize(image, layer, None, config)
    except plugin.PluginError as error:
        return "EXECUTION_ERROR", str(error)
    finally:
        Gimp.message = show
    return "SUCCESS", ""


def run_case(case, plugin_dir, out_dir):
    """Load, select, add hints, colorize, export; returns the facts the test checks."""
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(case["input"]))
    layer = image.get_layers()[0]
    if case.get("selection"):
        image.select_rectangle(Gimp.ChannelOps.REPLACE, *case["selection"])
    layer.set_lock_content(case.get("lock_content", False))
    if case.get("in_locked_group"):  # its group's lock covers it: GIMP refused the writes half-way
        group = Gimp.GroupLayer.new(image, "locked group")
        image.insert_layer(group, None, 0)
        image.reorder_item(layer, group, 0)
        group.set_lock_content(True)
    if case.get("new_layer_size"):  # a new, never painted (so never allocated) layer of that size
        layer = Gimp.Layer.new(image, "large", *case["new_layer_size"], Gimp.ImageType.RGBA_IMAGE, 100.0,
                               Gimp.LayerMode.NORMAL)
        image.insert_layer(layer, None, 0)
    facts = {"base_type_before": BASE_TYPES[image.get_base_type()], "layers_before": len(image.get_layers())}
    stem = str(out_dir / case["name"])
    settings, hints = dict(case["settings"]), None
    if case.get("hints"):
        hints = add_hints(image, layer, case["hints"], facts)
        settings["hint-layer"] = layer if case["hints"].get("use") == "photo" else hints
        facts["hints_before"] = layer_state(hints)
        if case.get("export", True):
            export_views(image, layer, f"{stem}-before", hints)
            export(image, f"{stem}-painted.png")  # as the user sees it: the photo under the hint layer
            hints_as_read(plugin_dir, hints, layer, f"{stem}-hints.rgba")
    if case.get("time_gimp_side"):
        facts.update(time_gimp_side(image))
    if case.get("write_file"):
        Path(case["write_file"][0]).write_text(case["write_file"][1])

    tones_before = gray_levels(layer) if case.get("tones") else None

    def call():
        if case.get("paint_meanwhile"):
            return paint_meanwhile(plugin_dir, image, layer, settings, case["paint_meanwhile"], facts)
        return run_procedure(image, layer, settings)

    start = time.perf_counter()
    status, message = with_broken_interpreter(plugin_dir, call) if case.get("broken_interpreter") else call()
    layers = [item for item in image.get_layers() if item != hints]
    facts.update(status=status, message=message, seconds=time.perf_counter() - start,
                 base_type_after=BASE_TYPES[image.get_base_type()],
                 layers_after=len(layers), new_layer_on_top=len(layers) > 1 and layers[1] == layer)
    if hints is not None:
        facts["hints_after"] = layer_state(hints)
    if tones_before is not None:
        after = gray_levels(layer)
        lab = array("f")
        lab.frombytes(layer.get_buffer().get(Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height()), 1.0,
                                             "CIE Lab float", Gegl.AbyssPolicy.NONE))
        chroma = [math.hypot(a, b) for a, b in zip(lab[1::3], lab[2::3])]
        facts["tones"] = {"levels_before": len(set(tones_before)), "levels_after": len(set(after)),
                          "max_change": max(abs(a - b) for a, b in zip(tones_before, after)),
                          "mean_chroma": sum(chroma) / len(chroma)}
    if case.get("export", True):
        export_views(image, layer, stem, hints)
    image.delete()
    return facts


def gray_levels(layer):
    """The layer's gray levels at 16 bits (Y' u16), as a list."""
    width, height = layer.get_width(), layer.get_height()
    levels = array("H")
    levels.frombytes(layer.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, "Y' u16",
                                            Gegl.AbyssPolicy.NONE))
    return levels.tolist()


def colour_bytes(colour):
    """A Gegl.Color as [r, g, b] sRGB bytes."""
    return list(colour.get_bytes(Babl.format("R'G'B' u8")).get_data())


def suggest_case(case):
    """Suggest Colours at the case's selection (with its hint layer, if any): what the palette and
    the foreground colour hold after, and whether the image changed."""
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(case["input"]))
    layer = image.get_layers()[0]
    if case.get("selection"):
        image.select_rectangle(Gimp.ChannelOps.REPLACE, *case["selection"])
    if case.get("hints"):
        add_hints(image, layer, case["hints"], {})
    before = layer_state(layer)
    Gimp.context_set_foreground(Gegl.Color.new("#000000"))
    status, message = run_procedure(image, layer, case["settings"], SUGGEST_PROC)
    palette = Gimp.Palette.get_by_name(SUGGESTIONS_PALETTE)
    count = palette.get_color_count() if palette is not None else 0
    facts = {"status": status, "message": message, "photo_unchanged": layer_state(layer) == before,
             "names": [palette.get_entry_name(i)[1] for i in range(count)],
             "colours": [colour_bytes(palette.get_entry_color(i)) for i in range(count)],
             "foreground": colour_bytes(Gimp.context_get_foreground())}
    image.delete()
    return facts


class Settings:
    """The procedure's config as preselect uses it (a PDB-side config lacks the dialog's aux arguments)."""

    def __init__(self, values):
        self.values = values

    def get_property(self, name):
        return self.values[name]

    def set_property(self, name, value):
        self.values[name] = value


def preselect_case(case):
    """Which hint layer (and switch) the dialog starts with, for the situations a user meets."""
    sys.path.insert(0, str(Path(os.environ["GIMP3_DIRECTORY"]) / "plug-ins" / "colorize-layer"))
    try:
        import hint_layer
    finally:
        sys.path.pop(0)
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(case["input"]))
    photo = image.get_layers()[0]

    def start():
        config = Settings({"hint-layer": photo, "use-hints": False})  # what the dialog would show otherwise
        hint_layer.preselect(image, config)
        chosen = config.get_property("hint-layer")
        return [chosen.get_name() if chosen is not None else None, config.get_property("use-hints")]

    facts = {"none": start()}
    image.convert_rgb()
    group = Gimp.GroupLayer.new(image, "group")
    image.insert_layer(group, None, 0)
    for name, parent in (("Colour hints #1", group), ("Colour hints", None), ("Colour hints copy", None)):
        image.insert_layer(Gimp.Layer.new(image, name, 8, 8, Gimp.ImageType.RGBA_IMAGE, 100.0,
                                          Gimp.LayerMode.NORMAL), parent, 0)
    facts["named"] = start()
    image.remove_layer(image.get_layer_by_name("Colour hints"))
    facts["in_a_group"] = start()
    image.delete()
    return facts


def main(cases_file):
    """Run every case in one GIMP session; one broken case does not hide the others."""
    cases_file = Path(cases_file)
    spec = json.loads(cases_file.read_text())
    plugin_dir = Path(os.environ["GIMP3_DIRECTORY"]) / "plug-ins" / "colorize-layer"
    results = {}
    for case in spec["cases"]:
        try:
            if case.get("kind") == "preselect":
                results[case["name"]] = preselect_case(case)
            elif case.get("kind") == "suggest":
                results[case["name"]] = suggest_case(case)
            else:
                results[case["name"]] = run_case(case, plugin_dir, Path(spec["out_dir"]))
        except Exception:  # recorded for the test to report, not swallowed
            results[case["name"]] = {"status": "BATCH_EXCEPTION", "message": traceback.format_exc()}
    partial = cases_file.with_name("results.json.partial")
    partial.write_text(json.dumps(results, indent=1))
    os.replace(partial, cases_file.with_name("results.json"))


main(CASES_FILE)  # noqa: F821 - prepended by the test
