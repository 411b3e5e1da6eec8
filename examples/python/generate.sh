#!/bin/sh
# Generates the Python stubs for desktop.v1 from ../../proto with Debian's
# protoc and gRPC plugin (packages: protobuf-compiler protobuf-compiler-grpc
# libprotobuf-dev python3-grpcio python3-protobuf).
# Usage: generate.sh [OUT_DIR]   (default: gen/ beside this script, not committed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/gen}
rm -rf "$out"
mkdir -p "$out"
protoc -I "$here/../../proto" -I /usr/include \
  --python_out="$out" \
  --grpc_python_out="$out" --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  desktop/v1/desktop.proto
echo "generated $(find "$out" -name '*.py' | wc -l) modules in $out" >&2
