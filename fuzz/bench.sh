#!/usr/bin/env bash
# bench.sh - fuzzing performance figures (no pass/fail; prints numbers).
#
#   fuzz/bench.sh [--quick]
#
# 1. exec/s of every libFuzzer target on one core beside the empty target
#    (fuzz_empty) in the same run, plain (build-libfuzzer) and ASan+UBSan
#    (build-libfuzzer-san), on the standard scenario
#    (corpus/examples/standard.nmr) as input, two ways:
#      fixed:  the standard input replayed -runs=N times (libFuzzer re-reads
#              the file each time, the same for the empty target);
#      fuzz:   fuzzing for -runs=N from the standard input alone
#              (-reduce_inputs=0; mutants of the standard scenario;
#              NMRSIM_FUZZ_NO_ABORT=1 so a finding does not end the run).
#    Rates are runs / CPU seconds (user + sys) of the fuzzer process.
# 2. RSS over 10 million persistent iterations (fuzz-rss: decode + run of the
#    standard input, as the persistent loops do); --quick: 1 million.
# 3. AFL++ stability of each AFL++ target (build-afl, 20 s each; --quick 10 s),
#    read from fuzzer_stats.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1
runs=$([ $quick = 1 ] && echo 50000 || echo 300000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

setup() { # DIR CC [options]
	local dir=$1 cc=$2
	shift 2
	[ -f "$root/$dir/build.ninja" ] || CC=$cc meson setup "$root/$dir" "$root" "$@" >/dev/null || return 1
	ninja -C "$root/$dir" >/dev/null
}

# exec/s from CPU time (user + sys): the machine may be shared.
cpu_rate() { # RUNS LOGFILE -> exec/s
	python3 - "$1" "$2" <<'PY'
import sys
runs = int(sys.argv[1])
t = open(sys.argv[2]).read().split()[-2:]
secs = float(t[0]) + float(t[1])
print(int(runs / secs) if secs > 0 else "inf")
PY
}
lf_fixed() { # BIN INPUT [RUNS] -> exec/s: the standard input replayed -runs times
	local n=${3:-$runs}
	/usr/bin/time -f "%U %S" -o "$work/time" "$1" -runs="$n" "$2" >/dev/null 2>&1
	cpu_rate "$n" "$work/time"
}
lf_fuzz() { # BIN SEEDDIR [RUNS] -> exec/s: fuzzing from the standard input
	local n=${3:-$runs}
	rm -rf "$work/c" && mkdir -p "$work/c" "$work/a"
	NMRSIM_FUZZ_NO_ABORT=1 /usr/bin/time -f "%U %S" -o "$work/time" "$1" -runs="$n" -seed=1 -max_len=4096 -reduce_inputs=0 \
		-artifact_prefix="$work/a/" "$work/c" "$2" >"$work/fuzz.log" 2>&1
	local done
	done=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/fuzz.log")
	if [ -z "$done" ]; then
		echo "crashed"
	else
		cpu_rate "$done" "$work/time"
	fi
}

echo "== exec/s, libFuzzer, one core, standard scenario as input ($runs runs each)"
for flavour in plain san; do
	if [ $flavour = plain ]; then
		dir=build-libfuzzer
		setup $dir clang -Dfuzzing_engine=libfuzzer || continue
	else
		dir=build-libfuzzer-san
		setup $dir clang -Dfuzzing_engine=libfuzzer -Db_sanitize=address,undefined -Db_lundef=false || continue
	fi
	b=$root/$dir/fuzz
	export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1
	mkdir -p "$work/$flavour"/{bin,text,trace}
	"$root/build/fuzz/nmr-seed" --mode binary --out "$work/$flavour/bin" "$root/corpus/examples/standard.nmr" 2>/dev/null ||
		"$b/nmr-seed" --mode binary --out "$work/$flavour/bin" "$root/corpus/examples/standard.nmr"
	"$b/nmr-seed" --mode text --out "$work/$flavour/text" "$root/corpus/examples/standard.nmr"
	"$b/nmr-seed" --mode trace --out "$work/$flavour/trace" "$root/corpus/examples/standard.nmr"
	printf '%-5s %-22s %12s %12s\n' "" target "fixed" "fuzz"
	for t in fuzz_empty fuzz_scenario fuzz_scenario_bytes fuzz_text fuzz_trace; do
		[ -x "$b/$t" ] || continue
		case $t in
		fuzz_text) in=$work/$flavour/text ;;
		fuzz_trace) in=$work/$flavour/trace ;;
		*) in=$work/$flavour/bin ;;
		esac
		n=$runs
		[ $t = fuzz_empty ] && n=$((runs * 20)) # timer resolution
		printf '%-5s %-22s %12s %12s\n' "$flavour" "$t" "$(lf_fixed "$b/$t" "$(ls "$in"/* | head -n 1)" $n)" \
			"$(lf_fuzz "$b/$t" "$in" $n)"
	done
done

echo
echo "== RSS over persistent iterations (fuzz-rss, standard scenario)"
iters=$([ $quick = 1 ] && echo 1000000 || echo 10000000)
setup build gcc >/dev/null 2>&1 || true
"$root/build/fuzz/fuzz-rss" --iterations "$iters" "$root/corpus/examples/standard.nmr" | sed -n '1,3p;$p'

echo
echo "== AFL++ stability (build-afl, persistent mode)"
unset ASAN_OPTIONS UBSAN_OPTIONS
if command -v afl-fuzz >/dev/null && command -v afl-clang-fast >/dev/null && setup build-afl afl-clang-fast -Dfuzzing_engine=afl; then
	secs=$([ $quick = 1 ] && echo 10 || echo 20)
	for t in fuzz_scenario fuzz_text fuzz_trace fuzz_drivers; do
		[ -x "$root/build-afl/fuzz/$t" ] && [ -d "$root/build-afl/fuzz/seeds_$t" ] || continue
		rm -rf "$work/afl"
		AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1 \
			afl-fuzz -V "$secs" -s 1 -i "$root/build-afl/fuzz/seeds_$t" -o "$work/afl" -- "$root/build-afl/fuzz/$t" \
			>"$work/afl.log" 2>&1
		st=$work/afl/default/fuzzer_stats
		if [ ! -f "$st" ]; then
			echo "$t: afl-fuzz did not run:"
			grep -E 'PROGRAM ABORT|Location' "$work/afl.log" | head -n 3
			continue
		fi
		printf '%-15s stability %-8s execs/s %-10s crashes %s\n' "$t" \
			"$(sed -n 's/^stability *: //p' "$st")" "$(sed -n 's/^execs_per_sec *: //p' "$st")" \
			"$(sed -n 's/^saved_crashes *: //p' "$st")"
	done
else
	echo "AFL++ not installed: skipped"
fi
