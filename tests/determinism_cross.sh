#!/usr/bin/env bash
# determinism_cross.sh CORPUS A B [C ...]: nmr-replay builds (e.g. gcc -O0,
# gcc -O2 and clang -O2) must give the same trace hash for every corpus
# scenario under its own schedule and under seeds 1..5 (one process per file
# and build, tests/hash_seeds.sh). Scenarios of corpus/kernel/ run on the
# replay tool that links the kernel test drivers
# (corpus/kernel/nmr-replay-kernel of the same build dirs). Every build is
# compared with the first.
set -u
[ $# -ge 3 ] || { echo "usage: determinism_cross.sh CORPUS REPLAY REPLAY [REPLAY ...]" >&2; exit 2; }
corpus=$1
shift
builds=("$@")
. "$(dirname "$0")/hash_seeds.sh"
n=0 bad=0
while IFS= read -r f; do
	ok=1 first=
	for r in "${builds[@]}"; do
		case $f in */kernel/*) r="${r%/replay/nmr-replay}/corpus/kernel/nmr-replay-kernel" ;; esac
		h=$(hashes_of "$r" "$f") || ok=0
		n=$((n + SEEDS + 1))
		if [ -z "$first" ]; then
			first=$h
			[ -n "$h" ] || ok=0
		elif [ "$ok" -eq 0 ] || [ "$h" != "$first" ]; then
			echo "DIFFERENT: $f ($r against ${builds[0]}):"
			diff <(printf '%s\n' "$first") <(printf '%s\n' "$h")
			ok=0
		fi
	done
	[ "$ok" -eq 1 ] || bad=$((bad + 1))
done < <(find "$corpus" -name '*.nmr' | sort)
echo "determinism across ${#builds[@]} builds: $n runs compared, $bad file(s) different"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
