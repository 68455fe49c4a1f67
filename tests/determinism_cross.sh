#!/usr/bin/env bash
# determinism_cross.sh A B CORPUS: two nmr-replay builds (e.g. gcc -O0 and
# clang -O2) must give the same trace hash for every corpus scenario under its
# own schedule and under seeds 1..5. Scenarios of corpus/kernel/ run on the
# replay tool that links the kernel test drivers (corpus/kernel/nmr-replay-kernel
# of the same build dirs).
set -u
a=$1 b=$2 corpus=$3
ak="${a%/replay/nmr-replay}/corpus/kernel/nmr-replay-kernel"
bk="${b%/replay/nmr-replay}/corpus/kernel/nmr-replay-kernel"
n=0 bad=0
while IFS= read -r f; do
	ra=$a rb=$b
	case $f in */kernel/*) ra=$ak rb=$bk ;; esac
	for s in "" 1 2 3 4 5; do
		args=(--hash)
		[ -n "$s" ] && args+=(--seed "$s")
		ha=$("$ra" "${args[@]}" "$f" 2>/dev/null)
		hb=$("$rb" "${args[@]}" "$f" 2>/dev/null)
		n=$((n + 1))
		if [ -z "$ha" ] || [ "$ha" != "$hb" ]; then
			echo "DIFFERENT: $f ${s:+--seed $s}: '$ha' vs '$hb'"
			bad=$((bad + 1))
		fi
	done
done < <(find "$corpus" -name '*.nmr' | sort)
echo "determinism across builds: $n runs compared, $bad different"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
