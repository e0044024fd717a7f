#!/bin/sh
# Runs the whole test suite twice: a plain build and an AddressSanitizer +
# UndefinedBehaviorSanitizer build, both with warnings as errors. This is the
# command the README gives and the one CI runs. Prints a closing summary line
# "N passed, N failed, N skipped" counted over every Criterion test.
set -eu
cd "$(dirname "$0")/.."

run_suite() {
	dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" --werror "$@"
	else
		meson configure "$dir" --werror "$@" >/dev/null
	fi
	ninja -C "$dir"
	# Keep going after a failure so the summary counts everything.
	meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
}

status=0
run_suite build
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false

python3 tests/summarize.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json || status=1
exit $status
