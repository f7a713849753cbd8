#!/usr/bin/env bash
# The README's test command: installs dependencies, builds with -Werror, runs the unit and
# integration tests, and (in CI) the decoder fuzzer for a bounded time.
# Usage: scripts/test.sh            (build dir: build/)
# Env:   BUILD_DIR, JOBS, FUZZ_SECONDS (default 60 in CI, 0 otherwise)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-$([ "${CI:-}" = "true" ] && echo 60 || echo 0)}

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPIKELINE_WERROR=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest_log="$BUILD_DIR/ctest.log"
ctest_rc=0
ctest --test-dir "$BUILD_DIR" -L 'unit|integration' --output-on-failure -j "$JOBS" --timeout 300 \
  2>&1 | tee "$ctest_log" || ctest_rc=$?

fuzz_rc=0
if [ "$ctest_rc" -eq 0 ] && [ "$FUZZ_SECONDS" -gt 0 ] && [ -x scripts/fuzz.sh ]; then
  bash scripts/fuzz.sh "$FUZZ_SECONDS" > "$BUILD_DIR/fuzz.log" 2>&1 || fuzz_rc=$?
  tail -n 3 "$BUILD_DIR/fuzz.log"
  [ "$fuzz_rc" -eq 0 ] && echo "fuzz: wire decoder ran ${FUZZ_SECONDS}s without a crash" \
    || echo "fuzz: FAILED (exit $fuzz_rc), see $BUILD_DIR/fuzz.log"
fi

# ctest's closing summary last, so it is what a reader (and CI) sees at the end.
grep -E '^[0-9]+% tests passed' "$ctest_log" || true
if [ "$ctest_rc" -ne 0 ]; then exit "$ctest_rc"; fi
exit "$fuzz_rc"
