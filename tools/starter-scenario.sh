#!/usr/bin/env bash
# starter-scenario.sh - the starter scenario tools/nmrsim-build writes for a
# user's drivers, on standard output.
#
# One thread loads every driver; another lets 20 ms of simulated time pass
# (timers, DPCs and periodic workers run), then unloads them in the reverse
# order. The engine tries the interleavings: an unload that finds its driver
# still in DriverEntry waits for it (as the I/O manager does), one that finds
# it not loaded yet is traced ("UnloadIgnored: not loaded") and the drain
# unloads it at the end. `atomics preempt`: the drivers' interlocked and
# volatile accesses are scheduling points too, so a hand-rolled reference
# count or closing flag is interleaved where it can break (docs/KERNEL.md;
# no cost in runs/s on the examples' starter, but more runs to other bugs:
# docs/FUZZING.md; delete the line to compare).
# A correct driver passes it (tests/test_starter.sh).
#
# usage: starter-scenario.sh SCENARIO_PATH DRIVER_NAME...
set -eu
scn=${1:?usage: starter-scenario.sh SCENARIO_PATH DRIVER_NAME...}
shift
echo "# Starter scenario for your drivers (edit freely; docs/SCENARIO.md)."
echo "# Try schedules: nmr-replay --seed N $scn, or nmr-explore --runs 10000 $scn"
echo "atomics preempt"
for n in "$@"; do echo "driver $n"; done
echo "thread load"
for n in "$@"; do echo "  load $n"; done
echo "thread unload"
echo "  sleep 20ms"
rev=""; for n in "$@"; do rev="$n $rev"; done
for n in $rev; do echo "  unload $n"; done
