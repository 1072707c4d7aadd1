"""python -m gimp_plugin install|uninstall [--dir DIR]: set up Colors > Auto Colorize... in GIMP 3."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gimp_plugin.installer import InstallError, default_plugins_dir, install, uninstall, worker_interpreter


def main(argv: list[str] | None = None) -> int:
    """Install or uninstall; errors are one line on stderr and exit status 1."""
    parser = argparse.ArgumentParser(prog="python -m gimp_plugin", description=__doc__)
    parser.add_argument("action", choices=["install", "uninstall"])
    parser.add_argument("--dir", type=Path, default=None,
                        help=f"GIMP 3 plug-ins folder (default: {default_plugins_dir()})")
    args = parser.parse_args(argv)
    plugins_dir = args.dir or default_plugins_dir()
    try:
        if args.action == "install":
            target = install(plugins_dir)
            interpreter, run_as = worker_interpreter()
            print(f"Installed {target} (the model runs in {run_as}, that is {interpreter}); "
                  "restart GIMP, then use Colors > Auto Colorize...")
        elif uninstall(plugins_dir):
            print(f"Removed the plug-in from {plugins_dir}")
        else:
            print(f"The plug-in was not installed in {plugins_dir}")
    except (InstallError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
