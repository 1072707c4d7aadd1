#!/usr/bin/env python3
"""GIMP 3 plug-in: Colors > Auto Colorize... colours the active layer with colorize-model.

GIMP's own Python has neither the model runtime nor the project, so the pixels go
through files in a private temporary folder to colorize_worker.py, run by the
Python recorded by `python -m gimp_plugin install` (interpreter.txt beside this
file). Nothing in the image changes unless the worker succeeds.
"""

import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, GimpUi, GLib, GObject  # noqa: E402

PROC_NAME = "plug-in-colorize-layer"
HERE = Path(__file__).resolve().parent
INTERPRETER_FILE = HERE / "interpreter.txt"
WORKER = HERE / "colorize_worker.py"
PIXEL_FORMAT = "R'G'B'A u8"  # sRGB bytes whatever the layer's type, precision or profile
STRIPPED_ENV_PREFIXES = ("PYTHON", "GI_", "GIMP")  # GIMP's settings would break the other Python


class PluginError(Exception):
    """A failure to show the user as one readable message."""


def worker_python():
    """The Python where colorize-model is installed, as recorded by the installer.

    Returns its real interpreter file and the path to run it as (a venv's python,
    whose pyvenv.cfg gives it the venv's packages); a one-line record is both.
    """
    try:
        paths = INTERPRETER_FILE.read_text(encoding="utf-8").strip().splitlines()
    except FileNotFoundError:
        paths = []
    if not paths:
        raise PluginError(
            "Auto Colorize is not set up: run 'python -m gimp_plugin install' "
            "with the Python where colorize-model is installed."
        )
    for path in paths:
        if not os.path.isfile(path):
            raise PluginError(
                f"The Python recorded for Auto Colorize ({path}) no longer exists: "
                "run 'python -m gimp_plugin install' again."
            )
    return paths[0], paths[-1]


def worker_env():
    """This process's environment without the variables that belong to GIMP's Python."""
    return {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED_ENV_PREFIXES)}


class Worker:
    """The model in the other Python, started first so that it loads while GIMP reads the pixels."""

    def __init__(self, folder, width, height, config):
        self.src, self.dst = os.path.join(folder, "in.rgba"), os.path.join(folder, "out.rgba")
        interpreter, run_as = worker_python()
        args = [run_as, str(WORKER), self.src, self.dst, "--width", str(width), "--height", str(height),
                "--model", config.get_property("model"), "--render-size", str(config.get_property("render-size")),
                "--saturation", repr(config.get_property("saturation"))]
        self.proc = subprocess.Popen(args, executable=interpreter, env=worker_env(), stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))

    def colorize(self, rgba):
        """Hand over the pixels, wait (pulsing the progress bar) and return the coloured ones."""
        with open(self.src, "wb") as f:
            f.write(rgba)
        stderr = self.wait(b"go\n")  # tells the worker the input file is complete
        if self.proc.returncode != 0:
            lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
            reason = lines[-1] if lines else f"exit status {self.proc.returncode}"
            raise PluginError(f"Auto Colorize failed: {reason}")
        with open(self.dst, "rb") as f:
            result = f.read()
        if len(result) != len(rgba):
            raise PluginError("Auto Colorize failed: the worker returned an image of the wrong size.")
        return result

    def wait(self, line):
        """Send line, pulse GIMP's progress bar until the worker exits; returns its stderr."""
        while True:
            try:  # communicate keeps what it has sent and read across timeouts
                return self.proc.communicate(line, timeout=0.25)[1] or b""
            except subprocess.TimeoutExpired:
                line = None  # already being sent
                Gimp.progress_pulse()

    def stop(self):
        """Make sure no worker outlives the call, whatever went wrong."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def target_layer(image, drawables, config):
    """The one plain layer to colour: masks, channels and groups hold no colour pixels."""
    if len(drawables) != 1:
        raise PluginError("Select exactly one layer to colorize.")
    layer = drawables[0]
    if not isinstance(layer, Gimp.Layer) or isinstance(layer, Gimp.GroupLayer):
        raise PluginError("Auto Colorize works on a pixel layer, not a mask, channel or layer group.")
    if layer.get_lock_content() and not config.get_property("new-layer"):
        raise PluginError("The layer's pixels are locked: unlock them or put the result in a new layer.")
    return layer


def write_pixels(drawable, rgba, width, height):
    """Write through the shadow buffer so GIMP applies the selection (and its feathering)."""
    shadow = drawable.get_shadow_buffer()
    shadow.set(Gegl.Rectangle.new(0, 0, width, height), PIXEL_FORMAT, rgba)
    shadow.flush()
    drawable.merge_shadow(True)
    drawable.update(0, 0, width, height)


def new_layer_above(image, layer):
    """An empty RGBA layer with the source's size and offsets, just above it."""
    result = Gimp.Layer.new(image, f"{layer.get_name()} (colorized)", layer.get_width(),
                            layer.get_height(), Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    _, x, y = layer.get_offsets()
    result.set_offsets(x, y)
    image.insert_layer(result, layer.get_parent(), image.get_item_position(layer))
    result.fill(Gimp.FillType.TRANSPARENT)
    return result


def colorize(image, layer, config):
    """Read, colorize in the worker, then change the image in one undo step."""
    width, height = layer.get_width(), layer.get_height()
    if not layer.mask_intersect()[0]:
        raise PluginError("The selection does not touch this layer: nothing to colorize.")
    Gimp.progress_init("Auto Colorize")
    with tempfile.TemporaryDirectory(prefix="colorize-gimp-") as folder:
        worker = Worker(folder, width, height, config)
        try:
            rgba = layer.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, PIXEL_FORMAT,
                                          Gegl.AbyssPolicy.CLAMP)
            Gimp.progress_update(0.1)
            result = worker.colorize(rgba)
        finally:
            worker.stop()
    Gimp.progress_update(0.9)
    image.undo_group_start()
    try:
        if image.get_base_type() != Gimp.ImageBaseType.RGB:
            image.convert_rgb()  # gray and indexed images cannot hold colour
        target = new_layer_above(image, layer) if config.get_property("new-layer") else layer
        write_pixels(target, result, width, height)
    finally:
        image.undo_group_end()
    Gimp.progress_update(1.0)
    Gimp.displays_flush()


def run(procedure, run_mode, image, drawables, config, run_data):
    """PDB entry point: show the dialog when interactive, then colorize."""
    if run_mode == Gimp.RunMode.INTERACTIVE:
        GimpUi.init(PROC_NAME)
        dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config)
        dialog.fill(None)
        accepted = dialog.run()
        dialog.destroy()
        if not accepted:
            return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
    try:
        colorize(image, target_layer(image, drawables, config), config)
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


class ColorizeLayer(Gimp.PlugIn):
    """Registers Colors > Auto Colorize... for any image type with one layer selected."""

    def do_set_i18n(self, name):
        return False, None, None  # no translations shipped

    def do_query_procedures(self):
        return [PROC_NAME]

    def do_create_procedure(self, name):
        procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run, None)
        procedure.set_image_types("*")
        procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        procedure.set_menu_label("Auto Colori_ze…")
        procedure.add_menu_path("<Image>/Colors/")
        procedure.set_documentation(
            "Colorize a black-and-white photo automatically",
            "Predicts plausible colours for the active layer with a small neural network and keeps "
            "its lightness and alpha. Only the selection changes when there is one. Gray and indexed "
            "images are converted to RGB.",
            name,
        )
        procedure.set_attribution("colorize-model contributors", "MIT licence", "2026")
        flags = GObject.ParamFlags.READWRITE
        procedure.add_int_argument("render-size", "_Render size",
                                   "Side in pixels the network sees; 0 = the model's default. "
                                   "Larger costs time, may add detail to colours.",
                                   0, 4096, 0, flags)
        procedure.add_double_argument("saturation", "_Saturation",
                                      "Colour strength: 0 = gray, 1 = as predicted, 2 = double",
                                      0.0, 2.0, 1.0, flags)
        procedure.add_boolean_argument("new-layer", "Result in a _new layer",
                                       "Put the colours in a new layer above instead of changing this one",
                                       False, flags)
        procedure.add_string_argument("model", "_Model",
                                      "'default', a model folder, or hf://owner/name[@revision]",
                                      "default", flags)
        return procedure


Gimp.main(ColorizeLayer.__gtype__, sys.argv)
