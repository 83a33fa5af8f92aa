#!/usr/bin/env bash
# scripts/build.sh [DIR] [CMAKE OPTIONS...]: configure and build firedrill into DIR
# (default build/), quietly unless something fails.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j"$(nproc)" >"$dir.build.log" 2>&1 || { cat "$dir.build.log"; exit 1; }
rm -f "$dir.configure.log" "$dir.build.log"
