#!/usr/bin/env bash
# Across hosts, simulated: the same fmnist_scnn pipeline measured on loopback and split across
# two network namespaces joined by a veth pair with `tc netem` delay on each side, in one run,
# side by side (medians of RUNS interleaved runs). Needs root (ip netns, tc); exits 77 otherwise.
#
#   namespace A (10.231.0.1): redis, broker, encoder + classifier workers
#   namespace B (10.231.0.2): three features workers (2 serving + 1 standby) and spikeline-loadgen
#   A <-> B: veth, netem DELAY on each side (one way), so a request crosses 4 times:
#   loadgen(B) -> encoder(A) -> features(B) -> classifier(A) -> reply to the loadgen(B), which
#   binds 0.0.0.0 and advertises 10.231.0.2 (client --bind/--advertise).
#   loopback: the same processes, all in namespace A on 127.0.0.1 (no netem).
#
# Usage: scripts/netns_bench.sh [BUILD_DIR]   (default: build)
# Env: RUNS=3 DURATION=5 WARMUP=1 CONCURRENCY=4 DELAY=0.5ms CHECK=0 (CHECK=1: one short run;
# fails unless the split pipeline answered every request, for ctest). A kernel without
# sch_netem skips (77) unless ALLOW_NO_NETEM=1, which measures over the bare veth instead. Everything it starts is
# stopped and both namespaces are deleted on exit, also on error, Ctrl-C or its own time limit.
set -euo pipefail

build=${1:-build}
RUNS=${RUNS:-3} DURATION=${DURATION:-5} WARMUP=${WARMUP:-1} CONCURRENCY=${CONCURRENCY:-4}
DELAY=${DELAY:-0.5ms} CHECK=${CHECK:-0}
if [ "$CHECK" = 1 ]; then RUNS=1 DURATION=2 WARMUP=0.5 ALLOW_NO_NETEM=${ALLOW_NO_NETEM:-1}; fi
src=$(cd "$(dirname "$0")/.." && pwd)
model=$src/topology/models/fmnist_scnn.yaml
W=$build/workers/spikeline-worker B=$build/broker/spikeline-broker
L=$build/loadgen/cli/spikeline-loadgen C=$build/cli/spikeline

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (ip netns, tc netem)"
for t in ip tc redis-server python3 timeout; do command -v $t >/dev/null || skip "$t not found"; done
for b in "$W" "$B" "$L" "$C"; do [ -x "$b" ] || skip "$b not built"; done

A=slA$$ NB=slB$$ VA=slva$$ VB=slvb$$ IPA=10.231.0.1 IPB=10.231.0.2
tmp=$(mktemp -d /tmp/spikeline-netns-XXXXXX)
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 1 50); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for ns in "$A" "$NB"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
  [ "${KEEP:-0}" = 1 ] && echo "logs kept in $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Bounded: the whole run stops itself after this many seconds.
limit=$(( 120 + RUNS * 2 * (DURATION + 20) ))
( trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "$limit" & s=$!
  wait $s && echo "netns_bench: time limit ${limit}s reached" && kill -TERM $$ ) >"$tmp/watchdog.log" 2>&1 &
watchdog=$!

ip netns add "$A"
ip netns add "$NB"
ip link add "$VA" type veth peer name "$VB"
ip link set "$VA" netns "$A"
ip link set "$VB" netns "$NB"
ip -n "$A" addr add $IPA/24 dev "$VA"
ip -n "$NB" addr add $IPB/24 dev "$VB"
for ns in "$A" "$NB"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set "$VA" up
ip -n "$NB" link set "$VB" up
if tc -n "$A" qdisc add dev "$VA" root netem delay "$DELAY" 2>"$tmp/tc.err"; then
  tc -n "$NB" qdisc add dev "$VB" root netem delay "$DELAY"
elif [ "${ALLOW_NO_NETEM:-0}" = 1 ]; then
  echo "WARNING: tc netem unavailable ($(cat "$tmp/tc.err")): veth without added delay"
  DELAY="none (no netem in this kernel)"
else
  skip "tc netem unavailable in this kernel (sch_netem); ALLOW_NO_NETEM=1 runs over the bare veth"
fi
rtt=n/a
if command -v ping >/dev/null; then
  rtt=$(ip netns exec "$NB" ping -c 5 -i 0.2 -q $IPA | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
fi
echo "veth $A<->$NB, delay $DELAY each way: ping rtt avg ${rtt} ms"

# start NAME NS CMD...: background process in namespace NS, log in $tmp/NAME.log.
start() {
  local name=$1 ns=$2
  shift 2
  ip netns exec "$ns" "$@" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
}

# cluster PREFIX REDIS_PORT BROKER_PORT HOST_A HOST_B NS_FEATURES PORT0: redis + broker + 5
# workers; features workers in NS_FEATURES advertising HOST_B, the others HOST_A.
cluster() {
  local p=$1 rport=$2 bport=$3 ha=$4 hb=$5 nsf=$6 port0=$7
  mkdir -p "$tmp/$p-redis"
  start "$p-redis" "$A" redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp/$p-redis" \
    --appendonly yes --save ""
  for _ in $(seq 1 50); do
    ip netns exec "$A" redis-cli -p "$rport" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  start "$p-broker" "$A" "$B" --redis 127.0.0.1:"$rport" --bind tcp://0.0.0.0:"$bport" \
    --pub tcp://0.0.0.0:$((bport + 1)) --log-level warn --insecure
  local broker=tcp://$ha:$bport i=0 name ns host port
  for spec in "enc:$A:$ha" "cls:$A:$ha" "f1:$nsf:$hb" "f2:$nsf:$hb" "f3:$nsf:$hb"; do
    IFS=: read -r name ns host <<<"$spec"
    port=$((port0 + i)); i=$((i + 1))
    start "$p-$name" "$ns" "$W" --broker "$broker" --backend cpu --name "$p-$name" \
      --node "$ns" --bind tcp://0.0.0.0:$port --advertise tcp://$host:$port --log-level warn \
      --insecure
  done
  for _ in $(seq 1 60); do
    ip netns exec "$A" "$C" deploy --broker "$broker" "$model" >"$tmp/$p-deploy.log" 2>&1 && break
    sleep 0.5
  done
  for _ in $(seq 1 100); do
    ip netns exec "$A" "$C" routes --broker "$broker" >"$tmp/$p-routes.txt" 2>&1 || true
    if [ "$(grep -c '(pool' "$tmp/$p-routes.txt")" -ge 3 ] &&
       ! grep -q "NO HEALTHY REPLICA" "$tmp/$p-routes.txt"; then
      return 0
    fi
    sleep 0.2
  done
  echo "cluster $p: routes not complete:"; cat "$tmp/$p-routes.txt"; return 1
}

cluster loop 6390 5565 127.0.0.1 127.0.0.1 "$A" 17201
cluster split 6379 5555 $IPA $IPB "$NB" 17101
echo "routes (split):"; sed 's/^/  /' "$tmp/split-routes.txt"

# load MODE RUN: one closed-loop loadgen run, JSON in $tmp/MODE-RUN.json.
load() {
  local mode=$1 run=$2 ns broker args=()
  if [ "$mode" = loop ]; then
    ns=$A broker=tcp://127.0.0.1:5565
  else
    ns=$NB broker=tcp://$IPA:5555
    args=(--bind "tcp://0.0.0.0:*" --advertise "tcp://$IPB:*")
  fi
  timeout $((DURATION + 40)) ip netns exec "$ns" env SPIKELINE_INSECURE=1 "$L" --no-progress --broker "$broker" \
    --topology "$model" "${args[@]}" --concurrency "$CONCURRENCY" --duration "$DURATION" \
    --warmup "$WARMUP" --input fmnist --input-count 500 --json "$tmp/$mode-$run.json" \
    >"$tmp/$mode-$run.log" 2>&1 || { echo "loadgen $mode run $run failed:"; tail -20 "$tmp/$mode-$run.log"; return 1; }
}

for r in $(seq 1 "$RUNS"); do
  load loop "$r"
  load split "$r"
  echo "run $r/$RUNS done"
done

python3 - "$tmp" "$RUNS" "$DELAY" "$rtt" "$CHECK" <<'PY'
import json, statistics, sys
tmp, runs, delay, rtt, check = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "1"
rows, bad = {}, []
for mode in ("loop", "split"):
    rs = [json.load(open(f"{tmp}/{mode}-{r}.json")) for r in range(1, runs + 1)]
    for j in rs:
        if j["completed"] == 0 or j["lost"] != 0 or j["errors"] != 0:
            bad.append(f"{mode}: {j['completed']} ok, {j['errors']} errors, {j['lost']} lost of {j['sent']}")
    med = lambda f: statistics.median(f(j) for j in rs)
    rows[mode] = dict(
        tput=med(lambda j: j["throughput_rps"]),
        p50=med(lambda j: j["latency"]["p50_ns"] / 1e6),
        p99=med(lambda j: j["latency"]["p99_ns"] / 1e6),
        ok=sum(j["completed"] for j in rs), sent=sum(j["sent"] for j in rs))
print(f"\nmedians of {runs} runs (closed loop; netem {delay} each way, ping rtt {rtt} ms)")
print(f"{'path':<28}{'throughput req/s':>18}{'p50 ms':>10}{'p99 ms':>10}{'ok/sent':>14}")
names = {"loop": "loopback (one namespace)", "split": "split (2 netns over veth)"}
for mode, r in rows.items():
    print(f"{names[mode]:<28}{r['tput']:>18.1f}{r['p50']:>10.3f}{r['p99']:>10.3f}{r['ok']:>7}/{r['sent']}")
l, s = rows["loop"], rows["split"]
print(f"{'split - loopback':<28}{s['tput'] - l['tput']:>18.1f}{s['p50'] - l['p50']:>10.3f}{s['p99'] - l['p99']:>10.3f}")
for b in bad:
    print("PROBLEM " + b)
sys.exit(1 if bad else 0)
PY
