#!/usr/bin/env bash
# Every FHIR document carebridge writes — from the golden referral in each
# format, and re-encoded from every public example in ../shared/corpus it
# accepts — must be valid FHIR R4 to an independent validator (FHIR.js); a
# deliberately broken Bundle must not be, so the check itself is checked.
# Usage: run.sh CAREBRIDGE_BINARY NODE_MODULES_DIR SOURCE_DIR
set -euo pipefail
bin=$1 modules=$2 src=$3
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$modules/fhir" ]; then
  echo "FHIR.js is not installed in $modules: run deploy/install-fhir-validator.sh" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" translate --quiet --from referral --to fhir "$src/tests/golden/referral.json" > "$work/from-referral.json"
"$bin" translate --quiet --from carenotes --to fhir "$src/tests/golden/referral.carenotes.xml" > "$work/from-carenotes.ndjson"
"$bin" translate --quiet --from fhir --to fhir "$src/tests/golden/referral.fhir.json" > "$work/from-fhir.json"

# The public examples the decoder accepts, written back as carebridge writes them.
corpus_outputs=()
for example in "$src"/../shared/corpus/*/*.json; do
  out="$work/corpus-$(basename "$example")"
  if "$bin" translate --quiet --from fhir --to fhir "$example" > "$out" 2> /dev/null; then
    corpus_outputs+=("$out")
  fi
done
if [ ${#corpus_outputs[@]} -lt 100 ]; then
  echo "only ${#corpus_outputs[@]} corpus examples were translated; is ../shared/corpus there?" >&2
  exit 1
fi

export NODE_PATH=$modules
node "$here/validate.js" "$src/tests/golden/referral.fhir.json" "$work/from-referral.json" \
  "$work/from-carenotes.ndjson" "$work/from-fhir.json" "${corpus_outputs[@]}"
node "$here/validate.js" --expect-invalid "$here/broken-bundle.json"
