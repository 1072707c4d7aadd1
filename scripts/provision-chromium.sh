#!/usr/bin/env bash
# Make Debian's Chromium available to the web demo's browser tests
# (tests/test_space_browser.py) and benchmark (benchmarks/bench_space.py).
#
# Playwright's own browser download cannot work on machines that only reach
# the package registries, so the tests drive /usr/bin/chromium from apt through
# the Python `playwright` package (installed by pip with the `space` extra).
#
# Usage: scripts/provision-chromium.sh   (needs root; idempotent; prints what it uses)
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -qq
    # Fonts are only recommended by the package; without them the page's text
    # renders as empty boxes in screenshots.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium fonts-dejavu-core fonts-liberation >/dev/null
fi
echo "Chromium: $(command -v chromium) ($(chromium --version 2>/dev/null | head -n 1))"
