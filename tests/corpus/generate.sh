#!/bin/bash
# Rebuilds the crash corpus from source: compiles every case for Windows
# with clang + lld (real PDBs), runs it under Wine, and leaves in
# tests/corpus/<arch>/<case>/ the EXE, DLL, PDBs, the dump and the
# program's own expected.json. Needs Debian 12 and root (it installs what
# it needs with apt-get). Usage: generate.sh [case...]   (default: all)
#                          generate.sh --probes  (the README's Wine checks)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/src
WORK=${CK_WORK:-/tmp/dw-corpus-build}

log() { printf '== %s\n' "$*" >&2; }

install_deps() {
	local need=()
	command -v clang >/dev/null || need+=(clang)
	command -v ld.lld >/dev/null || need+=(lld)
	[ -x /usr/lib/wine/wine64 ] || need+=(wine64)
	[ -d /usr/x86_64-w64-mingw32/lib ] && [ -d /usr/i686-w64-mingw32/lib ] || need+=(mingw-w64)
	command -v llvm-objcopy-14 >/dev/null || need+=(llvm-14)
	command -v xz >/dev/null || need+=(xz-utils)
	command -v xvfb-run >/dev/null || need+=(xvfb xauth)
	if [ ${#need[@]} -gt 0 ]; then
		log "installing ${need[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
	fi
}

# gcc's mingw runtime libraries (libgcc, libstdc++) live in a versioned
# directory that clang 14 does not find by itself ("12-win32"): the win32
# thread model avoids a dependency on libwinpthread-1.dll.
gcc_dir() { ls -d /usr/lib/gcc/"$1"/*-win32 | sort -V | tail -n1; }

# cc ARCH OUT_BASENAME KIND(exe|dll) CFLAGS... -- SOURCES... [-- LDFLAGS...]
# Builds OUT.exe/OUT.dll with OUT.pdb in the current directory.
compile() {
	local arch=$1 out=$2 kind=$3
	shift 3
	local triple gdir
	case $arch in
	x64) triple=x86_64-w64-mingw32 ;;
	x86) triple=i686-w64-mingw32 ;;
	esac
	gdir=$(gcc_dir $triple)
	local driver=clang
	local cxxinc=()
	for a in "$@"; do
		case $a in *.cpp)
			driver=clang++
			cxxinc=(-isystem "$gdir/include/c++" -isystem "$gdir/include/c++/$triple")
			;;
		esac
	done
	local ext=exe
	local kindflags=()
	if [ "$kind" = dll ]; then
		ext=dll
		kindflags=(-shared "-Wl,--out-implib,$out.lib")
	fi
	# -gcodeview only picks the format; -g asks for the debug info itself.
	# Without it the PDB holds publics only and static functions have no
	# names (the walker then reports the nearest exported neighbour).
	$driver --target=$triple -g -gcodeview -fuse-ld=lld -I"$SRC" "${cxxinc[@]}" \
		-L"$gdir" "${kindflags[@]}" "$@" -Wl,--pdb="$out.pdb" -o "$out.$ext"
	# mingw's own runtime objects carry DWARF that lld copies into the
	# image (~170 KB a program); our code's debug info is in the PDB, so
	# drop the DWARF before the program runs (its identity is read from
	# the stripped image, so expected.json matches the committed file).
	llvm-objcopy-14 --strip-debug "$out.$ext"
}

export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

# Debian 12 cannot install wine32:i386 next to wine64 (its i386
# dependency tree does not resolve), but the 32-bit loader only needs
# libc6:i386: unpack wine32 and libwine into a private root and give it
# the i686 zlib1.dll that Debian's user32 imports.
setup_wine32() {
	local root=$WORK/wine32root
	[ -x "$root/usr/lib/wine/wine" ] && return 0
	log "setting up 32-bit Wine in $root"
	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		dpkg --add-architecture i386
		apt-get update -qq || true
	fi
	dpkg -s libc6:i386 >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libc6:i386
	mkdir -p "$WORK/debs" "$root"
	(cd "$WORK/debs" && apt-get download wine32:i386 libwine:i386)
	for d in "$WORK"/debs/*.deb; do dpkg -x "$d" "$root"; done
	cp /usr/i686-w64-mingw32/lib/zlib1.dll "$root/usr/lib/i386-linux-gnu/wine/i386-windows/"
}

# wine_env ARCH: sets WINE and the prefix for one architecture. Each arch
# gets its own prefix: the 32-bit loader runs in a win32 prefix.
wine_env() {
	case $1 in
	x64)
		WINE=/usr/lib/wine/wine64
		export WINEPREFIX=$WORK/prefix64 WINEARCH=win64
		unset WINESERVER
		;;
	x86)
		WINE=$WORK/wine32root/usr/lib/wine/wine
		export WINEPREFIX=$WORK/prefix32 WINEARCH=win32 WINESERVER=/usr/lib/wine/wineserver
		;;
	esac
}

winpath() { echo "Z:${1//\//\\}"; }

# run_case ARCH CASE [full]: runs the program in its folder and checks
# that it left a dump and expected.json behind. Full dumps are xz'd.
run_case() {
	local arch=$1 name=$2 full=${3:-0}
	local dir=$HERE/$arch/$name
	local dumper=$WORK/$arch/dumper.exe
	log "run $arch/$name full=$full"
	wine_env "$arch"
	# A message box needs a display: every case runs under a virtual X
	# server, which also keeps Wine from failing over to its null driver.
	(cd "$dir" && CK_FULL=$full CK_DUMPER=$(winpath "$dumper") timeout 120 \
		xvfb-run -a "$WINE" "$name.exe" >"$WORK/$arch/$name.out" 2>&1) || true
	local dmp=$dir/$name.dmp json=$dir/expected.json
	if [ "$full" = 1 ]; then
		dmp=$dir/$name.full.dmp json=$dir/expected.full.json
	fi
	if [ ! -s "$dmp" ] || [ ! -s "$json" ]; then
		log "FAILED: $arch/$name left no dump; program output:"
		cat "$WORK/$arch/$name.out" >&2
		return 1
	fi
	if [ "$full" = 1 ]; then
		rm -f "$dmp.xz"
		xz -9 -T1 "$dmp"
	fi
}

# build_simple ARCH CASE [CFLAGS...]: one-source case, crashkit linked in.
build_simple() {
	local arch=$1 name=$2
	shift 2
	local dir=$HERE/$arch/$name src=$SRC/cases/$name.c
	[ -f "$src" ] || src=$SRC/cases/$name.cpp
	mkdir -p "$dir"
	local extra=()
	# The C++ case links libstdc++ and libgcc statically, as a shipped
	# mingw program would, so no runtime DLLs need to sit beside it.
	case $src in *.cpp) extra=(-static -xc "$SRC/crashkit.c" -xnone) ;; *) extra=("$SRC/crashkit.c") ;; esac
	(cd "$dir" && compile "$arch" "$name" exe -O0 -DCASE="\"$name\"" "$@" "$src" "${extra[@]}")
}

# build_deep ARCH CASE LIBNAME OPTIMIZED CFLAGS...: EXE + DLL pair.
build_deep() {
	local arch=$1 name=$2 lib=$3 opt=$4
	shift 4
	local dir=$HERE/$arch/$name
	mkdir -p "$dir"
	(cd "$dir" &&
		compile "$arch" "$lib" dll "$@" -DCASE="\"$name\"" "$SRC/cases/deep_lib.c" &&
		compile "$arch" "$name" exe "$@" -DCASE="\"$name\"" -DLIBNAME="\"$lib\"" \
			-DOPTIMIZED="$opt" "$SRC/cases/deep.c" "$SRC/crashkit.c" "$lib.lib" &&
		rm -f "$lib.lib")
}

build_case() {
	local arch=$1 c=$2
	case $c in
	deep_fp) build_deep "$arch" deep_fp deep_fp_lib false -O0 -fno-omit-frame-pointer ;;
	deep_opt) build_deep "$arch" deep_opt deep_opt_lib true -O2 -fomit-frame-pointer ;;
	*) build_simple "$arch" "$c" ;;
	esac
}

SIMPLE="null_read null_write null_call wild_write div_zero stack_overflow fast_fail manual_dump
	handle_leak deadlock blocked_waits many_threads hidden_exception message_box
	heap_double_free heap_corrupt cpp_throw"
OTHER="deep_fp deep_opt"
# Full-memory dumps are ~27 MB raw and ~4 MB xz'd each; keep two, for
# memory a normal dump lacks: the critical sections in .bss (x64 deadlock,
# which also holds the x64 images with their .pdata) and the x86 images
# for a frame-pointer-less walk (x86 deep_opt).
FULL="x64/deadlock x86/deep_opt"
# No X11 libraries exist for i386 here, so the 32-bit Wine has no display
# driver and MessageBox returns at once: that case is x64 only.
SKIP="x86/message_box"

# probes: builds and runs the x64 probes behind README's claims about Wine
# (self-written dumps, real __fastfail); prints their output, commits nothing.
probes() {
	wine_env x64
	local out=$WORK/probes
	mkdir -p "$out"
	for p in selfdump fastfail; do
		(cd "$out" && compile x64 "$p" exe -O0 "$SRC/probes/$p.c" -ldbghelp)
		log "probe $p"
		local rc=0
		(cd "$out" && timeout 60 xvfb-run -a "$WINE" "$p.exe") || rc=$?
		echo "exit status $rc"
	done
	log "dumps left in $out"
}

main() {
	install_deps
	if [ "${1:-}" = --probes ]; then
		mkdir -p "$WORK"
		probes
		return
	fi
	mkdir -p "$WORK"
	local arches=${CK_ARCHES:-x64 x86}
	local want=("$@")
	[ ${#want[@]} -gt 0 ] || want=($SIMPLE $OTHER)
	for arch in $arches; do
		if [ "$arch" = x86 ]; then
			setup_wine32
			wine_env x86
			# The 32-bit prefix does not get zlib1.dll into system32 the
			# way the 64-bit one does, and dbghelp.dll imports it.
			local sys32=$WINEPREFIX/drive_c/windows/system32
			if [ ! -f "$sys32/zlib1.dll" ]; then
				xvfb-run -a "$WINE" wineboot -u >/dev/null 2>&1 || true
				cp /usr/i686-w64-mingw32/lib/zlib1.dll "$sys32/"
			fi
		fi
		mkdir -p "$WORK/$arch"
		(cd "$WORK/$arch" && compile "$arch" dumper exe -O1 "$SRC/dumper.c" -ldbghelp)
		for c in "${want[@]}"; do
			case " $SKIP " in *" $arch/$c "*) continue ;; esac
			rm -rf "${HERE:?}/$arch/$c"
			build_case "$arch" "$c"
			run_case "$arch" "$c"
			case " $FULL " in *" $arch/$c "*) run_case "$arch" "$c" 1 ;; esac
		done
	done
}

main "$@"
