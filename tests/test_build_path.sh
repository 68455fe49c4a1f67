#!/usr/bin/env bash
# test_build_path.sh - the README's build path on a newcomer's own files:
# copies two example drivers under new names into a scratch folder (as a
# user's source tree), runs tools/nmrsim-build on them, and checks that the
# starter scenario loads, runs clean, and that a deliberately broken copy is
# caught (M20) by the same path.
#
# usage: test_build_path.sh SOURCE_ROOT
set -euo pipefail
root=${1:?usage: test_build_path.sh SOURCE_ROOT}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nmrsim-buildpath.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src"
cp "$root/examples/good_provider.c" "$tmp/src/acme_provider.c"
cp "$root/examples/guide_client.c" "$tmp/src/acme_client.c"
cp "$root/examples/example_npi.h" "$tmp/src/"
# A broken variant: Unload deregisters but never waits (M20).
sed 's/NmrWaitForClientDeregisterComplete(\([^)]*\))/STATUS_SUCCESS/' "$root/examples/guide_client.c" > "$tmp/src/acme_client_nowait.c"
grep -q "NmrWaitForClientDeregisterComplete" "$tmp/src/acme_client_nowait.c" && { echo "test setup: sed did not apply" >&2; exit 1; }

"$root/tools/nmrsim-build" --engine none --out "$tmp/out" \
  --dispatch '{5e4c1a60-8f2d-4b7e-9a31-0c6d2e7f4b15}:client=0+1:provider=0+2' \
  "$tmp/src/acme_provider.c" "$tmp/src/acme_client.c" "$tmp/src/acme_client_nowait.c" > "$tmp/build.log"
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
