#!/usr/bin/env bash
# The peer translator, side by side: FHIR.js (npm `fhir`) converting the golden
# FHIR Bundle from JSON text to FHIR XML, against carebridge translating the
# same bytes from FHIR JSON to care-notes XML (mappers_bench's
# BM_Translate/fhir_to_carenotes: parse, decode to the record, validate, write
# the XML). Both on core 0, one after the other in each run, RUNS runs; per
# document and per MB of input, median and range. Time is each side's CPU time
# (Node's process.cpuUsage, Google Benchmark's cpu_time): on a shared machine
# the wall clock also counts the moments another process had the core.
#
# Usage: bench/peers/translate.sh --bench PATH/mappers_bench [--runs N] [--seconds S] [--results PREFIX]
# Figures: PREFIX.md, PREFIX.tsv (default prefix bench/results/translate_peers).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

bench= runs=5 seconds=2 results=bench/results/translate_peers
while [ $# -gt 0 ]; do
  case $1 in
    --bench) bench=$2; shift ;;
    --runs) runs=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --results) results=$2; shift ;;
    *) echo "usage: bench/peers/translate.sh --bench PATH [--runs N] [--seconds S] [--results PREFIX]" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$bench" ] || { echo "translate.sh: --bench must name the mappers_bench binary" >&2; exit 2; }
body=$top/tests/golden/referral.fhir.json
pin=()
[ "$(nproc)" -ge 2 ] && pin=(taskset -c 0)
work=$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench-translate.XXXXXX")
trap 'rm -rf "$work"' EXIT

rows=$results.tsv
printf 'run\tside\tdocuments\tcpu_seconds\tus_per_document\tinput_mb_s\tinput_bytes\n' > "$rows"
for r in $(seq 1 "$runs"); do
  "${pin[@]}" node bench/peers/fhirjs_translate.js "$body" "$seconds" 1 > "$work/node.out"
  sed -n 's/^fhirjs-run .*documents=\([0-9]*\) seconds=[0-9.]* cpu_seconds=\([0-9.]*\) input_bytes=\([0-9]*\).*/\1 \2 \3/p' "$work/node.out" |
    awk -v r="$r" '{ printf "%d\tFHIR.js jsonToXml\t%d\t%.4f\t%.2f\t%.3f\t%d\n", r, $1, $2, 1e6 * $2 / $1, $3 * $1 / $2 / 1e6, $3 }' >> "$rows"
  "${pin[@]}" "$bench" --benchmark_filter='^BM_Translate/fhir_to_carenotes$' --benchmark_min_time="$seconds" \
    --benchmark_format=json > "$work/cb.json" 2> /dev/null
  python3 - "$work/cb.json" "$r" "$(stat -c %s "$body")" >> "$rows" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))["benchmarks"][0]
scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
per_doc = b["cpu_time"] * scale
print(f"{sys.argv[2]}\tcarebridge fhir→carenotes\t{b['iterations']}\t{per_doc * b['iterations']:.4f}\t{per_doc * 1e6:.2f}\t"
      f"{int(sys.argv[3]) / per_doc / 1e6:.3f}\t{sys.argv[3]}")
EOF
  tail -n 2 "$rows" | awk -F'\t' '{ printf "  run %d  %-28s %10.1f µs/document  %8.2f MB/s\n", $1, $2, $5, $6 }'
done

python3 - "$rows" "$runs" "$seconds" > "$results.md" <<'EOF'
import csv, statistics, sys
rows, runs, seconds = sys.argv[1:]
data = list(csv.DictReader(open(rows), delimiter="\t"))
sides = list(dict.fromkeys(r["side"] for r in data))
size = int(data[0]["input_bytes"])
print(f"# Peer translator: the golden FHIR Bundle ({size:,} bytes), {runs} run(s) of ~{seconds} s per side, core 0\n")
print("| translator | CPU µs per document, median (range) | documents per CPU second | input MB per CPU second |")
print("|---|---:|---:|---:|")
for s in sides:
    us = [float(r["us_per_document"]) for r in data if r["side"] == s]
    mbs = [float(r["input_mb_s"]) for r in data if r["side"] == s]
    print(f"| {s} | **{statistics.median(us):,.1f}** ({min(us):,.1f}–{max(us):,.1f}) | {1e6 / statistics.median(us):,.0f} | {statistics.median(mbs):.2f} |")
by_run = {}
for r in data:
    by_run.setdefault(r["run"], {})[r["side"]] = float(r["us_per_document"])
ratios = [v[sides[0]] / v[sides[1]] for v in by_run.values() if len(v) == 2]
print(f"\ncarebridge is **{statistics.median(ratios):,.0f}×** FHIR.js's speed per document "
      f"(run by run: {', '.join(f'{x:,.0f}×' for x in ratios)}).")
EOF
cat "$results.md"
