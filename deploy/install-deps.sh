#!/usr/bin/env bash
# Installs the Debian packages carebridge needs to build, test and benchmark,
# and only those that are missing. Safe to run again: it does nothing when all
# are present.
set -euo pipefail

packages=(
  g++ make cmake ccache pkg-config
  clang libclang-rt-14-dev            # libFuzzer and the sanitizer runtimes for clang
  libboost-dev libboost-system-dev    # Beast and Asio (the server)
  rapidjson-dev libxml2-dev libssl-dev libsqlite3-dev
  libpq-dev postgresql                # the shared store's client library; the server for its tests
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  curl openssl sqlite3                # the demo's requests, test certificates, looking into the store
  python3 python3-yaml                # tests/deploy/manifests_test.py reads deploy/'s YAML
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
