#!/usr/bin/env bash
# The README's test command: installs dependencies, builds with -Werror, runs the unit and
# integration tests, and (in CI) the wire and control-plane fuzzers for a bounded time each.
# Then, in CI or with E2E=1, the e2e label alone (the compose rig: builds images, needs Docker,
# which it installs and starts as root).
# At the end it fails, naming them, if any process this run started (every test process and
# everything they spawn carries SPIKELINE_TEST_RUN in its environment) is still alive.
# Usage: scripts/test.sh            (build dir: build/)
#        STRESS=N scripts/test.sh   the integration label N times over (ctest --repeat
#                                   until-fail:N) at -j twice the cores; no fuzz, no e2e
# Env:   BUILD_DIR, JOBS, FUZZ_SECONDS (default 60 in CI, 0 otherwise), E2E (1 in CI, 0 otherwise)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
STRESS=${STRESS:-0}
FUZZ_SECONDS=${FUZZ_SECONDS:-$([ "${CI:-}" = "true" ] && [ "$STRESS" = 0 ] && echo 60 || echo 0)}
E2E=${E2E:-$([ "${CI:-}" = "true" ] && [ "$STRESS" = 0 ] && echo 1 || echo 0)}
export SPIKELINE_TEST_RUN="$$-$(date +%s%N)"
# Clones in other folders share the compiler cache: paths relative to the clone, and the build
# directory left out of the hash (it only names the debug info's compilation directory).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPIKELINE_WERROR=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest_log="$BUILD_DIR/ctest.log"
ctest_rc=0
if [ "$STRESS" != 0 ]; then
  ctest --test-dir "$BUILD_DIR" -L integration --output-on-failure -j "$(( 2 * $(nproc) ))" \
    --timeout 300 --repeat "until-fail:$STRESS" 2>&1 | tee "$ctest_log" || ctest_rc=$?
else
  ctest --test-dir "$BUILD_DIR" -L 'unit|integration' --output-on-failure -j "$JOBS" --timeout 300 \
    2>&1 | tee "$ctest_log" || ctest_rc=$?
fi

fuzz_rc=0
if [ "$ctest_rc" -eq 0 ] && [ "$FUZZ_SECONDS" -gt 0 ] && [ -x scripts/fuzz.sh ]; then
  bash scripts/fuzz.sh "$FUZZ_SECONDS" > "$BUILD_DIR/fuzz.log" 2>&1 || fuzz_rc=$?
  tail -n 3 "$BUILD_DIR/fuzz.log"
  [ "$fuzz_rc" -eq 0 ] && echo "fuzz: wire decoder and broker control decoding ran ${FUZZ_SECONDS}s each without a crash" \
    || echo "fuzz: FAILED (exit $fuzz_rc), see $BUILD_DIR/fuzz.log"
fi

e2e_rc=0
if [ "$ctest_rc" -eq 0 ] && [ "$E2E" = 1 ]; then
  e2e_start=$(date +%s)
  ctest --test-dir "$BUILD_DIR" -L e2e --output-on-failure --timeout 2700 \
    > "$BUILD_DIR/e2e.log" 2>&1 || e2e_rc=$?
  grep -E 'compose-e2e|SKIP|FAIL|PASS|Passed|Failed|tests passed' "$BUILD_DIR/e2e.log" | tail -n 25
  echo "e2e: $([ "$e2e_rc" -eq 0 ] && echo passed || echo "FAILED (exit $e2e_rc)") in $(( $(date +%s) - e2e_start )) s, see $BUILD_DIR/e2e.log"
fi

# Nothing this run started may outlive it: a leftover is killed and named, and fails the run.
leftover_rc=0
bash scripts/leftovers.sh "$SPIKELINE_TEST_RUN" || leftover_rc=$?

# ctest's closing summary last, so it is what a reader (and CI) sees at the end.
grep -E '^[0-9]+% tests passed' "$ctest_log" || true
if [ "$ctest_rc" -ne 0 ]; then exit "$ctest_rc"; fi
if [ "$leftover_rc" -ne 0 ]; then exit "$leftover_rc"; fi
if [ "$e2e_rc" -ne 0 ]; then exit "$e2e_rc"; fi
exit "$fuzz_rc"
