#!/bin/sh
# Builds the mapping plugin, package mapping compiled to a WASI reactor
# module, into build/mapping.wasm (or the path given as the first
# argument). The Makefile's plugin target calls it.
#
# The version reported by the plugin's info export is PLUGIN_VERSION, or
# else `git describe --always --dirty`, or else "dev".
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/build/mapping.wasm"}

version=${PLUGIN_VERSION:-}
if [ -z "$version" ]; then
	version=$(git -C "$root" describe --always --dirty 2>/dev/null || echo dev)
fi

mkdir -p "$(dirname "$out")"
cd "$root"
GOOS=wasip1 GOARCH=wasm go build \
	-buildmode=c-shared \
	-trimpath \
	-ldflags "-X main.version=$version" \
	-o "$out" \
	./plugin
echo "built $out (version $version, $(wc -c <"$out") bytes)"
