#!/usr/bin/env bash
# The auditor's page tested end to end in headless Chromium (Debian's
# chromium, driven by the npm package playwright-core): see
# audit_page.test.js. Screenshots go to SOURCE_DIR/build/test-artifacts/.
# Usage: run.sh CAREBRIDGE_BINARY NODE_MODULES_DIR SOURCE_DIR [FHIR_VALIDATOR_MODULES_DIR]
set -euo pipefail
bin=$1 modules=$2 src=$3 fhir_modules=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$modules/playwright-core" ] || [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "chromium or playwright-core is missing: run deploy/install-browser-test.sh" >&2
  exit 1
fi
export NODE_PATH=$modules${fhir_modules:+:$fhir_modules} CAREBRIDGE_BINARY=$bin CAREBRIDGE_SOURCE=$src
export ARTIFACTS_DIR=${ARTIFACTS_DIR:-$src/build/test-artifacts}
exec node "$here/audit_page.test.js"
