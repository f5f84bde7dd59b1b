#!/usr/bin/env bash
# Make the base image the Dockerfiles build FROM available to the engine.
#
#   deploy/base-image.sh python:3.11-slim              pull it if it is not there yet
#   deploy/base-image.sh credit-risk-base:bookworm     build the local stand-in (below)
#
# The stand-in is for machines that cannot reach Docker Hub (like this project's CI): Debian
# bookworm made with debootstrap from the machine's own apt mirror, whose python3 is 3.11
# like the official python:3.11-slim (which is bookworm too), plus python3-venv and
# ca-certificates, without apt's caches and the docs. The rootfs tarball is kept in
# $DEPLOY_CACHE so a second machine state (or a deleted image) costs an import, not a
# debootstrap.
set -euo pipefail

IMAGE=${1:?usage: base-image.sh IMAGE}
LOCAL_PREFIX=${LOCAL_BASE_PREFIX:-credit-risk-base:}
DEPLOY_CACHE=${DEPLOY_CACHE:-$(cd "$(dirname "$0")" && pwd)/.cache}
SUITE=bookworm
ROOTFS_TAR=$DEPLOY_CACHE/rootfs-$SUITE.tar

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  exit 0
fi

if [[ "$IMAGE" != "$LOCAL_PREFIX"* ]]; then
  echo "base-image.sh: pulling $IMAGE" >&2
  if ! docker pull "$IMAGE"; then
    echo "base-image.sh: cannot pull $IMAGE; without Docker Hub use the local stand-in:" >&2
    echo "  add BASE_IMAGE=${LOCAL_PREFIX}$SUITE to the make command (or export it)" >&2
    exit 1
  fi
  exit 0
fi

# The Debian mirror apt is configured with for $SUITE itself (not -security / -updates), from
# deb822 .sources stanzas or one-line sources.list entries.
apt_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v suite="$SUITE" '
        BEGIN { RS = ""; FS = "\n" }
        { uris = ""; hit = 0
          for (i = 1; i <= NF; i++) {
            if ($i ~ /^URIs:/) { split($i, f, /[ \t]+/); uris = f[2] }
            if ($i ~ /^Suites:/) { n = split($i, f, /[ \t]+/); for (j = 2; j <= n; j++) if (f[j] == suite) hit = 1 }
          }
          if (hit && uris != "") { print uris; exit } }')
  if [ -z "$uri" ]; then
    uri=$(awk -v suite="$SUITE" '$1 == "deb" {
            for (i = 2; i < NF; i++) if ($i ~ /^[a-z]+:\/\// && $(i + 1) == suite) { print $i; exit }
          }' /etc/apt/sources.list 2>/dev/null || true)
  fi
  [ -n "$uri" ] || { echo "base-image.sh: no $SUITE mirror found in /etc/apt" >&2; return 1; }
  echo "$uri"
}

if [ ! -s "$ROOTFS_TAR" ]; then
  if ! command -v debootstrap >/dev/null; then
    echo "base-image.sh: installing debootstrap" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -q --no-install-recommends debootstrap >/dev/null; }
  fi
  mirror=$(apt_mirror)
  mkdir -p "$DEPLOY_CACHE"
  root=$(mktemp -d "$DEPLOY_CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  echo "base-image.sh: debootstrap $SUITE from $mirror (a minute or two)" >&2
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    "$SUITE" "$root" "$mirror" >"$DEPLOY_CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$DEPLOY_CACHE/debootstrap.log" >&2; exit 1; }
  # What debian:bookworm-slim leaves out too: package caches, apt lists, docs, man pages.
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
         "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
         "$root"/var/log/* "$root"/tmp/*
  tar -C "$root" --numeric-owner -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
fi

echo "base-image.sh: importing $ROOTFS_TAR as $IMAGE" >&2
docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' \
  "$ROOTFS_TAR" "$IMAGE" >/dev/null
docker image inspect "$IMAGE" --format "base-image.sh: $IMAGE {{.Size}} bytes" >&2
