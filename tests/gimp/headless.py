"""Run Python batch code in a real headless GIMP 3, natively or in the provisioned trixie root.

scripts/provision-gimp.sh either installs GIMP 3 with apt (Debian 13) or builds a
trixie root in $GIMP3_ROOT (Debian 12, whose glibc is too old for GIMP 3). In the
root, GIMP runs under `chroot` inside `unshare --mount`, with the folders it
needs bind-mounted at their own paths: the caller's folders (images, profile),
/proc, /dev and the project's Python (venv, its base installation, the source tree) so the
plug-in's worker runs the project's interpreter unchanged.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import colorize_model

CONSOLE = "gimp-console-3.0"
CLEAN_PATH = "/usr/local/bin:/usr/bin:/bin"  # never a venv: python3 plug-ins would lose 'gi'
HANG_GUARD_S = 1200  # a hung GIMP must not hold CI: not a speed limit (the test run takes ~1 min)
# Mount the binds at their own paths inside the root, then chroot; the paths come as arguments.
CHROOT_SCRIPT = (
    'set -e; root=$1; shift; while [ "$1" != -- ]; do '
    'if [ -d "$1" ]; then mkdir -p "$root$1"; else mkdir -p "$(dirname "$root$1")"; touch "$root$1"; fi; '
    'mount --rbind "$1" "$root$1"; shift; done; shift; exec chroot "$root" "$@"'
)


@dataclass(frozen=True)
class Gimp3:
    """A runnable GIMP 3: root is None for a native install, else the trixie root."""

    root: Path | None

    def run_batch(self, code: str, profile: Path, binds: Sequence[Path] = ()) -> subprocess.CompletedProcess[str]:
        """Run code with python-fu-eval in a new GIMP instance using profile; never interactive.

        binds: folders the code reads or writes, made visible inside the root.
        """
        env = {"PATH": CLEAN_PATH, "HOME": str(profile), "LANG": "C.UTF-8", "GIMP3_DIRECTORY": str(profile)}
        gimp = ["env", "-i", *(f"{k}={v}" for k, v in env.items()),
                CONSOLE, "-i", "-n", "-d", "-f", "--batch-interpreter", "python-fu-eval", "-b", "-", "--quit"]
        if self.root is not None:
            paths = sorted({*project_binds(), *binds, profile})
            gimp = ["unshare", "--mount", "--", "sh", "-c", CHROOT_SCRIPT, "sh", str(self.root),
                    *map(str, paths), "--", *gimp]
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
