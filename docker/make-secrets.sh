#!/usr/bin/env bash
# Makes the secrets compose.yaml mounts, when missing, each mode 0400 and owned by uid/gid 10001,
# the images' user (root or sudo needed for that; without, a warning says so):
#   DIR/redis-password     48 hex digits from /dev/urandom
#   DIR/gateway-api-keys   one key, `default:` + 64 hex digits (the gateway's --api-keys file;
#                          add lines `NAME:KEY` for more callers, then SIGHUP the gateway)
#   DIR/curve/NAME.key_secret  CURVE key pairs (docs/decisions/0010) for NAME in broker, worker,
#                          gateway, client, made by `spikeline keygen` in SPIKELINE_IMAGE
#                          (spikeline:latest; build it first); their public halves, NAME.key,
#                          go to DIR/curve-trust/ (mode 0644: public), which every service mounts
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

# CURVE keys, made once by the image's own `spikeline keygen` (no other tool on the host needed).
curve=$dir/curve trust=$dir/curve-trust
if [ ! -s "$curve/broker.key_secret" ]; then
  image=${SPIKELINE_IMAGE:-spikeline:latest}
  docker image inspect "$image" >/dev/null 2>&1 \
    || { echo "secrets: build $image first (CURVE keys are made by its spikeline keygen)" >&2; exit 1; }
  rm -rf "$curve" "$trust"
  mkdir -p "$curve" "$trust"
  docker run --rm --user "$(id -u):$(id -g)" -v "$curve:/out" --entrypoint spikeline "$image" \
    keygen --dir /out broker worker gateway client > /dev/null
  echo "secrets: wrote CURVE keys in $curve"
fi
chmod 0711 "$curve"
mkdir -p "$trust"
for name in broker worker gateway client; do
  cp -f "$curve/$name.key" "$trust/$name.key"
  chmod 0644 "$trust/$name.key"
  chmod 0400 "$curve/$name.key_secret"
  $SUDO chown 10001:10001 "$curve/$name.key_secret" 2>/dev/null \
    || echo "secrets: cannot chown $curve/$name.key_secret to uid 10001" >&2
done
chmod 0755 "$trust"
