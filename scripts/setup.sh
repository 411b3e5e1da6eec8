#!/bin/sh
# Sets up what desktopd needs on a fresh Debian/Ubuntu machine, skipping what is
# already there:
#   1. Debian packages for the built-in desktop (installed when root; otherwise
#      the apt-get command is printed and setup fails),
#   2. node_modules (npm ci, when missing or older than package-lock.json),
#   3. the build (dist/, when older than src/ or gen/).
# Usage: scripts/setup.sh [--ci]   (--ci: also the packages tests and the
# benchmark use, and no build step)
set -eu
cd "$(dirname "$0")/.."

# Desktop: Xvnc (X + VNC server), a window manager, a terminal for --open xterm,
# ffmpeg for recordings.
PACKAGES="tigervnc-standalone-server openbox xterm ffmpeg"
# Tests and benchmark: xdotool for the spawn-per-action column, openssl for a
# test certificate, vncsnapshot as a stock VNC viewer, protoc + the gRPC Python
# plugin + grpcio for the Python example (examples/python), Chromium for the
# browser live view specs (driven by playwright-core; no browser download),
# Firefox ESR as a real application driven at API pace (test/firefox.test.ts),
# Go with Debian's protoc plugins and gRPC for the Go example (examples/go;
# golang/protobuf 1.5: grpc-go 1.33 with 1.3 panics at the first call), nginx
# as the HTTP/1.1-only reverse proxy fleets put in front (test/proxy.test.ts).
CI_PACKAGES="xdotool jq openssl vncsnapshot protobuf-compiler protobuf-compiler-grpc libprotobuf-dev python3-grpcio python3-protobuf chromium firefox-esr nginx-light"
GO_PACKAGES="golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev"
CHECK="Xvnc openbox xterm ffmpeg"
if [ "${1:-}" = "--ci" ]; then
  PACKAGES="$PACKAGES $CI_PACKAGES $GO_PACKAGES"
  CHECK="$CHECK xdotool openssl vncsnapshot protoc grpc_python_plugin chromium firefox-esr go protoc-gen-go protoc-gen-go-grpc nginx"
fi

missing=""
for bin in $CHECK; do
  command -v "$bin" >/dev/null 2>&1 || missing="$missing $bin"
done
if [ "${1:-}" = "--ci" ]; then
  [ -f /usr/include/google/protobuf/timestamp.proto ] || missing="$missing libprotobuf-dev"
  /usr/bin/python3 -c "import grpc, google.protobuf" >/dev/null 2>&1 || missing="$missing python3-grpcio"
  [ -f /usr/share/gocode/src/github.com/golang/protobuf/proto/registry.go ] || missing="$missing golang-github-golang-protobuf-1-5-dev"
  [ -d /usr/share/gocode/src/google.golang.org/grpc ] || missing="$missing golang-google-grpc-dev"
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages ($missing missing): $PACKAGES" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
  else
    echo "setup: missing:$missing. Install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends $PACKAGES" >&2
    exit 1
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" != "--ci" ]; then
  if [ ! -f dist/.built ] || [ -n "$(find src gen package-lock.json tsconfig.json -newer dist/.built 2>/dev/null | head -n 1)" ]; then
    echo "setup: building" >&2
    npm run --silent build
    touch dist/.built
  fi
fi
