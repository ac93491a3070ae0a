#!/usr/bin/env bash
# Configures and builds into ${PROFO_BUILD_DIR:-build}: bin/profo and every
# plugin module in plugins/, where config/profo.yaml finds them.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PROFO_BUILD_DIR:-build}"
# Paths relative to the checkout in ccache's keys, so a second clone (CI's)
# reuses what the first compiled.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
jobs="${PROFO_JOBS:-$(nproc)}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build_dir" -j "$jobs"
