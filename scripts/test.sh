#!/usr/bin/env bash
# Quick start, command two: install what is missing, build everything, start
# a throwaway PostgreSQL and run the whole suite with ctest (SQLite and
# PostgreSQL backends both). .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
scripts/build.sh -DPROFO_BUILD_TESTS=ON -DPROFO_BUILD_BENCH=ON

PROFO_TEST_PG_DSN="$(scripts/pg-test-server.sh start)"
trap 'scripts/pg-test-server.sh stop >/dev/null 2>&1 || true' EXIT
export PROFO_TEST_PG_DSN PROFO_REQUIRE_PG=1

cd "${PROFO_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 600 -j "${PROFO_JOBS:-$(nproc)}" "$@"
