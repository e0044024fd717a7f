#!/bin/sh
# Load benchmark for dumpwalkd (not a test): starts the daemon on an ipc://
# socket in a temporary directory, drives it with load_daemon, prints
# dumps/s, p50/p99 latency and the daemon's RSS, then stops it.
#   load_daemon.sh BUILD_DIR [CLIENTS] [REQUESTS] [DUMP_DIR...]
# e.g. tests/bench/load_daemon.sh build 16 20000 tests/corpus
set -eu
build=$1
clients=${2:-16}
requests=${3:-20000}
shift 3 2>/dev/null || shift $#
[ $# -gt 0 ] || set -- "$(dirname "$0")/../corpus"
dir=$(mktemp -d /tmp/dwbench-XXXXXX)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
# Warm symbols: every directory of the given dumps that holds a PDB, unless
# DW_BENCH_SYMBOL_PATH says otherwise. Without it the daemon's default path
# (Microsoft's server) would turn an offline run into a network-timeout test.
symbol_path=${DW_BENCH_SYMBOL_PATH-$(find "$@" -name '*.pdb' -exec dirname {} \; | sort -u | paste -sd ';' -)}
"$build/daemon/dumpwalkd" --listen "ipc://$dir/d.sock" --http "" --queue-depth 256 \
	--symbol-path "$symbol_path" --cache-dir "$dir/cache" 2>"$dir/log" &
pid=$!
"$build/tests/bench/load_daemon" --server "ipc://$dir/d.sock" -c "$clients" -n "$requests" "$@"
echo "daemon RSS: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$pid/status), peak $(awk '/VmHWM/ {print $2 " " $3}' /proc/$pid/status)"
