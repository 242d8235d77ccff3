#!/usr/bin/env bash
# End-to-end intake benchmark: wrk POSTs the golden FHIR referral over
# keep-alive HTTPS to a gateway on 127.0.0.1 with its durable SQLite store on
# (WAL, synchronous=FULL, group commit), each request a new message under its
# own Idempotency-Key. At 1, 16, 64 and 256 connections it records req/s,
# p50/p99 latency, the gateway's CPU and peak RSS (median over the runs); then
# the gateway's RSS with 1,000 idle keep-alive TLS connections open.
# Every run is bounded in time and stops by itself; nothing leaves loopback.
# On a shared machine each run first waits (bounded) for a quiet second, and
# the CPU other processes took during the run is recorded beside it.
#
# Usage: bench/http/intake.sh [--quick | --smoke] [--bin PATH] [--commit REV] [--no-pin] [--results PREFIX] [--connections 'N ...'] [--idle N]
#   (default)  3 runs of 10 s per connection count, 1,000 idle connections
#   --quick    1 run of 3 s per connection count
#   --smoke    1 s at 1 and 16 connections, 100 idle connections (checks it still works)
#   --bin      the carebridge binary (default: build/release/gateway/carebridge, built if missing)
#   --commit   the commit --bin was built from, for the report (default: HEAD, marked when the tree has changes)
#   --no-pin   let the gateway and wrk share both cores instead of one each
#   --results  where the figures go, as a prefix (default bench/results/http_intake)
#   --connections "N ..."  the connection counts to load at; --idle N  idle connections to hold
# Figures: PREFIX.md (tables), PREFIX.tsv (every run), PREFIX_wrk.txt (wrk's
# own output), PREFIX being bench/results/http_intake unless --results says otherwise.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

duration=10 runs=3 warmup=2 connections="1 16 64 256" idle=1000 mode=full quiet=120
bin= pin=yes commit= results=bench/results/http_intake
while [ $# -gt 0 ]; do
  case $1 in
    --quick) duration=3 runs=1 warmup=1 mode=quick quiet=20 ;;
    --smoke) duration=1 runs=1 warmup=0 connections="1 16" idle=100 mode=smoke quiet=0 ;;
    --bin) bin=$2; shift ;;
    --commit) commit=$2; shift ;;
    --no-pin) pin=no ;;
    --results) results=$2; shift ;;
    --connections) connections=$2; shift ;;
    --idle) idle=$2; shift ;;
    *) echo "usage: bench/http/intake.sh [--quick | --smoke] [--bin PATH] [--commit REV] [--no-pin] [--results PREFIX] [--connections 'N ...'] [--idle N]" >&2; exit 2 ;;
  esac
  shift
done

# What the benchmark needs beyond the build, from Debian, only when missing.
need=()
for p in wrk openssl curl python3 util-linux; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "intake.sh: installing ${need[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if [ -z "$bin" ]; then
  bin=build/release/gateway/carebridge
  if [ ! -x "$bin" ]; then
    ./deploy/install-deps.sh
    mkdir -p build
    ./deploy/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DCAREBRIDGE_TESTS=OFF
  fi
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

. bench/http/gateway.sh

# The gateway on core 0 and the load generator on core 1: neither steals the
# other's cycles, so the gateway's figures are what one core gives it.
gateway_cpus= client_cpus= wrk_threads=2
if [ "$pin" = yes ] && [ "$(nproc)" -ge 2 ]; then
  gateway_cpus=0 client_cpus=1 wrk_threads=1
fi
client_pin=()
[ -n "$client_cpus" ] && client_pin=(taskset -c "$client_cpus")
# 1,000 idle connections and 256 busy ones need descriptors; raise the soft limit.
ulimit -n "$(ulimit -Hn)"

body=tests/golden/referral.fhir.json
work=$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench-http.XXXXXX")
idle_pid=
cleanup() {
  [ -n "$idle_pid" ] && kill -TERM "$idle_pid" 2>/dev/null || true
  gateway_stop || true
  rm -rf "$work"
}
trap cleanup EXIT
bench_tls_setup "$work"

mkdir -p "$(dirname "$results")"
rows=$results.tsv
raw=${results}_wrk.txt
# The columns of http_intake.tsv; "created_201" counts the measured run, "stored" the store's rows (warm-up
# included); CPU percentages are of one core; "others" is what the rest of the machine took meanwhile.
printf 'connections\trun\treq_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tgateway_cpu_pct\tkernel_share_pct\tcpu_us_per_req\tpeak_rss_mb\twrites_per_commit\trequests\tcreated_201\tstored\tnon_2xx\tsocket_errors\twrk_cpu_pct\tothers_cpu_pct\n' > "$rows"
: > "$raw"

TIMEFORMAT='%U %S'  # what `time` reports for wrk: its user and system CPU seconds
field() { sed -n "s/.*[ ]$1=\([0-9.]*\).*/\1/p" <<< "$2"; }

run_id=$(date +%s)-$$
for c in $connections; do
  for r in $(seq 1 "$runs"); do
    store=$work/store-c$c-r$r
    wait_for_quiet "$quiet"
    gateway_start "$bin" "$store" "$gateway_cpus"
    url=https://127.0.0.1:$GATEWAY_PORT/fhir
    threads=$(( c < wrk_threads ? c : wrk_threads ))
    wrk_cmd=("${client_pin[@]}" wrk -t"$threads" -c"$c" --timeout 10s -s bench/http/post_referral.lua)
    # Warm-up at the same concurrency: handshakes done, caches and the allocator settled.
    if [ "$warmup" -gt 0 ]; then
      "${wrk_cmd[@]}" -d"${warmup}s" "$url" -- "$body" "$BENCH_TOKEN" "$run_id-c$c-r$r-warm" > /dev/null
    fi
    metrics_before=$(gateway_counters "$GATEWAY_PORT")
    read -r user_before sys_before < <(cpu_times "$GATEWAY_PID")
    busy_before=$(machine_busy_seconds)
    start_ns=$(date +%s%N)
    { time "${wrk_cmd[@]}" -d"${duration}s" --latency "$url" -- "$body" "$BENCH_TOKEN" "$run_id-c$c-r$r" \
        > "$work/wrk.out"; } 2> "$work/wrk.time"
    wall_ns=$(( $(date +%s%N) - start_ns ))
    busy_after=$(machine_busy_seconds)
    read -r user_after sys_after < <(cpu_times "$GATEWAY_PID")
    out=$(cat "$work/wrk.out")
    wrk_cpu=$(awk '{ print $1 + $2 }' "$work/wrk.time")
    peak_rss=$(status_mb "$GATEWAY_PID" VmHWM)
    metrics_after=$(gateway_counters "$GATEWAY_PORT")
    gateway_stop
    stored=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from messages").fetchone()[0])' \
      "$store/carebridge.sqlite" 2>/dev/null || echo "?")
    rm -rf "$store"
    { echo "=== $c connections, run $r ==="; echo "$out"; } >> "$raw"

    result=$(grep '^wrk-result' <<< "$out") || { echo "$out" >&2; echo "wrk gave no result" >&2; exit 1; }
    read -r created_before commits_before sets_before <<< "$metrics_before"
    read -r created_after commits_after sets_after <<< "$metrics_after"
    awk -v c="$c" -v r="$r" -v n="$(field requests "$result")" -v us="$(field duration_us "$result")" \
        -v p50="$(field p50_us "$result")" -v p90="$(field p90_us "$result")" -v p99="$(field p99_us "$result")" \
        -v mx="$(field max_us "$result")" -v wall="$wall_ns" \
        -v cpu="$(awk -v a="$user_before" -v b="$sys_before" -v x="$user_after" -v y="$sys_after" 'BEGIN { print x + y - a - b }')" \
        -v sys="$(awk -v b="$sys_before" -v y="$sys_after" 'BEGIN { print y - b }')" \
        -v wrk="$wrk_cpu" -v busy="$(awk -v a="$busy_before" -v b="$busy_after" 'BEGIN { print b - a }')" \
        -v rss="$peak_rss" -v commits="$((commits_after - commits_before))" -v sets="$((sets_after - sets_before))" \
        -v created="$((created_after - created_before))" -v stored="$stored" -v non2xx="$(field non_2xx "$result")" \
        -v errs="$(( $(field connect_errors "$result") + $(field read_errors "$result") + $(field write_errors "$result") + $(field timeouts "$result") ))" \
        'BEGIN { printf "%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%s\t%.1f\t%d\t%d\t%s\t%d\t%d\t%.0f\t%.0f\n",
                 c, r, n / (us / 1e6), p50 / 1000, p90 / 1000, p99 / 1000, mx / 1000,
                 100 * cpu / (wall / 1e9), (cpu > 0 ? 100 * sys / cpu : 0), 1e6 * cpu / (n > 0 ? n : 1), rss,
                 (commits > 0 ? sets / commits : 0), n, created, stored, non2xx, errs,
                 100 * wrk / (wall / 1e9), 100 * (busy - cpu - wrk) / (wall / 1e9) }' >> "$rows"
    tail -n 1 "$rows" | awk -F'\t' '{ printf "%4d connections, run %d: %6d req/s  p50 %6.2f ms  p99 %7.2f ms  gateway CPU %3d %%  peak RSS %6.1f MB  %5.1f writes/commit  non-2xx %d  errors %d  wrk CPU %d %%  other processes %d %%\n", $1, $2, $3, $4, $6, $8, $11, $12, $16, $17, $18, $19 }'
  done
done

# Idle keep-alive connections: each has done one GET /healthz and then waits.
store=$work/store-idle
gateway_start "$bin" "$store" "$gateway_cpus"
sleep 0.5
idle_rss_before=$(status_mb "$GATEWAY_PID" VmRSS)
"${client_pin[@]}" python3 bench/http/idle_connections.py --port "$GATEWAY_PORT" --cafile "$BENCH_CERT" \
  --count "$idle" --hold-seconds 100 > "$work/idle.out" 2>&1 &
idle_pid=$!
for _ in $(seq 1 900); do
  grep -q '^ready' "$work/idle.out" && break
  kill -0 "$idle_pid" 2>/dev/null || { cat "$work/idle.out" >&2; exit 1; }
  sleep 0.1
done
grep -q '^ready' "$work/idle.out" || { echo "the idle connections did not open within 90 s" >&2; exit 1; }
sleep 1  # let the last sessions settle into their idle read
idle_rss=$(status_mb "$GATEWAY_PID" VmRSS)
idle_hwm=$(status_mb "$GATEWAY_PID" VmHWM)
idle_open=$(metric_value "$GATEWAY_PORT" carebridge_open_connections)
kill -TERM "$idle_pid"; wait "$idle_pid" || true; idle_pid=
gateway_stop
read -r _ idle_count idle_protocol idle_cipher < <(grep '^ready' "$work/idle.out")
idle_closed=$(sed -n 's/.*the server had closed \([0-9]*\).*/\1/p' "$work/idle.out")
echo "$idle_count idle TLS connections: gateway RSS $idle_rss MB (before: $idle_rss_before MB; peak $idle_hwm MB); open connections seen by the gateway $idle_open; closed by the server while held: ${idle_closed:-?}"

if [ -z "$commit" ]; then
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
  git diff --quiet HEAD -- gateway mappers 2>/dev/null || commit="$commit + uncommitted changes"
fi

# The tables: median of the runs at each connection count, with the spread.
python3 - "$rows" "$mode" "$duration" "$runs" "$pin" "$gateway_cpus" "$client_cpus" "$wrk_threads" \
  "$idle_count" "$idle_rss_before" "$idle_rss" "$idle_hwm" "$idle_open" "${idle_closed:-?}" \
  "$idle_protocol" "$idle_cipher" "$commit" \
  "$(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 }')" > "$results.md" <<'EOF'
import csv, statistics, sys, datetime, os
(rows, mode, duration, runs, pin, gateway_cpus, client_cpus, wrk_threads, idle_count, idle_before, idle_rss,
 idle_hwm, idle_open, idle_closed, protocol, cipher, commit, fs) = sys.argv[1:]
data = list(csv.DictReader(open(rows), delimiter="\t"))
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t")
print(f"# End-to-end intake over HTTPS ({mode}: {runs} run(s) of {duration} s per connection count)\n")
print(f"- machine: {os.cpu_count()} cores, {cpu}; date {datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}; commit {commit}")
placed = (f"gateway pinned to core {gateway_cpus}, wrk ({wrk_threads} thread) to core {client_cpus}"
          if gateway_cpus else f"not pinned; wrk with {wrk_threads} threads")
print(f"- {placed}; TLS {protocol} {cipher}; store on {fs} (WAL, synchronous=FULL)")
print("- body: tests/golden/referral.fhir.json (36.6 KB), POST /fhir, a new Idempotency-Key per request\n")
print("| connections | req/s | p50 ms | p99 ms | gateway CPU (kernel share) | CPU µs/req | peak RSS MB | writes/commit | wrk CPU | other processes' CPU | runs: req/s | non-2xx, errors |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
for c in sorted({int(r["connections"]) for r in data}):
    rs = [r for r in data if int(r["connections"]) == c]
    spread = ", ".join(format(float(r["req_s"]), ",.0f") for r in rs)
    bad = sum(int(r["non_2xx"]) for r in rs), sum(int(r["socket_errors"]) for r in rs)
    print(f"| {c} | **{med(rs, 'req_s'):,.0f}** | {med(rs, 'p50_ms'):.2f} | {med(rs, 'p99_ms'):.2f} | "
          f"{med(rs, 'gateway_cpu_pct'):.0f} % ({med(rs, 'kernel_share_pct'):.0f} %) | {med(rs, 'cpu_us_per_req'):.0f} | {med(rs, 'peak_rss_mb'):.1f} | "
          f"{med(rs, 'writes_per_commit'):.1f} | {med(rs, 'wrk_cpu_pct'):.0f} % | {med(rs, 'others_cpu_pct'):.0f} % | {spread} | "
          f"{bad[0]}, {bad[1]} |")
unstored = [r for r in data if r["stored"] != "?" and int(r["stored"]) < int(r["created_201"])]
print(f"\nEvery 201 was a new stored message: {'yes' if not unstored else 'NO, see http_intake.tsv'} "
      "(rows in the store ≥ 201s counted by /metrics, warm-up included).\n")
print(f"| idle keep-alive TLS connections | gateway RSS before | RSS with them open | peak RSS | per connection | open, by the gateway's count | closed by the gateway while held |")
print("|---:|---:|---:|---:|---:|---:|---:|")
per = (float(idle_rss) - float(idle_before)) * 1024 / max(1, int(idle_count))
print(f"| {int(idle_count):,} | {idle_before} MB | **{idle_rss} MB** | {idle_hwm} MB | {per:.0f} KB | {int(idle_open) - 1} | {idle_closed} |")
print("\n(The gateway's count less the connection that asked /metrics.)")
EOF
cat "$results.md"
