#!/usr/bin/env bash
# Quick start, command one: install what is missing, build, and serve on the
# embedded default (SQLite under data/, panel and API on 127.0.0.1:8080).
# Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DPROFO_BUILD_TESTS=OFF -DPROFO_BUILD_BENCH=OFF
exec "${PROFO_BUILD_DIR:-build}/bin/profo" serve --config config/profo.yaml "$@"
