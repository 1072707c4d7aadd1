#!/usr/bin/env bash
# Create .venv (once) and install the project into it with what the tests need.
# Usage: scripts/setup.sh [EXTRAS]   (default extras: dev)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-dev}"
if [ ! -x .venv/bin/python ]; then
    # Debian's python3 ships the venv module (with pip) separately.
    python3 -m venv .venv >/dev/null 2>&1 || {
        scripts/apt-install.sh python3-venv
        python3 -m venv --clear .venv
    }
fi
.venv/bin/pip install -q --upgrade pip >/dev/null
# Editable: the venv uses this clone's code. setuptools says of every editable
# install that a folder named like the package in the working directory takes
# precedence on imports: here that folder is the package itself.
PYTHONWARNINGS="ignore:Editable installation." .venv/bin/pip install -q -e ".[${extras}]"
