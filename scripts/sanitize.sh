#!/usr/bin/env bash
# The unit and end-to-end tests under AddressSanitizer and UndefinedBehavior-
# Sanitizer (gcc), in ${PROFO_ASAN_BUILD_DIR:-build-asan}. The product's code
# (host, plugins) is instrumented at -Og with line tables (less than half the
# compile time of -O1 -g, and the suite still runs well within its timeouts);
# the test code and the tools (emulator, fake LLM) are compiled exactly as in
# the release tree, so after scripts/build.sh ccache has them already
# (CMakeLists.txt, profo_set_code_roles, says what that gives up). The
# benchmarks are left out.
# PostgreSQL tests run only when PROFO_TEST_PG_DSN names a server (the main
# suite always runs them). Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PROFO_ASAN_BUILD_DIR:-build-asan}"
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
jobs="${PROFO_JOBS:-$(nproc)}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROFO_SANITIZERS=address,undefined \
  -DPROFO_BUILD_TESTS=ON -DPROFO_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j "$jobs"

# Plugins are unloaded at exit: keep their code mapped so leak reports can be symbolised.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
unset PROFO_REQUIRE_PG
cd "$build_dir"
# Two tests check the release artifacts rather than the code, and the main
# suite runs them: the installed SDK used by an uninstrumented outside build
# (which cannot link instrumented objects), and the container image's
# libraries (an instrumented binary also links libasan and libubsan).
ctest --output-on-failure --timeout 900 -j "${PROFO_TEST_JOBS:-$((2 * $(nproc)))}" -E '^(sdk_outside_build|ContainerImage\..*)$' "$@"
