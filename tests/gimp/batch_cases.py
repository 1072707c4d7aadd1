"""Batch code for GIMP's python-fu-eval: run Auto Colorize on each case, export what to check.

Not imported by pytest: tests/test_gimp_plugin.py prepends CASES_FILE = "..." and
feeds it to `gimp-console-3.0 --batch-interpreter python-fu-eval -b -`. Each case
(a JSON object) names an input PNG, the procedure's settings, an optional
rectangular selection, whether the layer's pixels are locked or the worker's
interpreter is broken on purpose, whether to export, and whether to time GIMP's
part alone (for the benchmark). Every outcome goes to results.json beside
CASES_FILE; the PNGs are checked from outside GIMP with PIL.
"""

import json
import os
import time
import traceback
from pathlib import Path

from gi.repository import Gegl, Gimp, Gio

PROC_NAME = "plug-in-colorize-layer"
PIXEL_FORMAT = "R'G'B'A u8"  # as the plug-in reads and writes
BASE_TYPES = {Gimp.ImageBaseType.RGB: "RGB", Gimp.ImageBaseType.GRAY: "GRAY", Gimp.ImageBaseType.INDEXED: "INDEXED"}


def export(image, path):
    """Save the visible layers as a PNG (what a user would export)."""
    Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(path), None)


def export_views(image, layer, stem):
    """stem.png; with a new layer on top also that layer alone and what lies below it."""
    export(image, f"{stem}.png")
    top = image.get_layers()[0]
    if top != layer:
        top.set_visible(False)
        export(image, f"{stem}-below.png")
        top.set_visible(True)
        layer.set_visible(False)
        export(image, f"{stem}-new.png")


def run_procedure(image, layer, settings):
    """Call the plug-in as a script would; returns (status name, error message)."""
    proc = Gimp.get_pdb().lookup_procedure(PROC_NAME)
    if proc is None:
        return "NOT_INSTALLED", f"{PROC_NAME} is not registered"
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    for name, value in settings.items():
        config.set_property(name, value)
    result = proc.run(config)
    status = result.index(0)
    message = result.index(1) if status != Gimp.PDBStatusType.SUCCESS and result.length() > 1 else ""
    return status.value_nick.upper().replace("-", "_"), message


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


def run_case(case, plugin_dir, out_dir):
    """Load, select, colorize, export; returns the facts the test checks."""
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(case["input"]))
    layer = image.get_layers()[0]
    if case.get("selection"):
        image.select_rectangle(Gimp.ChannelOps.REPLACE, *case["selection"])
    layer.set_lock_content(case.get("lock_content", False))
    facts = {"base_type_before": BASE_TYPES[image.get_base_type()], "layers_before": len(image.get_layers())}
    if case.get("time_gimp_side"):
        facts.update(time_gimp_side(image))

    def call():
        return run_procedure(image, layer, case["settings"])

    start = time.perf_counter()
    status, message = with_broken_interpreter(plugin_dir, call) if case.get("broken_interpreter") else call()
    layers = image.get_layers()
    facts.update(status=status, message=message, seconds=time.perf_counter() - start,
                 base_type_after=BASE_TYPES[image.get_base_type()],
                 layers_after=len(layers), new_layer_on_top=len(layers) > 1 and layers[1] == layer)
    if case.get("export", True):
        export_views(image, layer, str(out_dir / case["name"]))
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
            results[case["name"]] = run_case(case, plugin_dir, Path(spec["out_dir"]))
        except Exception:  # recorded for the test to report, not swallowed
            results[case["name"]] = {"status": "BATCH_EXCEPTION", "message": traceback.format_exc()}
    partial = cases_file.with_name("results.json.partial")
    partial.write_text(json.dumps(results, indent=1))
    os.replace(partial, cases_file.with_name("results.json"))


main(CASES_FILE)  # noqa: F821 - prepended by the test
