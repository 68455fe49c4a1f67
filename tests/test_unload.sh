#!/usr/bin/env bash
# test_unload.sh - unload semantics of hosted drivers (sim/host/host.c), as
# the I/O manager's: an unload waits for a running DriverEntry; one that can
# never find its driver loaded is a scenario error (exit 2, file:line); one
# that finds nothing to unload at run time is traced with its reason.
#
# usage: test_unload.sh NMR_REPLAY_KERNEL CORPUS_KERNEL_DIR
set -u
replay=${1:?usage: test_unload.sh NMR_REPLAY_KERNEL CORPUS_KERNEL_DIR}
corpus=${2:?usage: test_unload.sh NMR_REPLAY_KERNEL CORPUS_KERNEL_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# Lines matching the patterns, in this order, in the timeline.
in_order() {
	local file=$1 out; shift
	out=$("$replay" "$file" 2>&1)
	local rest=$out
	for pat in "$@"; do
		if ! grep -q -- "$pat" <<<"$rest"; then
			fail "$(basename "$file"): no '$pat' (in order)"
			return
		fi
		rest=$(sed -n "/$pat/,\$p" <<<"$rest" | tail -n +2)
	done
}

# Unload before another thread's load: a traced no-op, then the drain unloads.
in_order "$corpus/unload-before-load.nmr" 'op 0: unload periodic_client' 'UnloadIgnored: not loaded' \
	'DriverEntry(periodic_client) returns' 'Unload(periodic_client) starts' 'Unload(periodic_client) returns' \
	'verdict: clean'
# Unload while DriverEntry runs: it waits, then unloads.
in_order "$corpus/unload-during-entry.nmr" 'DriverEntry(periodic_client) starts' 'unload periodic_client' \
	'blocks: unload waits for DriverEntry to return' 'DriverEntry(periodic_client) returns' \
	'Unload(periodic_client) starts' 'Unload(periodic_client) returns' 'verdict: clean'

# Parse-time errors: file:line: reason, exit 2.
bad() {
	local name=$1 line=$2 reason=$3 out rc
	printf '%b' "$4" >"$tmp/$name.nmr"
	out=$("$replay" --quiet "$tmp/$name.nmr" 2>&1)
	rc=$?
	[ "$rc" -eq 2 ] || fail "$name: exit $rc, expected 2"
	grep -qF "$tmp/$name.nmr:$line: $reason" <<<"$out" || fail "$name: got '$out'"
}
bad never-loaded 4 'unload periodic_client can never find the driver loaded: no op loads it' \
	'driver good_provider\ndriver periodic_client\nthread a\n  unload periodic_client\n  load good_provider\n'
bad before-own-load 3 'unload periodic_client can never find the driver loaded: only this thread loads it, later' \
	'driver periodic_client\nthread a\n  unload periodic_client\n  load periodic_client\n'
# Across threads the schedule decides: not an error.
printf 'driver periodic_client\nthread a\n  unload periodic_client\nthread b\n  load periodic_client\n' >"$tmp/ok.nmr"
"$replay" --quiet "$tmp/ok.nmr" >/dev/null 2>&1 || fail "cross-thread unload before load: exit $?"

echo "test_unload: $fails failure(s)"
[ "$fails" -eq 0 ]
