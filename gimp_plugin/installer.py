"""Copy the plug-in into GIMP 3's plug-ins folder and record which Python runs the model."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

from gimp_plugin import INTERPRETER_FILE, PLUGIN_NAME, PLUGIN_SOURCE


class InstallError(Exception):
    """A reason the plug-in cannot be installed, fit for one line."""


def default_plugins_dir() -> Path:
    """GIMP 3's per-user plug-ins folder; GIMP3_DIRECTORY overrides it as it does for GIMP."""
    if os.environ.get("GIMP3_DIRECTORY"):
        return Path(os.environ["GIMP3_DIRECTORY"]) / "plug-ins"
    if sys.platform == "win32":
        return Path(os.environ["APPDATA"]) / "GIMP" / "3.0" / "plug-ins"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "GIMP" / "3.0" / "plug-ins"
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "GIMP" / "3.0" / "plug-ins"


def worker_interpreter() -> tuple[str, str]:
    """The Python that runs the plug-in's worker: this interpreter's real file, and the path to run it as.

    A venv's python is a chain of symlinks ending at an unversioned name
    (.venv/bin/python3 -> /usr/bin/python3), which can point at another Python
    where GIMP runs (another system's python3, or a newer one after an upgrade).
    So the file is resolved now, and the plug-in runs it under this path as
    argv[0], from which Python finds the venv's pyvenv.cfg and site-packages,
    as it does through the symlink.
    """
    return os.path.realpath(sys.executable), sys.executable


def install(plugins_dir: Path) -> Path:
    """Copy the plug-in into plugins_dir (replacing an older copy whole) for this Python; returns it."""
    if importlib.util.find_spec("colorize_model") is None:
        raise InstallError(f"colorize-model is not installed in {sys.executable}: install it there first")
    plugins_dir.mkdir(parents=True, exist_ok=True)
    target = plugins_dir / PLUGIN_NAME
    staging = Path(tempfile.mkdtemp(prefix=f".{PLUGIN_NAME}-", dir=plugins_dir))
    try:
        shutil.copytree(PLUGIN_SOURCE, staging, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", INTERPRETER_FILE))
        (staging / INTERPRETER_FILE).write_text("".join(f"{path}\n" for path in worker_interpreter()),
                                                encoding="utf-8")
        staging.chmod(0o755)
        (staging / f"{PLUGIN_NAME}.py").chmod(0o755)  # GIMP runs only executable plug-ins
        remove(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def remove(target: Path) -> bool:
    """Delete an installed plug-in folder; False when there was none."""
    if not target.exists():
        return False
    shutil.rmtree(target)
    return True


def uninstall(plugins_dir: Path) -> bool:
    """Remove the plug-in from plugins_dir; False when it was not installed there."""
    return remove(plugins_dir / PLUGIN_NAME)
