#!/usr/bin/env bash
# Configures and builds one build directory. Usage:
#   deploy/build.sh DIR [cmake options...]
# Uses ccache when present so rebuilds after a small change take seconds.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1; shift
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$top" -B "$dir" "$@" > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j "$jobs"
