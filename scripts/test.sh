#!/usr/bin/env bash
# Quick start, command two: install what is missing, build everything, start
# a throwaway PostgreSQL and run the whole suite with ctest (SQLite and
# PostgreSQL backends both), then every fuzz target for a short while
# (scripts/fuzz.sh), and the same tests again under ASan+UBSan
# (scripts/sanitize.sh). .ci/run calls exactly this.
#
# PROFO_SANITIZE=0 skips the sanitizer stage, PROFO_FUZZ_SECONDS=0 the fuzz
# stage (both are in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
stage() { echo "== $1: $(( $(date +%s) - $2 ))s" >&2; }

t=$(date +%s)
scripts/build.sh -DPROFO_BUILD_TESTS=ON -DPROFO_BUILD_BENCH=ON
stage build "$t"

PROFO_TEST_PG_DSN="$(scripts/pg-test-server.sh start)"
trap 'scripts/pg-test-server.sh stop >/dev/null 2>&1 || true' EXIT
export PROFO_TEST_PG_DSN PROFO_REQUIRE_PG=1

t=$(date +%s)
# Twice as many tests as cores at once: most of a test's time is spent
# waiting on the processes and sockets it drives (at one per core the suite
# keeps the cores a third busy; measured in the README).
(cd "${PROFO_BUILD_DIR:-build}" && ctest --output-on-failure --timeout 600 -j "${PROFO_TEST_JOBS:-$((2 * $(nproc)))}" "$@")
stage tests "$t"

if [ "${PROFO_SANITIZE:-1}" != 0 ]; then
  t=$(date +%s)
  scripts/sanitize.sh
  stage sanitizers "$t"
fi
if [ "${PROFO_FUZZ_SECONDS:-10}" != 0 ]; then
  t=$(date +%s)
  scripts/fuzz.sh "${PROFO_FUZZ_SECONDS:-10}"
  stage fuzz "$t"
fi
