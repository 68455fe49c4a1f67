#!/usr/bin/env bash
# test_tools_campaign.sh - resume without loss (suite tools).
# A short explore campaign on the bundled buggy examples, bound by a count
# of runs (--runs: 8 chunks of fixed seeds, so it finds the same bugs on a
# loaded machine as on an idle one), is killed with kill -9 mid-way and
# resumed with the same command. Checks: no crash file present before the
# kill is gone after the resume, the journaled runs add up (every chunk
# counted once), and the report lists each planted bug (every rule of the
# examples' `expect` lines) exactly once, with a minimised reproducer that
# replays.
# An AFL++-only check (the afl engine's refusal without afl-fuzz, or its
# build command with it) is reported as skipped when AFL++ is absent.
# usage: test_tools_campaign.sh BUILD_DIR SOURCE_DIR. Exit 0 pass, 1 fail.
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
campaign=$src/tools/nmr-campaign
replay=$build/replay/nmr-replay
tmp=$(mktemp -d /tmp/nmrsim-test-campaign.XXXXXX)
dir=$tmp/camp
fail=0
bad() { echo "FAIL: $*"; fail=1; }
cleanup() {
	# End only what this test started: the campaign by its pid, and workers
	# that still name our private folder.
	[ -n "${cpid:-}" ] && kill -9 "$cpid" 2>/dev/null
	for p in $(pgrep -f "$dir" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

runs=12000 chunk=1500
cmd=(python3 "$campaign" --engine explore --dir "$dir" --build "$build" --workers 2 --duration 30m
     --runs $runs --chunk-runs $chunk --keep 0 --quiet --log-every 1 --triage-every 1 --no-build)
"${cmd[@]}" >"$tmp/first.log" 2>&1 &
cpid=$!
# Kill -9 mid-way: once the journal says 2 of the 8 chunks are done and
# crash files exist (however long that takes on this machine).
for _ in $(seq 3000); do
	sleep 0.1
	d=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1])).get("chunks_done", 0)))' "$dir/progress.json" 2>/dev/null)
	n=$(find "$dir/crashes" -type f 2>/dev/null | wc -l)
	[ "${d:-0}" -ge 2 ] && [ "$n" -gt 0 ] && break
	kill -0 "$cpid" 2>/dev/null || break
done
kill -9 "$cpid"
wait "$cpid" 2>/dev/null
cpid=
find "$dir/crashes" -type f | sort >"$tmp/before"
before=$(wc -l <"$tmp/before")
done1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["chunks_done"])' "$dir/progress.json")
echo "killed -9 after $done1 chunk(s) with $before crash files"
[ "$done1" -lt 8 ] || bad "the first session ran every chunk before the kill"
[ "$before" -gt 0 ] || bad "no crash file before the kill"

"${cmd[@]}" >"$tmp/second.log" 2>&1
rc=$?
[ $rc = 1 ] || { bad "resumed campaign exit $rc (want 1: findings)"; cat "$tmp/second.log"; }
grep -q "resuming" "$tmp/second.log" || bad "the second run did not resume"
find "$dir/crashes" -type f | sort >"$tmp/after"
lost=$(comm -23 "$tmp/before" "$tmp/after" | wc -l)
# --keep 0: no pruning here (pruning drops duplicates on purpose; the
# triage test covers it).
[ "$lost" = 0 ] || bad "$lost crash file(s) lost by the resume"
nfiles=$(ls "$src"/corpus/examples/*.nmr | wc -l)
python3 - "$dir/progress.json" $runs $chunk "$nfiles" <<'EOF' || bad "journaled runs"
import json, sys
p = json.load(open(sys.argv[1]))
runs, chunk, nfiles = (int(x) for x in sys.argv[2:])
assert p["sessions"] == 2, p
assert p["chunks_done"] == runs // chunk and p["next_chunk"] == runs // chunk and not p["chunks_pending"], p
assert p["exec_base"] == runs * nfiles, p  # each chunk's runs counted once
EOF

# Each planted bug once: every rule the examples expect is in the report,
# and no signature appears twice.
report=$dir/triage/report.txt
[ -s "$report" ] || bad "no report"
for rule in $(sed -n 's/^expect //p' "$src"/corpus/examples/*.nmr | tr ' ' '\n' | grep -v clean | sort -u); do
	grep -qE "^== \[[0-9.]+\] $rule " "$report" || bad "planted bug $rule missing from the report"
done
dups=$(sed -n 's/^== \[[0-9.]*\] //p' "$report" | sed 's/  (follows .*//' | sort | uniq -d)
[ -z "$dups" ] || bad "signatures listed twice: $dups"
for m in "$dir"/triage/bugs/*.nmr; do
	"$replay" --quiet --expect "$m" >/dev/null || bad "$m does not replay to its expect line"
done
echo "report: $(grep -c '^== \[' "$report") distinct bugs, each once"

# --runs counts explore runs: another engine refuses it (exit 2, one line).
python3 "$campaign" --engine libfuzzer --runs 5 --dir "$tmp/lf" --build "$build" --no-build >"$tmp/lf.log" 2>&1
[ $? = 2 ] && grep -q "^nmr-campaign: --runs counts explore runs" "$tmp/lf.log" || bad "--runs with libfuzzer must exit 2"

# AFL++-specific: skipped when absent (the campaign itself never exits 77).
if command -v afl-fuzz >/dev/null; then
	python3 "$campaign" --engine afl --dir "$tmp/afl" --build "$build" --duration 1s --no-build >"$tmp/afl.log" 2>&1
	rc=$?
	if [ -x "$src/build-afl/fuzz/fuzz_scenario" ]; then
		[ $rc -le 1 ] || bad "afl campaign exit $rc: $(tail -3 "$tmp/afl.log")"
	else
		[ $rc = 2 ] && grep -q "afl-clang-fast" "$tmp/afl.log" || bad "afl engine without build-afl should print the build command"
	fi
else
	echo "SKIP (AFL++ not installed): afl engine check"
	python3 "$campaign" --engine afl --dir "$tmp/afl" --build "$build" --duration 1s --no-build >"$tmp/afl.log" 2>&1
	[ $? = 2 ] || bad "afl engine without afl-fuzz must exit 2"
fi

[ $fail = 0 ] && echo "PASS" || echo "FAILED"
exit $fail
