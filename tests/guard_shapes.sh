#!/bin/sh
# guard_shapes.sh WALKED SHAPED SCENARIO - the same clean scenario on a replay
# tool that walks the array layout's table (3 guarded calls: Send and Query
# at attach, Query at detach) and on one declaring its nested shape as
# `8>8+1` (only Query guarded: 2 calls). The declared shape wins, nested
# table included (corpus/kernel/meson.build).
set -u
walked=$("$1" "$3") || { echo "FAIL: $1 not clean"; exit 1; }
shaped=$("$2" "$3") || { echo "FAIL: $2 not clean"; exit 1; }
w=$(echo "$walked" | grep -c "call layout_array_provider dispatch")
s=$(echo "$shaped" | grep -c "call layout_array_provider dispatch")
[ "$w" -eq 3 ] && [ "$s" -eq 2 ] || { echo "FAIL: $w walked calls (want 3), $s declared (want 2)"; exit 1; }
echo "ok: walked $w calls, declared nested shape $s"
