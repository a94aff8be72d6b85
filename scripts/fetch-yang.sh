#!/bin/sh
# Fetch Cisco's IOS-XR link-OAM YANG closure from the PyPI sdist into the cache (sha256-checked).
# Usage: scripts/fetch-yang.sh [CACHE_DIR]   (default ~/.cache/oamkit/yang/cisco-xr)
set -eu
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then exec python3 -m oamkit.lab.yang_fetch --cache "$1"; fi
exec python3 -m oamkit.lab.yang_fetch
