"""The GIMP 3 plug-in "Colors > Auto Colorize..." and its installer.

The plug-in itself lives in the colorize-layer/ folder and runs inside GIMP's own
Python; this package only copies it into GIMP's plug-ins folder
(`python -m gimp_plugin install`). colorize_model never imports it.
"""

from pathlib import Path

PLUGIN_NAME = "colorize-layer"
PLUGIN_SOURCE = Path(__file__).resolve().parent / PLUGIN_NAME
INTERPRETER_FILE = "interpreter.txt"  # beside the installed plug-in: the Python that runs the worker
