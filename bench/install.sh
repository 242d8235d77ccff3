#!/usr/bin/env bash
# Installs what the benchmarks need beyond the build (deploy/install-deps.sh):
# the Debian packages for the load generator, the peers and the plots, and the
# npm peers pinned in bench/peers/package-lock.json into bench/peers/node_modules.
# Only what is missing is installed; run again, it does nothing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  wrk                        # the load generator for every HTTP figure
  nginx                      # the HTTP ceiling: a fixed 201 over the same TLS
  gnuplot-nox                # the PNG curves in bench/results/
  valgrind strace            # bench/http/profile.sh: instruction counts, system calls
  python3 util-linux         # the tables; taskset pins the servers and wrk to a core each
  openssl curl               # throw-away certificates; the gateway's /metrics
)
# Node.js runs the npm peers; any node >= 18 with npm will do (Debian's, or one
# already installed from elsewhere, which Debian's npm package would conflict with).
command -v node > /dev/null && command -v npm > /dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench/install.sh: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  # policy-rc.d on a container keeps nginx's own service from starting; where it
  # does start, it listens on port 80 and the benchmark never talks to it.
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

# The npm peers at the versions in the lock file. Install scripts are skipped:
# node-fhir-server-core depends on snyk, whose install script downloads a binary;
# nothing the benchmark runs needs one.
peers=$top/bench/peers
if [ ! -f "$peers/node_modules/.package-lock.json" ] || ! cmp -s "$peers/package-lock.json" "$peers/.installed-lock.json"; then
  echo "bench/install.sh: installing the npm peers (bench/peers/package-lock.json)"
  (cd "$peers" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error > /dev/null)
  cp "$peers/package-lock.json" "$peers/.installed-lock.json"
fi
