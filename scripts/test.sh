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
ctest --test-dir "$BUILD_DIR" -L 'unit|integration' --output-on-failure -j "$JOBS" --timeout 300

if [ "$FUZZ_SECONDS" -gt 0 ] && [ -x scripts/fuzz.sh ]; then
  bash scripts/fuzz.sh "$FUZZ_SECONDS"
fi
