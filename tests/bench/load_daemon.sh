#!/bin/sh
# Load benchmark for dumpwalkd (not a test): N concurrent clients over a set
# of dumps against a daemon on an ipc:// socket in a temporary directory,
# symbols warm (each set is analyzed once before the clock starts). Prints,
# per set, dumps/s, p50/p99 latency and the daemon's RSS, then stops it.
#   load_daemon.sh BUILD_DIR [CLIENTS] [REQUESTS] [--corpus DIR] [DUMP|DIR...]
# Without dumps, two sets, each against a fresh daemon:
#   small: every dump of at most 32 KiB in tests/corpus and the shared
#          corpus's dumps/ (chosen by size at run time, copied nowhere);
#   own:   every dump of tests/corpus, our own corpus.
# --corpus names the shared corpus (default: ../shared/corpus beside the
# repository); without it the small set is our own corpus's small dumps.
# Figures depend on what else runs: the script prints the load average.
# e.g. tests/bench/load_daemon.sh build 16 20000
set -eu
build=$1
clients=${2:-16}
requests=${3:-20000}
shift 3 2>/dev/null || shift $#
src=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$src/../shared/corpus
if [ "${1-}" = --corpus ]; then
	corpus=$2
	shift 2
fi
dir=$(mktemp -d /tmp/dwbench-XXXXXX)
pid=
trap '[ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; rm -rf "$dir"' EXIT

# run NAME LISTFILE: one daemon, the load, its figures.
run() {
	name=$1 list=$2
	if [ ! -s "$list" ]; then
		echo "== $name: no dumps"
		return
	fi
	# Warm symbols from every directory of the set's dumps that holds a
	# PDB (and the shared corpus's symbol store for its dumps), unless
	# DW_BENCH_SYMBOL_PATH says otherwise. Without it the daemon's default
	# path (Microsoft's server) would turn an offline run into a
	# network-timeout test.
	sp=$(while read -r f; do
		d=$(dirname "$f")
		ls "$d"/*.pdb >/dev/null 2>&1 && echo "$d"
		case $f in "$corpus"/*) [ -d "$corpus/symbols" ] && echo "$corpus/symbols" ;; esac
	done <"$list" | sort -u | paste -sd ';' -)
	sp=${DW_BENCH_SYMBOL_PATH-$sp}
	rm -rf "$dir/cache"
	"$build/daemon/dumpwalkd" --listen "ipc://$dir/d.sock" --http "" --queue-depth 256 \
		--symbol-path "$sp" --cache-dir "$dir/cache" 2>"$dir/log.$name" &
	pid=$!
	echo "== $name: $(wc -l <"$list") dumps; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	# shellcheck disable=SC2046 # one argument per dump path
	"$build/tests/bench/load_daemon" --server "ipc://$dir/d.sock" -c "$clients" -n "$requests" \
		--warm $(cat "$list") || echo "load_daemon failed; daemon log: $dir/log.$name"
	echo "daemon RSS: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$pid/status), peak $(awk '/VmHWM/ {print $2 " " $3}' /proc/$pid/status)"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

if [ $# -gt 0 ]; then
	find "$@" -name '*.dmp' -not -path '*/synthetic/*' | sort >"$dir/given"
	run given "$dir/given"
else
	shared=
	[ -d "$corpus/dumps" ] && shared=$corpus/dumps
	# -size -33k: at most 32 KiB (find rounds sizes up to whole KiB).
	find "$src/tests/corpus" $shared -name '*.dmp' -size -33k -not -path '*/synthetic/*' |
		sort >"$dir/small"
	find "$src/tests/corpus" -name '*.dmp' -not -path '*/synthetic/*' | sort >"$dir/own"
	run small "$dir/small"
	run own "$dir/own"
fi
