#!/usr/bin/env bash
# Install the Debian packages that are missing, quietly: apt's output is shown
# only when it fails. Nothing happens (and root is not needed) when all are there.
#
# Usage: scripts/apt-install.sh PACKAGE...
set -euo pipefail

missing=()
for package in "$@"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)"
    [ "$status" = installed ] || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "Installing ${missing[*]} needs root (apt-get): run this as root, e.g. with sudo." >&2
    exit 1
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "apt-get could not install ${missing[*]} (its output is above)." >&2
    exit 1
fi
