#!/usr/bin/env bash
# Sets everything up and runs carebridge on its embedded default: installs the
# dependencies, builds Release, then translates the bundled sample referral
# through all three formats and prints each step.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./deploy/install-deps.sh
mkdir -p build
./deploy/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DCAREBRIDGE_TESTS=OFF -DCAREBRIDGE_BENCH=OFF

bin=build/release/gateway/carebridge
sample=config/demo-referral.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n=== %s ===\n' "$1"; }

step "1. The sample referral as FHIR R4 (UK Core) → partnership referral JSON"
"$bin" translate --from fhir --to referral "$sample" > "$work/referral.json"
cat "$work/referral.json"

step "2. Partnership referral JSON → care-notes XML export"
"$bin" translate --from referral --to carenotes "$work/referral.json" > "$work/carenotes.xml"
cat "$work/carenotes.xml"

step "3. Care-notes XML export → FHIR R4 Bundle"
"$bin" translate --from carenotes --to fhir "$work/carenotes.xml" > "$work/bundle.ndjson"
head -c 1500 "$work/bundle.ndjson"; echo " …"

printf '\nThe referral went FHIR → partnership JSON → care-notes → FHIR. Try it yourself:\n'
printf '  %s translate --help\n' "$bin"
printf '  %s translate --from fhir --to carenotes %s\n' "$bin" "$sample"
