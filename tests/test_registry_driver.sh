#!/usr/bin/env bash
# test_registry_driver.sh - nmrsim-build --registry on a driver of ours that
# reads its service key in DriverEntry (tests/registry/acme_config.c):
# with the registry file it loads, registers and runs clean under several
# schedules; built without it, its REQUIRED value is missing and DriverEntry
# fails; a malformed file makes nmrsim-build exit 2 with file:line: reason.
#
# usage: test_registry_driver.sh SOURCE_ROOT
set -euo pipefail
root=${1:?usage: test_registry_driver.sh SOURCE_ROOT}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nmrsim-registry.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
drv="$root/tests/registry/acme_config.c"
build() { "$root/tools/nmrsim-build" --engine none --out "$tmp/$1" "${@:2}" "$drv" > "$tmp/$1.log" 2>&1; }

build with --registry "$root/tests/registry/acme_config.reg"
replay="$tmp/with/build/replay/nmr-replay"
"$replay" --list-registry | tee "$tmp/values.txt"
[ "$(wc -l < "$tmp/values.txt")" -eq 4 ]
for seed in 1 2 3 4 5; do
  "$replay" --seed "$seed" "$tmp/with/scenario.nmr" > "$tmp/run.txt"
  grep -q "DriverEntry(acme_config) returns STATUS_SUCCESS" "$tmp/run.txt" ||
    { cat "$tmp/run.txt" >&2; echo "DriverEntry must succeed with the registry file" >&2; exit 1; }
  grep -q "Level=3 Name=acme Peers=2 Retries=5" "$tmp/run.txt"
  grep -q "NmrRegisterClient" "$tmp/run.txt"
  grep -q "^verdict: clean" "$tmp/run.txt"
done

# The same values through ZwOpenKey / ZwQueryValueKey / ZwClose (acme_zwconfig.c,
# built under the name acme_config so its service key is the file's).
zw="acme_config=$root/tests/registry/acme_zwconfig.c"
"$root/tools/nmrsim-build" --engine none --out "$tmp/zw" --registry "$root/tests/registry/acme_config.reg" "$zw" > "$tmp/zw.log" 2>&1 ||
  { cat "$tmp/zw.log" >&2; exit 1; }
for seed in 1 2 3; do
  "$tmp/zw/build/replay/nmr-replay" --seed "$seed" "$tmp/zw/scenario.nmr" > "$tmp/run.txt"
  grep -q "DriverEntry(acme_config) returns STATUS_SUCCESS" "$tmp/run.txt" ||
    { cat "$tmp/run.txt" >&2; echo "ZwQueryValueKey must answer as documented" >&2; exit 1; }
  grep -q "Name=acme (full information, 38 bytes)" "$tmp/run.txt"
  grep -q "Level=3 through ZwQueryValueKey" "$tmp/run.txt"
  grep -q "ZwQueryValueKey = STATUS_BUFFER_TOO_SMALL" "$tmp/run.txt"
  grep -q "ZwQueryValueKey = STATUS_BUFFER_OVERFLOW" "$tmp/run.txt"
  grep -q "ZwQueryValueKey = STATUS_OBJECT_NAME_NOT_FOUND" "$tmp/run.txt"
  [ "$(grep -c "ZwClose" "$tmp/run.txt")" -eq 2 ]
  grep -q "^verdict: clean" "$tmp/run.txt"
done
"$tmp/zw/build/tools/nmr-explore" --quiet --runs 500 --out "$tmp/zw-explore" "$tmp/zw/scenario.nmr" > "$tmp/explore.txt" ||
  { cat "$tmp/explore.txt" >&2; exit 1; }
# Without the file the service key is there (a driver's own) but Parameters is not.
"$root/tools/nmrsim-build" --engine none --out "$tmp/zw-none" "$zw" > "$tmp/zw-none.log" 2>&1
"$tmp/zw-none/build/replay/nmr-replay" "$tmp/zw-none/scenario.nmr" > "$tmp/run.txt" || true
grep -q "DriverEntry(acme_config) returns STATUS_OBJECT_NAME_NOT_FOUND" "$tmp/run.txt" ||
  { cat "$tmp/run.txt" >&2; echo "without the file Parameters must be missing" >&2; exit 1; }
[ "$(grep -c "ZwOpenKey" "$tmp/run.txt")" -eq 2 ] && [ "$(grep -c "ZwClose" "$tmp/run.txt")" -eq 1 ]

build without
"$tmp/without/build/replay/nmr-replay" "$tmp/without/scenario.nmr" > "$tmp/run.txt"
grep -Eq "DriverEntry\(acme_config\) returns (STATUS_OBJECT_NAME_NOT_FOUND|0xC0000034)" "$tmp/run.txt" ||
  { cat "$tmp/run.txt" >&2; echo "without the file the REQUIRED value must be missing" >&2; exit 1; }
[ -z "$("$tmp/without/build/replay/nmr-replay" --list-registry)" ]

# A vendor key nothing created: RtlQueryRegistryValues fails as on Windows
# (the driver falls back to its own default 7), unless RTL_REGISTRY_OPTIONAL
# (the table's default 3); with the key in the file, its value.
vk="$root/tests/registry/acme_vendorkey.c"
"$root/tools/nmrsim-build" --engine none --out "$tmp/vk" "$vk" > "$tmp/vk.log" 2>&1 || { cat "$tmp/vk.log" >&2; exit 1; }
"$tmp/vk/build/replay/nmr-replay" "$tmp/vk/scenario.nmr" > "$tmp/run.txt"
grep -q "Interval=7 (0xc0000034) Optional=3 (0x00000000)" "$tmp/run.txt" ||
  { grep acme_vendorkey: "$tmp/run.txt" >&2; echo "a missing vendor key must fail the query unless OPTIONAL" >&2; exit 1; }
printf '\\Registry\\Machine\\Software\\Acme\\Parameters\\Interval dword 9\n' > "$tmp/vk.reg"
"$root/tools/nmrsim-build" --engine none --out "$tmp/vk2" --registry "$tmp/vk.reg" "$vk" > "$tmp/vk2.log" 2>&1
"$tmp/vk2/build/replay/nmr-replay" "$tmp/vk2/scenario.nmr" > "$tmp/run.txt"
grep -q "Interval=9 (0x00000000) Optional=9 (0x00000000)" "$tmp/run.txt" ||
  { grep acme_vendorkey: "$tmp/run.txt" >&2; echo "the vendor key's value must be read" >&2; exit 1; }

printf 'acme_config\\Parameters\\Level dword 3\nacme_config\\Parameters\\Name sz "open\n' > "$tmp/bad.reg"
rc=0; build bad --registry "$tmp/bad.reg" || rc=$?
[ $rc -eq 2 ] && grep -q "^nmrsim-build: --registry: $tmp/bad.reg:2: a string without its closing quote" "$tmp/bad.log" ||
  { cat "$tmp/bad.log" >&2; echo "a malformed registry file must exit 2 with file:line: reason (rc $rc)" >&2; exit 1; }
rc=0; "$root/tools/nmrsim-build" --engine none --out "$tmp/u" --registry "$tmp/none.reg" "$drv" > "$tmp/u.log" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q "no such file" "$tmp/u.log"
echo "registry: ok"
