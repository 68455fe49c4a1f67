#!/bin/sh
# races_same_trace.sh REPLAY SCENARIO: race detection changes no trace. The
# scenario (its `races` line dropped) replays to the same trace hash with
# race detection off and on (NMRSIM_RACES=1), under its own schedule and
# seeds 1-3, and with it on finds K11 (a racy scenario is given).
set -u
replay=$1 scn=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/races-same.XXXXXX")
trap 'rm -rf "$dir"' EXIT
tmp=$dir/scenario.nmr # the extension says text
grep -v '^races' "$scn" > "$tmp"
for s in "" 1 2 3; do
	set -- --hash
	[ -n "$s" ] && set -- --hash --seed "$s"
	off=$(NMRSIM_RACES=0 "$replay" "$@" "$tmp" 2>/dev/null)
	on=$(NMRSIM_RACES=1 "$replay" "$@" "$tmp" 2>/dev/null)
	if [ -z "$off" ] || [ "$off" != "$on" ]; then
		echo "trace hash differs with race detection on (seed '${s}'): '$off' vs '$on'"
		exit 1
	fi
done
if ! NMRSIM_RACES=1 "$replay" "$tmp" 2>/dev/null | grep -q 'violation K11'; then
	echo "no K11 with race detection on"
	exit 1
fi
if NMRSIM_RACES=0 "$replay" "$tmp" 2>/dev/null | grep -q 'violation K11'; then
	echo "K11 with race detection off"
	exit 1
fi
echo "same trace with race detection off and on; K11 only with it on"
