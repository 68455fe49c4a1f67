#!/bin/sh
# watchdog.sh REPLAY FILE - the last resort: a run stuck in driver code that
# the spin instrumentation does not reach ends after NMRSIM_WATCHDOG seconds
# with "verdict: watchdog" and exit 1 (never a hang, never a rule finding).
replay=$1; file=$2
out=$(NMRSIM_WATCHDOG=2 timeout 60 "$replay" --quiet "$file" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q '^verdict: watchdog' &&
   ! printf '%s\n' "$out" | grep -q '^violation'; then
  exit 0
fi
printf '%s\n' "$out" >&2
echo "watchdog.sh: exit $rc, expected 1 with 'verdict: watchdog' and no violation" >&2
exit 1
