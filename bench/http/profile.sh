#!/usr/bin/env bash
# Profiles the gateway's intake path: the same POST of the golden FHIR referral
# as intake.sh, with the gateway under valgrind's callgrind, which counts the
# instructions each function runs (repeatable on a shared, noisy machine, where
# timings are not; on this virtual machine perf has no hardware counters).
# Only the measured requests are counted: start-up, warm-up and shutdown are not.
# Callgrind sees user space only, so a second pass counts the gateway's system
# calls per request with strace -c (the kernel's share is in intake.sh's figures).
#
# Usage: bench/http/profile.sh [--bin PATH] [--commit REV] [--seconds N] [--connections N] [--out FILE]
#   (default: 20 s at 16 connections, which under callgrind is some hundreds of requests)
# Output: bench/results/http_profile.txt (totals, cost by library, top functions
# by own and by inclusive cost, system calls per request); the raw profile is left beside the binary
# (callgrind.intake.out, for callgrind_annotate or kcachegrind).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

bin=build/release/gateway/carebridge seconds=20 connections=16 commit= out=bench/results/http_profile.txt
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift ;;
    --commit) commit=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --connections) connections=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "usage: bench/http/profile.sh [--bin PATH] [--commit REV] [--seconds N] [--connections N] [--out FILE]" >&2; exit 2 ;;
  esac
  shift
done

. bench/http/gateway.sh
bench_install_missing profile.sh valgrind strace wrk openssl curl
[ -x "$bin" ] || { echo "profile.sh: no $bin; build it first (bench/run.sh or deploy/build.sh)" >&2; exit 1; }
bench_gateway_binary profile.sh "$bin"
bin=$BENCH_BIN

gateway_cpus= client_pin=()
if [ "$(nproc)" -ge 2 ]; then gateway_cpus=0 client_pin=(taskset -c 1); fi

body=tests/golden/referral.fhir.json
work=$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench-profile.XXXXXX")
cleanup() {
  gateway_stop || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
bench_tls_setup "$work"
mkdir -p "$(dirname "$out")"
profile=$(dirname "$bin")/callgrind.intake.out

echo "profile.sh: starting the gateway under callgrind (slow to start)"
gateway_start "$bin" "$work/store" "$gateway_cpus" \
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$profile" --log-file="$work/valgrind.log"
url=https://127.0.0.1:$GATEWAY_PORT/fhir
wrk_cmd=("${client_pin[@]}" wrk -t1 -c"$connections" --timeout 30s -s bench/http/post_referral.lua)
run_id=$(date +%s)-$$

# Warm-up outside the count: TLS handshakes, the first allocations, SQLite's first pages.
"${wrk_cmd[@]}" -d5s "$url" -- "$body" "$BENCH_TOKEN" "$run_id-warm" > /dev/null
callgrind_control --instr=on "$GATEWAY_PID" > /dev/null
result=$("${wrk_cmd[@]}" -d"${seconds}s" "$url" -- "$body" "$BENCH_TOKEN" "$run_id" | grep '^wrk-result')
callgrind_control --instr=off "$GATEWAY_PID" > /dev/null
gateway_stop  # callgrind writes its file as the gateway exits
requests=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<< "$result")
non_2xx=$(sed -n 's/.* non_2xx=\([0-9]*\).*/\1/p' <<< "$result")
if [ "${requests:-0}" -eq 0 ]; then
  echo "profile.sh: no request finished under callgrind in $seconds s; give it more --seconds" >&2
  exit 1
fi

# System calls per request: the gateway at full speed, strace counting (it slows the calls, not their number).
gateway_start "$bin" "$work/store-strace" "$gateway_cpus"
url=https://127.0.0.1:$GATEWAY_PORT/fhir
"${wrk_cmd[@]}" -d2s "$url" -- "$body" "$BENCH_TOKEN" "$run_id-strace-warm" > /dev/null
strace -c -f -q -p "$GATEWAY_PID" -o "$work/strace.txt" &
strace_pid=$!
sleep 1  # strace attaches to every thread
strace_result=$("${wrk_cmd[@]}" -d5s "$url" -- "$body" "$BENCH_TOKEN" "$run_id-strace" | grep '^wrk-result')
kill -INT "$strace_pid"; wait "$strace_pid" || true
gateway_stop
strace_requests=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<< "$strace_result")

# top_lines N FILE: the first N function lines of a callgrind_annotate listing,
# each cut to 220 characters (template names run to thousands).
top_lines() {
  awk -v n="$1" '/^ *[0-9,]+ / && !/PROGRAM TOTALS/ && shown < n { print substr($0, 1, 220); shown++ }' "$2"
}

# Callgrind names each function's object in its own column; sum own cost by library.
callgrind_annotate --inclusive=no --threshold=100 "$profile" > "$work/self.txt"
callgrind_annotate --inclusive=yes --threshold=100 "$profile" > "$work/inclusive.txt"
callgrind_annotate --tree=caller --inclusive=yes --threshold=100 "$profile" > "$work/callers.txt"
total=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }' "$work/self.txt")
{
  echo "# callgrind profile of POST /fhir (golden referral, $(wc -c < "$body") bytes) over TLS"
  echo "commit: ${commit:-$(git rev-parse --short HEAD 2>/dev/null || echo none)}; $connections connections; $requests requests counted (non-2xx: $non_2xx)"
  awk -v t="$total" -v n="$requests" 'BEGIN { printf "instructions: %.0f in total, %.0f per request\n\n", t, (n > 0 ? t / n : 0) }'
  echo "## own cost by library"
  awk -v t="$total" '
    /^ *[0-9,]+ .*\[.*\]$/ {
      ir = $1; gsub(",", "", ir)
      obj = $NF; gsub(/[][]/, "", obj); n = split(obj, parts, "/"); obj = parts[n]
      sub(/\.so.*/, "", obj)
      cost[obj] += ir
    }
    END { for (o in cost) printf "%6.2f %%  %s\n", 100 * cost[o] / t, o }' "$work/self.txt" | sort -rn
  echo
  echo "## TLS handshakes (one per connection, $connections in the counted run)"
  awk -v t="$total" -v c="$connections" '/SSL_do_handshake/ { ir = $1; gsub(",", "", ir); printf "%.1f %% of the total; %.0f instructions each\n", 100 * ir / t, ir / c; exit }' "$work/inclusive.txt"
  awk -v t="$total" -v c="$connections" -v n="$requests" '/SSL_do_handshake/ { ir = $1; gsub(",", "", ir); printf "instructions per request without them: %.0f\n", (t - ir) / n; exit }' "$work/inclusive.txt"
  echo
  echo "## system calls per request (strace -c over $strace_requests requests at full speed)"
  awk -v n="$strace_requests" '$1 ~ /^[0-9.]+$/ && NF >= 5 { calls = $4; name = $NF; if (name != "total") printf "%8.1f  %s\n", calls / n, name }' "$work/strace.txt" | sort -rn | awk 'NR <= 15'
  echo
  echo "## stages, inclusive instructions per request (a stage includes those indented under it)"
  python3 - "$work/inclusive.txt" "$work/callers.txt" "$requests" "$total" <<'PY'
import re, sys
inclusive, callers, n, total = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
cost = {}
for line in open(inclusive):
    m = re.match(r"^\s*([0-9,]+) \(\s*[0-9.]+%\)\s+(.*)$", line)
    if m and "PROGRAM TOTALS" not in line:
        cost.setdefault(m.group(2), int(m.group(1).replace(",", "")))
def most(pattern):
    return max((v for k, v in cost.items() if pattern in k), default=0)
stages = [
    ("request handling on the I/O threads (Asio scheduler)", "scheduler::run("),
    ("  Pipeline::intake: decode, canonical record, queue the commit", "Pipeline::intake("),
    ("    translation::decode_document (FHIR Bundle -> record)", "translation::decode_document("),
    ("      json::parse_bounded (copy + RapidJSON in-situ parse)", "json::parse_bounded("),
    ("      fhir::Decoder::run (record from the DOM)", "fhir::Decoder::run("),
    ("    message_from (partnership JSON encode, id, copies)", "message_from("),
    ("  TLS record reads (engine::do_read -> SSL_read)", "engine::do_read("),
    ("  ERR_clear_error (Asio, before each SSL call)", "ERR_clear_error"),
    ("  HTTP parser (basic_parser::put)", "basic_parser<true>::put("),
    ("  response write (Session::write)", ">::write(carebridge::gateway::http::Response)"),
    ("  TLS handshakes (per connection, not per request)", "SSL_do_handshake"),
    ("store writer thread: SqliteStore::commit_batch", "SqliteStore::commit_batch("),
    ("  SqliteStore::apply (INSERT of one message)", "SqliteStore::apply("),
]
for label, pattern in stages:
    v = most(pattern)
    print(f"{v / n:10,.0f}  {100 * v / total:5.1f} %  {label}")
# Calls per request, from the caller tree: how often the read path goes round.
blocks, block = [], []
for line in open(callers):
    if line.strip():
        block.append(line)
    elif block:
        blocks.append(block)
        block = []
print("\ncalls per request (from the callers of each):")
for label, pattern in [("SSL_read", "*  ???:SSL_read "), ("basic_parser::put", "basic_parser<true>::put("),
                       ("ERR_clear_error", "*  ???:ERR_clear_error"), ("operator new", "*  ???:operator new(unsigned long)"),
                       ("sqlite3_step", "*  ???:sqlite3_step ")]:
    for b in blocks:
        star = [l for l in b if "*  " in l]
        if star and pattern.replace("*  ???:", "") in star[0] and ("*  " not in pattern or pattern in star[0]):
            calls = sum(int(m.group(1).replace(",", "")) for l in b if "<" in l.split("*")[0]
                        for m in [re.search(r"\(([0-9,]+)x\)", l)] if m)
            print(f"{calls / n:10,.1f}  {label}")
            break
PY
  echo
  echo "## top functions by own cost"
  top_lines 40 "$work/self.txt"
  echo
  echo "## top functions by inclusive cost"
  top_lines 60 "$work/inclusive.txt"
} > "$out"
cat "$out"
echo "raw profile: $profile (callgrind_annotate $profile)"
