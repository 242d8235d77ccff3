#!/usr/bin/env bash
# Installs what the auditor page's browser test needs: Debian's `chromium`
# (the browser, at /usr/bin/chromium) and the npm package `playwright-core`
# (pinned; it drives that browser and downloads none of its own) into
# build/browser-test/. Installs Debian's nodejs and npm first if node is
# missing. Does nothing when both are already there.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
prefix=$top/build/browser-test
version=1.65.1

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node > /dev/null || missing+=(nodejs)
command -v npm > /dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-browser-test: installing ${missing[*]} from Debian"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ -f "$prefix/node_modules/playwright-core/package.json" ] &&
   grep -q "\"version\": \"$version\"" "$prefix/node_modules/playwright-core/package.json"; then
  echo "install-browser-test: chromium and playwright-core $version are present"
  exit 0
fi
mkdir -p "$prefix"
echo "install-browser-test: installing playwright-core $version from the npm registry"
# playwright-core never downloads a browser on install; the test uses /usr/bin/chromium.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$prefix" --no-audit --no-fund --no-save \
  "playwright-core@$version" > "$prefix/npm.log" 2>&1 || { cat "$prefix/npm.log"; exit 1; }
