#!/bin/sh
# guard_unguarded.sh REPLAY SCENARIO - the scenario is clean and its timeline
# says once that the provider's table went to the client unguarded, and why
# (corpus/kernel/GUARD-unguarded-pool.nmr).
set -u
out=$("$1" "$2") || { echo "$out" | tail -20; echo "FAIL: not clean"; exit 1; }
n=$(echo "$out" | grep -c "DispatchUnguarded: layout_pool_provider's dispatch table handed to layout_flat_late unguarded (calls through it are not checked): it is not in a driver's static data, its size is unknown")
[ "$n" -eq 1 ] || { echo "$out" | grep -i unguarded; echo "FAIL: $n DispatchUnguarded lines (want 1)"; exit 1; }
[ "$(echo "$out" | grep -c "call layout_pool_provider dispatch")" -eq 0 ] || { echo "FAIL: calls were guarded"; exit 1; }
echo "ok: one line, no guarded call"
