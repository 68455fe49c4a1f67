#!/usr/bin/env bash
# test_wdk.sh - the WDK-surface test drivers (tests/wdk/) build unmodified
# through tools/nmrsim-build with gcc and clang, at -O0 and -O2, with
# -Wextra -Werror and the pointer-type errors a const-incorrect netioddk.h
# would trip, and run clean under many schedules with the bindings made.
#
#   counter_provider  three files; its header defines non-static inline
#                     functions (MSVC merges them: at -O0 neither C99 nor
#                     GNU inline semantics alone would link), ntifs.h,
#                     ntstrsafe.h, ntintsafe.h, TraceLogging, ERESOURCE,
#                     EX_SPIN_LOCK, a lookaside list, ExInterlocked lists,
#                     callbacks declared with const registration instances,
#                     ASSERT redefined through NT_ASSERT_ASSUME
#   counter_client    wsk.h (netioddk.h through it), intrin.h, SEH,
#                     __declspec, __pragma, #pragma warning, DECLARE_HANDLE,
#                     MAXUINT32, UInt32x32To64, FAST_FAIL_*, KD_DEBUGGER_ENABLED
#
# usage: test_wdk.sh SOURCE_ROOT
set -euo pipefail
root=${1:?usage: test_wdk.sh SOURCE_ROOT}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nmrsim-wdk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
w=$root/tests/wdk
drivers=(counter_provider="$w/counter_provider/driver.c+$w/counter_provider/binding.c" "$w/counter_client.c")

compilers=(gcc)
command -v clang >/dev/null 2>&1 && compilers+=(clang)
for c in "${compilers[@]}"; do
  case $c in
    gcc) cc=cc; werr="-Werror=incompatible-pointer-types -Werror=discarded-qualifiers" ;;
    clang) cc=clang; werr="-Werror=incompatible-pointer-types -Werror=incompatible-function-pointer-types -Werror=incompatible-pointer-types-discards-qualifiers" ;;
  esac
  for opt in -O0 -O2; do
    o="$tmp/$c$opt"
    CC=$cc "$root/tools/nmrsim-build" --engine none --out "$o" --cflags "$opt -Wextra -Werror $werr" \
      "${drivers[@]}" > "$o.log" 2>&1 || { cat "$o.log" >&2; echo "FAIL: $c $opt does not build" >&2; exit 1; }
    grep "compiled and linked in" "$o.log"
    replay="$o/build/replay/nmr-replay"
    [ "$("$replay" --list-drivers | tr '\n' ' ')" = "counter_client counter_provider " ]
    bound=0
    for seed in $(seq 1 80); do
      "$replay" --expect --seed "$seed" "$w/counter.nmr" > "$o/run.txt" ||
        { cat "$o/run.txt" >&2; echo "FAIL: $c $opt seed $seed" >&2; exit 1; }
      # A bound run reaches the provider's NPI functions (RtlStringCchPrintfW's text).
      grep -q "DbgPrint: counter client: counter=" "$o/run.txt" && bound=$((bound + 1))
    done
    [ "$bound" -gt 0 ] || { echo "FAIL: $c $opt: no schedule of 80 bound the client" >&2; exit 1; }
    "$o/build/tools/nmr-explore" --runs 2000 "$w/counter.nmr" > "$o/explore.txt" 2>&1 ||
      { cat "$o/explore.txt" >&2; echo "FAIL: $c $opt: nmr-explore found something" >&2; exit 1; }
    echo "$c $opt: builds with $werr -Werror, clean, $bound/80 seeds bound"
  done
done
echo "wdk: ok"
