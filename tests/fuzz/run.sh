#!/bin/bash
# Runs one libFuzzer target for a budget of CPU time and reports what it did.
#
#   tests/fuzz/run.sh TARGET CPU_SECONDS [WORK_DIR]
#
# Builds build-fuzz (clang, ASan+UBSan, coverage on every library) if needed,
# seeds WORK_DIR/corpus from the target's committed corpus plus matching files
# of our own corpus and ../shared/corpus, then runs in 5-minute rounds until
# the fuzzer has used CPU_SECONDS of CPU (wall time is not CPU time on a busy
# machine). Findings land in WORK_DIR/artifacts; minimize one with
#   build-fuzz/tests/fuzz/fuzz_TARGET -minimize_crash=1 FILE
# and keep it in tests/fuzz/corpus/TARGET/ with a Criterion test.
# Extra libFuzzer flags come from DW_FUZZ_ARGS (e.g. -max_len=65536, which
# keeps text parsers fast on multi-megabyte seeds).
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${1:?target (dump, pe, pdb, sym, undname, symtab, walk, classify, residue, symbol_path, request)}
budget=${2:?CPU seconds}
work=${3:-/tmp/dw-fuzz/$target}
shared=../shared/corpus

if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C build-fuzz "tests/fuzz/fuzz_$target" >/dev/null

mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"
[ -d "tests/fuzz/corpus/$target" ] && cp -r "tests/fuzz/corpus/$target/." "$work/seeds/"
seed() { find "$@" -type f -size -2M -exec cp -t "$work/seeds" {} + 2>/dev/null || true; }
case $target in
dump | walk | classify) seed tests/corpus "$shared/dumps" -name '*.dmp' ;;
pe) seed "$shared/binaries" tests/corpus -name '*.exe' -o -name '*.dll' ;;
pdb) seed "$shared/symbols" tests/corpus -name '*.pdb' ;;
sym) seed "$shared/symbols" -name '*.sym' ;;
esac

used=0
round=0
while [ "$used" -lt "$budget" ]; do
	round=$((round + 1))
	left=$((budget - used))
	wall=$((left < 300 ? left : 300))
	# %U+%S: the fuzzer's own CPU seconds for this round.
	/usr/bin/time -f '%U %S' -o "$work/cpu" \
		"build-fuzz/tests/fuzz/fuzz_$target" "$work/corpus" "$work/seeds" \
		-max_total_time="$wall" -timeout=10 -rss_limit_mb=2048 -report_slow_units=60 \
		-artifact_prefix="$work/artifacts/" -print_final_stats=1 ${DW_FUZZ_ARGS:-} \
		>"$work/round$round.log" 2>&1 || true
	cpu=$(awk '{printf "%d", $1 + $2}' "$work/cpu")
	used=$((used + cpu))
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/round$round.log" | grep -o '[0-9]*$' || echo 0)
	cov=$(grep -o 'cov: [0-9]*' "$work/round$round.log" | tail -1 || true)
	echo "fuzz $target round $round: ${cpu}s CPU, $execs executions, $cov (total ${used}s CPU)"
	# Later rounds start from what earlier ones found.
	rm -rf "$work/seeds" && mkdir -p "$work/seeds"
	# A slow unit is wall time, which a loaded machine inflates (an 11 s
	# "slow" PDB took 0.18 s when run alone): only crashes, leaks, timeouts
	# and out-of-memory inputs are findings.
	if ls "$work/artifacts" | grep -qv '^slow-unit-'; then
		break
	fi
done
findings=$(ls "$work/artifacts" | grep -cv '^slow-unit-' || true)
echo "fuzz $target: ${used}s CPU in $round rounds, $findings findings in $work/artifacts"
[ "$findings" -eq 0 ]
