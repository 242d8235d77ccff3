#!/usr/bin/env bash
# End-to-end intake benchmark: wrk POSTs the golden FHIR referral over
# keep-alive HTTPS to a gateway on 127.0.0.1 with its durable SQLite store on
# (WAL, synchronous=FULL, group commit), each request a new message under its
# own Idempotency-Key, and in the same run, with the same body, TLS and
# connections, to the peers in --targets (bench/http/peers.sh): nginx answering
# a fixed 201 (the HTTP ceiling) and a Node FHIR server. At each connection
# count and body it records req/s, p50/p99 latency, the server's CPU and peak
# RSS (median over the runs, targets interleaved run by run so a noisy moment
# hits them alike); then the gateway's RSS with 1,000 idle keep-alive TLS
# connections open. Every run is bounded in time and stops by itself; nothing
# leaves loopback. On a shared machine each run first waits (bounded) for a
# quiet second, and the CPU other processes took during the run is recorded.
#
# Usage: bench/http/intake.sh [--quick | --smoke] [--bin PATH] [--commit REV] [--no-pin] [--results PREFIX]
#          [--targets 'T ...'] [--connections 'N ...'] [--bodies 'FILE ...'] [--runs N] [--idle N]
#   (default)  5 runs of 5 s (after 2 s of warm-up) per point and target, 1,000 idle connections
#   --quick    1 run of 2 s at 1, 16 and 256 connections
#   --smoke    1 s at 1 and 16 connections, 100 idle connections (checks it still works)
#   --bin      the carebridge binary (default: build/release/gateway/carebridge, built if missing)
#   --commit   the commit --bin was built from, for the report (default: HEAD, marked when the tree has changes)
#   --no-pin   let the servers and wrk share both cores instead of one each
#   --results  where the figures go, as a prefix (default bench/results/http_intake)
#   --targets "T ..."      carebridge, nginx, node, node-durable, baseline (default: carebridge)
#   --baseline PATH        the binary the "baseline" target runs: a before/after in the same run
#   --connections "N ..."  the connection counts to load at
#   --bodies "FILE ..."    the request bodies (default: tests/golden/referral.fhir.json)
#   --runs N   runs per point; --idle N  idle connections to hold (0: skip)
#   --reuse-runs  keep the runs already in PREFIX.tsv (a run stopped after its load):
#                 no load, only the idle connections and the tables
# Figures: PREFIX.md (tables), PREFIX.tsv (every run), PREFIX_wrk.txt (wrk's
# own output), PREFIX being bench/results/http_intake unless --results says otherwise.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

duration=5 runs=5 warmup=2 connections="1 4 16 64 256" idle=1000 mode=full quiet=3
bin= pin=yes commit= results=bench/results/http_intake targets=carebridge bodies=tests/golden/referral.fhir.json
runs_given= reuse=no baseline_bin=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) duration=2 runs=1 warmup=1 connections="1 16 256" mode=quick quiet=0 ;;
    --smoke) duration=1 runs=1 warmup=0 connections="1 16" idle=100 mode=smoke quiet=0 ;;
    --bin) bin=$2; shift ;;
    --commit) commit=$2; shift ;;
    --no-pin) pin=no ;;
    --results) results=$2; shift ;;
    --targets) targets=$2; shift ;;
    --connections) connections=$2; shift ;;
    --bodies) bodies=$2; shift ;;
    --runs) runs_given=$2; shift ;;
    --idle) idle=$2; shift ;;
    --reuse-runs) reuse=yes ;;
    --baseline) baseline_bin=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift ;;
    *) echo "usage: bench/http/intake.sh [--quick | --smoke] [--bin PATH] [--commit REV] [--no-pin] [--results PREFIX] [--targets 'T ...'] [--connections 'N ...'] [--bodies 'FILE ...'] [--runs N] [--idle N]" >&2; exit 2 ;;
  esac
  shift
done
[ -z "$runs_given" ] || runs=$runs_given

# What the benchmark needs beyond the build, from Debian, only when missing.
. bench/http/gateway.sh
bench_install_missing intake.sh wrk openssl curl python3 util-linux

bench_gateway_binary intake.sh "$bin"
bin=$BENCH_BIN
. bench/http/peers.sh

# The server on core 0 and the load generator on core 1: neither steals the
# other's cycles, so each server's figures are what one core gives it.
gateway_cpus= client_cpus= wrk_threads=2
if [ "$pin" = yes ] && [ "$(nproc)" -ge 2 ]; then
  gateway_cpus=0 client_cpus=1 wrk_threads=1
fi
client_pin=()
[ -n "$client_cpus" ] && client_pin=(taskset -c "$client_cpus")
# 1,000 idle connections and 256 busy ones need descriptors; raise the soft limit.
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench-http.XXXXXX")
idle_pid=
cleanup() {
  [ -n "$idle_pid" ] && kill -TERM "$idle_pid" 2>/dev/null || true
  target_stop || true
  rm -rf "$work"
}
trap cleanup EXIT
bench_tls_setup "$work"

mkdir -p "$(dirname "$results")"
rows=$results.tsv
raw=${results}_wrk.txt
# The columns of PREFIX.tsv; "created_201" counts the measured run, "stored" the store's rows (warm-up
# included), both the gateway's only; CPU percentages are of one core; "others" is what the rest of the
# machine took meanwhile.
[ "$reuse" = yes ] && [ -s "$rows" ] || printf 'target\tbody_bytes\tconnections\trun\treq_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tserver_cpu_pct\tkernel_share_pct\tcpu_us_per_req\tpeak_rss_mb\twrites_per_commit\trequests\tcreated_201\tstored\tnon_2xx\tsocket_errors\twrk_cpu_pct\tothers_cpu_pct\n' > "$rows"
[ "$reuse" = yes ] || : > "$raw"
tls_seen=$work/tls.txt
: > "$tls_seen"

TIMEFORMAT='%U %S'  # what `time` reports for wrk: its user and system CPU seconds
field() { sed -n "s/.*[ ]$1=\([0-9.]*\).*/\1/p" <<< "$2"; }

run_id=$(date +%s)-$$
if [ "$reuse" = yes ]; then
  bodies=
  echo "intake.sh: reusing the runs in $rows"
  for target in $targets; do  # what TLS each negotiates, for the tables
    target_start "$target" "$work/store-tls-$target" "$gateway_cpus"
    echo "$target $(target_tls "$TARGET_URL")" >> "$tls_seen"
    target_stop
  done
fi
for body in $bodies; do
  body_bytes=$(stat -c %s "$body")
  for c in $connections; do
    for r in $(seq 1 "$runs"); do
      for target in $targets; do
        store=$work/store-$target-b$body_bytes-c$c-r$r
        wait_for_quiet "$quiet"
        target_start "$target" "$store" "$gateway_cpus"
        url=$TARGET_URL
        grep -q "^$target " "$tls_seen" || echo "$target $(target_tls "$url")" >> "$tls_seen"
        threads=$(( c < wrk_threads ? c : wrk_threads ))
        wrk_cmd=("${client_pin[@]}" wrk -t"$threads" -c"$c" --timeout 10s -s bench/http/post_referral.lua)
        key=$run_id-$target-b$body_bytes-c$c-r$r
        # Warm-up at the same concurrency: handshakes done, caches, JIT and the allocator settled.
        if [ "$warmup" -gt 0 ]; then
          "${wrk_cmd[@]}" -d"${warmup}s" "$url" -- "$body" "$BENCH_TOKEN" "$key-warm" > /dev/null
        fi
        metrics_before="0 0 0" metrics_after="0 0 0"
        [ "$target" = carebridge ] && metrics_before=$(gateway_counters "$GATEWAY_PORT")
        read -r user_before sys_before < <(cpu_times "$TARGET_PID")
        busy_before=$(machine_busy_seconds)
        start_ns=$(date +%s%N)
        { time "${wrk_cmd[@]}" -d"${duration}s" --latency "$url" -- "$body" "$BENCH_TOKEN" "$key" \
            > "$work/wrk.out"; } 2> "$work/wrk.time"
        wall_ns=$(( $(date +%s%N) - start_ns ))
        busy_after=$(machine_busy_seconds)
        read -r user_after sys_after < <(cpu_times "$TARGET_PID")
        out=$(cat "$work/wrk.out")
        wrk_cpu=$(awk '{ print $1 + $2 }' "$work/wrk.time")
        peak_rss=$(status_mb "$TARGET_PID" VmHWM)
        stored="-"
        if [ "$target" = carebridge ]; then
          metrics_after=$(gateway_counters "$GATEWAY_PORT")
          target_stop
          stored=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from messages").fetchone()[0])' \
            "$store/carebridge.sqlite" 2>/dev/null || echo "?")
        else
          target_stop
        fi
        rm -rf "$store"
        { echo "=== $target, $body_bytes-byte body, $c connections, run $r ==="; echo "$out"; } >> "$raw"

        result=$(grep '^wrk-result' <<< "$out") || { echo "$out" >&2; echo "wrk gave no result" >&2; exit 1; }
        read -r created_before commits_before sets_before <<< "$metrics_before"
        read -r created_after commits_after sets_after <<< "$metrics_after"
        awk -v t="$target" -v b="$body_bytes" -v c="$c" -v r="$r" -v n="$(field requests "$result")" -v us="$(field duration_us "$result")" \
            -v p50="$(field p50_us "$result")" -v p90="$(field p90_us "$result")" -v p99="$(field p99_us "$result")" \
            -v mx="$(field max_us "$result")" -v wall="$wall_ns" \
            -v cpu="$(awk -v a="$user_before" -v b="$sys_before" -v x="$user_after" -v y="$sys_after" 'BEGIN { print x + y - a - b }')" \
            -v sys="$(awk -v b="$sys_before" -v y="$sys_after" 'BEGIN { print y - b }')" \
            -v wrk="$wrk_cpu" -v busy="$(awk -v a="$busy_before" -v b="$busy_after" 'BEGIN { print b - a }')" \
            -v rss="$peak_rss" -v commits="$((commits_after - commits_before))" -v sets="$((sets_after - sets_before))" \
            -v created="$((created_after - created_before))" -v stored="$stored" -v non2xx="$(field non_2xx "$result")" \
            -v errs="$(( $(field connect_errors "$result") + $(field read_errors "$result") + $(field write_errors "$result") + $(field timeouts "$result") ))" \
            'BEGIN { printf "%s\t%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%s\t%.1f\t%d\t%d\t%s\t%d\t%d\t%.0f\t%.0f\n",
                     t, b, c, r, n / (us / 1e6), p50 / 1000, p90 / 1000, p99 / 1000, mx / 1000,
                     100 * cpu / (wall / 1e9), (cpu > 0 ? 100 * sys / cpu : 0), 1e6 * cpu / (n > 0 ? n : 1), rss,
                     (commits > 0 ? sets / commits : 0), n, created, stored, non2xx, errs,
                     100 * wrk / (wall / 1e9), 100 * (busy - cpu - wrk) / (wall / 1e9) }' >> "$rows"
        tail -n 1 "$rows" | awk -F'\t' '{ printf "%-12s %7d B %4d connections, run %d: %6d req/s  p50 %7.2f ms  p99 %8.2f ms  CPU %3d %%  peak RSS %6.1f MB  non-2xx %d  errors %d  wrk CPU %d %%  other processes %d %%\n", $1, $2, $3, $4, $5, $6, $8, $10, $13, $18, $19, $20, $21 }'
      done
    done
  done
done

# Idle keep-alive connections (the gateway only): each has done one GET /healthz and then waits.
idle_count=0 idle_rss_before=0 idle_rss=0 idle_hwm=0 idle_open=0 idle_closed=0 idle_protocol=- idle_cipher=-
if [ "$idle" -gt 0 ]; then
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
fi

if [ -z "$commit" ]; then
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
  git diff --quiet HEAD -- gateway mappers 2>/dev/null || commit="$commit + uncommitted changes"
fi

# The tables: median of the runs at each point, with the spread; the ratios to
# the peers run by run (the same moment on the machine), then their median.
python3 - "$rows" "$mode" "$duration" "$runs" "$pin" "$gateway_cpus" "$client_cpus" "$wrk_threads" \
  "$idle_count" "$idle_rss_before" "$idle_rss" "$idle_hwm" "$idle_open" "${idle_closed:-?}" \
  "$idle_protocol" "$idle_cipher" "$commit" \
  "$(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 }')" "$tls_seen" "$results" > "$results.md" <<'EOF'
import csv, statistics, sys, datetime, os
(rows, mode, duration, runs, pin, gateway_cpus, client_cpus, wrk_threads, idle_count, idle_before, idle_rss,
 idle_hwm, idle_open, idle_closed, protocol, cipher, commit, fs, tls_seen, prefix) = sys.argv[1:]
data = list(csv.DictReader(open(rows), delimiter="\t"))
tls = dict(line.split(" ", 1) for line in open(tls_seen).read().splitlines() if " " in line)
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t")
targets = list(dict.fromkeys(r["target"] for r in data))
bodies = sorted({int(r["body_bytes"]) for r in data})
conns = sorted({int(r["connections"]) for r in data})
print(f"# HTTPS intake, side by side ({mode}: {runs} run(s) of {duration} s per point, targets interleaved)\n")
print(f"- machine: {os.cpu_count()} cores, {cpu}; date {datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}; commit {commit}")
placed = (f"each server pinned to core {gateway_cpus}, wrk ({wrk_threads} thread) to core {client_cpus}"
          if gateway_cpus else f"not pinned; wrk with {wrk_threads} threads")
print(f"- {placed}; gateway store on {fs} (WAL, synchronous=FULL)")
print("- TLS negotiated: " + "; ".join(f"{t} {tls.get(t, '?')}" for t in targets))
print("- bodies: " + ", ".join(f"{b:,} bytes" for b in bodies) + "; a new Idempotency-Key per request\n")
med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
def kb(b): return f"{b / 1024:,.1f} KB" if b < 1 << 20 else f"{b / (1 << 20):.2f} MB"
print("| target | body | connections | req/s | runs: req/s | p50 ms | p99 ms | server CPU (kernel share) | CPU µs/req | peak RSS MB | writes/commit | other processes' CPU | non-2xx, errors |")
print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
curve = open(prefix + "_curve.tsv", "w")
curve.write("target\tbody_bytes\tconnections\treq_s\treq_s_min\treq_s_max\tp99_ms\tp99_ms_min\tp99_ms_max\n")
for b in bodies:
    for c in conns:
        for t in targets:
            rs = [r for r in data if r["target"] == t and int(r["body_bytes"]) == b and int(r["connections"]) == c]
            if not rs:
                continue
            spread = ", ".join(format(float(r["req_s"]), ",.0f") for r in rs)
            bad = sum(int(r["non_2xx"]) for r in rs), sum(int(r["socket_errors"]) for r in rs)
            wpc = f"{med(rs, 'writes_per_commit'):.1f}" if t == "carebridge" else "–"
            print(f"| {t} | {kb(b)} | {c} | **{med(rs, 'req_s'):,.0f}** | {spread} | {med(rs, 'p50_ms'):.2f} | {med(rs, 'p99_ms'):.2f} | "
                  f"{med(rs, 'server_cpu_pct'):.0f} % ({med(rs, 'kernel_share_pct'):.0f} %) | {med(rs, 'cpu_us_per_req'):,.0f} | "
                  f"{med(rs, 'peak_rss_mb'):.1f} | {wpc} | {med(rs, 'others_cpu_pct'):.0f} % | {bad[0]}, {bad[1]} |")
            req = [float(r["req_s"]) for r in rs]; p99 = [float(r["p99_ms"]) for r in rs]
            curve.write(f"{t}\t{b}\t{c}\t{statistics.median(req):.0f}\t{min(req):.0f}\t{max(req):.0f}\t"
                        f"{statistics.median(p99):.2f}\t{min(p99):.2f}\t{max(p99):.2f}\n")
peers = [t for t in targets if t != "carebridge"]
if "carebridge" in targets and peers:
    print("\ncarebridge's req/s over each peer's, run by run (the same moment on the machine), median and range:\n")
    print("| body | connections | " + " | ".join(f"carebridge / {t}" for t in peers) + " |")
    print("|---:|---:|" + "---:|" * len(peers))
    ratios = open(prefix + "_ratios.tsv", "w")
    ratios.write("peer\tbody_bytes\tconnections\tratio\tratio_min\tratio_max\n")
    for b in bodies:
        for c in conns:
            cells = []
            for t in peers:
                by_run = {}
                for r in data:
                    if int(r["body_bytes"]) == b and int(r["connections"]) == c and r["target"] in ("carebridge", t):
                        by_run.setdefault(r["run"], {})[r["target"]] = float(r["req_s"])
                rs = [v["carebridge"] / v[t] for v in by_run.values() if v.get(t)]
                if rs:
                    cells.append(f"**{statistics.median(rs):.2f}** ({min(rs):.2f}–{max(rs):.2f})")
                    ratios.write(f"{t}\t{b}\t{c}\t{statistics.median(rs):.4f}\t{min(rs):.4f}\t{max(rs):.4f}\n")
                else:
                    cells.append("–")
            print(f"| {kb(b)} | {c} | " + " | ".join(cells) + " |")
unstored = [r for r in data if r["target"] == "carebridge" and r["stored"] not in ("?", "-") and int(r["stored"]) < int(r["created_201"])]
if "carebridge" in targets:
    print(f"\nEvery 201 from the gateway was a new stored message: {'yes' if not unstored else 'NO, see the .tsv'} "
          "(rows in the store ≥ 201s counted by /metrics, warm-up included).")
if int(idle_count) > 0:
    print(f"\n| idle keep-alive TLS connections | gateway RSS before | RSS with them open | peak RSS | per connection | open, by the gateway's count | closed by the gateway while held |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    per = (float(idle_rss) - float(idle_before)) * 1024 / max(1, int(idle_count))
    print(f"| {int(idle_count):,} | {idle_before} MB | **{idle_rss} MB** | {idle_hwm} MB | {per:.0f} KB | {int(idle_open) - 1} | {idle_closed} |")
    print("\n(The gateway's count less the connection that asked /metrics.)")
EOF
cat "$results.md"
