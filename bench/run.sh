#!/usr/bin/env bash
# The benchmark suite, one command: installs what it needs (deploy/install-deps.sh
# for the build, bench/install.sh for wrk, nginx, gnuplot, Node and the npm
# peers), builds Release, and measures carebridge beside its peers in the same
# run on the same inputs:
#   1. mappers (Google Benchmark) beside the bare RapidJSON / libxml2 cost
#   2. the peer translator: FHIR.js JSON→XML against carebridge FHIR→care-notes (bench/peers/translate.sh)
#   3. HTTPS intake against nginx's fixed 201 (the ceiling) and a Node FHIR server
#      (node-fhir-server-core), 1–256 connections (bench/http/intake.sh)
#   4. the body-size curve, 1 KB – 1 MB, against nginx
#   5. scale-out: 1, 2 and 3 gateway instances on one PostgreSQL database beside one on
#      SQLite, each store's audit log verified afterwards (bench/http/postgresql.sh)
#   6. care-notes export size against time and peak RSS (bench/carenotes_memory)
#   7. audit append rate and `audit verify` time against log size (bench/audit_verify)
# then draws the curves (bench/plot.sh, PNG in bench/results/) and writes the
# summary into bench/RESULTS.md between its generated-section markers.
# Every load goes to 127.0.0.1 only, is bounded in requests and time, and stops by itself.
#
# Usage: bench/run.sh [--quick | --smoke] [--only SECTION] [--profile]
#   (default)  the full run: 5 runs of everything, median and range; 10 MB → 1 GB exports,
#              audit logs to 1 000 000 entries (about 55 minutes on 2 cores)
#   --quick    the same sections, smaller and fewer runs (under 3 minutes once built)
#   --smoke    every section with a tiny bounded load, only to prove it works (seconds once
#              built); figures go to a temporary directory, bench/RESULTS.md is untouched
#   --only     run one section: mappers, translate, http, body, postgresql, carenotes, audit
#              (--only postgresql in a full or quick run also puts its table into bench/RESULTS.md,
#              leaving the other sections' figures as they are)
#   --profile  also profile the gateway's intake under callgrind (bench/http/profile.sh)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mode=full only= profile=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) mode=quick ;;
    --smoke) mode=smoke ;;
    --only) only=$2; shift ;;
    --profile) profile=yes ;;
    *) echo "usage: bench/run.sh [--quick | --smoke] [--only mappers|translate|http|body|postgresql|carenotes|audit] [--profile]" >&2; exit 2 ;;
  esac
  shift
done
# section NAME: whether to run it; says how long the previous one took.
section_started=
section() {
  [ -z "$section_started" ] || echo "   ($(( $(date +%s) - section_started )) s)"
  section_started=
  [ -z "$only" ] || [ "$only" = "$1" ] || return 1
  section_started=$(date +%s)
}
started=$(date +%s)

./deploy/install-deps.sh
bench/install.sh
mkdir -p build
./deploy/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DCAREBRIDGE_TESTS=OFF -DCAREBRIDGE_BENCH=ON
release=$top/build/release
built=$(date +%s)

# What each mode runs. Sizes: the care-notes export grows by clients of ~5.8 KB
# (1 720 clients ≈ 10 MB); the audit log by entries.
case $mode in
  full)
    results=bench/results mapper_args=(--benchmark_repetitions=5)
    translate_args=(--runs 5 --seconds 2)
    intake_args=() body_args=(--runs 5 --connections 16) postgresql_args=()
    carenotes_args=(--runs 5 1720 17200 172000) audit_args=(--runs 5 --sizes 10000,100000,1000000) ;;
  quick)
    results=bench/results mapper_args=(--benchmark_repetitions=3 --benchmark_min_time=0.02)
    mapper_args+=('--benchmark_filter=-(BM_CarenotesStream|BM_Libxml2ReaderPassExport)')
    translate_args=(--runs 3 --seconds 0.5)
    intake_args=(--quick --idle 100) body_args=(--quick --runs 1 --connections 16) postgresql_args=(--quick)
    carenotes_args=(--runs 3 1720 5160 17200) audit_args=(--runs 3 --sizes 10000,50000) ;;
  smoke)
    results=$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench-smoke.XXXXXX")
    trap 'rm -rf "$results"' EXIT
    mapper_args=(--benchmark_repetitions=1 --benchmark_min_time=0.005)
    mapper_args+=('--benchmark_filter=-(BM_CarenotesStream|BM_Libxml2ReaderPassExport)')
    translate_args=(--runs 1 --seconds 0.2)
    intake_args=(--smoke --idle 50) body_args=(--smoke --connections 4) postgresql_args=(--smoke)
    carenotes_args=(--runs 1 200) audit_args=(--runs 1 --sizes 1000) ;;
esac
mkdir -p "$results"
# A run of one section leaves the last full run's machine.txt and summary.md in
# bench/results as they are (their figures are still the other sections'); its own go to a temp dir.
meta=$results
if [ -n "$only" ] && [ "$mode" != smoke ]; then
  meta=$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench-meta.XXXXXX")
  trap 'rm -rf "$meta"' EXIT
fi
echo "bench/run.sh: $mode run, figures in $results"

{
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD -- gateway mappers 2>/dev/null || echo ' + uncommitted changes to the code measured')"
  echo "mode: $mode; load $(cat /proc/loadavg | cut -d' ' -f1-3) (other sessions share this machine)"
} | tee "$meta/machine.txt"

if section mappers; then
  echo "== mappers (Google Benchmark, core 0)"
  taskset -c 0 "$release/bench/mappers_bench" "${mapper_args[@]}" \
    --benchmark_report_aggregates_only=true --benchmark_out="$results/mappers.json" \
    --benchmark_out_format=json > "$results/mappers.txt"
  grep -E '_median|^BM_' "$results/mappers.txt" | grep -vE '_(mean|stddev|cv)' | head -n 60
fi

if section translate; then
  echo "== the peer translator: FHIR.js against carebridge"
  bench/peers/translate.sh --bench "$release/bench/mappers_bench" "${translate_args[@]}" --results "$results/translate_peers"
fi

if section http; then
  echo "== HTTPS intake: carebridge, nginx (ceiling), node-fhir-server-core"
  bench/http/intake.sh "${intake_args[@]}" --bin "$release/gateway/carebridge" --targets "carebridge nginx node" \
    --results "$results/http_intake"
  [ -z "$profile" ] || bench/http/profile.sh --bin "$release/gateway/carebridge"
fi

if section body; then
  echo "== HTTPS intake against body size: carebridge and nginx"
  bodies_dir=$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench-bodies.XXXXXX")
  sizes=(1k 10k 100k 1m)
  [ "$mode" = smoke ] && sizes=(1k 1m)
  bodies=$(python3 bench/http/make_bodies.py tests/golden/referral.fhir.json "$bodies_dir" "${sizes[@]}" | tr '\n' ' ')
  bench/http/intake.sh "${body_args[@]}" --idle 0 --bin "$release/gateway/carebridge" --targets "carebridge nginx" \
    --bodies "$bodies" --results "$results/http_body_size"
  rm -rf "$bodies_dir"
fi

if section postgresql; then
  echo "== HTTPS intake on PostgreSQL: 1, 2, 3 gateway instances on one database, beside SQLite"
  bench/http/postgresql.sh "${postgresql_args[@]}" --bin "$release/gateway/carebridge" --results "$results/postgresql"
fi

if section carenotes; then
  echo "== care-notes export size against stream time and peak RSS (core 0)"
  taskset -c 0 "$release/bench/carenotes_memory" --tsv "$results/carenotes_scaling.tsv" "${carenotes_args[@]}" \
    | tee "$results/carenotes_scaling.md"
fi

if section audit; then
  echo "== audit append rate and audit verify time against log size"
  "$release/bench/audit_verify" --tsv "$results/audit_scaling.tsv" "${audit_args[@]}" | tee "$results/audit_scaling.md"
fi

section plots || true
bench/plot.sh "$results"
python3 bench/summarise.py "$results" "$mode" > "$meta/summary.md"
if [ "$mode" != smoke ] && [ -z "$only" ]; then
  python3 bench/summarise.py --into bench/RESULTS.md "$results/summary.md"
  echo "bench/run.sh: the generated section of bench/RESULTS.md is updated"
elif [ "$mode" != smoke ] && [ "$only" = postgresql ]; then
  # Its figures stand alone (no target of another section reads them), so they can replace
  # their own table without mixing this run's mode into the other sections.
  python3 bench/summarise.py --into bench/RESULTS.md "$meta/summary.md" --section postgresql
  echo "bench/run.sh: the PostgreSQL table in the generated section of bench/RESULTS.md is updated"
fi
echo "bench/run.sh: $mode run done in $(( $(date +%s) - built )) s after the build ($(( built - started )) s to install and build)"
