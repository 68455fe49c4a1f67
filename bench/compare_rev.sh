#!/usr/bin/env bash
# compare_rev.sh - speed of the current tree against a git revision, both
# measured in one invocation (no pass/fail; prints a table).
#
#   bench/compare_rev.sh [--quick] [REV]      (REV default 72e1eb1, the
#                                              engine before issue 10)
#
# Builds REV (git archive into a temp dir) and the current source tree (as
# it is, uncommitted edits included) with the same compiler and options
# (meson, -Dbuildtype=debugoptimized -Db_ndebug=false: the project's default,
# -O2 with its assertions on), then on each:
#   in memory      fuzz_scenario as libFuzzer and AFL++ run it: bench/fuzz_mem.c
#                  linked against each build's own fuzz_scenario objects
#                  (bench/link_fuzz_mem.py: its harness, the engine
#                  libraries, and its fuzz_engine.c as the libFuzzer glue
#                  instead of the standalone main) reads the seeds once, then
#                  calls LLVMFuzzerTestOneInput on each, MEM_PASSES passes
#                  after an untimed one; exec/s = runs / CPU seconds of the
#                  passes (getrusage), best of ROUNDS rounds, alternating;
#                  under callgrind (--toggle-collect=LLVMFuzzerTestOneInput,
#                  so the runs only): instructions, I1 misses and mispredicted
#                  branches per run. No file system calls between runs: the
#                  engine's own cost, which the standalone figure halves;
#   fuzz_scenario  the standalone target (-Dfuzzing_engine=none) over the
#                  current tree's fuzz seeds (build/fuzz/seeds_fuzz_scenario,
#                  the same bytes for both), PASSES passes in one process;
#                  exec/s = runs / CPU seconds (user + sys from getrusage:
#                  the machine may be shared), best of ROUNDS rounds, the two revisions
#                  alternating round by round;
#   callgrind      if valgrind is installed: instructions per run of the
#                  whole process and of run_scenario (inclusive), from a
#                  4-pass process less a 1-pass one (the one-time setup on a
#                  line of its own, not spread over the runs); deterministic,
#                  unlike the clock on a loaded machine; and, from its cache
#                  and branch simulation (--cache-sim --branch-sim, also
#                  deterministic), instruction-cache (I1, 32 KB) misses and
#                  mispredicted branches (conditional + indirect) per run:
#                  what instructions per run do not show of a larger text;
#   bench_switch   ns per fiber_switch (its own best of 5 rounds) with
#                  SWITCHES switches per round, and under callgrind the
#                  instructions of fiber_switch per switch.
# --quick: fewer passes and rounds (a smoke run of the script).
# Environment: ROUNDS (default 5) rounds of each exec/s figure, MEM_PASSES
# (default 3000) passes a round in memory (on a loaded machine more, shorter
# rounds find its quiet moments); JOBS, ninja's
# -j for the two builds (default: ninja's own; 2 on a shared machine).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quick=0
[ "${1:-}" = "--quick" ] && { quick=1; shift; }
rev=${1:-72e1eb1}
# A round of 1000 passes takes about 1.5 s of CPU time; in memory, a round
# of 3000 passes about 1 s.
passes=$([ $quick = 1 ] && echo 50 || echo 1000)
mem_passes=$([ $quick = 1 ] && echo 300 || echo "${MEM_PASSES:-3000}")
rounds=$([ $quick = 1 ] && echo 2 || echo "${ROUNDS:-5}")
switches=$([ $quick = 1 ] && echo 200000 || echo 2000000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
opts=(-Dbuildtype=debugoptimized -Db_ndebug=false -Dfuzzing_engine=none)

die() { echo "compare_rev: $*" >&2; exit 2; }

git -C "$root" rev-parse --verify -q "$rev^{commit}" >/dev/null || die "unknown revision '$rev'"
mkdir -p "$work/rev"
git -C "$root" archive "$rev" | tar -x -C "$work/rev" || die "cannot extract $rev"

build() { # SRC BUILDDIR
	meson setup "$2" "$1" "${opts[@]}" >"$2.log" 2>&1 || { cat "$2.log" >&2; return 1; }
	ninja -C "$2" ${JOBS:+-j "$JOBS"} fuzz/fuzz_scenario bench/bench_switch >>"$2.log" 2>&1 || { tail -20 "$2.log" >&2; return 1; }
}
echo "building $rev and the current tree (${opts[*]}) ..." >&2
build "$work/rev" "$work/b-rev" || die "build of $rev failed"
build "$root" "$work/b-cur" || die "build of the current tree failed"
ninja -C "$work/b-cur" fuzz/seeds_fuzz_scenario >>"$work/b-cur.log" 2>&1 || die "seeds of the current tree failed"
seeds=$work/b-cur/fuzz/seeds_fuzz_scenario
# The same work for both: a seed whose bytes REV's decoder reads as another
# scenario (a field added since) measures the format, not the engine. By
# default the one known case is left out: regress-long-livelock.bin (since
# session 13; in memory ~1.3 M instructions a run in this tree, its 30,000
# steps, against ~0.2 M in 72e1eb1: with it the current tree's average run
# is 41,012 instructions, without it 27,915).
# SEEDS_EXCLUDE="name ..." replaces that list ("" keeps every seed).
exclude=${SEEDS_EXCLUDE-regress-long-livelock.bin}
if [ -n "$exclude" ]; then
	kept=$work/seeds
	mkdir -p "$kept"
	cp "$seeds"/* "$kept"/
	for x in $exclude; do rm -f "$kept/$x"; done
	seeds=$kept
fi
nseeds=$(find "$seeds" -maxdepth 1 -type f | wc -l)
[ "$nseeds" -gt 0 ] || die "no seeds in $seeds"

args=()
for ((i = 0; i < passes; i++)); do args+=("$seeds"); done

# The in-memory runners, each linked from its own build's objects.
for b in rev cur; do
	python3 "$root/bench/link_fuzz_mem.py" "$work/b-$b" fuzz_scenario "$root/bench/fuzz_mem.c" "$work/mem-$b" ||
		die "cannot link the in-memory runner against the $b build"
done
# exec/s in memory of one round (fuzz_mem prints it from getrusage).
mem_rate() { # BIN
	NMRSIM_FUZZ_NO_ABORT=1 "$1" "$mem_passes" "$seeds" 2>"$work/mem.err" |
		sed -n 's/.* \([0-9]*\) exec\/s$/\1/p' | grep . || { cat "$work/mem.err" >&2; echo 0; }
}

# exec/s of one round: PASSES passes over the seeds in one process. CPU
# time from getrusage (microseconds; /usr/bin/time's 10 ms steps made equal
# figures of close rates).
rate() { # BIN
	python3 - "$work/out" $((passes * nseeds)) "$1" "${args[@]}" <<'PY'
import resource, subprocess, sys
out, n, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
with open(out, 'w') as err:
    rc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=err).returncode
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ru.ru_utime + ru.ru_stime
if rc not in (0, 1) or cpu <= 0:
    sys.stderr.write(open(out).read())
    print(0)
else:
    print(int(n / cpu))
PY
}
# Every round is printed, best of rounds in the table; the two
# revisions alternate round by round, in memory and standalone.
# In memory the order alternates too (rev first in odd rounds, current in
# even ones), and each round's current/rev ratio is kept: on a loaded machine
# two neighbouring runs see about the same load, so the median ratio is
# steadier than the best of each.
best_rev=0 best_cur=0 mbest_rev=0 mbest_cur=0 ratios=()
for ((r = 0; r < rounds; r++)); do
	if ((r % 2 == 0)); then
		x=$(mem_rate "$work/mem-rev"); y=$(mem_rate "$work/mem-cur")
	else
		y=$(mem_rate "$work/mem-cur"); x=$(mem_rate "$work/mem-rev")
	fi
	[ "$x" -gt "$mbest_rev" ] && mbest_rev=$x
	[ "$y" -gt "$mbest_cur" ] && mbest_cur=$y
	[ "$x" -gt 0 ] && ratios+=("$(python3 -c 'import sys; print(int(sys.argv[2]) / int(sys.argv[1]))' "$x" "$y")")
	echo "round $((r + 1)): in memory exec/s $rev $x, current $y"
done
mratio=$(python3 -c 'import statistics, sys; v = [float(a) for a in sys.argv[1:]]; print("%+.1f%% (%d of %d rounds faster)" % (100 * (statistics.median(v) - 1), sum(q > 1 for q in v), len(v)) if v else "-")' "${ratios[@]}")
for ((r = 0; r < rounds; r++)); do
	x=$(rate "$work/b-rev/fuzz/fuzz_scenario"); [ "$x" -gt "$best_rev" ] && best_rev=$x
	y=$(rate "$work/b-cur/fuzz/fuzz_scenario"); [ "$y" -gt "$best_cur" ] && best_cur=$y
	echo "round $((r + 1)): standalone exec/s $rev $x, current $y"
done

# Instructions per run under callgrind: a process of 4 passes over the seeds
# minus one of 1 pass, over 3 passes, so the one-time setup (the run arena,
# the driver table) is not spread over the runs and a change to it is seen
# on its own line (setup = the 1-pass process less one pass of runs).
cg_counts() { # BIN PASSES -> "total run_scenario I1-misses mispredicts"
	local args=() i
	for ((i = 0; i < $2; i++)); do args+=("$seeds"); done
	valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes --callgrind-out-file="$work/cg.out" \
		"$1" "${args[@]}" >/dev/null 2>&1
	local total inc i1 bm
	# PROGRAM TOTALS: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim
	read -r total i1 bm < <(callgrind_annotate "$work/cg.out" 2>/dev/null | tr -d , | sed 's/([^)]*)//g' |
		awk '/PROGRAM TOTALS/ { print $1, $4, $11 + $13 }')
	inc=$(callgrind_annotate --inclusive=yes "$work/cg.out" 2>/dev/null |
	      sed -n 's/^ *\([0-9,]*\) .*:run_scenario \[.*/\1/p' | head -1 | tr -d ,)
	# An LTO build (the standalone targets', -Dfuzz_lto) inlines run_scenario
	# into the harness: no line of its own ("-").
	echo "${total:-0} ${inc:--} ${i1:-0} ${bm:-0}"
}
cg_fuzz() { # BIN -> "process run_scenario setup I1-misses mispredicts": per run, and the one-time setup
	local t1 i1 c1 b1 t4 i4 c4 b4
	read -r t1 i1 c1 b1 < <(cg_counts "$1" 1)
	read -r t4 i4 c4 b4 < <(cg_counts "$1" 4)
	local per=$(((t4 - t1) / (3 * nseeds)))
	local inc=-
	[ "$i1" != - ] && [ "$i4" != - ] && inc=$(((i4 - i1) / (3 * nseeds)))
	echo "$per $inc $((t1 - per * nseeds)) $(((c4 - c1) / (3 * nseeds))) $(((b4 - b1) / (3 * nseeds)))"
}
# Per run in memory under callgrind, the runs only (the toggle), over the
# untimed pass and 2 more: "instructions I1-misses mispredicts".
cg_mem() { # BIN
	NMRSIM_FUZZ_NO_ABORT=1 valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes \
		--toggle-collect=LLVMFuzzerTestOneInput --callgrind-out-file="$work/cgm.out" "$1" 2 "$seeds" >/dev/null 2>&1
	callgrind_annotate "$work/cgm.out" 2>/dev/null | tr -d , | sed 's/([^)]*)//g' |
		awk -v n=$((3 * nseeds)) '/PROGRAM TOTALS/ { printf "%d %d %d\n", $1 / n, $4 / n, ($11 + $13) / n }'
}
# fiber_switch instructions per switch: the self cost of fiber_switch and
# the assembly swap under callgrind, over its 5 fiber rounds of SWITCHES/100.
cg_switch() { # BIN
	local n=$((switches / 100))
	valgrind --tool=callgrind --callgrind-out-file="$work/cgs.out" "$1" "$n" >/dev/null 2>&1
	callgrind_annotate "$work/cgs.out" 2>/dev/null | python3 -c '
import re, sys
n = int(sys.argv[1]) // 2 * 2
ir = 0
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) .*:(fiber_switch|nmrsim_fiber_swap)\S* \[", line)
    if m:
        ir += int(m.group(1).replace(",", ""))
print("%.1f" % (ir / (5 * n)))' "$n"
}
ns_switch() { # BIN -> ns per fiber_switch
	"$1" "$switches" 2>/dev/null | sed -n 's/^fiber_switch[^:]*: *\([0-9.]*\) ns.*/\1/p'
}

pct() { python3 -c 'import sys; a, b = sys.argv[1], sys.argv[2]; a, b = (float(a), float(b)) if "-" not in (a, b) else (0, 0); print("%+.1f%%" % (100 * (b - a) / a) if a else "-")' "$1" "$2"; }

sw_rev=$(ns_switch "$work/b-rev/bench/bench_switch")
sw_cur=$(ns_switch "$work/b-cur/bench/bench_switch")

echo
echo "compare_rev: $rev vs current tree ($(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- 2>/dev/null || echo '+edits'))"
echo "fuzz_scenario: $nseeds seeds x $mem_passes passes in memory, x $passes standalone, best of $rounds rounds; bench_switch: $switches switches/round"
printf '%-44s %14s %14s %9s\n' "measure" "$rev" "current" "change"
printf '%-44s %14s %14s %9s\n' "fuzz_scenario exec/s in memory (CPU time)" "$mbest_rev" "$mbest_cur" "$(pct "$mbest_rev" "$mbest_cur")"
echo "in memory: median over the rounds of current/$rev: $mratio"
printf '%-44s %14s %14s %9s\n' "fuzz_scenario exec/s standalone (CPU time)" "$best_rev" "$best_cur" "$(pct "$best_rev" "$best_cur")"
printf '%-44s %14s %14s %9s\n' "fiber_switch ns/switch (lower=better)" "$sw_rev" "$sw_cur" "$(pct "$sw_rev" "$sw_cur")"
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
	read -r mi_rev mc_rev mb_rev < <(cg_mem "$work/mem-rev")
	read -r mi_cur mc_cur mb_cur < <(cg_mem "$work/mem-cur")
	printf '%-44s %14s %14s %9s\n' "in memory: instructions/run" "$mi_rev" "$mi_cur" "$(pct "$mi_rev" "$mi_cur")"
	printf '%-44s %14s %14s %9s\n' "in memory: I1 misses/run (simulated)" "$mc_rev" "$mc_cur" "$(pct "$mc_rev" "$mc_cur")"
	printf '%-44s %14s %14s %9s\n' "in memory: mispredicts/run (simulated)" "$mb_rev" "$mb_cur" "$(pct "$mb_rev" "$mb_cur")"
	read -r tot_rev inc_rev set_rev i1_rev bm_rev < <(cg_fuzz "$work/b-rev/fuzz/fuzz_scenario")
	read -r tot_cur inc_cur set_cur i1_cur bm_cur < <(cg_fuzz "$work/b-cur/fuzz/fuzz_scenario")
	printf '%-44s %14s %14s %9s\n' "fuzz_scenario instructions/run (process)" "$tot_rev" "$tot_cur" "$(pct "$tot_rev" "$tot_cur")"
	printf '%-44s %14s %14s %9s\n' "fuzz_scenario instructions/run (run_scenario)" "$inc_rev" "$inc_cur" "$(pct "$inc_rev" "$inc_cur")"
	printf '%-44s %14s %14s %9s\n' "fuzz_scenario setup instructions (once)" "$set_rev" "$set_cur" "$(pct "$set_rev" "$set_cur")"
	printf '%-44s %14s %14s %9s\n' "fuzz_scenario I1 misses/run (simulated)" "$i1_rev" "$i1_cur" "$(pct "$i1_rev" "$i1_cur")"
	printf '%-44s %14s %14s %9s\n' "fuzz_scenario mispredicts/run (simulated)" "$bm_rev" "$bm_cur" "$(pct "$bm_rev" "$bm_cur")"
	cs_rev=$(cg_switch "$work/b-rev/bench/bench_switch")
	cs_cur=$(cg_switch "$work/b-cur/bench/bench_switch")
	printf '%-44s %14s %14s %9s\n' "fiber_switch instructions/switch" "$cs_rev" "$cs_cur" "$(pct "$cs_rev" "$cs_cur")"
else
	echo "(valgrind not installed: no instruction counts)"
fi
