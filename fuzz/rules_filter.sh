#!/usr/bin/env bash
# rules_filter.sh TARGET SEEDS RUNS RULES: NMRSIM_FUZZ_RULES narrows what a
# libFuzzer target counts. The same bounded run (seed 1, a copy of SEEDS)
# must find something unfiltered (exit 1, never 77) and nothing when only
# RULES count (exit 0): RULES names rules the bundled drivers cannot break.
set -u
target=$1 seeds=$2 runs=$3 rules=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # DIR [env...]
	local dir=$1
	shift
	mkdir -p "$dir"
	cp "$seeds"/* "$dir"/
	(cd "$tmp" && env "$@" "$target" -runs="$runs" -seed=1 -max_len=4096 "$dir" >"$dir.log" 2>&1)
}
run "$tmp/all"
all=$?
run "$tmp/some" NMRSIM_FUZZ_RULES="$rules"
some=$?
echo "unfiltered: exit $all; NMRSIM_FUZZ_RULES=$rules: exit $some"
if [ "$all" -ne 1 ]; then
	echo "rules_filter: expected a finding (exit 1) without the filter" >&2
	tail -n 20 "$tmp/all.log" >&2
	exit 1
fi
if [ "$some" -ne 0 ]; then
	echo "rules_filter: expected no counted finding with NMRSIM_FUZZ_RULES=$rules" >&2
	grep -m3 '^violation' "$tmp/some.log" >&2
	exit 1
fi
