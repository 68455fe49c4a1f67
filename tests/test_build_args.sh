#!/usr/bin/env bash
# test_build_args.sh - tools/nmrsim-build refuses what it cannot build or
# run before it compiles anything: exit 2 and one line that says why.
# usage: test_build_args.sh SOURCE_ROOT
set -u
root=${1:?usage: test_build_args.sh SOURCE_ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
expect2() { # MESSAGE ARGS...: exit 2, the message on stderr, nothing built
  local msg=$1; shift
  local rc=0
  "$root/tools/nmrsim-build" --engine none --out "$tmp/out" "$@" > "$tmp/log" 2>&1 || rc=$?
  if [ $rc -ne 2 ] || ! grep -qF "$msg" "$tmp/log" || [ -e "$tmp/out/build" ]; then
    echo "FAIL: nmrsim-build $*: exit $rc, expected 2 and '$msg'" >&2; cat "$tmp/log" >&2; fails=$((fails + 1))
  fi
}
for i in 1 2 3 4 5 6 7 8 9; do cp "$root/examples/good_provider.c" "$tmp/drv$i.c"; done
expect2 "9 drivers given; a scenario loads at most 8" "$tmp"/drv?.c
expect2 "no such file: $tmp/none.c" "$tmp/none.c"
cp "$tmp/drv1.c" "$tmp/1bad.c"
expect2 "must be a C identifier" "$tmp/1bad.c"
expect2 "two drivers are named 'drv1'" "$tmp/drv1.c" "drv1=$tmp/drv2.c"
[ $fails -eq 0 ] && echo "nmrsim-build argument checks: ok"
exit $((fails > 0))
