# Sourced by the HTTP benchmarks (intake.sh, postgresql.sh, profile.sh): installs what
# they need, finds the binary, makes a throw-away TLS
# certificate, token and config, starts a gateway on 127.0.0.1 with a free port
# and a store of its own, reads its CPU time and memory from /proc, and stops it.
# Nothing here talks to anything but loopback.

bench_http_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
clock_ticks=$(getconf CLK_TCK)

# bench_install_missing WHO PACKAGE...: installs from Debian the packages not
# installed yet (with sudo unless root), saying so as WHO.
bench_install_missing() {
  local who=$1 p need=()
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  [ ${#need[@]} -gt 0 ] || return 0
  echo "$who: installing ${need[*]}"
  local sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
}

# bench_gateway_binary WHO [PATH]: sets BENCH_BIN to the carebridge binary to
# measure, as an absolute path: PATH, or build/release's (built when missing).
bench_gateway_binary() {
  local who=$1 bin=${2:-}
  if [ -z "$bin" ]; then
    bin=build/release/gateway/carebridge
    if [ ! -x "$bin" ]; then
      ./deploy/install-deps.sh
      mkdir -p build
      ./deploy/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DCAREBRIDGE_TESTS=OFF
    fi
  fi
  [ -x "$bin" ] || { echo "$who: no carebridge binary at $bin" >&2; return 1; }
  BENCH_BIN=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
}

# bench_tls_setup DIR: an EC P-256 certificate for IP 127.0.0.1, a random
# submitter token and the gateway config, all in DIR. Sets BENCH_CERT,
# BENCH_TOKEN and BENCH_CONFIG. THREADS (default 0: one per core) goes in the config.
bench_tls_setup() {
  local dir=$1 threads=${2:-0}
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=carebridge-bench" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  BENCH_CERT=$dir/cert.pem
  BENCH_TOKEN=bench-$(openssl rand -hex 16)
  local hash
  hash=$(printf %s "$BENCH_TOKEN" | sha256sum | cut -d' ' -f1)
  BENCH_CONFIG=$dir/gateway.bench.json
  sed -e "s|@CERTIFICATE@|$dir/cert.pem|" -e "s|@PRIVATE_KEY@|$dir/key.pem|" \
      -e "s|@STORE@|$dir/store|" -e "s|@TOKEN_SHA256@|$hash|" -e "s|@THREADS@|$threads|" \
      "$bench_http_dir/gateway.bench.json.in" > "$BENCH_CONFIG"
}

# gateway_start BIN STORE_DIR [CPUS] [WRAPPER...]: starts `BIN serve` on
# 127.0.0.1:0 with the store in STORE_DIR, pinned to CPUS when given, and waits
# until it listens. Sets GATEWAY_PID and GATEWAY_PORT. WRAPPER (e.g. valgrind
# and its options) runs the gateway under it.
gateway_start() {
  local bin=$1 store=$2 cpus=${3:-}
  shift 3 || shift $#
  local pin=()
  [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  mkdir -p "$store"
  GATEWAY_LOG=$store.log
  : > "$GATEWAY_LOG"  # before the gateway starts, so the wait below can read it at once
  "${pin[@]}" "$@" "$bin" serve --config "$BENCH_CONFIG" --listen 127.0.0.1:0 --data "$store" --quiet \
    > /dev/null 2> "$GATEWAY_LOG" &
  GATEWAY_PID=$!
  GATEWAY_PORT=
  local waited=0
  while [ -z "$GATEWAY_PORT" ]; do
    if ! kill -0 "$GATEWAY_PID" 2>/dev/null; then
      echo "the gateway did not start:" >&2; cat "$GATEWAY_LOG" >&2; return 1
    fi
    GATEWAY_PORT=$(sed -n 's|.*listening on https://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$GATEWAY_LOG")
    [ -n "$GATEWAY_PORT" ] && break
    sleep 0.05
    waited=$((waited + 1))
    # 60 s: under valgrind the start takes a while.
    [ "$waited" -lt 1200 ] || { echo "the gateway did not listen within 60 s" >&2; gateway_stop; return 1; }
  done
}

# gateway_stop: SIGTERM drains and exits 0; only the gateway this script started is signalled.
gateway_stop() {
  [ -n "${GATEWAY_PID:-}" ] || return 0
  kill -TERM "$GATEWAY_PID" 2>/dev/null || true
  local status=0
  wait "$GATEWAY_PID" 2>/dev/null || status=$?
  [ "$status" -eq 0 ] || echo "the gateway exited with status $status (log: $GATEWAY_LOG)" >&2
  GATEWAY_PID=
}

# cpu_times PID: "USER SYSTEM" CPU seconds of the process so far, all threads.
cpu_times() {
  # Fields after the ")" that ends the command name: utime and stime are 12th and 13th.
  local stat
  stat=$(cat "/proc/$1/stat")
  stat=${stat##*) }
  awk -v ticks="$clock_ticks" '{ printf "%.2f %.2f\n", $12 / ticks, $13 / ticks }' <<< "$stat"
}

# machine_busy_seconds: CPU seconds all cores have spent busy since boot, so
# that what other processes took during a run can be told apart.
machine_busy_seconds() {
  awk -v ticks="$clock_ticks" '$1 == "cpu" { printf "%.2f\n", ($2 + $3 + $4 + $7 + $8 + $9) / ticks }' /proc/stat
}

# wait_for_quiet SECONDS: on a shared machine, waits (at most SECONDS) for a
# second in which other processes use under a quarter of one core, so a run
# does not start in the middle of someone's build. Returns at once with 0.
wait_for_quiet() {
  local limit=$1 waited=0 before after
  while [ "$waited" -lt "$limit" ]; do
    before=$(machine_busy_seconds); sleep 1; after=$(machine_busy_seconds)
    awk -v a="$before" -v b="$after" 'BEGIN { exit !(b - a < 0.25) }' && return 0
    waited=$((waited + 1))
  done
  [ "$limit" -eq 0 ] || echo "  (the machine stayed busy for $limit s; running anyway: see the others' CPU column)" >&2
}

# status_mb PID FIELD: a memory line of /proc/PID/status (VmRSS, VmHWM) in MB.
status_mb() {
  awk -v f="$2:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# metric_value PORT NAME_AND_LABELS: one sample from the gateway's /metrics (0 when absent).
metric_value() {
  curl -sk "https://127.0.0.1:$1/metrics" | awk -v m="$2" 'index($0, m " ") == 1 { v = $2 } END { print v + 0 }'
}

# gateway_counters PORT: "CREATED COMMITS WRITE_SETS": 201s on POST /fhir, store
# transactions and the write sets they carried, so far.
gateway_counters() {
  curl -sk "https://127.0.0.1:$1/metrics" | awk '
    index($0, "carebridge_http_requests_total{route=\"/fhir\",status=\"201\"} ") == 1 { created = $2 }
    index($0, "carebridge_store_commit_duration_seconds_count") == 1 { commits = $2 }
    index($0, "carebridge_store_committed_write_sets_total") == 1 { sets = $2 }
    END { printf "%d %d %d\n", created, commits, sets }'
}
