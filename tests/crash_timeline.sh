#!/bin/sh
# crash_timeline.sh - the timeline up to a crash (K08) keeps what the normal
# timeline shows: each driver call with its source line (nmr-replay installs
# its annotated renderer as crash_render, sim/run/crash.h); --plain keeps it
# plain. corpus/kernel/K08-bad.nmr: tests/drivers/k08_bad.c crashes in Unload.
#
# usage: crash_timeline.sh SOURCE_ROOT NMR_REPLAY_KERNEL
set -u
root=${1:?usage: crash_timeline.sh SOURCE_ROOT NMR_REPLAY_KERNEL}
replay=${2:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
n=$(grep -n 'ExAllocatePool' "$root/tests/drivers/k08_bad.c" | head -1 | cut -d: -f1)

"$replay" "$root/corpus/kernel/K08-bad.nmr" > "$tmp/out.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "K08-bad: exit $rc (expected 1)"
grep -q 'trace up to the crash' "$tmp/out.txt" || fail "no timeline up to the crash"
grep -q "ExAllocatePoolWithTag block #1 (16)  \[k08_bad.c:$n\]" "$tmp/out.txt" ||
  fail "the crash timeline lost the call's source line k08_bad.c:$n: $(grep ExAllocatePool "$tmp/out.txt")"
grep -q 'signature: K08 k08_bad SIGSEGV' "$tmp/out.txt" || fail "no K08 signature"

"$replay" --plain "$root/corpus/kernel/K08-bad.nmr" > "$tmp/plain.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "K08-bad --plain: exit $rc (expected 1)"
grep -q 'k08_bad\.c:' "$tmp/plain.txt" && fail "--plain shows source lines in the crash timeline"
grep -q "ExAllocatePoolWithTag block #1 (16)" "$tmp/plain.txt" || fail "--plain crash timeline lost the call"

[ $fails -eq 0 ] && echo "crash timeline: names and lines kept, --plain plain"
exit $fails
