#!/usr/bin/env bash
# smoke.sh TARGET SEEDS RUNS: run a libFuzzer target for RUNS executions with
# -seed=1 from its seed corpus (suite fuzz-smoke). New inputs go to a
# scratch dir that is removed; a crash is kept in smoke-artifacts/ next to
# the target and fails the test.
set -u
target=$1 seeds=$2 runs=${3:-20000}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
artifacts="$(dirname "$target")/smoke-artifacts"
mkdir -p "$artifacts"
"$target" -runs="$runs" -seed=1 -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
	-print_final_stats=1 -artifact_prefix="$artifacts/$(basename "$target")-" \
	"$scratch" "$seeds" 2>&1 | tail -n 25
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || { echo "smoke: $(basename "$target") exited $rc (artifacts in $artifacts)"; exit 1; }
