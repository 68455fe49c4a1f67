#!/usr/bin/env bash
# test_findings_fuzz.sh FUZZ SEED SRC ENGINE - severity, suppressions and rule
# filters on a fuzz target (issue 13, docs/FINDINGS.md), under the engine the
# build uses (none, afl: file arguments; libfuzzer: files run once each).
# FUZZ is fuzz_drivers linked with the kernel test drivers, SEED the matching
# nmr-seed. Inputs: corpus/kernel/M22-version.nmr (a correct provider whose
# registration instance carries Version 1: the advisory M22 only) and
# M13-partial.nmr (a violation, M13), their `expect` lines dropped (nmr-seed
# skips seeds that expect findings), and K08-bad.nmr (a driver that crashes).
#   - an advisory alone: exit 0, the advisory shown, never M02; exit 1 with
#     --advisories-fail or NMRSIM_ADVISORIES_FAIL=1
#   - a violation: exit 1 (never 77); 0 under --rules=K or NMRSIM_FUZZ_RULES=K;
#     0 with a suppression file (option or NMRSIM_SUPPRESS) that matches it,
#     and the suppressed finding counted in the summary
#   - a malformed suppression file, an unknown option: exit 2, file:line
set -u
fuzz=$1 seed=$2 src=$3 engine=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nmrsim-findings.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
for n in M22-version M13-partial K08-bad; do
	grep -v '^expect' "$src/corpus/kernel/$n.nmr" > "$tmp/$n.nmr"
done
"$seed" --mode drivers --out "$tmp/seeds" "$tmp/M22-version.nmr" "$tmp/M13-partial.nmr" "$tmp/K08-bad.nmr" > /dev/null || exit 1
adv=$(ls "$tmp"/seeds/*M22-version.bin) viol=$(ls "$tmp"/seeds/*M13-partial.bin) crash=$(ls "$tmp"/seeds/*K08-bad.bin)
[ -f "$adv" ] && [ -f "$viol" ] && [ -f "$crash" ] || { ls "$tmp/seeds" >&2; echo "no seeds written" >&2; exit 1; }
printf '# the client is known; set its M13 aside\nrule:M13 module:m13_*\n' > "$tmp/sup"
printf 'rule:M13\nsignature:\n' > "$tmp/bad-sup"

# check WANT DESCRIPTION [env VAR=...] FUZZ-ARGS...: run the target on its args, expect exit WANT.
check() {
	local want=$1 what=$2
	shift 2
	local envs=()
	while [ $# -gt 0 ] && [[ $1 == *=* && $1 != -* ]]; do envs+=("$1"); shift; done
	local rc=0
	(cd "$tmp" && env "${envs[@]}" "$fuzz" "$@") > "$tmp/out.log" 2>&1 || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: $what: exit $rc, expected $want" >&2
		tail -n 15 "$tmp/out.log" >&2
		fail=1
	else
		echo "ok: $what (exit $rc)"
	fi
}
# expect TEXT: the last run's output has it.
expect() {
	grep -q -- "$1" "$tmp/out.log" || { echo "FAIL: output lacks '$1'" >&2; tail -n 15 "$tmp/out.log" >&2; fail=1; }
}
absent() {
	! grep -q -- "$1" "$tmp/out.log" || { echo "FAIL: output has '$1'" >&2; fail=1; }
}

check 0 "advisory alone" "$adv"
expect "advisory M22 instance-version"
expect "ProviderRegistrationInstance.Version = 1"
absent "M02"
check 1 "advisory with --advisories-fail" --advisories-fail "$adv"
expect "M22"
check 1 "advisory with NMRSIM_ADVISORIES_FAIL=1" NMRSIM_ADVISORIES_FAIL=1 "$adv"
check 1 "violation" "$viol"
expect "violation M13"
check 0 "violation outside --rules=K" --rules=K "$viol"
check 0 "violation outside NMRSIM_FUZZ_RULES=K" NMRSIM_FUZZ_RULES=K "$viol"
check 1 "violation inside --rules=M13" --rules=M13 "$viol"
check 0 "violation suppressed (--suppress=)" --suppress="$tmp/sup" "$viol"
expect "[1-9][0-9]* finding(s) suppressed"
check 0 "violation suppressed (NMRSIM_SUPPRESS)" NMRSIM_SUPPRESS="$tmp/sup" "$viol"
expect "[1-9][0-9]* finding(s) suppressed"
check 2 "malformed suppression file" --suppress="$tmp/bad-sup" "$viol"
expect "bad-sup:2: empty pattern"
check 2 "missing suppression file" --suppress="$tmp/none" "$viol"
check 2 "unknown target option" --bogus "$viol"
check 2 "bad --rules" --rules=Q99 "$viol"
# A crashing driver (tests/drivers/k08_bad.c): the run's findings and the
# K08 signature are printed in every engine (under libFuzzer and AFL++ the
# crash handler reports, then hands the signal on), and the exit is 1.
check 1 "driver crash" "$crash"
expect "signature: K08 k08_bad SIGSEGV"
[ $fail -eq 0 ] && echo "findings ($engine): ok"
exit $fail
