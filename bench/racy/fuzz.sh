#!/usr/bin/env bash
# fuzz.sh - the racy-bug benchmark under libFuzzer's fuzz_drivers: runs
# (executions) and seconds to the first finding per case, with code
# coverage only and with interleaving coverage as extra feedback
# (NMRSIM_FUZZ_INTERLEAVE=1), and the twin's findings. Figures only.
#
#   bench/racy/fuzz.sh [SEEDS [RUNS]]      (default 4 seeds, 200000 runs)
#   RACY_CASES="r01 r06" bench/racy/fuzz.sh   only some cases
#
# Each case is built as a user builds their drivers (tools/nmrsim-build,
# libFuzzer flavour, engine cached in out/engine): the case's buggy driver
# and its partner, then the twin (-D RACY_FIXED). The seed input is the
# case's scenario in the binary form (nmr-seed). A finding that is not the
# first run is counted in executions from libFuzzer's log.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seeds=${1:-4}
runs=${2:-200000}
work=${RACY_WORK:-$root/out/racy-fuzz}
mkdir -p "$work"

partner_of() { grep -o '^driver [a-z0-9_]*' "$1" | awk '{print $2}' | grep -v '_bug$'; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }

printf '%-28s %-11s %10s %10s %6s %8s  %s\n' case feedback median max misses "med s" "twin"
for nmr in "$root"/bench/racy/r*.nmr; do
	case_name=$(basename "$nmr" .nmr)
	id=${case_name:0:3}
	[ -n "${RACY_CASES:-}" ] && ! [[ " $RACY_CASES " == *" $id "* ]] && continue
	partner=$(partner_of "$nmr")
	for variant in bug fix; do
		out=$work/$id-$variant
		def=()
		[ $variant = fix ] && def=(-D RACY_FIXED)
		"$root/tools/nmrsim-build" --out "$out" --engine none,libfuzzer -I "$root/examples" "${def[@]}" \
			"${id}_$variant=$root/bench/racy/$case_name.c" "$root/examples/$partner.c" >"$out.build.log" 2>&1 ||
			{ echo "$case_name: build failed ($out.build.log)"; continue 2; }
		sed "s/_bug/_$variant/g" "$nmr" > "$out/case.nmr"
		rm -rf "$out/seed" && mkdir -p "$out/seed"
		"$out/build/fuzz/nmr-seed" --mode drivers --out "$out/seed" "$out/case.nmr" >/dev/null 2>&1 ||
			{ echo "$case_name: no seed"; continue 2; }
	done
	for feedback in code interleave; do
		env_il=0
		[ $feedback = interleave ] && env_il=1
		execs=() secs=() misses=0
		for s in $(seq 1 "$seeds"); do
			d=$work/$id-bug/run-$feedback-$s
			rm -rf "$d" && mkdir -p "$d/corpus" "$d/art"
			t0=$(date +%s.%N)
			NMRSIM_FUZZ_INTERLEAVE=$env_il "$work/$id-bug/build-libfuzzer/fuzz/fuzz_drivers" -seed="$s" -runs="$runs" \
				-max_len=4096 -artifact_prefix="$d/art/" "$d/corpus" "$work/$id-bug/seed" >"$d/log" 2>&1
			t1=$(date +%s.%N)
			if ls "$d/art"/crash-* >/dev/null 2>&1; then
				n=$(grep -o '^#[0-9]*' "$d/log" | tail -n 1 | tr -d '#')
				execs+=("${n:-1}")
			else
				execs+=("$runs")
				misses=$((misses + 1))
			fi
			secs+=("$(echo "$t1 - $t0" | bc)")
		done
		# the twin: the same fuzzer, seed 1, the same budget
		d=$work/$id-fix/run-$feedback
		rm -rf "$d" && mkdir -p "$d/corpus" "$d/art"
		NMRSIM_FUZZ_INTERLEAVE=$env_il "$work/$id-fix/build-libfuzzer/fuzz/fuzz_drivers" -seed=1 -runs="$runs" \
			-max_len=4096 -artifact_prefix="$d/art/" "$d/corpus" "$work/$id-fix/seed" >"$d/log" 2>&1
		twin=none
		ls "$d/art"/crash-* >/dev/null 2>&1 && twin=$(grep -o '^signature: [A-Z][0-9]*' "$d/log" | head -n 1 | cut -d' ' -f2)
		printf '%-28s %-11s %10s %10s %3s/%-2s %8s  %s\n' "$case_name" $feedback \
			"$(printf '%s\n' "${execs[@]}" | median)" "$(printf '%s\n' "${execs[@]}" | sort -n | tail -n 1)" \
			$misses "$seeds" "$(printf '%s\n' "${secs[@]}" | median)" "$twin"
	done
done
