#!/usr/bin/python3
"""A stand-in for flatpak-spawn, for the tests only (installed as `flatpak-spawn` on GIMP's PATH).

The tests' GIMP runs in no Flatpak sandbox, so no portal can start anything on a
host: this script takes flatpak-spawn's place and does what the plug-in relies on.
It appends its arguments to calls.jsonl beside itself, then follows standin.json
(also beside itself):
- {"mode": "denied"}: fail as the real flatpak-spawn does when GIMP may not talk
  to org.freedesktop.Flatpak ("Portal call failed: ..." on stderr, exit status 1);
- {"mode": "host", "interpreter": FILE}: run the command as the host would, in
  --directory, with the same stdin, stdout and stderr. Its first word is the venv's
  python, which on the host is the interpreter it was installed with; in the test
  root that name leads to another Python, so FILE (the real interpreter) is
  executed under it.
"""

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    args = sys.argv[1:]
    count = next((i for i, arg in enumerate(args) if not arg.startswith("-")), len(args))
    options, command = args[:count], args[count:]
    with open(HERE / "calls.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps({"options": options, "command": command}) + "\n")
    setting = json.loads((HERE / "standin.json").read_text(encoding="utf-8"))
    if setting["mode"] == "denied":
        sys.exit("Portal call failed: The name org.freedesktop.Flatpak was not provided by any .service files")
    if "--host" not in options or not command:
        sys.exit("flatpak-spawn stand-in: expected --host and a command")
    for option in options:
        if option.startswith("--directory="):
            os.chdir(option.split("=", 1)[1])
    os.execv(setting["interpreter"], command)


main()
