"""Run Python batch code in a real headless GIMP 3, natively or in the provisioned trixie root.

scripts/provision-gimp.sh either installs GIMP 3 with apt (Debian 13) or builds a
trixie root in $GIMP3_ROOT (Debian 12, whose glibc is too old for GIMP 3). In the
root, GIMP runs under `chroot` inside `unshare --mount`, with the folders it
needs bind-mounted at their own paths: the caller's folders (images, profile),
/proc, /dev and the project's Python (venv, its base installation, the source tree) so the
plug-in's worker runs the project's interpreter unchanged. A run can also see a root that
differs by a few files at its top (a stand-in /.flatpak-info) and stand-in commands first on
its PATH: then GIMP runs in a private copy of the root (or of /) in the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import colorize_model

CONSOLE = "gimp-console-3.0"
CLEAN_PATH = "/usr/local/bin:/usr/bin:/bin"  # never a venv: python3 plug-ins would lose 'gi'
HANG_GUARD_S = 1200  # a hung GIMP must not hold CI: not a speed limit (the test run takes ~1 min)
# Inside `unshare --mount` (private mounts, gone when GIMP exits): mount the binds at their own
# paths in the root; with extra top-level files (e.g. a stand-in /.flatpak-info), first lay the
# root's entries on a tmpfs over its /mnt beside those files, and use that as the root. Then
# chroot. The paths come as arguments: ROOT BIND... -- [--files SOURCE TARGET... --] COMMAND...
CHROOT_SCRIPT = r"""
set -e; root=$1; shift
while [ "$1" != -- ]; do
    if [ -d "$1" ]; then mkdir -p "$root$1"; else mkdir -p "$(dirname "$root$1")"; touch "$root$1"; fi
    mount --rbind "$1" "$root$1"; shift
done; shift
if [ "$1" = --files ]; then
    shift; new="$root/mnt"; mount -t tmpfs tmpfs "$new"
    for entry in "$root"/*; do
        name="${entry##*/}"
        if [ -L "$entry" ]; then cp -P "$entry" "$new/$name"
        elif [ -d "$entry" ] && [ "$name" != mnt ]; then mkdir "$new/$name"; mount --rbind "$entry" "$new/$name"; fi
    done
    while [ "$1" != -- ]; do cp "$1" "$new$2"; shift 2; done; shift; root="$new"
fi
exec chroot "$root/" "$@"
"""


@dataclass(frozen=True)
class Gimp3:
    """A runnable GIMP 3: root is None for a native install, else the trixie root."""

    root: Path | None

    def run_batch(self, code: str, profile: Path, binds: Sequence[Path] = (),
                  root_files: Mapping[str, Path] | None = None,
                  path: Sequence[Path] = ()) -> subprocess.CompletedProcess[str]:
        """Run code with python-fu-eval in a new GIMP instance using profile; never interactive.

        binds: folders the code reads or writes, made visible inside the root.
        root_files: {"/name": file} extra files at the top of the root GIMP sees (a
        private copy of its /, natively too), for stand-ins such as /.flatpak-info.
        path: folders searched before the usual ones for commands (stand-ins too).
        """
        env = {"PATH": ":".join([*map(str, path), CLEAN_PATH]), "HOME": str(profile), "LANG": "C.UTF-8",
               "GIMP3_DIRECTORY": str(profile)}
        gimp = ["env", "-i", *(f"{k}={v}" for k, v in env.items()),
                CONSOLE, "-i", "-n", "-d", "-f", "--batch-interpreter", "python-fu-eval", "-b", "-", "--quit"]
        if self.root is not None or root_files:
            paths = sorted({*project_binds(), *binds, profile, *path}) if self.root is not None else []
            files = []
            for target, source in (root_files or {}).items():
                if Path(target).parent != Path("/"):
                    raise ValueError(f"{target}: only files at the top of the root can be added")
                files += [str(source), target]
            gimp = ["unshare", "--mount", "--", "sh", "-c", CHROOT_SCRIPT, "sh", str(self.root or ""),
                    *map(str, paths), "--", *(["--files", *files, "--"] if files else []), *gimp]
        return subprocess.run(gimp, input=code, capture_output=True, text=True, check=False, timeout=HANG_GUARD_S)


def find_gimp3() -> Gimp3 | None:
    """The GIMP 3 that scripts/provision-gimp.sh set up, or None when there is none."""
    if shutil.which(CONSOLE):
        return Gimp3(root=None)
    root = Path(os.environ.get("GIMP3_ROOT", "/opt/gimp3-root"))
    if (root / "usr/bin" / CONSOLE).exists() and shutil.which("unshare") and os.geteuid() == 0:
        return Gimp3(root=root)
    return None


def project_binds() -> list[Path]:
    """What the worker needs inside the root: the venv, the Python it is built on, the source."""
    binds = {Path("/proc"), Path("/dev"), Path(sys.prefix)}
    binds |= {Path(p).resolve().parent for p in colorize_model.__path__}
    if Path(sys.base_prefix) == Path("/usr"):  # a distribution Python: only its own files
        binds |= {Path(sys.executable).resolve(), Path(sysconfig.get_paths()["stdlib"]),
                  Path(sysconfig.get_paths()["platstdlib"])}
    else:
        binds.add(Path(sys.base_prefix))
    return list(binds)
