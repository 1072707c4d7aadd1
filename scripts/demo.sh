#!/usr/bin/env bash
# Set up (once) and start the web demo on http://127.0.0.1:7860 with the
# built-in model. Needs no TensorFlow: inference runs on LiteRT.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh space
echo "Starting the demo on http://127.0.0.1:7860 (Ctrl-C to stop)"
exec .venv/bin/python space/app.py "$@"
