#!/bin/bash -eu
# tools/oss-fuzz/build.sh - build the fuzz targets the OSS-Fuzz way.
#
# Inputs (the OSS-Fuzz / ClusterFuzzLite environment): CC, CFLAGS (with
# -fsanitize=...,fuzzer-no-link), LIB_FUZZING_ENGINE (-fsanitize=fuzzer, or
# an engine archive), SRC, WORK, OUT. Outputs, per target T:
#   $OUT/T                  the fuzzer
#   $OUT/T_seed_corpus.zip  seeds (corpus/*.nmr turned into T's input form)
#   $OUT/T.dict             the dictionary (fuzz/T.dict)
#   $OUT/T.options          libFuzzer options (dict, max_len)
#
# Locally, from the repository root:
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#     SRC=/tmp/oss/src WORK=/tmp/oss/work OUT=/tmp/oss/out tools/oss-fuzz/build.sh
# Needs meson (>= 0.63), ninja and python3 (for the zip files: no `zip` needed).
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${CC:=clang}" "${CFLAGS:=-fsanitize=address,fuzzer-no-link}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${WORK:=$root/build-oss-fuzz-work}" "${OUT:=$root/build-oss-fuzz-out}" "${SRC:=$(dirname "$root")}"
export CC CFLAGS
mkdir -p "$WORK" "$OUT"
build=$WORK/nmrsim-build

# CFLAGS go to every compile and link (build-time tools such as nmr-seed are
# instrumented too, so they must link the sanitizer runtime); the engine
# goes to the fuzz targets only (-Dfuzzer_ldflags).
opts=(-Dfuzzing_engine=oss-fuzz "-Dfuzzer_ldflags=$LIB_FUZZING_ENGINE" -Dc_link_args="$CFLAGS"
	-Db_lundef=false -Dbuildtype=plain -Db_ndebug=false -Ddefault_library=static)
if [ -f "$build/build.ninja" ]; then
	meson setup --wipe "$build" "$root" "${opts[@]}" >/dev/null
else
	meson setup "$build" "$root" "${opts[@]}" >/dev/null
fi
targets=(fuzz_scenario fuzz_text fuzz_trace)
[ -f "$root/fuzz/fuzz_drivers.c" ] && targets+=(fuzz_drivers)
# Only the targets and their seed directories (custom targets), not the
# whole tree.
seed_targets=()
for t in "${targets[@]}"; do
	ninja -C "$build" -t targets all | grep -q "^fuzz/seeds_$t:" && seed_targets+=("fuzz/seeds_$t")
done
ninja -C "$build" $(printf 'fuzz/%s ' "${targets[@]}") "${seed_targets[@]}" >/dev/null

for t in "${targets[@]}"; do
	cp "$build/fuzz/$t" "$OUT/$t"
	seeds=$build/fuzz/seeds_$t
	python3 - "$seeds" "$OUT/${t}_seed_corpus.zip" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    if os.path.isdir(src):
        for name in sorted(os.listdir(src)):
            z.write(os.path.join(src, name), name)
PY
	dict=$root/fuzz/$t.dict
	[ -f "$dict" ] || dict=$root/fuzz/fuzz_scenario.dict
	cp "$dict" "$OUT/$t.dict"
	max_len=4096
	case $t in fuzz_text | fuzz_trace) max_len=65536 ;; esac
	printf '[libfuzzer]\ndict = %s.dict\nmax_len = %s\n' "$t" "$max_len" >"$OUT/$t.options"
	echo "oss-fuzz: $OUT/$t (+ ${t}_seed_corpus.zip, $t.dict, $t.options)"
done
