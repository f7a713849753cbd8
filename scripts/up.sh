#!/usr/bin/env bash
# Brings up spikeline with Compose on this host: installs docker.io, docker-compose and
# debootstrap when missing, starts dockerd when no engine answers, builds the base image
# (docker/base/build-base-image.sh) and spikeline:latest, then runs `docker compose up` (v2) or
# `docker-compose up` (v1) with this script's arguments, e.g. scripts/up.sh -d
# Env: JOBS (build parallelism, default 2), SKIP_BUILD=1 to reuse existing images.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

need=()
command -v dockerd >/dev/null || need+=(docker.io)  # a docker client alone is not enough
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  echo "up.sh: installing ${need[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${need[@]}"
fi

if ! docker info >/dev/null 2>&1; then
  echo "up.sh: no Docker engine answers; starting dockerd"
  $SUDO sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'
  for _ in $(seq 1 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "up.sh: dockerd did not start (see /var/log/dockerd.log)"; exit 1; }
fi

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  docker/base/build-base-image.sh  # idempotent: skips when debian:bookworm-slim exists
  # The legacy builder unless buildx is there (Debian's docker.io has no buildx plugin).
  docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
  docker build -f docker/Dockerfile --build-arg JOBS="${JOBS:-2}" -t spikeline:latest .
fi

docker/make-secrets.sh  # the Redis password compose.yaml mounts, once

if docker compose version >/dev/null 2>&1; then
  exec docker compose -f compose.yaml up "$@"
else
  exec docker-compose -f compose.yaml up "$@"
fi
