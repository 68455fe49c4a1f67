#!/bin/sh
# no_engine_crash.sh EXPLORER SCENARIO RUNS - the explorer's random runs of
# SCENARIO find its bug and never a K08 (a crash): r30's timer DPC runs after
# the cleanup callback freed the KDPC's memory, which the engine must report
# (M19, K09), not crash on (it read the freed KDPC after dequeuing it).
# Exit 0 when a finding and no K08 were listed, 1 otherwise.
out=$("$1" --quiet --strategy random --runs "$3" --seed 1 --out "${TMPDIR:-/tmp}/no_engine_crash.$$" "$2" 2>&1)
rm -rf "${TMPDIR:-/tmp}/no_engine_crash.$$"
printf '%s\n' "$out" | grep -q '^\[1\]' || { printf '%s\n' "$out"; echo "no finding"; exit 1; }
if printf '%s\n' "$out" | grep -q 'K08'; then
	printf '%s\n' "$out"
	echo "a K08 (crash) among the findings"
	exit 1
fi
exit 0
