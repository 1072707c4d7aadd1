"""The one exception of the GIMP plug-in: a failure shown to the user as one readable message.

A module of its own because the plug-in's parts (the dialog and image changes in
colorize-layer.py, the hint layer, the worker) all raise it.
"""


class PluginError(Exception):
    """A failure to show the user as one readable message."""
