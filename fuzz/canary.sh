#!/usr/bin/env bash
# canary.sh - prove the fuzzing pipeline catches a planted bug end to end.
#
# The canary (-Dcanary=true, NMRSIM_CANARY in sim/nmr/nmr_model.c) makes a
# provider's Wait return early in one narrow interleaving (R08). This script
# builds fuzz_scenario with the canary for libFuzzer and for AFL++, runs each
# for at most CANARY_SECONDS (default 60) from the ordinary seeds, and passes
# only if each fuzzer found an R08/R10 crash AND that crash file replays with
# nmr-replay (--binary --rules R08,R10) to the signature the fuzzer printed.
# Only R08 and R10 count here (NMRSIM_FUZZ_RULES), so a real registrar bug
# does not hide the canary (fuzz-smoke is where those show).
#
#   fuzz/canary.sh                 both fuzzers; build dirs build-canary-libfuzzer,
#                                  build-canary-afl (AFL++ skipped with a note if
#                                  afl-clang-fast/afl-fuzz are missing, unless
#                                  CANARY_REQUIRE_AFL=1); with AFL++, both halves
#                                  replay with build-canary-afl's nmr-replay and
#                                  start from its seeds
#   fuzz/canary.sh --libfuzzer-only FUZZ_SCENARIO SEEDS NMR_REPLAY
#                                  libFuzzer half with given binaries (meson
#                                  test canary/libfuzzer in a canary build)
# Exit 0 found and replayed by each, 1 not found or replay mismatch, 2 setup.
set -uo pipefail
seconds=${CANARY_SECONDS:-60}
# Count only the canary's rules: another registrar bug (a real one, found
# by fuzz-smoke) must not mask the planted one here.
export NMRSIM_FUZZ_RULES=R08,R10
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# expect_canary NAME SIGNATURE: the planted bug, not something else.
expect_canary() {
	case "$2" in
	"R08 "* | "R10 "*) return 0 ;;
	*) echo "canary: $1 found '$2', not the planted R08/R10 bug"; return 1 ;;
	esac
}

# check_replay NAME CRASH FUZZER_SIG NMR_REPLAY
check_replay() {
	local name=$1 crash=$2 want=$3 replay=$4 got
	got=$("$replay" --binary --rules "$NMRSIM_FUZZ_RULES" --quiet "$crash" | sed -n 's/^signature: //p' | head -n 1)
	if [ "$got" != "$want" ]; then
		echo "canary: $name crash $crash replays to '$got', fuzzer said '$want'"
		return 1
	fi
	echo "canary: $name: replay of $(basename "$crash") gives the same signature: $got"
	expect_canary "$name" "$got"
}

run_libfuzzer() {
	local bin=$1 seeds=$2 replay=$3 log=$work/libfuzzer.log
	mkdir -p "$work/lf-corpus" "$work/lf-artifacts"
	local t0=$SECONDS
	"$bin" -seed=1 -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$work/lf-artifacts/" "$work/lf-corpus" "$seeds" >"$log" 2>&1
	local crash
	crash=$(ls "$work"/lf-artifacts/crash-* 2>/dev/null | head -n 1)
	if [ -z "$crash" ]; then
		echo "canary: libFuzzer did not find the canary in ${seconds}s"
		tail -n 5 "$log"
		return 1
	fi
	local sig execs
	sig=$(sed -n 's/^signature: //p' "$log" | head -n 1)
	execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	echo "canary: libFuzzer found '$sig' in $((SECONDS - t0))s (about ${execs:-?} execs)"
	check_replay libFuzzer "$crash" "$sig" "$replay"
}

run_afl() {
	local bin=$1 seeds=$2 replay=$3 out=$work/afl-out
	local t0=$SECONDS
	AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
		AFL_BENCH_UNTIL_CRASH=1 AFL_SKIP_CRASHES=1 ${CANARY_AFL_ENV:-} \
		env -u ASAN_OPTIONS -u UBSAN_OPTIONS afl-fuzz -V "$seconds" -s 1 -i "$seeds" -o "$out" -- "$bin" >"$work/afl.log" 2>&1
	local crash
	crash=$(ls "$out"/default/crashes/id:* 2>/dev/null | head -n 1)
	if [ -z "$crash" ]; then
		echo "canary: AFL++ did not find the canary in ${seconds}s"
		tail -n 5 "$work/afl.log"
		return 1
	fi
	# The fuzzer's view: the AFL++ binary runs a file argument like the
	# standalone driver and prints the report.
	local sig execs
	sig=$("$bin" "$crash" 2>&1 | sed -n 's/^signature: //p' | head -n 1)
	execs=$(sed -n 's/^execs_done *: //p' "$out/default/fuzzer_stats" 2>/dev/null)
	echo "canary: AFL++ found '$sig' in $((SECONDS - t0))s (${execs:-?} execs)"
	check_replay AFL++ "$crash" "$sig" "$replay"
}

# configure DIR CC TARGETS [meson options]: set up (once) and build TARGETS.
configure() {
	local dir=$1 cc=$2 targets=$3
	shift 3
	if [ ! -f "$root/$dir/build.ninja" ]; then
		CC=$cc meson setup "$root/$dir" "$root" -Dcanary=true "$@" >"$work/setup-$dir.log" 2>&1 ||
			{ cat "$work/setup-$dir.log"; return 1; }
	fi
	# shellcheck disable=SC2086
	ninja -C "$root/$dir" $targets >"$work/build-$dir.log" 2>&1 ||
		{ tail -n 30 "$work/build-$dir.log"; return 1; }
}

if [ "${1:-}" = "--libfuzzer-only" ]; then
	[ $# -eq 4 ] || { echo "usage: canary.sh --libfuzzer-only FUZZ_SCENARIO SEEDS NMR_REPLAY" >&2; exit 2; }
	run_libfuzzer "$2" "$3" "$4" || exit 1
	exit 0
fi

command -v clang >/dev/null || { echo "canary: clang is needed" >&2; exit 2; }
all="fuzz/fuzz_scenario replay/nmr-replay fuzz/seeds_fuzz_scenario"
# The AFL++ build first: its replay tool and seeds (the same files either
# way: a canary build of nmr-seed) serve the libFuzzer half too, whose
# build then compiles the engine once (its fuzzer-instrumented copy), not a
# second plain copy for nmr-replay and nmr-seed.
afl=0 afl_built=0
command -v afl-clang-fast >/dev/null && command -v afl-fuzz >/dev/null && afl=1
if [ $afl = 1 ]; then
	configure build-canary-afl afl-clang-fast "$all" -Dfuzzing_engine=afl && afl_built=1
fi

echo "== canary: libFuzzer (build-canary-libfuzzer, up to ${seconds}s)"
d=$root/build-canary-libfuzzer
if [ $afl_built = 1 ]; then
	targets=fuzz/fuzz_scenario aux=$root/build-canary-afl
else
	targets=$all aux=$d
fi
if configure build-canary-libfuzzer clang "$targets" -Dfuzzing_engine=libfuzzer; then
	run_libfuzzer "$d/fuzz/fuzz_scenario" "$aux/fuzz/seeds_fuzz_scenario" "$aux/replay/nmr-replay" || fail=1
else
	fail=1
fi

echo "== canary: AFL++ (build-canary-afl, up to ${seconds}s)"
if [ $afl = 1 ]; then
	if [ $afl_built = 1 ]; then
		d=$root/build-canary-afl
		run_afl "$d/fuzz/fuzz_scenario" "$d/fuzz/seeds_fuzz_scenario" "$d/replay/nmr-replay" || fail=1
	else
		fail=1
	fi
elif [ "${CANARY_REQUIRE_AFL:-0}" = 1 ]; then
	echo "canary: afl-clang-fast/afl-fuzz not installed (apt-get install afl++)"
	fail=1
else
	echo "canary: AFL++ not installed: skipped (apt-get install afl++; CANARY_REQUIRE_AFL=1 makes this a failure)"
fi
[ $fail -eq 0 ] && echo "canary: found by every fuzzer, crash files replay to the same signature"
exit $fail
