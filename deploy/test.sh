#!/usr/bin/env bash
# Sets up and runs every test:
#   1. installs what is missing (Debian packages; FHIR.js from npm, the
#      independent validator the FHIR output is checked with; Chromium and
#      playwright-core for the auditor page's browser test), builds Debug
#      with tests, runs ctest;
#   2. builds the tests again under AddressSanitizer + UndefinedBehaviorSanitizer
#      and runs them;
#   3. builds the libFuzzer targets with clang and runs each for a bounded time
#      (FUZZ_SECONDS, default 20) on a copy of its seed corpus; a crash fails
#      the run and leaves the input under build/fuzz-crashes/ to be kept as a
#      named regression in tests/fuzz/regressions/.
# Options: --quick runs step 1 only.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option $arg" >&2; exit 1 ;;
  esac
done

./deploy/install-deps.sh
mkdir -p build
./deploy/install-fhir-validator.sh
./deploy/install-browser-test.sh
fuzz_seconds=${FUZZ_SECONDS:-20}
jobs=$(nproc 2>/dev/null || echo 2)
export CTEST_OUTPUT_ON_FAILURE=1

# The test builds link each folder as a shared library (its links checked with
# --no-undefined) and keep line tables only (-g1: enough for a backtrace and a
# sanitizer report): a test binary is then ~1 MB instead of 170-250 MB, and
# linking ~50 of them takes seconds, not the most of the run.
test_build=(-DBUILD_SHARED_LIBS=ON -DCMAKE_CXX_FLAGS_DEBUG=-g1 "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")

echo "== building (Debug, tests)"
./deploy/build.sh build/debug -DCMAKE_BUILD_TYPE=Debug -DCAREBRIDGE_BENCH=ON "${test_build[@]}"

if [ "$quick" -eq 0 ]; then
  echo "== building under AddressSanitizer + UndefinedBehaviorSanitizer"
  ./deploy/build.sh build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAREBRIDGE_SANITIZE=ON -DCAREBRIDGE_BENCH=OFF \
    "${test_build[@]}"

  echo "== building the fuzz targets (clang, libFuzzer)"
  CXX=clang++ ./deploy/build.sh build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAREBRIDGE_FUZZ=ON \
    -DCAREBRIDGE_TESTS=OFF -DCAREBRIDGE_BENCH=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"

  echo "== fuzzing each decoder for ${fuzz_seconds}s"
  mkdir -p build/fuzz-crashes
  for target in build/fuzz/tests/fuzz/fuzz_*; do
    name=$(basename "$target" | sed -e 's/^fuzz_//' -e 's/_decode$//')
    work=$(mktemp -d)
    cp tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
    echo "-- $(basename "$target")"
    if ! "$target" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
         -artifact_prefix="build/fuzz-crashes/$name-" -print_final_stats=1 "$work" > "build/fuzz-$name.log" 2>&1; then
      tail -n 40 "build/fuzz-$name.log"
      echo "fuzzing $(basename "$target") found a crash: see build/fuzz-crashes/" >&2
      exit 1
    fi
    grep -E "^stat::number_of_executed_units|^Done" "build/fuzz-$name.log" || true
    rm -rf "$work"
  done

  echo "== tests under the sanitizers"
  ctest --test-dir build/asan -j "$jobs" --timeout 300
fi

echo "== tests"
ctest --test-dir build/debug -j "$jobs" --timeout 300
