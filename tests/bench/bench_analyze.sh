#!/bin/sh
# tests/bench/bench_analyze.sh BENCH CORPUS OWN_CORPUS - bench_analyze over
# every shared-corpus dump (symbols from CORPUS/symbols) and our own cases.
set -eu
bench=$1 corpus=$2 own=$3
"$bench" -n 200 "$corpus/symbols" $(find "$corpus/dumps" "$own" -name '*.dmp' \
	-not -path '*/synthetic/*' | sort)
