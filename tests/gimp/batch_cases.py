"""Batch code for GIMP's python-fu-eval: run Auto Colorize on each case, export what to check.

Not imported by pytest: tests/test_gimp_plugin.py prepends CASES_FILE = "..." and
feeds it to `gimp-console-3.0 --batch-interpreter python-fu-eval -b -`. Each case
(a JSON object) names an input PNG, the procedure's settings, an optional
rectangular selection, and whether the worker's interpreter is broken on purpose.
Every outcome goes to results.json beside CASES_FILE; the PNGs are checked from
outside GIMP with PIL.
"""

import json
import os
import traceback
from pathlib import Path

from gi.repository import Gimp, Gio

PROC_NAME = "plug-in-colorize-layer"
BASE_TYPES = {Gimp.ImageBaseType.RGB: "RGB", Gimp.ImageBaseType.GRAY: "GRAY", Gimp.ImageBaseType.INDEXED: "INDEXED"}


def export(image, path):
    """Save the visible layers as a PNG (what a user would export)."""
    Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(path), None)


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
    facts = {"base_type_before": BASE_TYPES[image.get_base_type()], "layers_before": len(image.get_layers())}

    def call():
        return run_procedure(image, layer, case["settings"])

    status, message = with_broken_interpreter(plugin_dir, call) if case.get("broken_interpreter") else call()
    layers = image.get_layers()
    facts.update(status=status, message=message, base_type_after=BASE_TYPES[image.get_base_type()],
                 layers_after=len(layers), new_layer_on_top=len(layers) > 1 and layers[1] == layer)
    export(image, str(out_dir / f"{case['name']}.png"))
    if len(layers) > 1:  # the new layer alone, and what is below it
        layers[0].set_visible(False)
        export(image, str(out_dir / f"{case['name']}-below.png"))
        layers[0].set_visible(True)
        layer.set_visible(False)
        export(image, str(out_dir / f"{case['name']}-new.png"))
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
