#!/bin/sh
# k11_sites.sh - a K11 report names both accesses' routines: the earlier
# access is named from its recorded site (kernel_site_routine), so a write
# made in a provider's dispatch routine called from a client's system
# thread says "in a dispatch routine", as the later access does (it said
# "in DriverEntry" before). corpus/kernel/rwlock-shared.nmr, own schedule:
# car_client's and dual_client's senders both in rwlock_provider_shared's
# Send under the table lock held shared.
#
# usage: k11_sites.sh SOURCE_ROOT NMR_REPLAY_KERNEL
set -u
root=${1:?usage: k11_sites.sh SOURCE_ROOT NMR_REPLAY_KERNEL}
replay=${2:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

"$replay" "$root/corpus/kernel/rwlock-shared.nmr" > "$tmp/out.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "rwlock-shared: exit $rc (expected 1)"
what=$(grep '  what: driver global RwStats' "$tmp/out.txt")
[ -n "$what" ] || fail "no K11 on RwStats: $(grep -E '^violation|what:' "$tmp/out.txt")"
case $what in
*"read by system-2 in a dispatch routine"*"write by system-1 in a dispatch routine"*) ;;
*) fail "the routines of the two accesses: $what" ;;
esac
grep -q 'signature: K11 rwlock_provider_shared dispatch' "$tmp/out.txt" || fail "no K11 dispatch signature"

[ $fails -eq 0 ] && echo "K11 sites: both accesses named as dispatch routines"
exit $fails
