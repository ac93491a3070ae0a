#!/usr/bin/env bash
# A team outside the repository: install the SDK, build the example element
# as a project of its own against it, run its unit tests, check it with
# `profo conformance`, and play a course with it through the real `profo`.
# Usage: outside_build_test.sh BUILD_DIR SOURCE_DIR PROFO_BINARY
set -euo pipefail
build="$1" source="$2" profo="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --component sdk --prefix "$work/sdk" >/dev/null
test -f "$work/sdk/lib/cmake/ProfoSDK/ProfoSDKConfig.cmake" || test -n "$(find "$work/sdk" -name ProfoSDKConfig.cmake)"

# Nothing of the product's tree but the example's own folder and the installed SDK.
cp -r "$source/sdk/examples/reflection" "$work/reflection"
cmake -S "$work/reflection" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$work/sdk" >"$work/configure.log" || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" >"$work/build.log" || { cat "$work/build.log"; exit 1; }
(cd "$work/build" && ctest --output-on-failure >"$work/ctest.log") || { cat "$work/ctest.log"; exit 1; }
grep -q "100% tests passed" "$work/ctest.log"

module="$work/build/plugins/profo_element_reflection.so"
"$profo" conformance "$module" | tee "$work/conformance.txt"
grep -q ": ok (element/reflection 1.0.0)" "$work/conformance.txt"

cat >"$work/profo.yaml" <<YAML
http: {listen: "127.0.0.1:0", threads: 2}
log: {level: warn, format: text}
storage: {plugin: sqlite, dsn: "$work/profo.db"}
secrets: {key_file: "$work/secret.key"}
plugins:
  search_paths: ["$work/build/plugins", "$build/plugins"]
  storage:
    sqlite: {}
  element:
    reflection: {}
    end: {}
YAML
"$profo" --config "$work/profo.yaml" plugins | grep -q "element.*reflection.*enabled"
printf 'Crete\nBecause my family is from Crete\n' |
  "$profo" --config "$work/profo.yaml" course play --db "$work/play.db" "$work/reflection/why.yaml" >"$work/out.txt"
expected='Why do you want to learn Greek?
Please write a little more (at least 10 characters).
Great reason: Because my family is from Crete
See you!
run completed: score 0 of 0'
if [[ "$(cat "$work/out.txt")" != "$expected" ]]; then
  echo "the course did not play as expected:" >&2
  cat "$work/out.txt" >&2
  exit 1
fi
echo "outside build: installed SDK, unit tests, conformance and play all passed"
