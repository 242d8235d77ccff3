#!/usr/bin/env bash
# Sets everything up and runs the carebridge gateway on its embedded default:
# installs the dependencies, builds Release, starts `carebridge serve` on the
# demo partnership (config/demo.json: plain HTTP on 127.0.0.1:8080, SQLite
# store in var/demo), posts the sample referral to it, reads it back, and
# keeps serving until Ctrl-C (which drains and stops it cleanly).
# Options: --once stops the gateway after the sample instead of serving on.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

once=0
for arg in "$@"; do
  case "$arg" in
    --once) once=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $arg" >&2; exit 1 ;;
  esac
done

./deploy/install-deps.sh
mkdir -p build
./deploy/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DCAREBRIDGE_TESTS=OFF -DCAREBRIDGE_BENCH=OFF

bin=build/release/gateway/carebridge
base=http://127.0.0.1:8080
log=build/demo-gateway.log
step() { printf '\n=== %s ===\n' "$1"; }

if curl -fsS -o /dev/null "$base/healthz" 2>/dev/null; then
  echo "run.sh: something already answers on $base; stop it first (is a demo gateway still running?)" >&2
  exit 1
fi

step "Starting the gateway: $bin serve --config config/demo.json"
"$bin" serve --config config/demo.json > "$log" 2>&1 &
gateway=$!
trap 'kill -TERM $gateway 2>/dev/null || true; wait $gateway 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" "$log" 2>/dev/null && break
  kill -0 $gateway 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
grep "listening on" "$log"

step "Posting the sample referral (config/demo-referral.json, a FHIR message Bundle) as the Trust"
curl -sS -D build/demo-headers.txt -o build/demo-outcome.json -X POST "$base/fhir" \
  -H 'Authorization: Bearer demo-trust' -H 'Content-Type: application/fhir+json' \
  --data-binary @config/demo-referral.json
sed -n '1p;/^Location/p;/^Idempotent-Replayed/p' build/demo-headers.txt
cat build/demo-outcome.json; echo
location=$(sed -n 's/^Location: *\([^[:space:]]*\).*/\1/p' build/demo-headers.txt)
[ -n "$location" ] || { echo "run.sh: the gateway did not accept the sample referral" >&2; exit 1; }

step "Reading it back as partnership referral JSON: GET $location"
curl -sS "$base$location" -H 'Authorization: Bearer demo-trust' \
  -H 'Accept: application/vnd.carebridge.referral+json' | head -c 1200; echo " …"

step "Reading it back as a care-notes export: Accept: application/xml"
curl -sS "$base$location" -H 'Authorization: Bearer demo-trust' -H 'Accept: application/xml' | head -n 12; echo "  …"

step "The befriending charity collects it from its inbox: GET /partners/befriend/inbox (token demo-befriend)"
echo "(routed by the demo directory: trust → befriend, agreement trust-befriend-direct-care; diagnoses,"
echo " admissions and clinical notes withheld by the vcse-befriending profile)"
curl -sS "$base/partners/befriend/inbox?limit=1" -H 'Authorization: Bearer demo-befriend' | head -c 1500; echo " …"

cat <<TXT

The gateway is serving the demo partnership at $base (store: var/demo/carebridge.sqlite).
Demo tokens: demo-trust, demo-council, demo-gp (submitters), demo-mind, demo-befriend (partners),
demo-auditor, demo-admin. Try:

  curl -s $base/partners/befriend/inbox -H 'Authorization: Bearer demo-befriend'
  curl -i $base/healthz
  curl -s $base/metrics | grep carebridge_http_requests_total
  curl -i -X POST $base/fhir -H 'Authorization: Bearer demo-trust' \\
       -H 'Content-Type: application/fhir+json' --data-binary @config/demo-referral.json
  curl -s $base$location -H 'Authorization: Bearer demo-trust' -H 'Accept: application/fhir+json'
  curl -s -X POST '$base/translate?from=fhir&to=carenotes' -H 'Authorization: Bearer demo-mind' \\
       -H 'Content-Type: application/fhir+json' --data-binary @config/demo-referral.json

Posting the same Bundle again is recognised (Idempotent-Replayed: true) and stored once.
Access log: $log. Ctrl-C drains and stops the gateway.
TXT

if [ "$once" -eq 1 ]; then exit 0; fi
trap - EXIT
trap 'kill -TERM $gateway 2>/dev/null || true' INT TERM
wait $gateway || true
wait $gateway 2>/dev/null || true
