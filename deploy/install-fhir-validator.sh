#!/usr/bin/env bash
# Installs FHIR.js (npm package `fhir`, pinned), the independent FHIR R4
# validator the tests check carebridge's FHIR output with, into
# build/fhir-validator/. Installs Debian's nodejs and npm first if node is
# missing. Does nothing when it is already there.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
prefix=$top/build/fhir-validator
version=4.12.0

if [ -f "$prefix/node_modules/fhir/package.json" ] &&
   grep -q "\"version\": \"$version\"" "$prefix/node_modules/fhir/package.json"; then
  echo "install-fhir-validator: FHIR.js $version is present"
  exit 0
fi
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm
fi
mkdir -p "$prefix"
echo "install-fhir-validator: installing FHIR.js $version from the npm registry"
npm install --prefix "$prefix" --no-audit --no-fund --no-save "fhir@$version" > "$prefix/npm.log" 2>&1 ||
  { cat "$prefix/npm.log"; exit 1; }
