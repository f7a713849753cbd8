#!/usr/bin/env bash
# Makes the secrets compose.yaml mounts, when missing, each mode 0400 and owned by uid/gid 10001,
# the images' user (root or sudo needed for that; without, a warning says so):
#   DIR/redis-password     48 hex digits from /dev/urandom
#   DIR/gateway-api-keys   one key, `default:` + 64 hex digits (the gateway's --api-keys file;
#                          add lines `NAME:KEY` for more callers, then SIGHUP the gateway)
# Usage: docker/make-secrets.sh [DIR]   (default: .spikeline/secrets beside compose.yaml)
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/.spikeline/secrets}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
mkdir -p "$dir"
chmod 0711 "$dir"  # the containers' user must reach the file, not list the directory
random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
make_secret() {  # NAME CONTENT
  local file=$dir/$1
  if [ ! -s "$file" ]; then
    local tmp
    tmp=$(mktemp "$dir/.$1.XXXXXX")
    printf '%s\n' "$2" > "$tmp"
    mv "$tmp" "$file"
    echo "secrets: wrote $file"
  fi
  chmod 0400 "$file"
  $SUDO chown 10001:10001 "$file" 2>/dev/null \
    || echo "secrets: cannot chown $file to uid 10001; the containers may not read it" >&2
}
make_secret redis-password "$(random_hex 24)"
make_secret gateway-api-keys "default:$(random_hex 32)"
