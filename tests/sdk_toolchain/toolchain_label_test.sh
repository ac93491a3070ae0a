#!/usr/bin/env bash
# Builds a program that prints PROFO_SDK_TOOLCHAIN with COMPILER and checks the
# fingerprint names that compiler and its major.minor version: a clang build
# must not pass for gcc 4.2 (the __GNUC__ clang pretends to be).
# Usage: toolchain_label_test.sh COMPILER gcc|clang SDK_INCLUDE_DIR
set -euo pipefail
compiler="$1" label="$2" include="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/main.cpp" <<'CPP'
#include <profo/sdk/abi.hpp>
#include <cstdio>
int main() { std::puts(PROFO_SDK_TOOLCHAIN); }
CPP
"$compiler" -std=c++20 -I "$include" "$work/main.cpp" -o "$work/toolchain"
version="$("$compiler" -dumpfullversion -dumpversion 2>/dev/null | head -n1)"
expected="$label-$(echo "$version" | cut -d. -f1).$(echo "$version" | cut -d. -f2);"
actual="$("$work/toolchain")"
if [[ "$actual" != "$expected"* ]]; then
    echo "PROFO_SDK_TOOLCHAIN built by $compiler ($version) is '$actual'; expected it to start with '$expected'" >&2
    exit 1
fi
echo "$compiler: $actual"
