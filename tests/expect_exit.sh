#!/bin/sh
# expect_exit.sh CODE CMD... - run CMD, pass iff it exits with CODE (e.g. 1:
# "violation found" of an nmrsim tool, which Meson would otherwise count as a
# failure, and should_fail would not tell from exit 2, bad input).
want=$1; shift
"$@"
rc=$?
[ "$rc" -eq "$want" ] && exit 0
echo "expect_exit.sh: '$*' exited $rc, expected $want" >&2
exit 1
