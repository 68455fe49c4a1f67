#!/usr/bin/env bash
# test_freedoms.sh - advisory M23 (freedom dependence, sim/run/freedoms.h):
# - tests/drivers/f1_provider.c works only when NMR attaches its client
#   inside NmrRegisterProvider (F1): nmr-explore --freedoms reports M23
#   naming f1_provider and F1, with two reproducers that replay to the two
#   DriverEntry outcomes; exit 0 (an advisory, every run is clean);
# - without --freedoms the same exploration is silent (what the check adds);
# - its correct twin f1_provider_good and the bundled correct examples
#   (their scenarios and the starter scenario of all three) give no M23.
#
# - nmr-campaign --freedoms (explore engine) lists the advisory after the
#   bugs, exit 0.
#
# usage: test_freedoms.sh SOURCE_ROOT NMR_EXPLORE_KERNEL NMR_REPLAY_KERNEL NMR_EXPLORE NMR_TRIAGE_KERNEL NMR_RULECOV_KERNEL
set -u
root=${1:?usage: test_freedoms.sh SOURCE_ROOT NMR_EXPLORE_KERNEL NMR_REPLAY_KERNEL NMR_EXPLORE NMR_TRIAGE_KERNEL NMR_RULECOV_KERNEL}
explore_k=${2:?}
replay_k=${3:?}
explore=${4:?}
triage_k=${5:?}
rulecov_k=${6:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# The dependent provider: M23 named, two reproducers, exit 0.
"$explore_k" --quiet --runs 40 --freedoms 1 --out "$tmp/dep" "$root/corpus/kernel/F1-dependence.nmr" > "$tmp/dep.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "F1-dependence: exit $rc (an advisory alone must exit 0): $(tail -5 "$tmp/dep.txt")"
grep -q '^\[A1\] M23 f1_provider F1 ' "$tmp/dep.txt" || fail "F1-dependence: no M23 f1_provider F1: $(cat "$tmp/dep.txt")"
grep -q 'depends on F1 attach-during-register' "$tmp/dep.txt" || fail "F1-dependence: the freedom is not named"
grep -q 'attach later on an NMR worker -> DriverEntry returned STATUS_NOINTERFACE' "$tmp/dep.txt" ||
  fail "F1-dependence: the failing outcome is not given: $(cat "$tmp/dep.txt")"
grep -q 'inside NmrRegister.* -> DriverEntry returned STATUS_SUCCESS' "$tmp/dep.txt" ||
  fail "F1-dependence: the working outcome is not given"
grep -q '^0 distinct bug' "$tmp/dep.txt" || fail "F1-dependence: the advisory was counted as a bug"
a=$(ls "$tmp"/dep/*M23_f1_provider_F1-a.nmrt 2>/dev/null)
b=$(ls "$tmp"/dep/*M23_f1_provider_F1-b.nmrt 2>/dev/null)
if [ -z "$a" ] || [ -z "$b" ]; then
  fail "F1-dependence: reproducers missing: $(ls "$tmp/dep")"
else
  "$replay_k" "$a" > "$tmp/a.txt" 2>&1 || fail "reproducer a: not clean: $(tail -3 "$tmp/a.txt")"
  "$replay_k" "$b" > "$tmp/b.txt" 2>&1 || fail "reproducer b: not clean: $(tail -3 "$tmp/b.txt")"
  grep -Eq 'DriverEntry\(f1_provider\) returns (STATUS_SUCCESS|0x00000000)' "$tmp/a.txt" ||
    fail "reproducer a does not replay to a successful DriverEntry: $(grep DriverEntry "$tmp/a.txt")"
  grep -Eq 'DriverEntry\(f1_provider\) returns (STATUS_NOINTERFACE|0xc00002b9)' "$tmp/b.txt" ||
    fail "reproducer b does not replay to STATUS_NOINTERFACE: $(grep DriverEntry "$tmp/b.txt")"
fi

# The same provider with an advisory (M22) in every run: its runs are still
# clean as counted, so the freedom check runs and finds F1.
sed 's/f1_provider/f1_versioned_provider/g' "$root/corpus/kernel/F1-dependence.nmr" > "$tmp/F1-versioned.nmr"
"$explore_k" --quiet --runs 40 --freedoms 1 --out "$tmp/ver" "$tmp/F1-versioned.nmr" > "$tmp/ver.txt" 2>&1 ||
  fail "F1-versioned: exit $? (advisories alone must exit 0)"
grep -q 'M22 f1_versioned_provider' "$tmp/ver.txt" || fail "F1-versioned: no M22 advisory: $(cat "$tmp/ver.txt")"
grep -q '^\[A[0-9]\] M23 f1_versioned_provider F1 ' "$tmp/ver.txt" ||
  fail "F1-versioned: runs with an advisory were kept from the freedom check (no M23): $(cat "$tmp/ver.txt")"

# Without --freedoms: silent (every run is clean).
"$explore_k" --quiet --runs 40 --out "$tmp/plain" "$root/corpus/kernel/F1-dependence.nmr" > "$tmp/plain.txt" 2>&1 ||
  fail "F1-dependence without --freedoms: exit $?"
grep -q M23 "$tmp/plain.txt" && fail "F1-dependence without --freedoms reported M23"

# Correct drivers: no M23, exit 0.
check_clean() {
  local tool=$1 name=$2; shift 2
  "$tool" --quiet --freedoms 1 --out "$tmp/$name" "$@" > "$tmp/$name.txt" 2>&1 || fail "$name: exit $?: $(tail -5 "$tmp/$name.txt")"
  grep -q M23 "$tmp/$name.txt" && fail "$name: false M23: $(grep -A4 M23 "$tmp/$name.txt")"
  grep -q '^freedoms: [1-9]' "$tmp/$name.txt" || fail "$name: no decision point checked: $(tail -4 "$tmp/$name.txt")"
}
check_clean "$explore_k" f1-good --runs 200 "$root/corpus/kernel/F1-good.nmr"
for s in good_provider guide_client inflight_client; do
  check_clean "$explore" "$s" --runs 300 "$root/corpus/drivers/$s.nmr"
done
"$root/tools/starter-scenario.sh" "$tmp/examples.nmr" good_provider guide_client inflight_client > "$tmp/examples.nmr"
check_clean "$explore" starter-random --runs 300 "$tmp/examples.nmr"
check_clean "$explore" starter-pct --strategy pct --runs 300 "$tmp/examples.nmr"

# The campaign: a build folder whose tools link the test drivers.
fb=$tmp/build
mkdir -p "$fb/tools" "$fb/replay"
ln -s "$explore_k" "$fb/tools/nmr-explore"; ln -s "$triage_k" "$fb/tools/nmr-triage"
ln -s "$rulecov_k" "$fb/tools/nmr-rulecov"; ln -s "$replay_k" "$fb/replay/nmr-replay"
"$root/tools/nmr-campaign" --engine explore --build "$fb" --dir "$tmp/camp" --duration 3s --workers 1 --freedoms 1 \
  --chunk-runs 100 --quiet "$root/corpus/kernel/F1-dependence.nmr" > "$tmp/camp.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "campaign: exit $rc: $(tail -5 "$tmp/camp.txt")"
grep -q '^\[A1\] M23 f1_provider F1 ' "$tmp/camp.txt" || fail "campaign: no advisory: $(cat "$tmp/camp.txt")"
grep -q 'replay: .*advisories/chunk-.*-b.nmrt' "$tmp/camp.txt" || fail "campaign: no reproducer listed"
echo "test_freedoms: $fails failure(s)"
[ "$fails" -eq 0 ]
