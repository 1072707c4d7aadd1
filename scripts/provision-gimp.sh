#!/usr/bin/env bash
# Make a headless GIMP 3 available to the plug-in tests (tests/test_gimp_plugin.py).
#
# Debian 13 (or any system whose apt offers gimp 3.x): apt-get install gimp (its
# Python plug-in support comes with it; the plug-in needs no numpy in GIMP).
# Debian 12 only has GIMP 2.10, and trixie's GIMP 3 needs a newer glibc, so
# build a small trixie root with mmdebstrap in $GIMP3_ROOT (default
# /opt/gimp3-root, outside the clone so later runs reuse it); the tests run
# GIMP there with chroot inside `unshare --mount`.
#
# Usage: scripts/provision-gimp.sh   (needs root; idempotent; prints what it uses)
set -euo pipefail

root="${GIMP3_ROOT:-/opt/gimp3-root}"

if command -v gimp-console-3.0 >/dev/null 2>&1; then
    echo "GIMP 3: $(command -v gimp-console-3.0)"
    exit 0
fi
if [ -x "$root/usr/bin/gimp-console-3.0" ]; then
    echo "GIMP 3: $root (chroot)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "Provisioning GIMP 3 needs root (apt-get, mmdebstrap): run this as root, e.g. with sudo." >&2
    exit 1
fi
apt-get update -qq
candidate="$(apt-cache policy gimp | awk '/Candidate:/ {print $2}')"
case "$candidate" in
    3.*)
        "$(dirname "$0")/apt-install.sh" gimp
        echo "GIMP 3: $(command -v gimp-console-3.0)"
        exit 0
        ;;
esac

echo "apt offers gimp '${candidate:-none}', not 3.x: building a trixie root in $root (a few minutes)"
"$(dirname "$0")/apt-install.sh" mmdebstrap
tmp="$root.partial"
rm -rf --one-file-system "$tmp"  # never into a mount a killed build left behind
mmdebstrap --variant=apt --quiet \
    --include=gimp \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/gimp/3.0/help/*' \
    trixie "$tmp"
mv "$tmp" "$root"
echo "GIMP 3: $root (chroot)"
