#!/usr/bin/env bash
# Scale-out benchmark: HTTPS intake with 1, 2 and 3 `carebridge serve`
# instances on one PostgreSQL database, beside one instance on the embedded
# SQLite store in the same run. It starts a throw-away PostgreSQL (initdb in a
# temp directory, 127.0.0.1 on a free port, Debian's defaults kept: fsync on,
# synchronous_commit on, so a 201 means the commit reached the disk, as with
# SQLite's synchronous=FULL). For each connection count and run, in turn: the
# SQLite gateway, then N = 1, 2, 3 instances (each its own port and data
# directory, the same config, a fresh database per N and run); the same
# bounded wrk load as bench/http/intake.sh (the golden FHIR Bundle, a new
# Idempotency-Key per request, bench/http/post_referral.lua) is spread over the
# instances, one wrk per instance at the same moment, connections split evenly.
# It records the total req/s, p50/p99 of all requests together (the wrk
# quantiles merged), the CPU of the gateways and of PostgreSQL (every server
# process), and afterwards, untimed: the rows stored against the 201s counted
# and `carebridge audit verify` on each store, so a broken log after
# multi-instance load fails the benchmark.
# Everything listens on 127.0.0.1 only, every load is bounded in time, and the
# servers are stopped on exit, failure included (PostgreSQL also dies with
# this script if it is killed: PR_SET_PDEATHSIG).
#
# Usage: bench/http/postgresql.sh [--quick | --smoke] [--bin PATH] [--no-pin] [--results PREFIX]
#          [--instances 'N ...'] [--connections 'C ...'] [--runs N]
#   (default)  5 runs of 5 s (after 2 s of warm-up) at 4, 16 and 64 connections in all
#   --quick    1 run of 2 s at 16 and 64 connections
#   --smoke    1 s at 4 connections, 1 and 2 instances (checks it still works)
#   --bin      the carebridge binary (default: build/release/gateway/carebridge)
#   --no-pin   let servers and wrk share both cores instead of servers on core 0, wrk on core 1
#   --results  where the figures go, as a prefix (default bench/results/postgresql)
#   --instances "N ..."    the instance counts on PostgreSQL (default 1 2 3)
#   --connections "C ..."  total connections, split over the instances (each ≥ the most instances)
# Figures: PREFIX.md (tables), PREFIX.tsv (every run), PREFIX_curve.tsv (for bench/plot.sh),
# PREFIX_wrk.txt (wrk's own output and each audit verify's answer).
# Run as root it runs PostgreSQL as the user nobody (the server refuses root).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

duration=5 runs=5 warmup=2 connections="4 16 64" instances="1 2 3" mode=full quiet=3
bin= pin=yes results=bench/results/postgresql body=tests/golden/referral.fhir.json
while [ $# -gt 0 ]; do
  case $1 in
    --quick) duration=2 runs=1 warmup=1 connections="16 64" mode=quick quiet=0 ;;
    --smoke) duration=1 runs=1 warmup=0 connections=4 instances="1 2" mode=smoke quiet=0 ;;
    --bin) bin=$2; shift ;;
    --no-pin) pin=no ;;
    --results) results=$2; shift ;;
    --instances) instances=$2; shift ;;
    --connections) connections=$2; shift ;;
    --runs) runs=$2; shift ;;
    *) echo "usage: bench/http/postgresql.sh [--quick | --smoke] [--bin PATH] [--no-pin] [--results PREFIX] [--instances 'N ...'] [--connections 'C ...'] [--runs N]" >&2; exit 2 ;;
  esac
  shift
done
for n in $instances $connections $runs; do
  [[ $n =~ ^[1-9][0-9]{0,3}$ ]] || { echo "postgresql.sh: '$n' is not a whole number from 1 to 9999 (--instances, --connections, --runs)" >&2; exit 2; }
done
most=$(tr ' ' '\n' <<< "$instances" | sort -n | tail -n 1)
for c in $connections; do
  [ "$c" -ge "$most" ] || { echo "postgresql.sh: $c connections cannot be split over $most instances" >&2; exit 2; }
done

# What the benchmark needs beyond the build, from Debian, only when missing
# (deploy/install-deps.sh installs postgresql too).
. bench/http/gateway.sh
bench_install_missing postgresql.sh wrk openssl curl python3 util-linux postgresql
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
[ -x "$pg_bin/initdb" ] || { echo "postgresql.sh: no initdb under /usr/lib/postgresql/*/bin" >&2; exit 1; }

bench_gateway_binary postgresql.sh "$bin"
bin=$BENCH_BIN
. bench/http/peers.sh

# As intake.sh: the servers (gateways and PostgreSQL) on core 0 and the load on
# core 1, so the SQLite gateway and the PostgreSQL side get the same one core.
server_cpus= client_cpus= wrk_threads=2
if [ "$pin" = yes ] && [ "$(nproc)" -ge 2 ]; then
  server_cpus=0 client_cpus=1 wrk_threads=1
fi
client_pin=() server_pin=()
[ -n "$client_cpus" ] && client_pin=(taskset -c "$client_cpus")
[ -n "$server_cpus" ] && server_pin=(taskset -c "$server_cpus")
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench-pg.XXXXXX")
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/carebridge-bench-pgdata.XXXXXX")
pg_pid= instance_pids=() wrk_pids=()
# stop_instances: SIGTERM to each gateway this script started (they drain and sign a last checkpoint).
stop_instances() {
  local pid
  for pid in "${instance_pids[@]}"; do
    GATEWAY_PID=$pid GATEWAY_LOG="(in $work)" gateway_stop
  done
  instance_pids=()
}
cleanup() {
  local pid
  for pid in "${wrk_pids[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
  stop_instances || true
  if [ -n "$pg_pid" ]; then
    kill -INT "$pg_pid" 2> /dev/null || true  # fast shutdown: the clients are gone already
    wait "$pg_pid" 2> /dev/null || true
  fi
  rm -rf "$work" "$pg_dir"
}
trap cleanup EXIT
bench_tls_setup "$work"
sqlite_config=$BENCH_CONFIG

# PostgreSQL refuses to run as root; then it runs as nobody, in a directory of its own.
as_pg=(setpriv --pdeathsig QUIT)
if [ "$(id -u)" -eq 0 ]; then
  as_pg+=(--reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups)
  chown "$(id -u nobody):$(id -g nobody)" "$pg_dir"
fi
as_pg+=(--)
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U carebridge --auth=trust --no-locale -E UTF8 \
  --no-instructions > "$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log" >&2; exit 1; }
pg_port=$(free_port)
"${server_pin[@]}" "${as_pg[@]}" "$pg_bin/postgres" -D "$pg_dir/data" -p "$pg_port" -h 127.0.0.1 -k "$pg_dir" \
  > "$pg_dir/postgres.log" 2>&1 &
pg_pid=$!
for _ in $(seq 1 600); do
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break
  kill -0 "$pg_pid" 2> /dev/null || { echo "postgres did not start:" >&2; cat "$pg_dir/postgres.log" >&2; exit 1; }
  sleep 0.1
done
"$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" || { echo "postgres did not accept connections within 60 s" >&2; exit 1; }

# pg_sql SQL [DATABASE]: one statement, the bare answer.
pg_sql() {
  "$pg_bin/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U carebridge -d "${2:-postgres}" -c "$1"
}
pg_settings=$(pg_sql "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings
  WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers', 'commit_delay', 'max_wal_size')")
pg_version=$(pg_sql "SHOW server_version" | cut -d' ' -f1)

# pg_cpu_seconds: CPU seconds of the whole server so far: the postmaster, its
# live processes (backends, WAL writer, checkpointer) and those it has reaped.
pg_cpu_seconds() {
  python3 - "$pg_pid" <<'EOF'
import os, sys
root, total = sys.argv[1], 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    f = stat[stat.rindex(")") + 2:].split()  # f[1] ppid, f[11..14] utime stime cutime cstime
    if pid == root:
        total += sum(int(x) for x in f[11:15])
    elif f[1] == root:
        total += int(f[11]) + int(f[12])
print(f"{total / os.sysconf('SC_CLK_TCK'):.2f}")
EOF
}

# start_instances COUNT CONFIG STORE_PREFIX: COUNT gateways with CONFIG, data in
# STORE_PREFIX-0, -1 …; the first makes the audit signing key and the others get a
# copy, as deployments share one key (README, "Scaling out"). Sets instance_pids/ports.
start_instances() {
  local count=$1 i
  BENCH_CONFIG=$2
  instance_pids=() instance_ports=()
  for i in $(seq 0 $((count - 1))); do
    if [ "$i" -gt 0 ]; then
      mkdir -p "$3-$i"
      cp "$3-0/audit-signing-key.pem" "$3-0/audit-signing-key.pub.pem" "$3-$i/"
    fi
    gateway_start "$bin" "$3-$i" "$server_cpus"
    instance_pids+=("$GATEWAY_PID") instance_ports+=("$GATEWAY_PORT")
  done
}

# load SECONDS KEY [--latency]: one wrk per instance at once, the connections
# split evenly; waits for all. Output in $work/wrk.I.{out,time,q}.
load() {
  local seconds=$1 key=$2 latency=${3:-} count=${#instance_ports[@]} i share threads
  wrk_pids=()
  for i in $(seq 0 $((count - 1))); do
    share=$(( c / count + (i < c % count ? 1 : 0) ))
    threads=$(( share < wrk_threads ? share : wrk_threads ))
    rm -f "$work/wrk.$i.q"
    ( export WRK_QUANTILES=$work/wrk.$i.q
      { time "${client_pin[@]}" wrk -t"$threads" -c"$share" --timeout 10s -d"${seconds}s" $latency \
          -s bench/http/post_referral.lua "https://127.0.0.1:${instance_ports[$i]}/fhir" -- "$body" "$BENCH_TOKEN" "$key-$i" \
          > "$work/wrk.$i.out"; } 2> "$work/wrk.$i.time" ) &
    wrk_pids+=($!)
  done
  local pid failed=0
  for pid in "${wrk_pids[@]}"; do wait "$pid" || failed=1; done
  wrk_pids=()
  [ "$failed" -eq 0 ] || { cat "$work"/wrk.*.out "$work"/wrk.*.time >&2; echo "a wrk failed" >&2; return 1; }
}

# sum_counters: gateway_counters (201s, commits, write sets) summed over the instances.
sum_counters() {
  local port
  for port in "${instance_ports[@]}"; do gateway_counters "$port"; done | awk '{ a += $1; b += $2; c += $3 } END { printf "%d %d %d\n", a, b, c }'
}
sum_gateway_cpu() {
  local pid
  for pid in "${instance_pids[@]}"; do cpu_times "$pid"; done | awk '{ t += $1 + $2 } END { printf "%.2f\n", t }'
}

mkdir -p "$(dirname "$results")"
rows=$results.tsv raw=${results}_wrk.txt
: > "$raw"
printf 'target\tinstances\tconnections\trun\treq_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tgateway_cpu_pct\tpostgres_cpu_pct\tcpu_us_per_req\twrites_per_commit\trequests\tcreated_201\tstored\taudit_entries\taudit_verify\tnon_2xx\tsocket_errors\twrk_cpu_pct\tothers_cpu_pct\n' > "$rows"
TIMEFORMAT='%U %S'
targets="sqlite"
for n in $instances; do targets+=" pg$n"; done
run_id=$(date +%s)-$$

for c in $connections; do
  for r in $(seq 1 "$runs"); do
    for target in $targets; do
      key=$run_id-$target-c$c-r$r
      store=$work/store-$target-c$c-r$r
      wait_for_quiet "$quiet"
      if [ "$target" = sqlite ]; then
        n=1 config=$sqlite_config db=
      else
        n=${target#pg} db=bench_${target}_c${c}_r${r}
        pg_sql "CREATE DATABASE $db"
        config=$work/gateway-$db.json
        sed "s|\"store\": \"sqlite:[^\"]*\"|\"store\": \"postgresql://carebridge@127.0.0.1:$pg_port/$db\"|" "$sqlite_config" > "$config"
      fi
      start_instances "$n" "$config" "$store"
      # Warm-up at the same concurrency: handshakes done, the backends' caches and the allocator settled.
      [ "$warmup" -eq 0 ] || load "$warmup" "$key-warm"
      read -r created_before commits_before sets_before < <(sum_counters)
      gw_before=$(sum_gateway_cpu) pg_before=$(pg_cpu_seconds) busy_before=$(machine_busy_seconds)
      start_ns=$(date +%s%N)
      load "$duration" "$key" --latency
      wall_ns=$(( $(date +%s%N) - start_ns ))
      busy_after=$(machine_busy_seconds) gw_after=$(sum_gateway_cpu) pg_after=$(pg_cpu_seconds)
      read -r created_after commits_after sets_after < <(sum_counters)
      [ "$target" = sqlite ] && pg_after=$pg_before  # PostgreSQL idles meanwhile; not the SQLite gateway's cost
      stop_instances

      # Untimed: what the load left in the store, and whether its audit log is one intact chain.
      if [ "$target" = sqlite ]; then
        read -r stored entries < <(python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(*(db.execute(f"select count(*) from {t}").fetchone()[0] for t in ("messages", "audit_entries")))' "$store-0/carebridge.sqlite")
      else
        stored=$(pg_sql "SELECT count(*) FROM messages" "$db") entries=$(pg_sql "SELECT count(*) FROM audit_entries" "$db")
      fi
      verdict=intact
      verify_out=$("$bin" audit verify --config "$config" --data "$store-0" 2>&1) || verdict=FAILED
      { echo "=== $target ($n instance(s)), $c connections, run $r ==="; cat "$work"/wrk.*.out
        echo "audit verify: $(tr '\r' '\n' <<< "$verify_out" | grep -v '^checked' | grep -v '^ *$')"; } >> "$raw"
      [ -z "$db" ] || pg_sql "DROP DATABASE $db"
      rm -rf "$store"-*

      python3 - "$rows" "$target" "$n" "$c" "$r" "$wall_ns" "$(awk -v a="$gw_before" -v b="$gw_after" 'BEGIN { print b - a }')" \
        "$(awk -v a="$pg_before" -v b="$pg_after" 'BEGIN { print b - a }')" "$(awk -v a="$busy_before" -v b="$busy_after" 'BEGIN { print b - a }')" \
        "$((commits_after - commits_before))" "$((sets_after - sets_before))" "$((created_after - created_before))" \
        "$stored" "$entries" "$verdict" "$work" <<'EOF'
import glob, re, sys
(rows, target, n, c, r, wall_ns, gw_cpu, pg_cpu, busy, commits, sets, created, stored, entries, verdict, work) = sys.argv[1:]
wall = int(wall_ns) / 1e9
req_s = requests = non2xx = errors = 0
wrk_cpu = 0.0
points, longest = [], 0  # (latency µs, requests it stands for): each wrk's quantiles at every 0.1 %
for out in sorted(glob.glob(f"{work}/wrk.*.out")):
    i = out.split(".")[-2]
    line = next(l for l in open(out) if l.startswith("wrk-result"))
    f = dict(kv.split("=") for kv in line.split()[1:])
    requests += int(f["requests"])
    req_s += int(f["requests"]) / (int(f["duration_us"]) / 1e6)  # each wrk ran its own -d; together they add up
    non2xx += int(f["non_2xx"])
    errors += sum(int(f[k]) for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    wrk_cpu += sum(float(x) for x in open(f"{work}/wrk.{i}.time").read().split())
    longest = max(longest, int(f["max_us"]))
    if int(f["requests"]) > 0:
        points += [(int(l.split()[1]), int(f["requests"]) / 1000) for l in open(f"{work}/wrk.{i}.q")]
points.sort()
def pct(p):  # the smallest latency with at least p % of all requests at or under it
    need, seen = p / 100 * sum(w for _, w in points), 0
    for us, w in points:
        seen += w
        if seen >= need - 1e-9:
            return us / 1000
    return 0.0
cpu = float(gw_cpu) + float(pg_cpu)
row = [target, n, c, r, f"{req_s:.0f}", f"{pct(50):.2f}", f"{pct(90):.2f}", f"{pct(99):.2f}", f"{longest / 1000:.2f}",
       f"{100 * float(gw_cpu) / wall:.0f}", f"{100 * float(pg_cpu) / wall:.0f}", f"{1e6 * cpu / max(requests, 1):.0f}",
       f"{int(sets) / int(commits) if int(commits) else 0:.1f}", requests, created, stored, entries, verdict, non2xx, errors,
       f"{100 * wrk_cpu / wall:.0f}", f"{100 * (float(busy) - cpu - wrk_cpu) / wall:.0f}"]
open(rows, "a").write("\t".join(map(str, row)) + "\n")
print(f"{target:7s} {n} instance(s) {int(c):3d} connections, run {r}: {req_s:6.0f} req/s  p50 {pct(50):7.2f} ms  p99 {pct(99):8.2f} ms  "
      f"gateways' CPU {row[9]} %  PostgreSQL's {row[10]} %  {row[11]} µs/req  stored {stored} of {created} 201s  "
      f"audit {entries} entries {verdict}  non-2xx {non2xx}  errors {errors}  other processes {row[21]} %")
EOF
      [ "$verdict" = intact ] || { echo "postgresql.sh: audit verify failed after $target at $c connections: $verify_out" >&2; exit 1; }
      [ "$stored" -ge "$((created_after - created_before))" ] || { echo "postgresql.sh: fewer rows stored ($stored) than 201s ($((created_after - created_before)))" >&2; exit 1; }
    done
  done
done

commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
git diff --quiet HEAD -- gateway mappers 2>/dev/null || commit="$commit + uncommitted changes"

# The tables: median of the runs at each point with the spread; the ratios run
# by run (the same moment on the machine), then their median.
python3 - "$rows" "$mode" "$duration" "$runs" "$commit" "$pin" "$pg_version" "$pg_settings" \
  "$(df -T "$pg_dir" | awk 'NR == 2 { print $2 }')" "$results" > "$results.md" <<'EOF'
import csv, datetime, os, statistics, sys
rows, mode, duration, runs, commit, pin, pg_version, pg_settings, fs, prefix = sys.argv[1:]
data = list(csv.DictReader(open(rows), delimiter="\t"))
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t")
targets = list(dict.fromkeys(r["target"] for r in data))
conns = sorted({int(r["connections"]) for r in data})
name = lambda t: "SQLite, 1 instance" if t == "sqlite" else f"PostgreSQL, {t[2:]} instance{'s' if t[2:] != '1' else ''}"
med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
print(f"# HTTPS intake on PostgreSQL, 1 to {max(int(r['instances']) for r in data)} gateway instances on one database, "
      f"beside SQLite ({mode}: {runs} run(s) of {duration} s per point, targets interleaved)\n")
print(f"- machine: {os.cpu_count()} cores, {cpu}; date {datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}; commit {commit}")
print("- " + ("the servers (every gateway instance and every PostgreSQL process) pinned to core 0, wrk (one process per "
              "instance, one thread each) to core 1: the SQLite gateway and the PostgreSQL side get the same one core"
              if pin == "yes" else "not pinned: servers and wrk share both cores"))
print(f"- PostgreSQL {pg_version}, initdb defaults, data on {fs}: {pg_settings}; the SQLite store: WAL, synchronous=FULL. "
      "Both reply 201 only after their commit is flushed")
print("- the golden FHIR Bundle, a new Idempotency-Key per request; the connections split evenly over the instances; "
      "p50/p99 over the requests of all the wrk processes together (their quantiles at every 0.1 % merged, weighted by requests)\n")
print("| store | connections | req/s | runs: req/s | p50 ms | p99 ms | gateways' CPU | PostgreSQL's CPU | CPU µs/req (all servers) "
      "| write sets/commit | other processes' CPU | stored rows ≥ 201s | audit verify | non-2xx, errors |")
print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
curve = open(prefix + "_curve.tsv", "w")
curve.write("target\tinstances\tconnections\treq_s\treq_s_min\treq_s_max\tp99_ms\tp99_ms_min\tp99_ms_max\n")
for c in conns:
    for t in targets:
        rs = [r for r in data if r["target"] == t and int(r["connections"]) == c]
        if not rs:
            continue
        spread = ", ".join(format(float(r["req_s"]), ",.0f") for r in rs)
        kept = all(int(r["stored"]) >= int(r["created_201"]) for r in rs)
        intact = all(r["audit_verify"] == "intact" for r in rs)
        entries = sum(int(r["audit_entries"]) for r in rs)
        print(f"| {name(t)} | {c} | **{med(rs, 'req_s'):,.0f}** | {spread} | {med(rs, 'p50_ms'):.2f} | {med(rs, 'p99_ms'):.2f} | "
              f"{med(rs, 'gateway_cpu_pct'):.0f} % | {'–' if t == 'sqlite' else format(med(rs, 'postgres_cpu_pct'), '.0f') + ' %'} | "
              f"{med(rs, 'cpu_us_per_req'):,.0f} | {med(rs, 'writes_per_commit'):.1f} | {med(rs, 'others_cpu_pct'):.0f} % | "
              f"{'yes' if kept else 'NO'} | {'intact' if intact else 'FAILED'} ({entries:,} entries) | "
              f"{sum(int(r['non_2xx']) for r in rs)}, {sum(int(r['socket_errors']) for r in rs)} |")
        req = [float(r["req_s"]) for r in rs]; p99 = [float(r["p99_ms"]) for r in rs]
        curve.write(f"{t}\t{rs[0]['instances']}\t{c}\t{statistics.median(req):.0f}\t{min(req):.0f}\t{max(req):.0f}\t"
                    f"{statistics.median(p99):.2f}\t{min(p99):.2f}\t{max(p99):.2f}\n")
pg = [t for t in targets if t != "sqlite"]
def ratio_cells(base):
    cells = []
    for c in conns:
        line = []
        for t in pg:
            by_run = {}
            for r in data:
                if int(r["connections"]) == c and r["target"] in (base, t):
                    by_run.setdefault(r["run"], {})[r["target"]] = float(r["req_s"])
            rs = [v[t] / v[base] for v in by_run.values() if v.get(base) and t in v]
            line.append(f"**{statistics.median(rs):.2f}** ({min(rs):.2f}–{max(rs):.2f})" if rs else "–")
        cells.append(f"| {c} | " + " | ".join(line) + " |")
    return cells
if pg and "sqlite" in targets:
    print("\nreq/s over the SQLite gateway's, run by run (the same moment on the machine), median and range:\n")
    print("| connections | " + " | ".join(name(t) for t in pg) + " |")
    print("|---:|" + "---:|" * len(pg))
    print("\n".join(ratio_cells("sqlite")))
if len(pg) > 1 and "pg1" in pg:
    print("\nreq/s over one PostgreSQL instance's, run by run, median and range (linear scaling would be the instance count):\n")
    print("| connections | " + " | ".join(name(t) for t in pg) + " |")
    print("|---:|" + "---:|" * len(pg))
    print("\n".join(ratio_cells("pg1")))
print("\nAfter each run, untimed: the gateways stopped (drained), the messages and audit entries counted in the store, "
      "and `carebridge audit verify` run on it (for PostgreSQL the one log all instances appended to).")
EOF
cat "$results.md"
