#!/usr/bin/env bash
# `cmake --install` of the runtime component into a temporary prefix, then
# `profo course validate` and `profo plugins` run by a course author from a
# folder of their own: the installed binary finds its config and every plugin
# module without --config or PROFO_CONFIG. Then a binary with no config
# anywhere near it must name every place it looked in.
# Usage: install_test.sh BUILD_DIR
set -euo pipefail
build_dir="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

cmake --install "$build_dir" --prefix "$work/prefix" --component runtime >"$work/install.log"
profo="$work/prefix/bin/profo"
[[ -x "$profo" ]] || fail "no $profo after cmake --install"
[[ -f "$work/prefix/etc/profo/profo.yaml" ]] || fail "no etc/profo/profo.yaml after cmake --install"
ls "$work/prefix/lib/profo/plugins"/profo_element_message.so >/dev/null || fail "element modules not installed"
ls "$work/prefix/lib/profo/plugins"/profo_storage_sqlite.so >/dev/null || fail "storage modules not installed"

mkdir -p "$work/author"
cat >"$work/author/my.yml" <<'YAML'
Hello:
  type: message
  text: Hi!
  button: Next
Quiz_1:
  type: quiz
  text: 2 + 2?
  answers:
    - {text: "4", correct: yes}
    - {text: "5"}
Bye:
  type: end
  text: Bye
YAML
(
    cd "$work/author"
    unset PROFO_CONFIG
    env -u PROFO_CONFIG "$profo" course validate my.yml >"$work/out" 2>"$work/err" ||
        fail "course validate from an author's folder failed: $(cat "$work/out" "$work/err")"
    grep -q "my.yml: ok, 3 elements" "$work/err" || fail "unexpected validate output: $(cat "$work/err")"
    env -u PROFO_CONFIG "$profo" plugins >"$work/out" 2>"$work/err" ||
        fail "profo plugins failed: $(cat "$work/out" "$work/err")"
    grep -Eq "^element +quiz +[^ ]+ +enabled +$work/prefix/lib/profo/plugins/profo_element_quiz.so" "$work/out" ||
        fail "the installed quiz module is not listed as enabled: $(cat "$work/out")"
)

# The same binary with no config beside it, run where there is none either.
mkdir -p "$work/bare/bin" "$work/empty"
cp "$profo" "$work/bare/bin/profo"
(
    cd "$work/empty"
    status=0
    env -u PROFO_CONFIG "$work/bare/bin/profo" course validate "$work/author/my.yml" >"$work/out" 2>"$work/err" ||
        status=$?
    [[ $status -eq 2 ]] || fail "expected exit status 2 without a config, got $status: $(cat "$work/err")"
    for place in "$work/empty/config/profo.yaml" "$work/bare/etc/profo/profo.yaml" "$work/bare/config/profo.yaml"; do
        grep -qF "  $place" "$work/err" || fail "the error does not name $place: $(cat "$work/err")"
    done
    grep -q "neither --config FILE nor PROFO_CONFIG" "$work/err" || fail "the error does not say how to name a config"
)
echo "install test passed"
