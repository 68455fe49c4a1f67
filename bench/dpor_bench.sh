#!/usr/bin/env bash
# dpor_bench.sh [--quick] [BUILD_DIR] - the bounded exhaustive search with and
# without partial-order reduction (nmr-explore --strategy dfs [--por]) at
# preemption bound 2 on the bundled scenarios with two scripted threads and
# an NMR worker: schedules explored, wall-clock time, whether every schedule
# within the bound was run, distinct bugs. Each search stops after LIMIT
# (default 60s, --quick 10s): a search not exhausted by then says so.
# Figures only; nothing here passes or fails on time.
set -u
limit=60s
if [ "${1:-}" = "--quick" ]; then
	limit=10s
	shift
fi
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
explore=$build/tools/nmr-explore
[ -x "$explore" ] || { echo "dpor_bench: no $explore (build first)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

scenarios=(
	corpus/examples/inflight-detach.nmr   # scripted: T0 provider, T1 client, 1 NMR worker
	corpus/examples/pending-forever.nmr   # scripted, M17 + L03
	corpus/examples/standard.nmr          # scripted: 5 modules, 2 threads
	corpus/drivers/guide_client.nmr       # hosted drivers (no memory instrumentation yet)
	corpus/drivers/inflight_client.nmr    # hosted drivers
)

printf '%-40s %-6s %12s %9s %10s %s\n' scenario search schedules seconds exhausted bugs
for f in "${scenarios[@]}"; do
	for mode in plain por; do
		flag=()
		[ $mode = por ] && flag=(--por)
		start=$(date +%s.%N)
		log=$("$explore" --strategy dfs "${flag[@]}" --bound 2 --runs 0 --time $limit --out "$out/$mode" \
			"$here/$f" 2>&1)
		end=$(date +%s.%N)
		runs=$(printf '%s\n' "$log" | sed -n 's/^nmr-explore: \([0-9]*\) runs over.*/\1/p')
		bugs=$(printf '%s\n' "$log" | sed -n 's/^\([0-9]*\) distinct bug.*/\1/p')
		if printf '%s\n' "$log" | grep -q 'every schedule within the bound'; then done_=yes; else done_=no; fi
		printf '%-40s %-6s %12s %9.1f %10s %s\n' "$f" $mode "${runs:-?}" "$(echo "$end - $start" | bc)" $done_ \
			"${bugs:-?}"
	done
done
