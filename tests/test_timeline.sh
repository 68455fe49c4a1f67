#!/usr/bin/env bash
# test_timeline.sh - readable timelines (nmr-replay, replay/annotate.h) on
# the bundled example drivers:
# - a kernel object that is a driver global by its name and driver, as
#   findings name driver data (driver global StopEvent (bug_call_after_detach)),
#   one inside a pool block by the block, its tag and the allocation's line;
# - each driver call with its source line (the line of the call in the
#   driver's source, checked against the source);
# - a dispatch call's return value (STATUS_SUCCESS of good_provider's Send);
# - the same in the Perfetto timeline (--timeline);
# - --plain: the plain timeline (#N), same exit; no addr2line on PATH: no
#   source lines (what the engine knows stays: globals by the symbol table the
#   engine reads itself, pool blocks);
# - the trace hash is the same either way (names are render-time only).
#
# usage: test_timeline.sh SOURCE_ROOT NMR_REPLAY
set -u
root=${1:?usage: test_timeline.sh SOURCE_ROOT NMR_REPLAY}
replay=${2:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
line_of() { grep -n -F "$2" "$root/examples/$1" | head -1 | cut -d: -f1; }

cad=$root/corpus/drivers/bug_call_after_detach.nmr
"$replay" "$cad" > "$tmp/cad.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "bug_call_after_detach: exit $rc (expected 1, its M18)"
n=$(line_of bug_call_after_detach.c 'KeSetEvent(&StopEvent')
grep -q "KeSetEvent driver global StopEvent (bug_call_after_detach) (#[0-9]*)  \[bug_call_after_detach.c:$n\]" "$tmp/cad.txt" ||
  fail "the global KEVENT by name with its call's line $n: $(grep KeSetEvent "$tmp/cad.txt")"
grep -Eq "return from good_provider dispatch \(binding #[0-9]+\) = STATUS_SUCCESS" "$tmp/cad.txt" ||
  fail "no dispatch return value: $(grep 'return from' "$tmp/cad.txt" | head -3)"
grep -Eq "call good_provider dispatch \(binding #[0-9]+\)  \[bug_call_after_detach.c:[0-9]+\]" "$tmp/cad.txt" ||
  fail "no call site on a dispatch call"
grep -q "\[ke_\|\[ex_\|\[nmr_\|\[scripted" "$tmp/cad.txt" && fail "an engine line shown as a driver's call site"

"$replay" "$root/corpus/drivers/good_provider.nmr" > "$tmp/gp.txt" 2>&1 || fail "good_provider.nmr: exit $?"
a=$(line_of good_provider.c 'Binding = ExAllocatePool2(')
k=$(line_of good_provider.c 'KeAcquireSpinLock(&Binding->Lock')
grep -q "KeAcquireSpinLock in pool block #[0-9]* 'GdPv' +0x[0-9a-f]* allocated at good_provider.c:$a (#[0-9]*)  \[good_provider.c:$k\]" "$tmp/gp.txt" ||
  fail "the pool-resident spin lock by block, tag and allocation line $a: $(grep KeAcquireSpinLock "$tmp/gp.txt" | head -2)"

# The Perfetto timeline carries the same: names in the text, "source" and "returned" args.
"$replay" --quiet --timeline "$tmp/t.json" "$cad" > /dev/null 2>&1
grep -q '"name":"KeSetEvent driver global StopEvent (bug_call_after_detach) (#[0-9]*)"' "$tmp/t.json" || fail "Perfetto: no object name"
grep -q "\"source\":\"bug_call_after_detach.c:$n\"" "$tmp/t.json" || fail "Perfetto: no source arg"
grep -q '"returned":"STATUS_SUCCESS"' "$tmp/t.json" || fail "Perfetto: no dispatch return value"

# Plain: numbers, no lines; without addr2line: names but no lines, same verdict.
"$replay" --plain "$cad" > "$tmp/plain.txt" 2>&1
[ $? -eq 1 ] || fail "--plain: exit changed"
grep -q "KeSetEvent #[0-9]*$" "$tmp/plain.txt" || fail "--plain: $(grep KeSetEvent "$tmp/plain.txt")"
grep -q "\.c:[0-9]*\]" "$tmp/plain.txt" && fail "--plain shows source lines"
mkdir "$tmp/bin"
PATH=$tmp/bin "$replay" "$cad" > "$tmp/nobin.txt" 2>&1
[ $? -eq 1 ] || fail "without addr2line: exit changed: $(tail -3 "$tmp/nobin.txt")"
grep -q "KeSetEvent driver global StopEvent (bug_call_after_detach) (#[0-9]*)$" "$tmp/nobin.txt" ||
  fail "without addr2line: $(grep KeSetEvent "$tmp/nobin.txt")"
grep -q "\.c:[0-9]*\]" "$tmp/nobin.txt" && fail "without addr2line, source lines shown"
grep -q "in pool block #[0-9]* 'GdPv'" "$tmp/nobin.txt" || fail "without addr2line, pool blocks (engine knowledge) lost"
diff <(grep -c . "$tmp/plain.txt") <(grep -c . "$tmp/nobin.txt") > /dev/null ||
  fail "without addr2line the timeline has other lines than the plain one"

# The hash does not see any of it.
h1=$("$replay" --hash "$cad"); h2=$("$replay" --hash --plain "$cad")
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "hash differs: $h1 vs $h2"
grep -q "trace hash $h1" "$tmp/cad.txt" || fail "the annotated run's hash is not --hash's"
echo "test_timeline: $fails failure(s)"
[ "$fails" -eq 0 ]
