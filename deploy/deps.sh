#!/bin/sh
# Check for (and, as root, install) the Debian packages apex builds and runs with.
# Usage: deploy/deps.sh [--check]
#   --check  only report; never install.
# Exit 0 when everything is present, 1 when something is missing and could not be installed.
set -eu

PACKAGES="
build-essential
cmake
pkg-config
libzmq3-dev
libprotobuf-c-dev
protobuf-c-compiler
libuv1-dev
libopenblas-dev
liblapacke-dev
libcmocka-dev
libgmp-dev
libflint-dev
libssl-dev
libsodium-dev
libsqlite3-dev
zlib1g-dev
libjansson-dev
dataset-fashion-mnist
gnuplot-nox
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "deps: all $(echo $PACKAGES | wc -w) packages present"
    exit 0
fi

echo "deps: missing:$missing"
if [ "${1:-}" = "--check" ]; then
    echo "deps: install them with: apt-get install -y$missing"
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: not root; run this as root:"
    echo "  apt-get update && apt-get install -y$missing"
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
echo "deps: installed:$missing"
