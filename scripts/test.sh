#!/usr/bin/env bash
# Set up everything the tests need, from nothing, then run the whole suite:
# the Python environment (.venv), Debian's Chromium for the browser tests, and
# a headless GIMP 3 for the plug-in tests. Needs root: it installs Debian
# packages and runs GIMP 3 in a chroot. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test.sh needs root: it installs Debian packages (Chromium, mmdebstrap) and runs GIMP 3 in a chroot; run it as root, e.g. sudo scripts/test.sh" >&2
    exit 1
fi

# Run a set-up step and say how long it took (the first run downloads everything).
step() {
    local name="$1" start="$SECONDS"
    shift
    "$@"
    echo "$name: ready in $((SECONDS - start)) s"
}
step "Python environment (.venv)" scripts/setup.sh dev
step "Chromium" scripts/provision-chromium.sh
step "GIMP 3" scripts/provision-gimp.sh
exec .venv/bin/python -m pytest "$@"
