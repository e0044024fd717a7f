#!/bin/sh
# Installs every Debian 12 package dumpwalk needs to build, test and fuzz.
# Idempotent: packages already present are left alone. Run as root.
set -eu

# Build: compiler, meson, and the libraries the project links.
BUILD="gcc meson ninja-build pkg-config libnng-dev libprotobuf-c-dev protobuf-c-compiler
 libcapstone-dev libcurl4-openssl-dev libmspack-dev libinih-dev libmbedtls-dev"
# Tests: Criterion; python3 serves HTTP in symbol-server tests; xz unpacks
# compressed fixtures; llvm-14 gives llvm-pdbutil/llvm-readobj as oracles;
# openssl makes the certificate of the daemon's TLS test.
TEST="libcriterion-dev python3 xz-utils llvm-14 openssl"
# Fuzzing and sanitizers with clang's runtime.
FUZZ="clang lld libclang-rt-14-dev"

PKGS=$(echo $BUILD $TEST $FUZZ)
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing; run this script as root" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
echo "install-deps: done"
