#!/bin/sh
# deploy/demo.sh BUILD_DIR - the README's first command: start dumpwalkd with
# its default configuration (socket in the user's runtime directory, cache in
# the user's cache directory), submit a sample dump from our own corpus with
# the client, print the report, stop the daemon.
#
# The daemon's default symbol path is Microsoft's public server; the sample's
# own symbols (null_write.pdb beside the dump) are given to the daemon with
# --symbol-path so the frames are named without a network.
set -eu
build=${1:-build}
case_dir=tests/corpus/x64/null_write
runtime=${XDG_RUNTIME_DIR:-}
if [ -z "$runtime" ] || [ ! -w "$runtime" ]; then
	runtime=$(mktemp -d)
	export XDG_RUNTIME_DIR="$runtime"
fi
"$build/daemon/dumpwalkd" --symbol-path "$(pwd)/$case_dir" 2>/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT INT TERM
# Wait for the socket: health answers once the daemon listens.
i=0
until "$build/clients/dumpwalk" health >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -ge 50 ]; then
		echo "demo: dumpwalkd did not start" >&2
		exit 1
	fi
	sleep 0.1
done
"$build/clients/dumpwalk" analyze "$case_dir/null_write.dmp"
