#!/usr/bin/env bash
# long_trace.sh BUILD SRC: a run longer than a scenario's choices[] holds (a
# long livelock, L02) gets a trace file that replays it whole: nmr-explore
# writes every choice and a hash, nmr-replay reads them back and shows the
# finding (exit 1), not "trace diverged" (exit 2) nor a clean run.
set -u
b=$1; src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$b/tools/nmr-explore" --strategy random --runs 2 --out "$out/f" "$src/corpus/regress/long-livelock.nmr" > "$out/log" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$out/log"; fail "nmr-explore exit $rc (expected 1: findings)"; }
grep -q 'may not show this finding' "$out/log" && fail "a trace was cut: $(cat "$out/log")"
n=0
for t in "$out"/f/*.nmrt; do
	[ -f "$t" ] || fail "no trace written"
	grep -q '^hash ' "$t" || fail "$t has no hash"
	choices=$(grep '^choices' "$t" | tr ' ' '\n' | grep -c ':')
	[ "$choices" -gt 16384 ] || fail "$t holds $choices choices (expected the whole run, > 16384)"
	"$b/replay/nmr-replay" "$t" > "$out/r" 2>&1
	rc=$?
	[ $rc -eq 1 ] || { cat "$out/r"; fail "nmr-replay $t exit $rc (expected 1)"; }
	grep -q 'signature: L02' "$out/r" || fail "the replay of $t does not show L02"
	# --record writes it again, whole: the same file but its comment line.
	"$b/replay/nmr-replay" --quiet --record "$out/again.nmrt" "$t" > /dev/null 2>&1
	cmp -s <(tail -n +2 "$t") <(tail -n +2 "$out/again.nmrt") || fail "--record of $t differs"
	n=$((n + 1))
done
# The tools that read inputs as targets take such a file too: triage replays
# it whole, the minimiser works from its first choices (as it did before).
t=$(ls "$out"/f/*.nmrt | head -1)
(cd "$out" && "$b/tools/nmr-triage" "$t" > tri 2>&1)
rc=$?
[ $rc -eq 1 ] || { cat "$out/tri"; fail "nmr-triage on $t: exit $rc (expected 1: a bug)"; }
grep -q 'L02' "$out/tri" || fail "nmr-triage does not list L02: $(cat "$out/tri")"
"$b/tools/nmr-minimize" -o "$out/min.nmrt" "$t" > "$out/min" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$out/min"; fail "nmr-minimize on $t: exit $rc (expected 1: the finding kept)"; }
grep -q "kept 'L02" "$out/min" || fail "nmr-minimize lost L02: $(cat "$out/min")"
echo "ok: $n long traces replayed whole"
