#!/usr/bin/env bash
# test_findings_tools.sh BUILD SRC - severity and suppressions in every tool
# (issue 13, docs/FINDINGS.md), table-driven. Each row runs one tool and
# checks its exit code and a line of its output:
#   - a suppression file (--suppress, or NMRSIM_SUPPRESS) that matches the
#     only finding of corpus/rules/M04-bad.nmr: exit 0, the finding counted
#     as suppressed; without it exit 1; a malformed file: exit 2 with file:line
#   - the advisory M22 (corpus/kernel/M22-version.nmr, kernel test drivers):
#     exit 0 with the advisory listed apart; exit 1 with --advisories-fail
# (fuzz targets: tests/test_findings_fuzz.sh).
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nmrsim-findings-tools.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
bad=$src/corpus/rules/M04-bad.nmr
adv=$src/corpus/kernel/M22-version.nmr
printf '# the finding of M04-bad, set aside\nsignature:M04 P NmrDeregister*\n' > sup
printf 'rule:M04\nmodule P\n' > badsup

# row WANT TEXT CMD...: CMD (after optional VAR=value words) exits WANT and prints TEXT ("" = anything).
row() {
	local want=$1 text=$2
	shift 2
	local envs=()
	while [ $# -gt 0 ] && [[ $1 == [A-Z]*=* ]]; do envs+=("$1"); shift; done
	local rc=0
	env "${envs[@]}" "$@" > out.log 2>&1 || rc=$?
	if [ "$rc" -ne "$want" ] || { [ -n "$text" ] && ! grep -q -- "$text" out.log; }; then
		echo "FAIL: ${envs[*]} $*: exit $rc (want $want), text '$text'" >&2
		tail -n 12 out.log >&2
		fail=1
	else
		echo "ok: exit $rc: $(basename "$1") ${*:2:3}"
	fi
}

R=$build/replay/nmr-replay E=$build/tools/nmr-explore T=$build/tools/nmr-triage M=$build/tools/nmr-minimize
C=(python3 "$src/tools/nmr-campaign" --engine explore --build "$build" --workers 1 --duration 3s
   --chunk-runs 200 --quiet --log-every 1 --triage-every 1 --no-build)

# nmr-replay
row 1 "violation M04" "$R" --quiet "$bad"
row 0 "1 suppressed" "$R" --quiet --suppress sup "$bad"
row 0 "1 suppressed" NMRSIM_SUPPRESS=sup "$R" --quiet "$bad"
row 2 "badsup:2: expected key:pattern" "$R" --quiet --suppress badsup "$bad"
row 2 "badsup:2:" NMRSIM_SUPPRESS=badsup "$R" --quiet "$bad"
# nmr-explore
row 1 "1 distinct bug" "$E" --runs 20 --out ex1 "$bad"
row 0 "finding(s) suppressed" "$E" --runs 20 --out ex2 --suppress sup "$bad"
row 0 "finding(s) suppressed" NMRSIM_SUPPRESS=sup "$E" --runs 20 --out ex3 "$bad"
row 0 "0 distinct bug" "$E" --runs 20 --out ex4 --rules R "$bad"
row 2 "badsup:2:" "$E" --runs 20 --out ex5 --suppress badsup "$bad"
# nmr-triage
row 1 "1 distinct bug" "$T" --out tr1 --no-minimize "$bad"
row 0 "1 finding(s) suppressed" "$T" --out tr2 --suppress sup "$bad"
row 0 "1 finding(s) suppressed" NMRSIM_SUPPRESS=sup "$T" --out tr3 "$bad"
row 2 "badsup:2:" "$T" --out tr4 --suppress badsup "$bad"
# nmr-minimize
row 1 "kept 'M04" "$M" -o min1.nmr "$bad"
row 0 "1 suppressed" "$M" -o min2.nmr --suppress sup "$bad"
row 2 "badsup:2:" "$M" -o min3.nmr --suppress badsup "$bad"
# the campaign (explore engine): workers and triage
row 1 "" "${C[@]}" --dir camp1 "$bad"
row 0 "" "${C[@]}" --dir camp2 --suppress sup "$bad"
grep -q "finding(s) suppressed" out.log || { echo "FAIL: the campaign does not count the suppressed findings" >&2; fail=1; }

# The advisory M22: the kernel test drivers' builds of the tools.
RK=$build/corpus/kernel/nmr-replay-kernel EK=$build/tools/nmr-explore-kernel TK=$build/tools/nmr-triage-kernel
if [ -x "$RK" ] && [ -x "$EK" ] && [ -x "$TK" ]; then
	row 0 "advisories (not counted" "$RK" --quiet "$adv"
	row 0 "ProviderRegistrationInstance.Version = 1" "$RK" --quiet "$adv"
	row 1 "verdict: violation" "$RK" --quiet --advisories-fail "$adv"
	row 1 "" NMRSIM_ADVISORIES_FAIL=1 "$RK" --quiet "$adv"
	row 0 "1 advisory (not counted" "$EK" --runs 10 --out exa1 "$adv"
	row 1 "1 distinct bug" "$EK" --runs 10 --out exa2 --advisories-fail "$adv"
	row 0 "1 advisory not counted" "$TK" --out tra1 "$adv"
	grep -q "advisory (not counted): M22" out.log && grep -q "^advisories (not counted" tra1/report.txt ||
		{ echo "FAIL: triage does not list the advisory apart" >&2; fail=1; }
	row 1 "1 distinct bug" "$TK" --out tra2 --no-minimize --advisories-fail "$adv"
	! grep -q "M02" out.log || { echo "FAIL: M22's driver reported M02" >&2; fail=1; }
fi
[ $fail -eq 0 ] && echo "findings (tools): ok"
exit $fail
