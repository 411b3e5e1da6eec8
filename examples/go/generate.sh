#!/bin/sh
# Generates the Go stubs for desktop.v1 from ../../proto with Debian's protoc
# and Go plugins, into a GOPATH (the import path is the proto's go_package,
# desktopd/gen/go/desktop/v1), and links this example into it.
# Packages: golang-go protobuf-compiler libprotobuf-dev protoc-gen-go
# protoc-gen-go-grpc golang-google-grpc-dev golang-google-protobuf-dev
# golang-github-golang-protobuf-1-5-dev.
# Usage: generate.sh [GOPATH_DIR]   (default: gopath/ beside this script, not committed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
gopath=${1:-$here/gopath}
rm -rf "$gopath"
mkdir -p "$gopath/src/desktopd/examples"
protoc -I "$here/../../proto" -I /usr/include \
  --go_out="$gopath/src" \
  --go-grpc_out="$gopath/src" \
  desktop/v1/desktop.proto
ln -s "$here/desktop_example" "$gopath/src/desktopd/examples/desktop_example"
echo "generated $(find "$gopath/src/desktopd/gen" -name '*.go' | wc -l) files under $gopath/src/desktopd/gen" >&2
