#!/bin/sh
# Installs every Debian 12 package dumpwalk needs to build, test and fuzz,
# then the test data that comes from Debian packages (Wine's PE DLLs, below).
# Idempotent: packages and data already present are left alone. Run as root.
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

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: $1; run this script as root" >&2
		exit 1
	fi
}

PKGS=$(echo $BUILD $TEST $FUZZ)
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

export DEBIAN_FRONTEND=noninteractive
updated=0
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
else
	need_root "missing:$missing"
	echo "install-deps: installing:$missing"
	apt-get update -qq
	updated=1
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
	echo "install-deps: packages done"
fi

# Test data: Wine's PE DLLs, x64 and x86. Our corpus (tests/corpus) was made
# under Debian's Wine 8.0~repack-4, and its dumps carry no symbols for Wine's
# own modules: the pattern tests name those frames (NtWaitForSingleObject,
# RtlEnterCriticalSection...) from the exports of the very DLLs that ran.
# Only the PE folder of each libwine .deb is unpacked, nothing is installed:
# libwine:amd64 would pull ~20 runtime libraries (X11, GStreamer, PulseAudio)
# and libwine:i386 does not install beside it on Debian 12 at all (see
# tests/corpus/README.md). tests/meson.build points DW_WINE64_DLLS and
# DW_WINE32_DLLS at the folders made here; the tests check each DLL against
# the dump's module record before using it.
TEST_CACHE=/var/cache/dumpwalk-test
WINE_VERSION="8.0~repack-4"

wine_dlls() {
	arch=$1    # Debian architecture
	triple=$2  # its multiarch triple
	pe=$3      # Wine's PE folder name
	dest=$TEST_CACHE/wine/$pe
	if [ -f "$dest/ntdll.dll" ]; then
		echo "install-deps: Wine $arch DLLs present in $dest"
		return
	fi
	need_root "Wine's $arch DLLs are not in $dest"
	start=$(date +%s)
	if [ "$arch" = i386 ] && ! dpkg --print-foreign-architectures | grep -qx i386; then
		# Only so that apt knows the i386 package lists; nothing i386 is installed.
		echo "install-deps: dpkg --add-architecture i386"
		dpkg --add-architecture i386
		updated=0
	fi
	if [ "$updated" = 0 ]; then
		echo "install-deps: apt-get update"
		# A list that fails mid mirror sync (often the security suite's) need
		# not stop the download below, which fails clearly on its own.
		apt-get update -qq || echo "install-deps: warning: apt-get update reported errors" >&2
		updated=1
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	chown _apt "$tmp" 2>/dev/null || true
	echo "install-deps: apt-get download libwine:$arch=$WINE_VERSION"
	if ! (cd "$tmp" && apt-get download -qq "libwine:$arch=$WINE_VERSION"); then
		echo "install-deps: warning: libwine $WINE_VERSION is gone from the archive; taking the" \
		     "current one (the tests skip DLLs that do not match the dumps)" >&2
		(cd "$tmp" && apt-get download -qq "libwine:$arch")
	fi
	echo "install-deps: unpacking usr/lib/$triple/wine/$pe into $dest"
	mkdir -p "$TEST_CACHE/wine"
	rm -rf "$dest.part"
	mkdir "$tmp/x"
	dpkg-deb --fsys-tarfile "$tmp"/libwine_*.deb | tar -x -C "$tmp/x" "./usr/lib/$triple/wine/$pe"
	# Moved into place whole, so an interrupted run never leaves a folder
	# that looks complete.
	mv "$tmp/x/usr/lib/$triple/wine/$pe" "$dest.part"
	rm -rf "$dest"
	mv "$dest.part" "$dest"
	rm -rf "$tmp"
	trap - EXIT
	echo "install-deps: Wine $arch DLLs in $dest ($(find "$dest" -name '*.dll' | wc -l) DLLs," \
	     "$(($(date +%s) - start)) s)"
}

wine_dlls amd64 x86_64-linux-gnu x86_64-windows
wine_dlls i386 i386-linux-gnu i386-windows
echo "install-deps: done"
