#!/bin/sh
# Builds the desktopd image (deploy/docker/Dockerfile) and prints its size.
# Usage: deploy/docker/build.sh [--debian-base] [--ca FILE] [TAG]
# TAG defaults to desktopd:local; the base to debian:bookworm-slim.
# --debian-base first makes the base image from Debian's packages with
# mmdebstrap (minbase, as bookworm-slim is) and imports it as
# desktopd-base:bookworm: for machines that reach Debian's mirrors and the
# npm registry but no image registry (CI). Needs docker and mmdebstrap.
# --ca FILE: a TLS-inspecting proxy's CA, for the build's downloads only
# (a BuildKit secret: it does not end up in the image).
# Debian's docker client is used when there is one: it builds with BuildKit
# without the buildx plugin.
set -eu
cd "$(dirname "$0")/../.."
docker=$(command -v /usr/bin/docker || command -v docker)
base=debian:bookworm-slim
secret=""
debian_base=""
while [ $# -gt 0 ]; do
  case "$1" in
    --debian-base) debian_base=1; shift ;;
    --ca) secret="--secret id=ca,src=$2"; shift 2 ;;
    *) break ;;
  esac
done
if [ -n "$debian_base" ]; then
  base=desktopd-base:bookworm
  if ! "$docker" image inspect "$base" >/dev/null 2>&1; then
    tar="$(mktemp -d)/base.tar"
    echo "build: $base from Debian with mmdebstrap" >&2
    mmdebstrap --quiet --variant=minbase --components=main \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-include=/usr/share/locale/locale.alias' --dpkgopt='path-exclude=/usr/share/info/*' \
      --aptopt='Acquire::Retries "3"' \
      bookworm "$tar" \
      "deb http://deb.debian.org/debian bookworm main" \
      "deb http://deb.debian.org/debian bookworm-updates main" \
      "deb http://deb.debian.org/debian-security bookworm-security main"
    "$docker" import --change 'CMD ["bash"]' "$tar" "$base" >/dev/null
    rm -rf "$(dirname "$tar")"
  fi
fi
tag="${1:-desktopd:local}"
echo "build: $tag FROM $base" >&2
# shellcheck disable=SC2086
DOCKER_BUILDKIT=1 "$docker" build --quiet --network host --build-arg "BASE=$base" $secret -f deploy/docker/Dockerfile -t "$tag" . >/dev/null
size=$("$docker" image inspect --format '{{.Size}}' "$tag")
echo "build: $tag is $((size / 1024 / 1024)) MiB" >&2
