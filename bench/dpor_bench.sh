#!/usr/bin/env bash
# dpor_bench.sh [--quick] [--without PART] [--with PART] [--bundled] [BUILD_DIR] - the bounded exhaustive search with and
# without partial-order reduction (nmr-explore --strategy dfs [--por]) at
# preemption bound 2: schedules explored, wall-clock and CPU time (user +
# system, the worker process included: on a shared machine the wall clock
# is mostly the load), whether every
# schedule within the bound was run, distinct bugs. First the bundled
# scenarios with two threads and an NMR worker (scripted and hosted
# drivers), then every case of the racy-bug benchmark (bench/racy, through
# nmr-explore-racy, which links its drivers). Each search stops after a cap
# (bundled 60s, racy 20s; --quick: 10s and 5s): a search not exhausted by
# then says "no". --without PART adds a third search per scenario, the
# reduced one without that part (nmr-explore --por-without PART: sleep,
# same, objects, nmr, eset, incremental, steer, reads, exact), to show what the part
# saves; --with PART one with --por-with PART (reads, the default since
# session 13: the same search). --bundled:
# the bundled scenarios only. Figures only; nothing here passes or fails on
# time.
set -u
limit=60s
racy_limit=20s
without=
with=
bundled_only=
if [ "${1:-}" = "--quick" ]; then
	limit=10s
	racy_limit=5s
	shift
fi
if [ "${1:-}" = "--without" ]; then
	without=${2:?--without needs a part}
	shift 2
fi
if [ "${1:-}" = "--with" ]; then
	with=${2:?--with needs a part}
	shift 2
fi
if [ "${1:-}" = "--bundled" ]; then
	bundled_only=1
	shift
fi
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
explore=$build/tools/nmr-explore
explore_racy=$build/bench/racy/nmr-explore-racy
[ -x "$explore" ] || { echo "dpor_bench: no $explore (build first)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

scenarios=(
	corpus/examples/inflight-detach.nmr   # scripted: T0 provider, T1 client, 1 NMR worker
	corpus/examples/pending-forever.nmr   # scripted, M17 + L03
	corpus/examples/standard.nmr          # scripted: 5 modules, 2 threads
	corpus/drivers/guide_client.nmr       # hosted drivers, memory accesses instrumented
	corpus/drivers/inflight_client.nmr    # hosted drivers, memory accesses instrumented
)

# cell EXPLORER LIMIT FILE: one line per search (plain, reduced).
cell() {
	local tool=$1 cap=$2 f=$3 mode flag start end log runs bugs done_ cpu
	for mode in plain por ${without:+por-$without} ${with:+por+$with}; do
		flag=()
		[ $mode = por ] && flag=(--por)
		[ $mode = "por-$without" ] && flag=(--por --por-without "$without")
		[ $mode = "por+$with" ] && flag=(--por --por-with "$with")
		start=$(date +%s.%N)
		log=$(/usr/bin/time -f 'cpu %U %S' "$tool" --strategy dfs "${flag[@]}" --bound 2 --runs 0 --time "$cap" \
			--quiet --out "$out/$mode" "$here/$f" 2>&1)
		end=$(date +%s.%N)
		runs=$(printf '%s\n' "$log" | sed -n 's/^nmr-explore: \([0-9]*\) runs over.*/\1/p')
		bugs=$(printf '%s\n' "$log" | sed -n 's/^\([0-9]*\) distinct bug.*/\1/p')
		cpu=$(printf '%s\n' "$log" | sed -n 's/^cpu \([0-9.]*\) \([0-9.]*\)$/\1 + \2/p' | bc)
		if printf '%s\n' "$log" | grep -q 'stopped at --time'; then done_=no; else done_=yes; fi
		printf '%-44s %-12s %12s %9.1f %9s %10s %s\n' "$f" $mode "${runs:-?}" "$(echo "$end - $start" | bc)" \
			"${cpu:-?}" $done_ "${bugs:-?}"
	done
}

printf '%-44s %-12s %12s %9s %9s %10s %s\n' scenario search schedules seconds cpu-s exhausted bugs
for f in "${scenarios[@]}"; do
	cell "$explore" $limit "$f"
done
if [ -n "$bundled_only" ]; then
	:
elif [ -x "$explore_racy" ]; then
	for f in "$here"/bench/racy/r*.nmr; do
		cell "$explore_racy" $racy_limit "bench/racy/$(basename "$f")"
	done
else
	echo "dpor_bench: no $explore_racy: racy cases skipped" >&2
fi
