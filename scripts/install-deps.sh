#!/bin/sh
# Install the Debian packages Osprey needs, only those that are missing.
#   scripts/install-deps.sh build   what `make` uses (pkg-config and libraries)
#   scripts/install-deps.sh test    the above plus what `make check` uses
# Runs apt-get as root (directly, or through sudo when available).
set -e

BUILD_PKGS="pkg-config liburcu-dev seabios qemu-system-data libslirp-dev libcapstone-dev libzstd-dev zlib1g-dev"
TEST_PKGS="libcmocka-dev python3 python3-pytest socat acpica-tools clang libclang-rt-14-dev qemu-system-x86 qemu-utils"

case "${1:-build}" in
build) want="$BUILD_PKGS" ;;
test)  want="$BUILD_PKGS $TEST_PKGS" ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# An old or empty package list cannot find anything: refresh it first.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
