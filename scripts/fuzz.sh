#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang-14 (ASan + UBSan) into
# ${PROFO_FUZZ_BUILD_DIR:-build-fuzz} and runs each for SECONDS (default 10)
# over a copy of its seed corpus in fuzz/corpus/<target>/. Fails on the first
# crash, leak, timeout or sanitizer report; the input that did it is left in
# the build dir as crash-*/leak-*/timeout-*.
#
# The seed is fixed (PROFO_FUZZ_SEED, default 1) so that a short CI run goes
# the same way every time and a red run can be replayed; long exploring runs
# take PROFO_FUZZ_SEED=0, a new random seed per run.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
shift $(( $# > 0 ? 1 : 0 ))
build_dir="${PROFO_FUZZ_BUILD_DIR:-build-fuzz}"
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
jobs="${PROFO_JOBS:-$(nproc)}"

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DPROFO_FUZZ=ON -DPROFO_BUILD_TESTS=OFF -DPROFO_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j "$jobs" --target profo_fuzz

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
root="$PWD"
# One target per core at once: each runs for SECONDS on a core of its own.
fuzz_one() {
  local target="$1" log started runs
  # New inputs go to a scratch folder (listed first); the committed corpus
  # stays the curated seeds.
  mkdir -p "$build_dir/fuzz/corpus-$target"
  log="$build_dir/fuzz/fuzz_$target.log"
  started=$(date +%s)
  if ! (cd "$build_dir/fuzz" && "./fuzz_$target" -max_total_time="$seconds" -seed="${PROFO_FUZZ_SEED:-1}" -timeout=10 -rss_limit_mb=2048 \
          -max_len=65536 -print_final_stats=1 "corpus-$target" "$root/fuzz/corpus/$target") >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz_$target FAILED: full log $log; the input is the crash-*/leak-*/timeout-* file in $build_dir/fuzz/" >&2
    return 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz_$target: ${runs:-?} runs in $(( $(date +%s) - started ))s, no crash"
}
failed=0
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  fuzz_one "$target" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
