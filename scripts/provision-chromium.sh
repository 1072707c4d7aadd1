#!/usr/bin/env bash
# Make Debian's Chromium available to the web demo's browser tests
# (tests/test_space.py) and benchmark (benchmarks/bench_space.py).
#
# Playwright's own browser download cannot work on machines that only reach
# the package registries, so the tests drive /usr/bin/chromium from apt through
# the Python `playwright` package (installed by pip with the `dev` extra).
#
# Usage: scripts/provision-chromium.sh   (needs root when something is missing; prints what it uses)
set -euo pipefail

# Fonts are only recommended by the chromium package: without them the page's
# text renders as empty boxes in screenshots. libatomic1: the node binary inside
# pip's playwright needs libatomic.so.1, which nothing else here pulls in.
"$(dirname "$0")/apt-install.sh" chromium fonts-dejavu-core fonts-liberation libatomic1
echo "Chromium: $(command -v chromium) ($(chromium --version 2>/dev/null | head -n 1))"
