#!/usr/bin/env bash
# determinism_cross.sh A B CORPUS: two nmr-replay builds (e.g. gcc -O0 and
# clang -O2) must give the same trace hash for every corpus scenario under its
# own schedule and under seeds 1..5 (one process per file and build,
# tests/hash_seeds.sh). Scenarios of corpus/kernel/ run on the replay tool
# that links the kernel test drivers (corpus/kernel/nmr-replay-kernel of the
# same build dirs).
set -u
a=$1 b=$2 corpus=$3
ak="${a%/replay/nmr-replay}/corpus/kernel/nmr-replay-kernel"
bk="${b%/replay/nmr-replay}/corpus/kernel/nmr-replay-kernel"
. "$(dirname "$0")/hash_seeds.sh"
n=0 bad=0
while IFS= read -r f; do
	ra=$a rb=$b
	case $f in */kernel/*) ra=$ak rb=$bk ;; esac
	ok=1
	ha=$(hashes_of "$ra" "$f") || ok=0
	hb=$(hashes_of "$rb" "$f") || ok=0
	n=$((n + SEEDS + 1))
	if [ "$ok" -eq 0 ] || [ -z "$ha" ] || [ "$ha" != "$hb" ]; then
		echo "DIFFERENT: $f:"
		diff <(printf '%s\n' "$ha") <(printf '%s\n' "$hb")
		bad=$((bad + 1))
	fi
done < <(find "$corpus" -name '*.nmr' | sort)
echo "determinism across builds: $n runs compared, $bad file(s) different"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
