#!/bin/sh
# Generates the Python stubs for desktop.v1 from ../../proto with Debian's
# protoc and gRPC plugin (packages: protobuf-compiler protobuf-compiler-grpc
# libprotobuf-dev python3-grpcio python3-protobuf). Output: gen/ (not committed).
set -eu
cd "$(dirname "$0")"
rm -rf gen
mkdir gen
protoc -I ../../proto -I /usr/include \
  --python_out=gen \
  --grpc_python_out=gen --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  desktop/v1/desktop.proto
echo "generated $(find gen -name '*.py' | wc -l) modules in $(pwd)/gen" >&2
