#!/usr/bin/env bash
# Configures and builds one build directory. Usage:
#   deploy/build.sh DIR [cmake options...]
# The compiler's output goes to DIR.build.log; warnings and errors are shown.
# Uses ccache when present so rebuilds after a small change take seconds.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1; shift
jobs=$(nproc 2>/dev/null || echo 2)
# ccache matches compilations across checkouts in other folders (CI's fresh clone).
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$top}
mkdir -p "$(dirname "$dir")"
echo "building $dir (log: $dir.build.log)"
if ! cmake -S "$top" -B "$dir" "$@" > "$dir.configure.log" 2>&1; then
  cat "$dir.configure.log"
  exit 1
fi
start=$(date +%s)
if ! cmake --build "$dir" -j "$jobs" > "$dir.build.log" 2>&1; then
  grep -E -A5 "error:|Error [0-9]" "$dir.build.log" | head -n 80
  echo "build of $dir failed: see $dir.build.log" >&2
  exit 1
fi
grep -E "warning:" "$dir.build.log" | sort -u | head -n 40 || true
echo "built $dir in $(( $(date +%s) - start ))s"
