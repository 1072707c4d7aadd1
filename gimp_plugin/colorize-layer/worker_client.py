"""The plug-in's side of colorize_worker.py: start it in the Python where colorize-model lives,
hand it the pixels through its stdin and read the colours from its stdout.

GIMP's own Python has neither the model runtime nor the project, hence another
process, run by the Python recorded by `python -m gimp_plugin install`
(interpreter.txt beside this file). Pipes rather than files: GIMP from Flathub
runs in a sandbox whose temporary folder the worker does not see. There
(/.flatpak-info exists) the worker is started on the host with
`flatpak-spawn --host`, which the sandbox allows once GIMP may talk to
org.freedesktop.Flatpak.
"""

import json
import os
import subprocess
import threading
from pathlib import Path

from gi.repository import Gimp

from plugin_error import PluginError

HERE = Path(__file__).resolve().parent
INTERPRETER_FILE = HERE / "interpreter.txt"
WORKER = HERE / "colorize_worker.py"
STRIPPED_ENV_PREFIXES = ("PYTHON", "GI_", "GIMP")  # GIMP's settings would break the other Python
FLATPAK_INFO = "/.flatpak-info"  # present only inside a Flatpak sandbox
FLATPAK_PERMISSION = "flatpak override --user --talk-name=org.freedesktop.Flatpak org.gimp.GIMP"
PORTAL_FAILURE = "Portal call failed"  # how flatpak-spawn says the host refused or could not start the command


def in_flatpak():
    """Whether GIMP runs in a Flatpak sandbox, which cannot start the worker's Python itself."""
    return os.path.exists(FLATPAK_INFO)


def worker_python(check=True):
    """The Python where colorize-model is installed, as recorded by the installer.

    Returns its real interpreter file and the path to run it as (a venv's python,
    whose pyvenv.cfg gives it the venv's packages); a one-line record is both.
    check=False skips checking that they exist: from a sandbox the host's files
    may not be visible.
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
    for path in paths if check else ():
        if not os.path.isfile(path):
            raise PluginError(
                f"The Python recorded for Auto Colorize ({path}) no longer exists: "
                "run 'python -m gimp_plugin install' again."
            )
    return paths[0], paths[-1]


def worker_env():
    """This process's environment without the variables that belong to GIMP's Python."""
    return {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED_ENV_PREFIXES)}


def worker_command(arguments):
    """The worker's argv and the file to execute (None: argv[0] from PATH), here or on the Flatpak's host."""
    if in_flatpak():  # --watch-bus: the host process ends when flatpak-spawn does
        _, run_as = worker_python(check=False)
        return ["flatpak-spawn", "--host", "--watch-bus", f"--directory={HERE}",
                run_as, str(WORKER), *arguments], None
    interpreter, run_as = worker_python()
    return [run_as, str(WORKER), *arguments], interpreter


class Worker:
    """The model in the other Python, started first so that it loads while GIMP reads the pixels."""

    def __init__(self, width, height, config, hints, suggest_at=None):
        """hints: whether a hint image (RGBA in the layer's coordinates) follows the pixels;
        suggest_at: (x, y) in the layer to ask for colour suggestions there instead of colours."""
        model = config.get_property("model").strip() or "default"  # a cleared field: the built-in model
        arguments = ["--width", str(width), "--height", str(height), f"--model={model}",  # '=': even '-x' is a value
                     "--render-size", str(config.get_property("render-size"))]
        if suggest_at is None:
            arguments += ["--saturation", repr(config.get_property("saturation"))]
        else:
            arguments += ["--suggest", "{:g},{:g}".format(*suggest_at)]
        args, executable = worker_command(arguments + (["--hints"] if hints else []))
        self.flatpak = executable is None
        try:
            self.proc = subprocess.Popen(args, executable=executable, env=worker_env(), stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        except OSError as error:
            raise PluginError(f"Auto Colorize could not start {args[0]}: {error.strerror or error}") from None

    def colorize(self, rgba, hints=None):
        """Hand over the pixels (and hints), wait (pulsing the progress bar), return the coloured pixels."""
        result, stderr = self.exchange(rgba if hints is None else rgba + hints)
        if self.proc.returncode != 0:
            raise PluginError(self.failure(stderr))
        if len(result) != len(rgba):
            raise PluginError("Auto Colorize failed: the worker returned an image of the wrong size.")
        return result

    def suggest(self, rgba, hints=None):
        """Hand over the pixels (and hints); the suggested colours, [(r, g, b, probability)], most likely first."""
        answer, stderr = self.exchange(rgba if hints is None else rgba + hints)
        if self.proc.returncode != 0:
            raise PluginError(self.failure(stderr))
        try:
            return [tuple(entry) for entry in json.loads(answer)]
        except ValueError:
            raise PluginError("Auto Colorize failed: the worker's suggestions could not be read.") from None

    def exchange(self, payload):
        """Send payload, pulse GIMP's progress bar until the worker exits; returns its stdout and stderr.

        communicate runs in a thread of its own: called again after a timeout it
        would not send the rest of the input. Only this thread talks to GIMP.
        """
        answer = []
        thread = threading.Thread(target=lambda: answer.append(self.proc.communicate(payload)), daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(0.25)
            Gimp.progress_pulse()
        if not answer:
            raise PluginError("Auto Colorize failed: lost contact with the worker.")
        stdout, stderr = answer[0]
        return stdout or b"", stderr or b""

    def failure(self, stderr):
        """The user's message for a worker that failed: its last line, with the Flatpak advice when needed."""
        lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
        code = self.proc.returncode
        reason = lines[-1].strip() if lines else (f"the model's Python was stopped by signal {-code} (out of memory?)"
                                                  if code is not None and code < 0 else f"exit status {code}")
        if self.flatpak and reason.startswith(PORTAL_FAILURE):
            return (f"Auto Colorize could not start its Python outside the Flatpak sandbox ({reason}). "
                    f"GIMP needs permission for that once: run '{FLATPAK_PERMISSION}', then restart GIMP.")
        return f"Auto Colorize failed: {reason}"

    def stop(self):
        """Make sure no worker outlives the call, whatever went wrong (on the Flatpak's host too: --watch-bus)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
