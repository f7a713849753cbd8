#!/usr/bin/env bash
# Builds the base image `debian:bookworm-slim` from Debian's packages with debootstrap and
# `docker import`, for machines that reach Debian's archive but no image registry.
# Idempotent: does nothing when the image exists (FORCE=1 rebuilds).
# Usage: docker/base/build-base-image.sh [IMAGE_TAG]   (default: debian:bookworm-slim)
set -euo pipefail

tag=${1:-debian:bookworm-slim}
if [ "${FORCE:-0}" != 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base: $tag exists"
  exit 0
fi

command -v debootstrap >/dev/null || { echo "base: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }

# The archive this machine's apt already uses, so no host name is baked in here.
mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | grep -oE '^(URIs:|deb) +https?://[^ ]+' | awk '{print $2}' | grep -v security | head -n 1 || true)
[ -n "$mirror" ] || { echo "base: no Debian mirror found in /etc/apt sources" >&2; exit 1; }

rootfs=$(mktemp -d /tmp/spikeline-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "base: debootstrap bookworm from $mirror"
include=()  # certificates only when the archive is https (they bring openssl: +6 MB)
case $mirror in https://*) include=(--include=ca-certificates) ;; esac
debootstrap --variant=minbase "${include[@]}" bookworm "$rootfs" "$mirror" >/tmp/spikeline-debootstrap.log 2>&1 \
  || { tail -n 20 /tmp/spikeline-debootstrap.log >&2; exit 1; }

# Slim it as the official -slim image does: no docs, man pages or apt lists.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
  "$rootfs"/var/cache/apt/archives/*.deb
# ...and keep them out of every package installed later (the runtime images), as -slim does.
cat > "$rootfs/etc/dpkg/dpkg.cfg.d/01-spikeline-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
rm -rf "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/info/*
cat > "$rootfs/etc/apt/apt.conf.d/01-spikeline-slim" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
CFG
cat > "$rootfs/etc/apt/sources.list" <<SRC
deb $mirror bookworm main
deb $mirror bookworm-updates main
SRC
tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' - "$tag" >/dev/null
echo "base: imported $tag ($(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=iec))"
