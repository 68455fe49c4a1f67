#!/bin/sh
# timeline_names.sh REPLAY FILE GLOBAL KERNEL_OBJECT - the timeline and the
# findings name driver globals by one resolver (host/drvsyms.h): the K11
# report says "driver global GLOBAL: " and the timeline names the kernel
# object that is a driver global "driver global KERNEL_OBJECT (#N)", both
# with the driver. A stripped copy of REPLAY (no symbol table) falls back to
# section offsets in both, "driver global (+0xOFF)", with the same verdict.
set -u
replay=$1; file=$2; global=$3; object=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
"$replay" "$file" > "$tmp/full.txt" 2>&1
rc=$?
grep -qF "what: driver global $global: " "$tmp/full.txt" || fail "the finding does not say 'driver global $global: '"
grep -qF " driver global $object (#" "$tmp/full.txt" || fail "the timeline does not say 'driver global $object (#N)'"
if command -v strip > /dev/null; then
	cp "$replay" "$tmp/stripped" && strip "$tmp/stripped" || fail "strip"
	"$tmp/stripped" "$file" > "$tmp/stripped.txt" 2>&1
	[ $? -eq $rc ] || fail "stripped: exit changed (was $rc)"
	grep -q "what: driver global (+0x[0-9a-f]*): " "$tmp/stripped.txt" || fail "stripped: the finding names no offset"
	grep -q " driver global (+0x[0-9a-f]*) (#[0-9]*)" "$tmp/stripped.txt" || fail "stripped: the timeline names no offset"
	grep -qF "$object" "$tmp/stripped.txt" && fail "stripped: a symbol name shown"
fi
[ $fails -eq 0 ] || { cat "$tmp/full.txt" >&2; exit 1; }
exit 0
