#!/usr/bin/env bash
# test_crt_order.sh - WDK drivers include the C library's headers in any
# order around the kernel ones (<ntddk.h> then <string.h> is common; the
# WDK's km/crt headers and vcruntime.h agree on one 64-bit size_t). Every
# ordering below builds through tools/nmrsim-build with gcc and clang under
# -Wextra -Werror, links (the C library routines resolve) and loads, unloads
# clean.
#
# The orderings: each kernel group (ntddk.h; wdm.h; ntddk.h+netioddk.h;
# wdm.h+netioddk.h; ntifs.h+netioddk.h; netioddk.h first, then ntddk.h)
# before <string.h>, <stdlib.h>, <stdint.h> alone, and inserted at every
# position of the C library list (string.h stddef.h stdint.h stdlib.h
# stdbool.h: all after, all before, and between); <ntddk.h> <netioddk.h>
# inside the reversed list; <string.h> between <ntddk.h> and <netioddk.h>; a NO_CRT file that declares size_t and the fixed-width types
# itself, as ebpf-for-windows' headers do without a CRT; a project with its
# own kernel <stdint.h> on the WDK's names (intptr_t as __int64, as
# ntosebpfext's) that includes <netioapi.h>, <evntrace.h> and <winmeta.h>
# (no macro redefined). Each file uses what
# it included the way a driver does (strlen, memcpy, strncmp, RtlCopyMemory
# with a SIZE_T, size_t variables passed to the string routines).
#
# usage: test_crt_order.sh SOURCE_ROOT
set -euo pipefail
root=${1:?usage: test_crt_order.sh SOURCE_ROOT}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nmrsim-crt.XXXXXX")
[ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT
src=$tmp/src
mkdir -p "$src"

crt=(string.h stddef.h stdint.h stdlib.h stdbool.h)
groups=("ntddk.h" "wdm.h" "ntddk.h netioddk.h" "wdm.h netioddk.h" "ntifs.h netioddk.h" "netioddk.h ntddk.h")
n=0
emit() { # header... -> one translation unit of the driver
  n=$((n + 1))
  local f="$src/order$n.c"
  {
    echo "/* order $n: $* */"
    for h in "$@"; do echo "#include <$h>"; done
    cat <<EOF
/* A name table lookup as drivers write them: CRT routines on size_t, the
 * kernel's copy on SIZE_T. */
static const char *const OrderNames$n[] = { "alpha", "beta", "gamma" };

ULONG
OrderLookup$n(_In_z_ const char *Name, _Out_writes_(Size) char *Copy, SIZE_T Size)
{
    size_t Length = strlen(Name);
    ULONG Index;

    for (Index = 0; Index < RTL_NUMBER_OF(OrderNames$n); Index++) {
        if (strncmp(OrderNames$n[Index], Name, Length + 1) == 0) {
            break;
        }
    }
    if (Length < Size) {
        memcpy(Copy, Name, Length);
        RtlCopyMemory(Copy + Length, "", 1);
    }
    return Index;
}
EOF
  } > "$f"
  files="${files:+$files+}$f"
}

files=""
for g in "${groups[@]}"; do
  # shellcheck disable=SC2086
  for c in string.h stdlib.h stdint.h; do emit $g "$c"; done
  for pos in 0 1 2 3 4 5; do
    fwd=("${crt[@]:0:pos}" $g "${crt[@]:pos}")
    emit "${fwd[@]}"
  done
done
rev=(stdbool.h stdlib.h stdint.h stddef.h string.h)
for pos in 1 2 3 4; do emit "${rev[@]:0:pos}" ntddk.h netioddk.h "${rev[@]:pos}"; done
emit ntddk.h string.h netioddk.h stdlib.h
emit wdm.h stdint.h ntddk.h string.h netioddk.h
orders=$n

# NO_CRT: the project declares the C library's types itself (after the
# kernel headers) and never includes a C library header.
cat > "$src/nocrt.c" <<'EOF'
#include <ntddk.h>
#include <netioddk.h>
typedef unsigned char uint8_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef unsigned long long size_t;
#define bool _Bool

bool
NoCrtSum(_In_reads_(Count) const uint8_t *Bytes, size_t Count, _Out_ uint64_t *Sum)
{
    size_t Index;

    *Sum = 0;
    for (Index = 0; Index < Count; Index++) {
        *Sum += Bytes[Index];
    }
    return Count != 0 && strlen((const char *)Bytes) <= Count;
}
EOF

# A project that ships its own kernel <stdint.h> (in an -I folder, before
# the WDK's) on the WDK's names, with intptr_t as __int64, and includes the
# IP helper and ETW metadata headers beside evntrace.h.
mkdir -p "$src/inc"
cat > "$src/inc/stdint.h" <<'EOF2'
#pragma once
#include <basetsd.h>
typedef INT8 int8_t;
typedef INT16 int16_t;
typedef INT32 int32_t;
typedef INT64 int64_t;
typedef UINT8 uint8_t;
typedef UINT16 uint16_t;
typedef UINT32 uint32_t;
typedef UINT64 uint64_t;
typedef __int64 intptr_t;
typedef unsigned __int64 uintptr_t;
EOF2
cat > "$src/project.c" <<'EOF2'
#include <ntdef.h>
#include <ntifs.h>
#include <netioddk.h>
#include <ntddk.h>
#include <stdbool.h>
#include <stdint.h>
#include <netioapi.h>
#include <ndis/types.h>
#include <evntrace.h>
#include <winmeta.h>

bool
ProjectIfIndex(_In_ const NET_LUID *Luid, _Out_ NET_IFINDEX *Index, _Out_ uint8_t *Level)
{
    intptr_t Offset = (intptr_t)Luid->Info.NetLuidIndex;
    __int64 Wide = Offset;
    LONGLONG Same = Wide;

    *Index = (NET_IFINDEX)Same;
    *Level = WINEVENT_LEVEL_VERBOSE;
    return Luid->Info.IfType != 0 && TRACE_LEVEL_VERBOSE == WINEVENT_LEVEL_VERBOSE;
}

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD ProjectUnload;

static VOID
ProjectUnload(_In_ PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}

NTSTATUS
DriverEntry(_In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPath)
{
    NET_LUID Luid;
    NET_IFINDEX Index;
    uint8_t Level;

    UNREFERENCED_PARAMETER(RegistryPath);
    Luid.Value = 0;
    Luid.Info.NetLuidIndex = 7;
    Luid.Info.IfType = 6;
    if (!ProjectIfIndex(&Luid, &Index, &Level) || Index != 7 || Level != 5) {
        DbgPrint("project: interface index wrong\n");
        return STATUS_UNSUCCESSFUL;
    }
    DriverObject->DriverUnload = ProjectUnload;
    return STATUS_SUCCESS;
}
EOF2

# The driver: DriverEntry calls every ordering's routine once.
{
  echo '#include <ntddk.h>'
  echo 'DRIVER_INITIALIZE DriverEntry;'
  echo 'static DRIVER_UNLOAD OrderUnload;'
  echo 'typedef unsigned char uint8_t;'
  echo 'typedef unsigned long long uint64_t;'
  echo 'BOOLEAN NoCrtSum(const uint8_t *Bytes, size_t Count, uint64_t *Sum);'
  for i in $(seq 1 "$orders"); do echo "ULONG OrderLookup$i(const char *Name, char *Copy, SIZE_T Size);"; done
  cat <<'EOF'
static VOID
OrderUnload(_In_ PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}

NTSTATUS
DriverEntry(_In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPath)
{
    char Copy[16];
    uint64_t Sum;
    ULONG Found = 0;

    UNREFERENCED_PARAMETER(RegistryPath);
EOF
  for i in $(seq 1 "$orders"); do echo "    Found += OrderLookup$i(\"beta\", Copy, sizeof(Copy)) == 1;"; done
  cat <<EOF
    if (Found != $orders || !NoCrtSum((const uint8_t *)"abc", 4, &Sum) || Sum != 0x126) {
        DbgPrint("crt order: lookups wrong (%lu of $orders)\n", Found);
        return STATUS_UNSUCCESSFUL;
    }
    DriverObject->DriverUnload = OrderUnload;
    return STATUS_SUCCESS;
}
EOF
} > "$src/entry.c"

compilers=(gcc)
command -v clang >/dev/null 2>&1 && compilers+=(clang)
for c in "${compilers[@]}"; do
  case $c in
    gcc) cc=cc ;;
    clang) cc=clang ;;
  esac
  o="$tmp/$c"
  CC=$cc "$root/tools/nmrsim-build" --engine none --out "$o" --cflags "-O0 -Wextra -Werror" \
    crt_order="$src/entry.c+$src/nocrt.c+$files" > "$o.log" 2>&1 ||
    { cat "$o.log" >&2; echo "FAIL: $c: an ordering of kernel and C library headers does not build" >&2; exit 1; }
  # The project with its own <stdint.h>: its own folder first, as on Windows.
  CC=$cc "$root/tools/nmrsim-build" --engine none --out "$o-project" --cflags "-O0 -Wextra -Werror" \
    -I "$src/inc" "$src/project.c" > "$o-project.log" 2>&1 ||
    { cat "$o-project.log" >&2; echo "FAIL: $c: a project with its own kernel stdint.h, netioapi.h, winmeta.h does not build" >&2; exit 1; }
  cat > "$o-project/load.nmr" <<'SCN'
expect clean
driver project
thread T0
  load project
  unload project
SCN
  "$o-project/build/replay/nmr-replay" --expect "$o-project/load.nmr" > "$o-project/run.txt" &&
    grep -q "DriverEntry(project) returns STATUS_SUCCESS" "$o-project/run.txt" ||
    { cat "$o-project/run.txt" >&2; echo "FAIL: $c: the project driver did not load clean" >&2; exit 1; }
  cat > "$o/load.nmr" <<'SCN'
expect clean
driver crt_order
thread T0
  load crt_order
  unload crt_order
SCN
  "$o/build/replay/nmr-replay" --expect "$o/load.nmr" > "$o/run.txt" ||
    { cat "$o/run.txt" >&2; echo "FAIL: $c: the driver did not load and unload clean" >&2; exit 1; }
  grep -q "DriverEntry.*STATUS_SUCCESS\|DriverEntry.*returns 0" "$o/run.txt" ||
    { cat "$o/run.txt" >&2; echo "FAIL: $c: DriverEntry did not succeed" >&2; exit 1; }
  echo "$c: $orders orderings and a NO_CRT file build with -Wextra -Werror, link, load and unload clean"
done
echo "crt-order: ok"
