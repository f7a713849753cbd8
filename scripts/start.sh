#!/usr/bin/env bash
# The README's first command: starts the whole system on this machine as local processes and
# serves the shipped models, with nothing installed by hand (Debian 12).
#
#   scripts/start.sh [--models all|NAME,...] [--state-dir DIR] [--no-self-check] [--compose ...]
#
# 1. installs what it needs (scripts/setup.sh, the test command's own list) and builds the
#    binaries (a no-op when nothing changed);
# 2. refuses clearly when a port it needs is taken, and stops what an earlier run left behind
#    (e.g. after `kill -9` of this script: the children are listed in STATE/pids);
# 3. starts redis-server (AOF in STATE/redis), spikeline-broker, two emulated-chip workers and
#    CPU workers (enough for every stage of the chosen models), deploys the models (topology/
#    models/*.yaml, fixed precision), starts spikeline-gateway (KServe OIP v2, REST + gRPC),
#    waits until every model is ready;
# 4. prints where everything listens, curl and gRPC examples that work as written, and a short
#    self-check: 3 s of spikeline-loadgen against fmnist-scnn (throughput, p50/p99, accuracy,
#    lost);
# 5. stays up until Ctrl-C / SIGTERM, then stops every process it started.
# `--compose ARGS...` runs scripts/up.sh ARGS... instead (Docker Compose; Docker is an option).
#
# Env: BUILD_DIR (build), JOBS (nproc), SPIKELINE_REDIS_PORT (6390), SPIKELINE_BROKER_PORT (5555,
# and +1 for the route stream), SPIKELINE_HTTP_PORT (8000), SPIKELINE_GRPC_PORT (8001),
# SPIKELINE_METRICS_PORT (9100, the broker's /metrics, /live, /ready).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

MODELS=all
STATE=.spikeline
SELF_CHECK=1
while [ $# -gt 0 ]; do
  case "$1" in
    --compose) shift; exec scripts/up.sh "$@" ;;
    --models) MODELS=$2; shift 2 ;;
    --state-dir) STATE=$2; shift 2 ;;
    --no-self-check) SELF_CHECK=0; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "start.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
REDIS_PORT=${SPIKELINE_REDIS_PORT:-6390}
BROKER_PORT=${SPIKELINE_BROKER_PORT:-5555}
ROUTES_PORT=$((BROKER_PORT + 1))
HTTP_PORT=${SPIKELINE_HTTP_PORT:-8000}
GRPC_PORT=${SPIKELINE_GRPC_PORT:-8001}
METRICS_PORT=${SPIKELINE_METRICS_PORT:-9100}
BROKER=tcp://127.0.0.1:$BROKER_PORT
t_start=$(date +%s.%N)

say() { printf 'start: %s\n' "$*"; }
elapsed() { awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- 1. dependencies and binaries
bash scripts/setup.sh | sed 's/^/start: /'
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
say "building the binaries (no-op when nothing changed)"
cmake --build "$BUILD_DIR" -j "$JOBS" --target spikeline spikeline-broker spikeline-worker \
  spikeline-gateway spikeline-loadgen | tail -n 1
BIN_CLI=$BUILD_DIR/cli/spikeline
BIN_BROKER=$BUILD_DIR/broker/spikeline-broker
BIN_WORKER=$BUILD_DIR/workers/spikeline-worker
BIN_GATEWAY=$BUILD_DIR/gateway/spikeline-gateway
BIN_LOADGEN=$BUILD_DIR/loadgen/cli/spikeline-loadgen
say "built in $(elapsed) s"

# ---- 2. an earlier run, and ports
mkdir -p "$STATE/redis" "$STATE/logs"
STATE=$(cd "$STATE" && pwd)
PIDS=$STATE/pids
if [ -f "$PIDS" ]; then
  owner=$(head -n 1 "$PIDS")
  # Alive: not a zombie, and still this script (not a reused pid).
  if [ -n "$owner" ] && [ "$owner" != "$$" ] && [ -r "/proc/$owner/status" ] &&
     ! grep -q '^State:[[:space:]]*Z' "/proc/$owner/status" &&
     grep -qa 'start.sh' "/proc/$owner/cmdline" 2>/dev/null; then
    echo "start.sh: already running (pid $owner, $PIDS); stop it with: kill $owner" >&2
    exit 1
  fi
  left=0
  while read -r pid; do
    # Only processes this script starts: redis-server and spikeline binaries.
    if kill -0 "$pid" 2>/dev/null && grep -qaE 'spikeline|redis-server' "/proc/$pid/cmdline" 2>/dev/null; then
      kill "$pid" 2>/dev/null && left=$((left + 1))
    fi
  done < <(tail -n +2 "$PIDS")
  [ "$left" -gt 0 ] && { say "stopped $left processes an earlier run left behind ($PIDS)"; sleep 1; }
  rm -f "$PIDS"
fi
for port in "$REDIS_PORT" "$BROKER_PORT" "$ROUTES_PORT" "$HTTP_PORT" "$GRPC_PORT" "$METRICS_PORT"; do
  if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
    who=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -n 1 |
          sed 's/users:(("\([^"]*\)",pid=\([0-9]*\)/\1 (pid \2)/')
    echo "start.sh: port $port is taken${who:+ by $who}; stop it, or choose other ports" \
         "(SPIKELINE_*_PORT, see --help)" >&2
    exit 1
  fi
done

# ---- 3. processes
echo "$$" > "$PIDS"
children=()
stop_all() {
  trap - INT TERM EXIT
  if [ ${#children[@]} -gt 0 ]; then
    say "stopping ${#children[@]} processes"
    kill "${children[@]}" 2>/dev/null || true
    for _ in $(seq 1 50); do
      alive=0
      for pid in "${children[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      [ "$alive" = 0 ] && break
      sleep 0.1
    done
    kill -9 "${children[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
  fi
  rm -f "$PIDS"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT
spawn() {  # spawn NAME CMD...: runs CMD in the background, logging to STATE/logs/NAME.log
  local name=$1; shift
  "$@" > "$STATE/logs/$name.log" 2>&1 &
  children+=("$!")
  echo "$!" >> "$PIDS"
}
wait_for() {  # wait_for SECONDS WHAT CMD...
  local secs=$1 what=$2; shift 2
  for _ in $(seq 1 $((secs * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "start.sh: $what did not come up in ${secs} s (logs: $STATE/logs/)" >&2
  return 1
}

spawn redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STATE/redis" \
  --appendonly yes --save '' --daemonize no
wait_for 10 redis-server redis-cli -p "$REDIS_PORT" ping
spawn broker "$BIN_BROKER" --redis "127.0.0.1:$REDIS_PORT" --bind "$BROKER" \
  --pub "tcp://127.0.0.1:$ROUTES_PORT" --metrics "127.0.0.1:$METRICS_PORT"
wait_for 10 "the broker" curl -sf "http://127.0.0.1:$METRICS_PORT/ready"

# The models: fixed precision (bit-identical on cpu, cuda and chip).
if [ "$MODELS" = all ]; then
  names=(scnn group3 vgg sew_resnet spikformer srnn sgnn)
else
  IFS=, read -r -a names <<< "$MODELS"
fi
files=()
for n in "${names[@]}"; do
  f=topology/models/fmnist_$n.yaml
  [ -f "$f" ] || { echo "start.sh: no model $f (--models takes scnn,group3,vgg,sew_resnet,spikformer,srnn,sgnn)" >&2; exit 2; }
  files+=("$f")
done
# A worker hosts one stage pool: one per serving replica and standby of every stage.
needed=0
for f in "${files[@]}"; do
  n=$(grep -o 'placement: {[^}]*}' "$f" | awk '{ r = 1; s = 0
        if (match($0, /replicas: [0-9]+/)) r = substr($0, RSTART + 10, RLENGTH - 10)
        if (match($0, /standby: [0-9]+/)) s = substr($0, RSTART + 9, RLENGTH - 9)
        t += r + s } END { print t }')
  needed=$((needed + n))
done
chips=2
cpus=$((needed > chips ? needed - chips : 1))
for i in $(seq 0 $((chips - 1))); do
  spawn "chip-$i" "$BIN_WORKER" --broker "$BROKER" --backend chip --name "chip-$i" \
    --node local --chip-name "emu$i"
done
for i in $(seq 0 $((cpus - 1))); do
  spawn "cpu-$i" "$BIN_WORKER" --broker "$BROKER" --backend cpu --name "cpu-$i" --node local
done
say "redis, broker, $chips chip workers and $cpus CPU workers started"
for f in "${files[@]}"; do
  out=$("$BIN_CLI" deploy "$f" --broker "$BROKER" 2>&1) || {
    if grep -q "deployed already" <<< "$out"; then
      say "$(basename "$f"): deployed already (kept in $STATE/redis)"
    else
      echo "start.sh: deploy $f failed: $out" >&2; exit 1
    fi
  }
done
model_args=()
for f in "${files[@]}"; do model_args+=(--model "$f"); done
spawn gateway "$BIN_GATEWAY" --broker "$BROKER" --http "127.0.0.1:$HTTP_PORT" \
  --grpc "127.0.0.1:$GRPC_PORT" "${model_args[@]}"
if ! wait_for 60 "every model's readiness" curl -sf "http://127.0.0.1:$HTTP_PORT/v2/health/ready"; then
  curl -s "http://127.0.0.1:$HTTP_PORT/v2/health/ready" >&2 || true
  "$BIN_CLI" routes --broker "$BROKER" >&2 || true
  exit 1
fi
say "ready in $(elapsed) s"

# ---- 4. where things are, examples, self-check
EXAMPLE=$STATE/fmnist_0.json
/usr/bin/python3 - "$EXAMPLE" <<'EOF'
import gzip, json, sys
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    image = f.read()[16:16 + 784]
body = {"id": "first-test-image",
        "inputs": [{"name": "input", "shape": [1, 28, 28], "datatype": "FP32",
                    "data": [round(b / 255, 4) for b in image]}]}
json.dump(body, open(sys.argv[1], "w"))
EOF
cat <<EOF

spikeline is serving ${#files[@]} models: ${names[*]}
  gateway (KServe OIP v2)  REST http://127.0.0.1:$HTTP_PORT   gRPC 127.0.0.1:$GRPC_PORT   metrics http://127.0.0.1:$HTTP_PORT/metrics
  broker                   $BROKER (routes tcp://127.0.0.1:$ROUTES_PORT)   metrics http://127.0.0.1:$METRICS_PORT/metrics
  redis                    127.0.0.1:$REDIS_PORT (AOF in $STATE/redis)   logs: $STATE/logs/

Try it (the first Fashion-MNIST test image, an ankle boot = class 9):
  curl -s http://127.0.0.1:$HTTP_PORT/v2/models/fmnist-scnn
  curl -s -H 'Content-Type: application/json' -d @$EXAMPLE http://127.0.0.1:$HTTP_PORT/v2/models/fmnist-scnn/infer
  /usr/bin/python3 scripts/grpc_infer.py 127.0.0.1:$GRPC_PORT fmnist-scnn 5     # a gRPC client (OIP v2)
  $BIN_CLI routes --broker $BROKER
  $BIN_LOADGEN --broker $BROKER --topology topology/models/fmnist_scnn.yaml --input fmnist --rate 100 --duration 10
EOF
if [ "$SELF_CHECK" = 1 ] && [[ " ${names[*]} " == *" scnn "* ]]; then
  echo
  say "self-check: 3 s of open-loop load (100 req/s) on fmnist-scnn through the pipeline"
  "$BIN_LOADGEN" --broker "$BROKER" --topology topology/models/fmnist_scnn.yaml --input fmnist \
    --rate 100 --duration 3 --warmup 0.5 --no-progress 2>&1 | grep -E 'throughput|p50|accuracy|lost|ok' | head -n 8 || true
fi
echo
say "up; Ctrl-C stops every process it started"
while true; do
  for pid in "${children[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "start.sh: process $pid exited (see $STATE/logs/); stopping" >&2
      exit 1
    fi
  done
  sleep 1
done
