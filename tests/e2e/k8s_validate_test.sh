#!/usr/bin/env bash
# Renders every Kubernetes overlay (deploy/k8s/overlays/*, and the HPA alternative) with
# `kubectl kustomize` and validates each object offline: the JSON schemas of kubernetes-models
# and @kubernetes-models/keda (deploy/k8s/validate, installed with `npm ci` from its lockfile
# into a copy under the build dir), spikeline's own rules (probes, resources, worker flags, GPU
# and chip pinning, autoscaler targets) and, where the binaries are built, that every flag the
# manifests pass appears in that binary's --help. No cluster is contacted.
# Usage: k8s_validate_test.sh SOURCE_DIR WORK_DIR [BINARY...]. Exit 77 (skipped) without
# kubectl, node or npm, or when the npm packages cannot be installed (offline, empty cache).
set -uo pipefail
src=$1 work=$2
shift 2
for tool in kubectl node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool not found (scripts/setup.sh installs kubectl and nodejs)"
    exit 77
  fi
done

mkdir -p "$work"
v="$src/deploy/k8s/validate"
cp "$v/package.json" "$v/package-lock.json" "$v/validate.mjs" "$work/"
if ! cmp -s "$v/package-lock.json" "$work/node_modules/.spikeline-lock" 2>/dev/null; then
  rm -rf "$work/node_modules"
  if ! (cd "$work" && timeout 120 npm ci --offline --no-audit --no-fund >npm.log 2>&1 ||
        timeout 300 npm ci --prefer-offline --no-audit --no-fund >>npm.log 2>&1); then
    echo "SKIP: npm ci failed (no registry and no npm cache?):"; tail -5 "$work/npm.log"
    exit 77
  fi
  cp "$v/package-lock.json" "$work/node_modules/.spikeline-lock"
fi
validate() { node "$work/validate.mjs" "$@"; }

fail=0
validate --self-test || fail=1
targets=("$src"/deploy/k8s/overlays/* "$src/deploy/k8s/autoscaling/hpa")
for dir in "${targets[@]}"; do
  name=${dir#"$src"/deploy/k8s/}
  out="$work/$(echo "$name" | tr / _).yaml"
  if ! kubectl kustomize "$dir" >"$out" 2>"$out.err"; then
    echo "FAIL $name: kubectl kustomize:"; cat "$out.err"; fail=1; continue
  fi
  echo "== $name"
  validate "$out" || fail=1
  validate --spikeline-checks "$out" || fail=1
  while read -r bin flag; do
    for path in "$@"; do
      [ "$(basename "$path")" = "$bin" ] && [ -x "$path" ] || continue
      if ! "$path" --help 2>&1 | grep -q -- "$flag\b"; then
        echo "FAIL $name: $bin has no flag $flag"; fail=1
      fi
    done
  done < <(validate --flags "$out")
done
[ "$fail" -eq 0 ] && echo "k8s: ${#targets[@]} renders valid" || echo "k8s: FAILED"
exit "$fail"
