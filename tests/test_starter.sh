#!/usr/bin/env bash
# test_starter.sh - the starter scenario tools/nmrsim-build writes
# (tools/starter-scenario.sh) is one correct drivers pass under many
# schedules, and a broken driver is still caught in it with its exact rules:
# - the bundled correct examples, over nmr-explore's random and PCT runs;
# - the periodic-worker client (tests/drivers/periodic_client.c) with
#   good_provider, over seeds, and its twin whose Unload leaves the worker
#   running: K06 and M21 under every seed.
#
# usage: test_starter.sh SOURCE_ROOT NMR_EXPLORE NMR_REPLAY_KERNEL
# (STARTER_SEEDS: how many seeds, default 100 (150 before the starter had `atomics preempt`, whose runs take longer: CI time); the sanitizer build runs fewer)
set -u
root=${1:?usage: test_starter.sh SOURCE_ROOT NMR_EXPLORE NMR_REPLAY_KERNEL}
explore=${2:?}
replay=${3:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
starter() { local f=$1; shift; "$root/tools/starter-scenario.sh" "$f" "$@" > "$f"; }

starter "$tmp/examples.nmr" good_provider guide_client inflight_client
for s in random pct; do
  "$explore" --quiet --strategy $s --runs 1000 --out "$tmp/out" "$tmp/examples.nmr" > "$tmp/explore.txt" 2>&1 ||
    fail "examples starter ($s): $(tail -3 "$tmp/explore.txt")"
done

starter "$tmp/periodic.nmr" good_provider periodic_client
{ echo "expect K06 M21"; sed 's/periodic_client$/periodic_client_nostop/' "$tmp/periodic.nmr"; } > "$tmp/nostop.nmr"
grep -q "unload periodic_client_nostop" "$tmp/nostop.nmr" || fail "test setup: sed did not apply"
for seed in "" $(seq 1 "${STARTER_SEEDS:-100}"); do
  a=(); [ -n "$seed" ] && a=(--seed "$seed")
  "$replay" --quiet "${a[@]}" "$tmp/periodic.nmr" > "$tmp/r.txt" 2>&1 || fail "periodic starter ${seed:+seed $seed}: $(head -2 "$tmp/r.txt")"
  "$replay" --quiet --expect "${a[@]}" "$tmp/nostop.nmr" > "$tmp/r.txt" 2>&1 || fail "nostop starter ${seed:+seed $seed}: $(head -2 "$tmp/r.txt")"
done
echo "test_starter: $fails failure(s)"
[ "$fails" -eq 0 ]
