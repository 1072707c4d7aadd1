#!/usr/bin/env bash
# Set up everything the tests need, from nothing, then run the whole suite:
# the Python environment (.venv), Debian's Chromium for the browser tests, and
# a headless GIMP 3 for the plug-in tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
scripts/provision-chromium.sh
scripts/provision-gimp.sh
exec .venv/bin/python -m pytest "$@"
