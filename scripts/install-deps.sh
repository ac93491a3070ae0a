#!/usr/bin/env bash
# Installs the Debian packages the build (and, with --tests, the test suite)
# needs. Idempotent and quick when everything is present: apt runs only for
# what is missing.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libsoci-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev
  libssl-dev libsqlite3-dev libpq-dev libqrencode-dev
)
if [[ "${1:-}" == "--tests" ]]; then
  # clang-14 and its runtime build the fuzz targets (scripts/fuzz.sh).
  # chromium and its driver run the panel's browser tests (tests/browser).
  packages+=(libgtest-dev libgmock-dev postgresql clang-14 libclang-rt-14-dev chromium chromium-driver)
  # kubectl renders deploy/k8s for its test (tests/deploy); any kubectl will do.
  if ! command -v kubectl >/dev/null 2>&1; then packages+=(kubernetes-client); fi
fi

missing=()
for p in "${packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
sudo_cmd=()
if [[ $EUID -ne 0 ]]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
