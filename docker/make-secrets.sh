#!/usr/bin/env bash
# Makes the secrets compose.yaml mounts, when missing: DIR/redis-password (48 hex digits from
# /dev/urandom), mode 0400, owned by uid/gid 10001, the images' user (root or sudo needed for
# that; without, the file stays the caller's and a warning says so).
# Usage: docker/make-secrets.sh [DIR]   (default: .spikeline/secrets beside compose.yaml)
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/.spikeline/secrets}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
mkdir -p "$dir"
chmod 0711 "$dir"  # the containers' user must reach the file, not list the directory
file=$dir/redis-password
if [ ! -s "$file" ]; then
  tmp=$(mktemp "$dir/.redis-password.XXXXXX")
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$tmp"
  mv "$tmp" "$file"
  echo "secrets: wrote $file"
fi
chmod 0400 "$file"
$SUDO chown 10001:10001 "$file" 2>/dev/null \
  || echo "secrets: cannot chown $file to uid 10001; the containers may not read it" >&2
