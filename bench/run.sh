#!/usr/bin/env bash
# Builds Release and runs the mapper benchmarks and the streaming-memory check,
# then the end-to-end HTTPS intake benchmark (bench/http/intake.sh).
# Figures go to stdout and to bench/results/; bench/RESULTS.md records them.
# Usage: bench/run.sh [--quick] [--only mappers|http] [--profile]
#   --quick    fewer repetitions, 3 s load runs
#   --only     run one section
#   --profile  also profile the gateway's intake under callgrind (bench/http/profile.sh)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
reps=5 quick= only= profile=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) reps=1 quick=--quick ;;
    --only) only=$2; shift ;;
    --profile) profile=yes ;;
    *) echo "usage: bench/run.sh [--quick] [--only mappers|http] [--profile]" >&2; exit 2 ;;
  esac
  shift
done

./deploy/install-deps.sh
mkdir -p build bench/results
./deploy/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DCAREBRIDGE_TESTS=OFF -DCAREBRIDGE_BENCH=ON

{
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
} | tee bench/results/machine.txt

if [ -z "$only" ] || [ "$only" = mappers ]; then
  taskset -c 0 build/release/bench/mappers_bench --benchmark_repetitions="$reps" \
    --benchmark_report_aggregates_only=true --benchmark_out=bench/results/mappers.json \
    --benchmark_out_format=json | tee bench/results/mappers.txt
  build/release/bench/carenotes_memory 10000 30000 100000 | tee bench/results/carenotes_memory.md
fi

# End-to-end: wrk POSTs the golden FHIR referral over HTTPS to `carebridge serve`
# with the durable store on (bench/results/http_intake.md).
if [ -z "$only" ] || [ "$only" = http ]; then
  bench/http/intake.sh $quick --bin build/release/gateway/carebridge
  [ -z "$profile" ] || bench/http/profile.sh --bin build/release/gateway/carebridge
fi
