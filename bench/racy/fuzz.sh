#!/usr/bin/env bash
# fuzz.sh - the racy-bug benchmark under the fuzzers: executions to the
# first finding per case, under libFuzzer and AFL++ (fuzz_drivers), with code
# coverage only and with interleaving coverage as extra feedback
# (NMRSIM_FUZZ_INTERLEAVE=1), and the twins' findings. Figures only.
#
#   bench/racy/fuzz.sh [SEEDS [RUNS]]          (default 4 seeds, 200000 executions)
#   RACY_CASES="r01 r06" bench/racy/fuzz.sh    only some cases
#   RACY_ENGINES="libfuzzer" bench/racy/fuzz.sh  only one engine (default: libfuzzer afl)
#   RACY_TWIN_RUNS=N                            the twins' budget (default RUNS)
#
# Each case is built as a user builds their drivers (tools/nmrsim-build,
# engine cached in out/engine): the case's buggy driver and its partner, then
# the twin (-D RACY_FIXED). The seed input is the case's scenario in the
# binary form (nmr-seed), with its own (empty) choice stream: a case whose
# scenario already fails on the default schedule counts 1 execution under
# both engines (AFL++ refuses a crashing seed, so it is not started).
# Executions to the first finding: libFuzzer's final stats
# (stat::number_of_executed_units, printed when the finding aborts),
# AFL++'s crash file name (execs:N; AFL_BENCH_UNTIL_CRASH=1 stops there).
# A miss counts RUNS. Each engine runs with a fixed seed (-seed=S, -s S).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seeds=${1:-4}
runs=${2:-200000}
twin_runs=${RACY_TWIN_RUNS:-$runs}
engines=${RACY_ENGINES:-libfuzzer afl}
work=${RACY_WORK:-$root/out/racy-fuzz}
mkdir -p "$work"
command -v afl-clang-fast >/dev/null 2>&1 || engines=${engines//afl/}
flavours=none
for e in $engines; do flavours="$flavours,$e"; done

partner_of() { grep -o '^driver [a-z0-9_]*' "$1" | awk '{print $2}' | grep -v '_bug$'; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }

# fuzz ENGINE DIR RUNS SEED IL: one campaign of the set in DIR, stopped at its
# first finding; prints the executions to it, or "-" when none came.
fuzz() {
	local engine=$1 set=$2 budget=$3 s=$4 il=$5 d=$6 n
	rm -rf "$d" && mkdir -p "$d/corpus" "$d/art"
	case $engine in
	libfuzzer)
		NMRSIM_FUZZ_INTERLEAVE=$il "$set/build-libfuzzer/fuzz/fuzz_drivers" -seed="$s" -runs="$budget" \
			-max_len=4096 -print_final_stats=1 -artifact_prefix="$d/art/" "$d/corpus" "$set/seed" >"$d/log" 2>&1
		if ls "$d/art"/crash-* >/dev/null 2>&1; then
			n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$d/log" | tail -n 1 | grep -o '[0-9]*$')
			echo "${n:-1}"
		else
			echo -
		fi ;;
	afl)
		# -E stops at about RUNS executions; AFL_BENCH_UNTIL_CRASH at the
		# first crash. No CPU binding: the machine is shared.
		NMRSIM_FUZZ_INTERLEAVE=$il AFL_BENCH_UNTIL_CRASH=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
			AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_FAST_CAL=1 AFL_NO_CRASH_README=1 \
			timeout 900 afl-fuzz -s "$s" -E "$budget" -i "$set/seed" -o "$d/out" -- "$set/build-afl/fuzz/fuzz_drivers" \
			>"$d/log" 2>&1
		n=$(ls "$d/out/default/crashes" 2>/dev/null | grep -o 'execs:[0-9]*' | cut -d: -f2 | sort -n | head -n 1)
		echo "${n:--}" ;;
	esac
}

printf '%-26s %-9s %-10s %8s %8s %6s  %s\n' case engine feedback median max misses twin
for nmr in "$root"/bench/racy/r*.nmr; do
	case_name=$(basename "$nmr" .nmr)
	id=${case_name:0:3}
	[ -n "${RACY_CASES:-}" ] && ! [[ " $RACY_CASES " == *" $id "* ]] && continue
	partner=$(partner_of "$nmr")
	for variant in bug fix; do
		out=$work/$id-$variant
		def=()
		[ $variant = fix ] && def=(-D RACY_FIXED)
		"$root/tools/nmrsim-build" --out "$out" --engine "$flavours" -I "$root/examples" "${def[@]}" \
			"${id}_$variant=$root/bench/racy/$case_name.c" "$root/examples/$partner.c" >"$out.build.log" 2>&1 ||
			{ echo "$case_name: build failed ($out.build.log)"; continue 2; }
		# nmr-seed skips a scenario with an `expect` line (a seed must not
		# be a finding before any mutation): the fuzzer is to find it.
		sed -e "s/_bug/_$variant/g" -e '/^expect /d' "$nmr" > "$out/case.nmr"
		rm -rf "$out/seed" && mkdir -p "$out/seed"
		"$out/build/fuzz/nmr-seed" --mode drivers --out "$out/seed" "$out/case.nmr" >/dev/null 2>&1 ||
			{ echo "$case_name: no seed"; continue 2; }
	done
	# The seed on its own (the standalone runner): 1 when it already fails.
	seed_finds=0
	"$work/$id-bug/build/fuzz/fuzz_drivers" "$work/$id-bug/seed"/* >"$work/$id-bug/seed.log" 2>&1
	[ $? = 1 ] && seed_finds=1
	"$work/$id-fix/build/fuzz/fuzz_drivers" "$work/$id-fix/seed"/* >"$work/$id-fix/seed.log" 2>&1
	[ $? = 0 ] || { echo "$case_name: the twin's seed fails ($work/$id-fix/seed.log)"; continue; }
	for engine in $engines; do
		for feedback in code interleave; do
			il=0
			[ $feedback = interleave ] && il=1
			execs=() misses=0
			for s in $(seq 1 "$seeds"); do
				if [ $seed_finds = 1 ]; then
					n=1
				else
					n=$(fuzz $engine "$work/$id-bug" "$runs" "$s" $il "$work/$id-bug/run-$engine-$feedback-$s")
				fi
				if [ "$n" = - ]; then
					execs+=("$runs")
					misses=$((misses + 1))
				else
					execs+=("$n")
				fi
			done
			# the twin: the same fuzzer, seed 1, its own budget
			d=$work/$id-fix/run-$engine-$feedback
			n=$(fuzz $engine "$work/$id-fix" "$twin_runs" 1 $il "$d")
			twin=none
			[ "$n" != - ] && twin="finding after $n ($d)"
			printf '%-26s %-9s %-10s %8s %8s %3s/%-2s  %s\n' "$case_name" $engine $feedback \
				"$(printf '%s\n' "${execs[@]}" | median)" "$(printf '%s\n' "${execs[@]}" | sort -n | tail -n 1)" \
				$misses "$seeds" "$twin"
		done
	done
done
