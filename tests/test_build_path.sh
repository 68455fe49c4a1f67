#!/usr/bin/env bash
# test_build_path.sh - the README's build path on a newcomer's own files:
# copies two example drivers under new names into a scratch folder (as a
# user's source tree, its NPI header in an include folder), runs
# tools/nmrsim-build on them with -I/-D, and checks that the starter
# scenario loads, runs clean, that a deliberately broken copy is caught (M20)
# by the same path, that bad usage exits 2 before building, that a compile
# error is shown with file:line, and that seeds are written.
#
# usage: test_build_path.sh SOURCE_ROOT
set -euo pipefail
root=${1:?usage: test_build_path.sh SOURCE_ROOT}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nmrsim-buildpath.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src" "$tmp/inc"
# The provider needs the build's flags: its NPI header lives in an include
# folder (-I) and it refuses to build without the project's define (-D) or
# without the WDK/MSVC predefines nmrsim-build adds.
{
  echo '#ifndef ACME_BUILD'
  echo '#error ACME_BUILD is not defined'
  echo '#endif'
  echo '#if !defined(_WIN64) || !defined(_AMD64_) || !defined(_KERNEL_MODE) || !defined(_MSC_VER) || NTDDI_VERSION < 0x0A000000 || !DBG'
  echo '#error the WDK build environment predefines are missing'
  echo '#endif'
  cat "$root/examples/good_provider.c"
} > "$tmp/src/acme_provider.c"
cp "$root/examples/guide_client.c" "$tmp/src/acme_client.c"
cp "$root/examples/example_npi.h" "$tmp/inc/"
# A broken variant: Unload deregisters but never waits (M20).
sed 's/NmrWaitForClientDeregisterComplete(\([^)]*\))/STATUS_SUCCESS/' "$root/examples/guide_client.c" > "$tmp/src/acme_client_nowait.c"
grep -q "NmrWaitForClientDeregisterComplete" "$tmp/src/acme_client_nowait.c" && { echo "test setup: sed did not apply" >&2; exit 1; }

shape='{5e4c1a60-8f2d-4b7e-9a31-0c6d2e7f4b15}:client=0+1:provider=0+2'
build() { "$root/tools/nmrsim-build" --engine none --out "$tmp/out" --dispatch "$shape" -I "$tmp/inc" -D ACME_BUILD=1 "$@"; }
# Bad usage is rejected before anything is built: exit 2, never 1.
expect2() { local rc=0; "$@" > "$tmp/usage.log" 2>&1 || rc=$?; [ $rc -eq 2 ] || { cat "$tmp/usage.log" >&2; echo "expected exit 2 from: $*" >&2; exit 1; }; }
expect2 "$root/tools/nmrsim-build" --engine none --out "$tmp/u" --dispatch '{5e4c1a60}:client=0+1' "$tmp/src/acme_client.c"
expect2 "$root/tools/nmrsim-build" --engine none --out "$tmp/u" --dispatch "$shape:client=4+1" "$tmp/src/acme_client.c"
expect2 "$root/tools/nmrsim-build" --engine none --out "$tmp/u" "$tmp/src/acme_client.c" acme_client="$tmp/src/acme_provider.c"
expect2 "$root/tools/nmrsim-build" --engine none --out /proc/nmrsim-cannot-be-made "$tmp/src/acme_client.c"
expect2 "$root/tools/nmrsim-build" --engine none --out "$tmp/u" -I "$tmp/no-such-folder" "$tmp/src/acme_client.c"
expect2 "$root/tools/nmrsim-build" --engine bogus --out "$tmp/u" "$tmp/src/acme_client.c"
[ ! -e "$tmp/u/build" ]
# Without -D the provider does not compile: exit 1 and the first error with its file and line.
rc=0; "$root/tools/nmrsim-build" --engine none --out "$tmp/nodef" --dispatch "$shape" -I "$tmp/inc" \
  "$tmp/src/acme_provider.c" > "$tmp/nodef.log" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q 'acme_provider.c:2:.*ACME_BUILD is not defined' "$tmp/nodef.log" ||
  { cat "$tmp/nodef.log" >&2; echo "a failed compile must show its first error with file:line" >&2; exit 1; }

build "$tmp/src/acme_provider.c" "$tmp/src/acme_client.c" "$tmp/src/acme_client_nowait.c" > "$tmp/build.log"
grep "compiled and linked in" "$tmp/build.log"
# Seeds for fuzz_drivers from the starter scenario and its variants.
[ "$(ls "$tmp/out/seeds" | wc -l)" -ge 2 ]
# They decode against the linked set (the broken copy is in it, so a finding, exit 1, is fine).
rc=0; "$tmp/out/build/fuzz/fuzz_drivers" "$tmp/out/seeds" > "$tmp/seeds.log" 2>&1 || rc=$?
[ $rc -le 1 ] || { cat "$tmp/seeds.log" >&2; exit 1; }
# A rebuild after an edit recompiles that driver and relinks (time printed).
touch "$tmp/src/acme_client.c"
build "$tmp/src/acme_provider.c" "$tmp/src/acme_client.c" "$tmp/src/acme_client_nowait.c" > "$tmp/rebuild.log"
grep "compiled and linked in" "$tmp/rebuild.log" | sed 's/^/rebuild after an edit: /'
replay="$tmp/out/build/replay/nmr-replay"
"$replay" --list-drivers | tee "$tmp/drivers.txt"
[ "$(cat "$tmp/drivers.txt")" = "$(printf 'acme_client\nacme_client_nowait\nacme_provider')" ]

cat > "$tmp/good.nmr" <<'SCN'
expect clean
driver acme_provider
driver acme_client
thread T0
  load acme_provider
  yield
  unload acme_provider
thread T1
  load acme_client
  unload acme_client
SCN
sed 's/acme_client$/acme_client_nowait/; s/^expect clean/expect M20/' "$tmp/good.nmr" > "$tmp/bad.nmr"
for seed in 1 2 3 4 5 6 7 8; do
  "$replay" --quiet --expect --seed "$seed" "$tmp/good.nmr" > /dev/null
done
"$replay" --quiet --expect "$tmp/bad.nmr" > /dev/null
# The starter scenario written by nmrsim-build loads.
"$replay" --quiet "$tmp/out/scenario.nmr" > /dev/null || [ $? -eq 1 ]
echo "build path: ok"
