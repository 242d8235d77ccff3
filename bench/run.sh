#!/usr/bin/env bash
# Builds Release and runs the mapper benchmarks and the streaming-memory check.
# Figures go to stdout and to bench/results/; bench/RESULTS.md records them.
# Usage: bench/run.sh [--quick]   (--quick: fewer repetitions)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
reps=5
[ "${1:-}" = "--quick" ] && reps=1

./deploy/install-deps.sh
mkdir -p build bench/results
./deploy/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DCAREBRIDGE_TESTS=OFF -DCAREBRIDGE_BENCH=ON

{
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
} | tee bench/results/machine.txt

taskset -c 0 build/release/bench/mappers_bench --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true --benchmark_out=bench/results/mappers.json \
  --benchmark_out_format=json | tee bench/results/mappers.txt
build/release/bench/carenotes_memory 10000 30000 100000 | tee bench/results/carenotes_memory.md
