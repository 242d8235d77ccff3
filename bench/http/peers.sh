# Sourced by bench/http/intake.sh after gateway.sh: starts and stops each
# server the intake benchmark loads, the gateway or a peer, the same way, so
# one loop measures them all in the same run on the same inputs:
#   carebridge    `carebridge serve`, durable SQLite store (gateway.sh)
#   baseline      the same, from the binary intake.sh --baseline names (a before/after in one run)
#   nginx         nginx answering a fixed 201 over the same TLS (the HTTP ceiling)
#   node          node-fhir-server-core taking the Bundle, kept in memory (bench/peers/fhir_server.js)
#   node-durable  the same, appended to a file and fdatasync'd before the 201
# Every server listens on 127.0.0.1 only, with the certificate and key
# bench_tls_setup made.

bench_top=$(cd "$bench_http_dir/../.." && pwd)

# free_port: a port on 127.0.0.1 nothing listens on now, for servers that
# cannot be asked for port 0 and tell which they got (nginx).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_listening PID URL_FILE_OR_PORT LOG: waits (60 s at most) until the
# server answers a TLS handshake on 127.0.0.1:PORT.
wait_listening() {
  local pid=$1 port=$2 log=$3 waited=0
  until openssl s_client -connect "127.0.0.1:$port" < /dev/null > /dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the server did not start:" >&2; cat "$log" >&2; return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
    [ "$waited" -lt 600 ] || { echo "the server did not listen within 60 s (log: $log)" >&2; return 1; }
  done
}

# target_start TARGET STORE_DIR [CPUS]: starts TARGET pinned to CPUS. Sets
# TARGET_PID and TARGET_URL (where wrk POSTs the Bundle).
target_start() {
  local target=$1 store=$2 cpus=${3:-}
  local pin=()
  [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  TARGET_NAME=$target
  case $target in
    carebridge | baseline)
      local which=$bin
      [ "$target" = baseline ] && which=${baseline_bin:?intake.sh --baseline names the baseline binary}
      gateway_start "$which" "$store" "$cpus"
      TARGET_PID=$GATEWAY_PID TARGET_URL=https://127.0.0.1:$GATEWAY_PORT/fhir
      ;;
    nginx)
      mkdir -p "$store"
      local port conf=$store/nginx.conf
      port=$(free_port)
      sed -e "s|@DIR@|$store|g" -e "s|@PORT@|$port|" -e "s|@CERTIFICATE@|$BENCH_CERT|" \
          -e "s|@PRIVATE_KEY@|$(dirname "$BENCH_CERT")/key.pem|" "$bench_http_dir/nginx.bench.conf.in" > "$conf"
      : > "$store.log"
      "${pin[@]}" nginx -c "$conf" -p "$store" -e "$store/nginx.error.log" > "$store.log" 2>&1 &
      TARGET_PID=$!
      wait_listening "$TARGET_PID" "$port" "$store.log"
      TARGET_URL=https://127.0.0.1:$port/fhir
      ;;
    node | node-durable)
      mkdir -p "$store"
      local durable=()
      [ "$target" = node-durable ] && durable=(--durable "$store/bundles.ndjson")
      : > "$store.log"  # before the server starts, so the wait below can read it at once
      "${pin[@]}" node "$bench_top/bench/peers/fhir_server.js" --cert "$BENCH_CERT" \
        --key "$(dirname "$BENCH_CERT")/key.pem" --token-sha256 "$(printf %s "$BENCH_TOKEN" | sha256sum | cut -d' ' -f1)" \
        "${durable[@]}" > "$store.log" 2>&1 &
      TARGET_PID=$!
      local port= waited=0
      while [ -z "$port" ]; do
        kill -0 "$TARGET_PID" 2>/dev/null || { echo "the Node FHIR server did not start:" >&2; cat "$store.log" >&2; return 1; }
        port=$(sed -n 's|^listening on https://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$store.log")
        [ -n "$port" ] && break
        sleep 0.1
        waited=$((waited + 1))
        [ "$waited" -lt 600 ] || { echo "the Node FHIR server did not listen within 60 s" >&2; return 1; }
      done
      TARGET_URL=https://127.0.0.1:$port/4_0_0/Bundle
      ;;
    *) echo "unknown target $target (carebridge, nginx, node, node-durable)" >&2; return 1 ;;
  esac
}

# target_stop: stops the server target_start started (only that process).
target_stop() {
  [ -n "${TARGET_PID:-}" ] || return 0
  if [ "$TARGET_NAME" = carebridge ] || [ "$TARGET_NAME" = baseline ]; then
    gateway_stop
  else
    # nginx without a master stops on SIGQUIT after its requests; node on SIGTERM.
    if [ "$TARGET_NAME" = nginx ]; then kill -QUIT "$TARGET_PID" 2>/dev/null || true
    else kill -TERM "$TARGET_PID" 2>/dev/null || true; fi
    wait "$TARGET_PID" 2>/dev/null || true
  fi
  TARGET_PID=
}

# target_tls URL: "PROTOCOL CIPHER" the server negotiates with OpenSSL's client.
target_tls() {
  local hostport=${1#https://}
  hostport=${hostport%%/*}
  openssl s_client -connect "$hostport" < /dev/null 2>/dev/null |
    sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is \(.*\)$/\1 \2/p' | head -n 1
}
