#!/bin/sh
# atomics_timeline.sh - under `atomics preempt` the timeline shows where a
# thread was preempted at an interlocked operation: the operation by its WDK
# name and the driver's source line (through wdm.h's inline helper, which
# addr2line -i resolves to its caller), and the other thread running in
# between. corpus/kernel/refs-racy.nmr (seed 4): the sender is preempted
# after its InterlockedCompareExchange check and before its
# InterlockedIncrement, while the detach and both cleanups run.
#
# usage: atomics_timeline.sh SOURCE_ROOT NMR_REPLAY_KERNEL
set -u
root=${1:?usage: atomics_timeline.sh SOURCE_ROOT NMR_REPLAY_KERNEL}
replay=${2:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
check=$(grep -n 'InterlockedCompareExchange(&CallState, 0, 0) & REFS_CLOSING' "$root/tests/drivers/refs_client.c" | head -1 | cut -d: -f1)
act=$(grep -n 'InterlockedIncrement(&CallState);' "$root/tests/drivers/refs_client.c" | head -1 | cut -d: -f1)

"$replay" "$root/corpus/kernel/refs-racy.nmr" > "$tmp/out.txt" 2>&1
[ $? -eq 1 ] || fail "refs-racy: expected exit 1"
# The check, a switch to the NMR worker (the detach), the act: in that order.
awk -v c="InterlockedCompareExchange (4 bytes)  [refs_client.c:$check]" \
    -v a="InterlockedIncrement (4 bytes)  [refs_client.c:$act]" '
  seen < 3 && index($0, c) && $2 == "system-0" { seen = 1 }
  seen == 1 && /ClientDetachProvider = STATUS_SUCCESS/ { seen = 2 }
  seen == 2 && index($0, a) && $2 == "system-0" { seen = 3 }
  END { exit seen == 3 ? 0 : 1 }' "$tmp/out.txt" ||
  fail "no 'check, detach, act' in the timeline: $(grep -E 'Interlocked|DetachProvider' "$tmp/out.txt" | head -20)"
"$replay" --plain "$root/corpus/kernel/refs-racy.nmr" > "$tmp/plain.txt" 2>&1
grep -q 'InterlockedIncrement (4 bytes)$' "$tmp/plain.txt" || fail "--plain lost the atomic event"
grep -q 'refs_client\.c:' "$tmp/plain.txt" && fail "--plain shows source lines"
echo "atomics_timeline: $fails failure(s)"
[ $fails -eq 0 ]
