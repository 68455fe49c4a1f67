#!/usr/bin/env bash
# test_tools.sh - the campaign tools on the shipped corpus (suite tools):
#   minimise  every corpus/rules/*-bad.nmr and every buggy example keeps its
#             signature, ends with at most a few ops, and replays to its
#             `expect` line;
#   triage    groups copies by signature (hit counts), keeps the smallest
#             reproducer, writes report.txt/report.html, and the incremental
#             re-run replays nothing;
#   rulecov   prints the table and `rules touched: N/M` (and valid JSON);
#   detcheck  the corpus replays to the same trace hashes.
# usage: test_tools.sh BUILD_DIR SOURCE_DIR. Exit 0 pass, 1 fail.
set -u
build=$1
src=$2
tools=$build/tools
replay=$build/replay/nmr-replay
tmp=$(mktemp -d /tmp/nmrsim-test-tools.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# ---- minimise: same signature, few ops ----
ops_max=4
for f in "$src"/corpus/rules/*-bad.nmr "$src"/corpus/examples/*.nmr; do
	# the first counted finding of the original
	sig=$("$replay" --quiet "$f" | sed -n 's/^signature: //p' | head -1)
	[ -n "$sig" ] || continue
	out=$tmp/min.nmr
	"$tools"/nmr-minimize "$f" -o "$out" 2>"$tmp/min.err"
	rc=$?
	[ $rc = 1 ] || { bad "nmr-minimize $f: exit $rc: $(cat "$tmp/min.err")"; continue; }
	grep -qxF "# signature: $sig" "$out" || bad "$f: minimised signature is not '$sig'"
	"$replay" --quiet "$out" | grep -qxF "signature: $sig" || bad "$f: the minimised scenario does not report '$sig'"
	"$replay" --quiet --expect "$out" >/dev/null || bad "$f: the minimised scenario does not match its expect line"
	ops=$(grep -cE '^  ' "$out")
	[ "$ops" -le $ops_max ] || bad "$f: minimised to $ops ops (more than $ops_max)"
	n=$((${n:-0} + 1))
done
echo "minimised ${n:-0} scenarios, each to at most $ops_max ops with its signature"

# every finding of a file, not only the first, can be kept
f=$src/corpus/examples/pending-forever.nmr
"$tools"/nmr-minimize --signature "M17 C ClientDetachProvider" "$f" -o "$tmp/m17.nmr" 2>/dev/null
[ $? = 1 ] && grep -qxF "# signature: M17 C ClientDetachProvider" "$tmp/m17.nmr" || bad "--signature M17 on $f"
"$tools"/nmr-minimize --signature "M99 nowhere" "$f" >/dev/null 2>&1
[ $? = 2 ] || bad "an unknown --signature must exit 2"
"$tools"/nmr-minimize "$src"/corpus/examples/correct-pair.nmr >/dev/null 2>&1
[ $? = 0 ] || bad "a clean input must exit 0 (nothing to minimise)"

# ---- triage: grouping, smallest reproducer, report, incremental ----
mkdir -p "$tmp/crashes/a" "$tmp/crashes/b"
cp "$src/corpus/rules/M04-bad.nmr" "$tmp/crashes/a/one.nmr"
cp "$src/corpus/rules/M04-bad.nmr" "$tmp/crashes/a/two.nmr"
cp "$src/corpus/examples/stale-handle.nmr" "$tmp/crashes/b/three.nmr"  # M04 C + M07 C
cp "$src/corpus/rules/R05-bad.nmr" "$tmp/crashes/b/four.nmr"
cp "$src/corpus/rules/R05-bad.nmr" "$tmp/crashes/b/five.nmr"
cp "$src/corpus/examples/correct-pair.nmr" "$tmp/crashes/b/clean.nmr"
"$tools"/nmr-triage --out "$tmp/tri" --state "$tmp/tri.state" "$tmp/crashes" >"$tmp/tri.out"
rc=$?
[ $rc = 1 ] || bad "nmr-triage exit $rc (want 1: findings)"
grep -q "6 input(s) (6 replayed" "$tmp/tri.out" || bad "triage should replay 6 inputs: $(head -1 "$tmp/tri.out")"
# stale-handle's M07 follows its M04 in the same run: one root cause
grep -q " 3 distinct bug(s) (root causes), 4 signature(s)" "$tmp/tri.out" || bad "triage should find 3 root causes, 4 signatures: $(head -1 "$tmp/tri.out")"
grep -q "^    then: M07 C NmrWaitForClientDeregisterComplete  (1 hit)" "$tmp/tri.out" || bad "M07 C should be listed under its root M04 C"
grep -q "M04 P NmrDeregisterProvider  (deregister-handle, 2 hits)" "$tmp/tri.out" || bad "M04 P: 2 hits"
grep -q "R05 C ClientDetachProvider  (detach-duplicate, 2 hits)" "$tmp/tri.out" || bad "R05 C: 2 hits"
grep -q "== \[[0-9]*\.1\] M07 C NmrWaitForClientDeregisterComplete  (follows" "$tmp/tri/report.txt" || bad "M07 C: a follow-on section in report.txt"
[ -s "$tmp/tri/report.txt" ] && [ -s "$tmp/tri/report.html" ] || bad "report.txt/report.html missing"
grep -q "<svg" "$tmp/tri/report.html" || bad "report.html has no timeline picture"
grep -q "http" "$tmp/tri/report.html" && grep -qE '(src|href)="http' "$tmp/tri/report.html" && bad "report.html loads external assets"
[ "$(ls "$tmp/tri/bugs" | wc -l)" = 4 ] || bad "one minimised reproducer per bug expected"
for m in "$tmp"/tri/bugs/*.nmr; do
	"$replay" --quiet --expect "$m" >/dev/null || bad "$m does not replay to its expect line"
done
"$tools"/nmr-triage --out "$tmp/tri" --state "$tmp/tri.state" "$tmp/crashes" >"$tmp/tri2.out"
grep -q "6 input(s) (0 replayed, 6 from state" "$tmp/tri2.out" || bad "incremental triage replayed again: $(head -1 "$tmp/tri2.out")"
cp "$src/corpus/rules/R11-bad.nmr" "$tmp/crashes/new.nmr"
"$tools"/nmr-triage --out "$tmp/tri" --state "$tmp/tri.state" "$tmp/crashes" >"$tmp/tri3.out"
grep -q "7 input(s) (1 replayed, 6 from state" "$tmp/tri3.out" || bad "incremental triage of one new file: $(head -1 "$tmp/tri3.out")"
"$tools"/nmr-triage --out "$tmp/tri4" "$src/corpus/examples/correct-pair.nmr" >/dev/null
[ $? = 0 ] || bad "triage of a clean input must exit 0"
"$tools"/nmr-triage --bogus >/dev/null 2>&1
[ $? = 2 ] || bad "bad usage must exit 2"
# --prune 1: one file per signature kept (the best and the first seen stay)
mkdir -p "$tmp/many"
for i in 1 2 3 4 5; do cp "$src/corpus/rules/M04-bad.nmr" "$tmp/many/c$i.nmr"; done
"$tools"/nmr-triage --no-minimize --prune 1 --out "$tmp/tri5" "$tmp/many" >/dev/null
left=$(ls "$tmp/many" | wc -l)
[ "$left" -ge 1 ] && [ "$left" -le 2 ] || bad "--prune 1 left $left of 5 copies"
echo "triage: grouping, reproducers, report and incremental state checked"

# ---- hosted drivers (when this build links the bundled example drivers) ----
if "$replay" --list-drivers 2>/dev/null | grep -q '^bug_' && [ -d "$src/corpus/drivers" ]; then
	"$tools"/nmr-triage --target drivers --out "$tmp/trd" "$src/corpus/drivers" >"$tmp/trd.out"
	rc=$?
	[ $rc = 1 ] || bad "triage of corpus/drivers: exit $rc"
	for m in "$tmp"/trd/bugs/*.nmr; do
		"$replay" --quiet --expect "$m" >/dev/null || bad "$m does not replay to its expect line"
		ops=$(grep -cE '^  ' "$m")
		[ "$ops" -le $ops_max ] || bad "$m: $ops ops"
	done
	echo "drivers: $(head -1 "$tmp/trd.out")"
else
	echo "SKIP (no example drivers linked): drivers triage"
fi

# ---- rulecov ----
"$tools"/nmr-rulecov "$src/corpus/rules" >"$tmp/cov.txt"
[ $? = 0 ] || bad "nmr-rulecov exit status"
line=$(grep '^rules touched: ' "$tmp/cov.txt")
touched=${line#rules touched: }
touched=${touched%/*}
[ -n "$line" ] && [ "$touched" -ge 30 ] || bad "rule coverage of corpus/rules too low: '$line'"
grep -qE '^F2 +detach order +[1-9]' "$tmp/cov.txt" || bad "F2 not exercised by corpus/rules"
"$tools"/nmr-rulecov --json "$src/corpus/examples" | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["inputs"]==16 and "M04" in j["rules"] and "F1" in j["freedoms"]' \
	|| bad "nmr-rulecov --json"
echo "rulecov: $line"

# ---- detcheck ----
"$tools"/nmr-detcheck "$src/corpus/rules" "$src/corpus/examples" >"$tmp/det.txt"
[ $? = 0 ] || bad "nmr-detcheck found differences: $(cat "$tmp/det.txt")"
"$tools"/nmr-detcheck --sample 5 "$src/corpus/rules" | grep -q "5 of " || bad "nmr-detcheck --sample"
tail -1 "$tmp/det.txt"

[ $fail = 0 ] && echo "PASS" || echo "FAILED"
exit $fail
