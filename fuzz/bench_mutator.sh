#!/usr/bin/env bash
# bench_mutator.sh - does the structure-aware mutator reach more rule
# coverage than byte-level mutation in the same time?
#
#   fuzz/bench_mutator.sh [SECONDS] [SEEDS...]     (default 10 s, seeds 1 2 3)
#   START=corpus/examples/correct-pair.nmr fuzz/bench_mutator.sh 30
#   BENCH_AFL=0: skip the AFL++ half
#
# For each libFuzzer seed, runs build-libfuzzer/fuzz/fuzz_scenario (custom
# mutator: scn_mutate.c + 1/5 LLVMFuzzerMutate) and fuzz_scenario_bytes (the
# same target, libFuzzer's byte mutations only) for the same -max_total_time
# from the same start input (START: empty by default, i.e. no module and no
# operation; or a .nmr file turned into a binary input), one core each
# (NMRSIM_FUZZ_NO_ABORT=1: findings are printed, not fatal, so a finding
# does not end the run). Then counts
# over each resulting corpus (plus the start input) with tools/nmr-rulecov:
# rules touched (a state where the rule is checked was reached), rules found
# (some input violates it: any rule, scripted modules' M bugs included),
# distinct finding signatures (rule + module role + API/callback, every
# rule, via tools/nmr-triage), freedoms exercised. Prints the figures of both, and the means. Figures
# only, no pass/fail.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
shift || true
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
b=$root/build-libfuzzer
if [ ! -x "$b/fuzz/fuzz_scenario_bytes" ]; then
	[ -f "$b/build.ninja" ] || CC=clang meson setup "$b" "$root" -Dfuzzing_engine=libfuzzer >/dev/null || exit 2
	ninja -C "$b" >/dev/null || exit 2
fi
rulecov=$root/build/tools/nmr-rulecov
[ -x "$rulecov" ] || rulecov=$b/tools/nmr-rulecov
triage=$root/build/tools/nmr-triage
[ -x "$triage" ] || triage=$b/tools/nmr-triage
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/start"
if [ -n "${START:-}" ]; then
	"$b/fuzz/nmr-seed" --mode binary --out "$work/start" "$START" || exit 2
else
	: >"$work/start/empty"
fi

figures() { # DIR -> "touched found freedoms"
	"$rulecov" --target scenario --rules all --json "$1" "$work/start" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
found = sum(1 for r in d["rules"].values() if r.get("found", 0) > 0)
print(d["rules_touched"], found, d["freedoms_exercised"], d["rules_total"])'
}

signatures() { # DIR -> distinct finding signatures, every rule (nmr-triage, no minimising)
	"$triage" --no-minimize --rules all --quiet --out "$work/triage" "$1" "$work/start" >/dev/null 2>&1
	sed -n 's/.* \([0-9]*\) distinct bug.*/\1/p' "$work/triage/report.txt" 2>/dev/null
}

echo "rule coverage after ${secs}s from ${START:-the empty input}, libFuzzer, 1 core per run"
printf '%-5s %-16s %-8s %-6s %-11s %-9s %-7s %s\n' seed mutator touched found signatures freedoms inputs "final exec/s"
declare -A sum_t sum_f sum_s
for s in "${seeds[@]}"; do
	for t in fuzz_scenario fuzz_scenario_bytes; do
		c=$work/$t-$s
		mkdir -p "$c" "$work/art"
		NMRSIM_FUZZ_NO_ABORT=1 "$b/fuzz/$t" -seed="$s" -max_total_time="$secs" -max_len=4096 -timeout=10 \
			-artifact_prefix="$work/art/" "$c" "$work/start" >"$work/$t-$s.log" 2>&1
		execs=$(grep -o 'exec/s: [0-9]*' "$work/$t-$s.log" | tail -n 1 | grep -o '[0-9]*')
		[ "$(grep -c '^signature:' "$work/$t-$s.log")" -gt 0 ] && execs="$execs (findings printed: $(grep -c '^signature:' "$work/$t-$s.log"))"
		read -r touched found freedoms total <<<"$(figures "$c")"
		name=$([ $t = fuzz_scenario ] && echo "structure-aware" || echo "bytes only")
		sigs=$(signatures "$c")
		printf '%-5s %-16s %-8s %-6s %-11s %-9s %-7s %s\n' "$s" "$name" "$touched/$total" "$found" "${sigs:-?}" "$freedoms/6" \
			"$(ls "$c" | wc -l)" "${execs:-?}"
		sum_t[$t]=$(( ${sum_t[$t]:-0} + ${touched:-0} ))
		sum_f[$t]=$(( ${sum_f[$t]:-0} + ${found:-0} ))
		sum_s[$t]=$(( ${sum_s[$t]:-0} + ${sigs:-0} ))
	done
done
n=${#seeds[@]}
for t in fuzz_scenario fuzz_scenario_bytes; do
	name=$([ $t = fuzz_scenario ] && echo "structure-aware" || echo "bytes only")
	python3 -c "print('mean  %-16s touched %.1f  found %.1f  signatures %.1f' % ('$name', ${sum_t[$t]} / $n, ${sum_f[$t]} / $n, ${sum_s[$t]} / $n))"
done

# The same comparison under AFL++ (build-afl): the custom mutator library
# (AFL_CUSTOM_MUTATOR_LIBRARY, with AFL++'s own havoc beside it) against
# AFL++ alone, from a one-byte start input; figures over each queue.
afl_bin=$root/build-afl/fuzz/fuzz_scenario
afl_lib=$root/build/fuzz/libnmrsim-afl-mutator.so
if [ "${BENCH_AFL:-1}" = 1 ] && command -v afl-fuzz >/dev/null && [ -x "$afl_bin" ] && [ -f "$afl_lib" ]; then
	echo
	echo "AFL++: rule coverage after ${secs}s from a one-byte input, 1 core per run"
	printf '%-5s %-16s %-8s %-6s %-11s %-9s %-7s %s\n' seed mutator touched found signatures freedoms queue execs
	mkdir -p "$work/afl-start"
	printf '\0' >"$work/afl-start/one"
	declare -A asum_t asum_f asum_s
	for s in "${seeds[@]}"; do
		for m in custom afl; do
			out=$work/afl-$m-$s
			lib=()
			[ $m = custom ] && lib=(AFL_CUSTOM_MUTATOR_LIBRARY="$afl_lib")
			env -u ASAN_OPTIONS -u UBSAN_OPTIONS "${lib[@]}" AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
				AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1 NMRSIM_FUZZ_RULES=R08 \
				afl-fuzz -V "$secs" -s "$s" -i "$work/afl-start" -o "$out" -- "$afl_bin" >/dev/null 2>&1
			q=$out/default/queue
			read -r touched found freedoms total <<<"$(figures "$q")"
			sigs=$(signatures "$q")
			name=$([ $m = custom ] && echo "structure-aware" || echo "AFL++ only")
			printf '%-5s %-16s %-8s %-6s %-11s %-9s %-7s %s\n' "$s" "$name" "$touched/$total" "$found" "${sigs:-?}" \
				"$freedoms/6" "$(ls "$q" | wc -l)" "$(sed -n 's/^execs_done *: //p' "$out/default/fuzzer_stats")"
			asum_t[$m]=$(( ${asum_t[$m]:-0} + ${touched:-0} ))
			asum_f[$m]=$(( ${asum_f[$m]:-0} + ${found:-0} ))
			asum_s[$m]=$(( ${asum_s[$m]:-0} + ${sigs:-0} ))
		done
	done
	for m in custom afl; do
		name=$([ $m = custom ] && echo "structure-aware" || echo "AFL++ only")
		python3 -c "print('mean  %-16s touched %.1f  found %.1f  signatures %.1f' % ('$name', ${asum_t[$m]} / $n, ${asum_f[$m]} / $n, ${asum_s[$m]} / $n))"
	done
fi
