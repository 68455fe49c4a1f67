#!/usr/bin/env bash
# dpor_rules.sh [--without PART | --with PART] [--time T] [BUILD_DIR] - the
# soundness check of a reduction part on the corpus rules: for every
# corpus/rules/*-bad*.nmr at preemption bounds 1 and 2, the plain bounded
# exhaustive search, the reduced one (--por) and the reduced one without PART
# (--por-without PART; default steer; with --with PART: the reduced one with
# --por-with PART, in the last column), each stopped after T
# of wall clock (default 10s). Prints per
# file and bound the schedules of each ("*": not exhausted) and whether the
# signature sets agree: the reduced search's must equal the one without
# PART's (both exhausted), and the plain search's when that one is
# exhausted (a plain search cut by the cap: the reduced search's must
# contain what it found). The summary counts schedules over the cells where
# the two reduced searches were exhausted, and the cells that disagree.
# Exit status 1 when a cell disagrees. Takes minutes (74 cells x 3 searches).
set -u
label=without-steer
other=(--por-without steer)
cap=10s
if [ "${1:-}" = "--without" ]; then
	label=without-${2:?--without needs a part}
	other=(--por-without "$2")
	shift 2
elif [ "${1:-}" = "--with" ]; then
	label=with-${2:?--with needs a part}
	other=(--por-with "$2")
	shift 2
fi
if [ "${1:-}" = "--time" ]; then
	cap=${2:?--time needs a duration}
	shift 2
fi
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
explore=$build/tools/nmr-explore
[ -x "$explore" ] || { echo "dpor_rules: no $explore (build first)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# search MODE FILE BOUND: "RUNS EXHAUSTED(yes/no)"; the signatures in $out/MODE.sigs
search() {
	local mode=$1 f=$2 bound=$3 flag=() log runs
	[ "$mode" = por ] && flag=(--por)
	[ "$mode" = without ] && flag=(--por "${other[@]}")
	log=$("$explore" --strategy dfs "${flag[@]}" --bound "$bound" --runs 0 --time "$cap" --quiet \
		--out "$out/t" "$f" 2>&1)
	printf '%s\n' "$log" | sed -n -e 's/^\[[0-9]*\] \(.*\)$/\1/p' -e 's/^    then: \(.*\)  ([0-9]* hits).*/\1/p' |
		sort -u >"$out/$mode.sigs"
	runs=$(printf '%s\n' "$log" | sed -n 's/^nmr-explore: \([0-9]*\) runs over.*/\1/p')
	if printf '%s\n' "$log" | grep -q 'stopped at --time'; then echo "${runs:-0} no"; else echo "${runs:-0} yes"; fi
}

printf '%-34s %5s %12s %12s %12s  %s\n' file bound plain por "$label" signatures
bad=0 sum_por=0 sum_without=0 cells=0
for f in "$here"/corpus/rules/*-bad*.nmr; do
	for bound in 1 2; do
		read -r rp ep < <(search plain "$f" $bound)
		read -r rr er < <(search por "$f" $bound)
		read -r rw ew < <(search without "$f" $bound)
		verdict=same
		if [ "$er" = yes ] && [ "$ew" = yes ]; then
			cmp -s "$out/por.sigs" "$out/without.sigs" || verdict="DIFFER ($label)"
			sum_por=$((sum_por + rr))
			sum_without=$((sum_without + rw))
			cells=$((cells + 1))
		fi
		if [ "$ep" = yes ]; then
			cmp -s "$out/plain.sigs" "$out/por.sigs" || verdict="DIFFER (plain)"
		elif [ -n "$(comm -23 "$out/plain.sigs" "$out/por.sigs")" ] && [ "$er" = yes ]; then
			verdict="MISSES (plain found more)"
		fi
		[ "$verdict" = same ] || bad=$((bad + 1))
		mark() { [ "$2" = yes ] && echo "$1" || echo "$1*"; }
		printf '%-34s %5s %12s %12s %12s  %s (%s)\n' "$(basename "$f")" $bound "$(mark "$rp" "$ep")" \
			"$(mark "$rr" "$er")" "$(mark "$rw" "$ew")" "$verdict" "$(paste -sd, "$out/por.sigs")"
	done
done
echo "cells with both reduced searches exhausted: $cells; schedules: --por $sum_por, $label $sum_without"
echo "cells that disagree: $bad"
[ "$bad" = 0 ]
