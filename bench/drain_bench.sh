#!/usr/bin/env bash
# drain_bench.sh - the periodic-worker pair under fuzz_drivers and a short
# campaign (no pass/fail; prints numbers).
#
#   bench/drain_bench.sh [--quick]
#
# Builds two libFuzzer configurations of a user's drivers, as the README's
# "Bring your own driver" does (-Ddrivers=...):
#   correct: tests/drivers/periodic_client.c + examples/good_provider.c
#            (a system thread in a 5 ms timed-wait loop that Unload stops);
#   nostop:  tests/drivers/periodic_client_nostop.c + good_provider.c (its
#            Unload leaves the worker running: K06).
# Seed: the starter scenario tools/nmrsim-build writes for the pair.
# 1. fuzz_drivers exec/s (runs / CPU seconds of the fuzzer process):
#    fixed (the seed replayed) and fuzz (mutants of the seed); the correct
#    pair must give no finding; the nostop twin: executions to its first
#    finding and the rule found.
# 2. a campaign: nmr-explore random and PCT runs of the starter scenario,
#    runs/s and distinct findings (correct: 0; nostop: K06, M21).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1
runs=$([ $quick = 1 ] && echo 50000 || echo 300000)
campaign=$([ $quick = 1 ] && echo 5000 || echo 20000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

setup() { # DIR DRIVERS
	local dir=$1
	[ -f "$root/$dir/build.ninja" ] ||
		CC=clang meson setup "$root/$dir" "$root" -Dfuzzing_engine=libfuzzer -Ddrivers="$2" >/dev/null || return 1
	ninja -C "$root/$dir" fuzz/fuzz_drivers fuzz/nmr-seed tools/nmr-explore replay/nmr-replay >/dev/null
}

cpu_rate() { # RUNS TIMEFILE -> runs / (user + sys)
	python3 - "$1" "$2" <<'PY'
import sys
runs = int(sys.argv[1])
t = open(sys.argv[2]).read().split()[-2:]
secs = float(t[0]) + float(t[1])
print(int(runs / secs) if secs > 0 else "inf")
PY
}

printf '%-8s %12s %12s  %s\n' pair "fixed" "fuzz" "findings (fuzz_drivers)"
for pair in correct nostop; do
	client=periodic_client
	[ $pair = nostop ] && client=periodic_client_nostop
	dir=build-lf-drain-$pair
	setup $dir "$root/tests/drivers/$client.c,$root/examples/good_provider.c" || { echo "$pair: build failed"; continue; }
	b=$root/$dir
	mkdir -p "$work/$pair"/{seed,corpus,art}
	"$root/tools/starter-scenario.sh" "$work/$pair/starter.nmr" good_provider $client > "$work/$pair/starter.nmr"
	"$b/fuzz/nmr-seed" --mode drivers --out "$work/$pair/seed" "$work/$pair/starter.nmr" >/dev/null
	seed=$(ls "$work/$pair/seed"/* | head -n 1)
	# fixed: the seed replayed; a finding does not end the run (NMRSIM_FUZZ_NO_ABORT)
	NMRSIM_FUZZ_NO_ABORT=1 /usr/bin/time -f "%U %S" -o "$work/time" "$b/fuzz/fuzz_drivers" -runs="$runs" "$seed" >/dev/null 2>&1
	fixed=$(cpu_rate "$runs" "$work/time")
	/usr/bin/time -f "%U %S" -o "$work/time" "$b/fuzz/fuzz_drivers" -runs="$runs" -seed=1 -max_len=4096 \
		-artifact_prefix="$work/$pair/art/" "$work/$pair/corpus" "$work/$pair/seed" >"$work/fuzz.log" 2>&1
	done_runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/fuzz.log")
	crash=$(ls "$work/$pair/art"/crash-* 2>/dev/null | head -n 1)
	if [ -n "$crash" ]; then
		execs=$(grep -o '^#[0-9]*' "$work/fuzz.log" | tail -n 1 | tr -d '#')
		execs=${execs:-1 (the seed itself)}
		rule=$("$b/replay/nmr-replay" --quiet --drivers "$crash" 2>&1 | sed -n 's/^violation \([A-Z][0-9]*\) .*/\1/p' | sort -u | tr '\n' ' ')
		printf '%-8s %12s %12s  first finding after ~%s execs: %s\n' $pair "$fixed" "-" "$execs" "$rule"
	else
		printf '%-8s %12s %12s  none in %s runs\n' $pair "$fixed" "$(cpu_rate "${done_runs:-0}" "$work/time")" "${done_runs:-0}"
	fi
	for s in random pct; do
		"$b/tools/nmr-explore" --quiet --strategy $s --runs "$campaign" --out "$work/$pair/explore" \
			"$work/$pair/starter.nmr" >"$work/explore.log" 2>&1
		printf '%-8s campaign %-6s %s; %s\n' $pair $s "$(sed -n 's/^nmr-explore: \(.*\)/\1/p' "$work/explore.log")" \
			"$(grep -E 'distinct finding' "$work/explore.log" | head -n 1)"
	done
done
