#!/usr/bin/env bash
# Measures the shipped models as docs/models.md reports them, on this machine, in one run:
#  1. the pipeline against the in-process monolith (spikeline-loadgen --baseline monolith),
#     closed loop at --concurrency C for S seconds: throughput, p50, p99;
#  2. accuracy served through the operator-level pipeline on the full Fashion-MNIST test set
#     (open loop at min(--rate, 70 % of the throughput in 1) for 10000/rate s, so each of the
#     10 000 test images is sent once), and of the in-process monolith on the same requests.
# Each model gets one worker per stage (the chip for stages that prefer it in fixed models,
# else cpu) on loopback, started from a route file; every process is stopped at the end.
# Usage: models/measure.sh [--rate 250] [--concurrency 4] [--seconds 10] [MODEL.yaml ...]
#        (default: every topology/models/fmnist_*.yaml except the *_monolith variants)
# Output: a markdown table on stdout; raw loadgen output under build/models/measure/.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=250 CONC=4 SECS=10 BUILD=${BUILD_DIR:-build}
models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) RATE=$2; shift 2 ;;
    --concurrency) CONC=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) models+=("$1"); shift ;;
  esac
done
if [ ${#models[@]} -eq 0 ]; then
  for f in topology/models/fmnist_*.yaml; do
    case "$f" in *_monolith.yaml) ;; *) models+=("$f") ;; esac
  done
fi
W=$BUILD/workers/spikeline-worker L=$BUILD/loadgen/cli/spikeline-loadgen
for b in "$W" "$L"; do [ -x "$b" ] || { echo "missing $b: build first (scripts/test.sh)" >&2; exit 1; }; done
out=$BUILD/models/measure; mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap cleanup EXIT

# stage names and whether each prefers the chip, from the YAML (flow-style placement lines).
stages_of() { awk '/^  - name:/{n=$3} /^    placement:/{print n, ($0 ~ /backends: \[chip/ ? "chip" : "cpu")}' "$1"; }
# "label_map: [...]" of the model's reference fixture, as loadgen's --label-map, if any.
label_map_of() {
  local ref=tests/models/data/$(basename "${1%.yaml}" | sed 's/_f32$//')_reference.json
  [ -f "$ref" ] && jq -r 'if .label_map then (.label_map | map(tostring) | join(",")) else "" end' "$ref" || true
}

printf '| model | precision | stages | served accuracy (10k) | monolith accuracy | errors | pipeline rps | p50 ms | p99 ms | monolith rps | p50 ms | p99 ms |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
port=27100
for m in "${models[@]}"; do
  name=$(basename "${m%.yaml}"); precision=$(awk '/^precision:/{print $2}' "$m")
  routes=$out/$name.routes.yaml
  mapfile -t st < <(stages_of "$m")
  { echo "topology: $(realpath "$m")"; echo "stages:"; } > "$routes"
  i=0; for s in "${st[@]}"; do echo "  ${s%% *}: [tcp://127.0.0.1:$((port + i))]" >> "$routes"; i=$((i + 1)); done
  i=0; for s in "${st[@]}"; do
    backend=cpu; [ "$precision" = fixed ] && [ "${s##* }" = chip ] && backend=chip
    "$W" --routes "$routes" --stage "${s%% *}" --bind "tcp://127.0.0.1:$((port + i))" \
      --name "${s%% *}" --backend "$backend" --log-level warn > "$out/$name.${s%% *}.log" 2>&1 &
    pids+=($!); i=$((i + 1))
  done
  sleep 1
  map=$(label_map_of "$m"); lm=(); [ -n "$map" ] && lm=(--label-map "$map")
  "$L" --routes "$routes" --input fmnist --input-count 10000 --concurrency "$CONC" \
    --duration "$SECS" --warmup 1 --baseline monolith --no-progress "${lm[@]}" \
    > "$out/$name.perf.txt" 2>&1 || true
  read -r prps p50 p99 < <(awk '/^pipeline  /{print $2, $3, $4}' "$out/$name.perf.txt")
  read -r mrps m50 m99 < <(awk '/^baseline  /{print $2, $3, $4}' "$out/$name.perf.txt")
  # Open loop at most --rate and at 70 % of what the pipeline sustained closed-loop, so that no
  # request is refused as overloaded and each test image is answered once.
  rate=$(awk -v r="$RATE" -v p="${prps:-0}" 'BEGIN{x = 0.7 * p; if (x <= 0 || x > r) x = r; printf "%.1f", x}')
  dur=$(awk -v r="$rate" 'BEGIN{printf "%.3f", 10000 / r}')
  "$L" --routes "$routes" --input fmnist --input-count 10000 --rate "$rate" --duration "$dur" \
    --deadline-ms 5000 --no-progress --json "$out/$name.accuracy.json" --baseline monolith "${lm[@]}" \
    > "$out/$name.accuracy.txt" 2>&1 || true
  cleanup
  acc=$(jq -r '"\(.accuracy * 10000 | round / 100)% (\(.correct)/\(.labelled))"' "$out/$name.accuracy.json" 2>/dev/null || echo "?")
  mono_acc=$(grep '^accuracy' "$out/$name.accuracy.txt" | sed -n 2p | sed 's/accuracy: //')
  errs=$(jq -r '"\(.errors) err, \(.lost) lost"' "$out/$name.accuracy.json" 2>/dev/null || echo "?")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$precision" \
    "${#st[@]}" "${acc:-?}" "${mono_acc:-?}" "${errs:-0}" "${prps:-?}" "${p50:-?}" "${p99:-?}" "${mrps:-?}" "${m50:-?}" "${m99:-?}"
  port=$((port + 20))
done
