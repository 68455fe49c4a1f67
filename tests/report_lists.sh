#!/bin/sh
# report_lists.sh REPLAY FILE RULE... - run `REPLAY --quiet FILE` and pass iff
# its report (standard output and error: a crash report goes to stderr) has a
# `violation RULE` line for each RULE, in that order. A crash must not hide
# the findings the run raised before it.
replay=$1; file=$2; shift 2
out=$("$replay" --quiet "$file" 2>&1)
got=$(printf '%s\n' "$out" | sed -n 's/^violation \([A-Z][0-9][0-9]\) .*/\1/p' | tr '\n' ' ')
want="$* "
[ "$got" = "$want" ] && exit 0
printf '%s\n' "$out" >&2
echo "report_lists.sh: violations reported: '$got', expected '$want'" >&2
exit 1
