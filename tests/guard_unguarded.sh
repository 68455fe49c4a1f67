#!/bin/sh
# guard_unguarded.sh REPLAY SCENARIO PROVIDER CLIENT [REASON COUNT]...
# The scenario is clean, no call through PROVIDER's tables is guarded, and
# its timeline says COUNT times, for each REASON, that PROVIDER's table went
# to CLIENT unguarded and why (the refusals of sim/host/guard_walk.c:
# corpus/kernel/GUARD-unguarded-*.nmr).
set -u
[ $# -ge 6 ] || { echo "usage: guard_unguarded.sh REPLAY SCENARIO PROVIDER CLIENT REASON COUNT..."; exit 2; }
replay=$1 scn=$2 provider=$3 client=$4
shift 4
out=$("$replay" "$scn") || { echo "$out" | tail -20; echo "FAIL: not clean"; exit 1; }
lines=0
while [ $# -ge 2 ]; do
	n=$(echo "$out" | grep -c "DispatchUnguarded: $provider's dispatch table handed to $client unguarded (calls through it are not checked): $1\$")
	[ "$n" -eq "$2" ] || { echo "$out" | grep -i unguarded; echo "FAIL: $n DispatchUnguarded lines '$1' (want $2)"; exit 1; }
	lines=$((lines + n))
	shift 2
done
all=$(echo "$out" | grep -c "DispatchUnguarded")
[ "$all" -eq "$lines" ] || { echo "$out" | grep -i unguarded; echo "FAIL: $all DispatchUnguarded lines (want $lines)"; exit 1; }
[ "$(echo "$out" | grep -c "call $provider dispatch")" -eq 0 ] || { echo "FAIL: calls were guarded"; exit 1; }
echo "ok: $lines line(s), no guarded call"
