#!/usr/bin/env bash
# Installs every build and runtime dependency of spikeline on Debian 12. Idempotent: packages
# already present are skipped, so a second run is a no-op apart from the dpkg query.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ccache
  libzmq3-dev cppzmq-dev
  capnproto libcapnp-dev
  libhiredis-dev redis-server
  libspdlog-dev libfmt-dev libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libssl-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  dataset-fashion-mnist gnuplot-nox zlib1g-dev
  procps iproute2
  libcpp-httplib-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  prometheus hey curl openssl python3-grpcio python3-grpc-tools
  libhdf5-dev python3-h5py python3-numpy libsimdjson-dev
)

# Offline validation of deploy/k8s (tests/e2e/k8s_validate_test.sh): kubectl (its kustomize) and
# Node + npm, each only when no such command is present (a kubectl or Node from elsewhere, e.g.
# a cloud SDK or NodeSource, is kept). Debian's kubernetes-client is kubectl 1.20 with kustomize
# v2.0.3, which the manifests are written for.
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# redis-server's package starts a system instance; tests start their own on free ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  $SUDO systemctl stop redis-server || true
fi
# prometheus is installed for promtool only; its package may start a server on :9090.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl stop prometheus || true
fi
echo "setup: done"
