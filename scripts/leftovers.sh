#!/usr/bin/env bash
# Finds the processes a test run left behind: every process whose environment carries
# SPIKELINE_TEST_RUN=<run id> (scripts/test.sh exports it, so each test and everything it spawns
# inherits it), this script and its parents excepted, and Docker's own daemons (dockerd,
# containerd and its shims, docker-proxy: the compose rig test starts and stops the engine,
# which keeps its children on its own terms). Prints each one (pid, command line), kills
# it, and exits 1; exits 0 when there is none.
# Usage: scripts/leftovers.sh RUN_ID
set -uo pipefail
run_id=${1:?usage: scripts/leftovers.sh RUN_ID}
mine=" $$ $PPID "
p=$PPID
while [ "$p" -gt 1 ] 2>/dev/null; do  # the shells that called us carry the id too
  mine+="$p "
  p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null || echo 1)
done
found=()
for env in /proc/[0-9]*/environ; do
  pid=${env#/proc/}
  pid=${pid%/environ}
  case "$mine" in *" $pid "*) continue ;; esac
  if { tr '\0' '\n' < "$env"; } 2>/dev/null | grep -qx "SPIKELINE_TEST_RUN=$run_id"; then
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
    [ -z "$state" ] || [ "$state" = Z ] && continue  # gone, or a zombie awaiting its parent
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
      dockerd | containerd | containerd-shim* | docker-proxy | runc) continue ;;
    esac
    found+=("$pid")
  fi
done
if [ "${#found[@]}" -eq 0 ]; then
  echo "leftovers: none (no process of test run $run_id outlived it)"
  exit 0
fi
echo "leftovers: FAILED: ${#found[@]} process(es) of test run $run_id outlived it:"
for pid in "${found[@]}"; do
  echo "  pid $pid: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)"
  kill -KILL "$pid" 2>/dev/null
done
exit 1
