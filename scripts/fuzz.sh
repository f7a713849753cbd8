#!/usr/bin/env bash
# Fuzzes the wire decoder (fuzz/wire_decode_fuzzer.cpp) and then the broker's control decoding
# (fuzz/broker_control_fuzzer.cpp) with libFuzzer for SECONDS seconds each. Configures its own
# clang build (ASan + UBSan + libFuzzer) in $FUZZ_BUILD_DIR, builds only the fuzz targets, starts
# from the committed seed corpus fuzz/corpus (the wire decoder) or the seeds the control fuzzer
# writes from the real encoders (read-only: new inputs go to scratch directories), and exits
# non-zero when a fuzzer finds a crash, leak or sanitizer report.
# Usage: scripts/fuzz.sh SECONDS        Env: FUZZ_BUILD_DIR (default build-fuzz), CXX_FUZZ (clang++)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RUN=${1:?usage: scripts/fuzz.sh SECONDS}
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
CXX_FUZZ=${CXX_FUZZ:-clang++}
CC_FUZZ=${CC_FUZZ:-${CXX_FUZZ/clang++/clang}}
SAN_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$CXX_FUZZ" -DCMAKE_C_COMPILER="$CC_FUZZ" \
  -DCMAKE_CXX_FLAGS="$SAN_FLAGS" \
  -DSPIKELINE_BUILD_FUZZERS=ON -DSPIKELINE_BUILD_TESTS=OFF -DSPIKELINE_BUILD_BENCHMARKS=OFF \
  -DSPIKELINE_WITH_CUDA=OFF -DSPIKELINE_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" --target wire_decode_fuzzer broker_control_fuzzer -j "${JOBS:-2}"

WORK_CORPUS=$(mktemp -d)
CONTROL_CORPUS=$(mktemp -d)
CONTROL_SEEDS=$(mktemp -d)
ARTIFACTS="$BUILD_DIR/fuzz-artifacts"
mkdir -p "$ARTIFACTS"
trap 'rm -rf "$WORK_CORPUS" "$CONTROL_CORPUS" "$CONTROL_SEEDS"' EXIT

echo "fuzz: running wire_decode_fuzzer for ${SECONDS_TO_RUN}s (artifacts: $ARTIFACTS)"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$BUILD_DIR/fuzz/wire_decode_fuzzer" \
  -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$ARTIFACTS/" \
  "$WORK_CORPUS" fuzz/corpus
echo "fuzz: no crash in ${SECONDS_TO_RUN}s"

echo "fuzz: running broker_control_fuzzer for ${SECONDS_TO_RUN}s"
SPIKELINE_FUZZ_WRITE_SEEDS="$CONTROL_SEEDS" "$BUILD_DIR/fuzz/broker_control_fuzzer" >/dev/null 2>&1
"$BUILD_DIR/fuzz/broker_control_fuzzer" \
  -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$ARTIFACTS/control-" \
  "$CONTROL_CORPUS" "$CONTROL_SEEDS"
echo "fuzz: control decoding: no crash in ${SECONDS_TO_RUN}s"
