#!/usr/bin/env bash
# determinism_cross.sh A B CORPUS: two nmr-replay builds (e.g. gcc -O0 and
# clang -O2) must give the same trace hash for every corpus scenario under its
# own schedule and under seeds 1..5.
set -u
a=$1 b=$2 corpus=$3
n=0 bad=0
while IFS= read -r f; do
	for s in "" 1 2 3 4 5; do
		args=(--hash)
		[ -n "$s" ] && args+=(--seed "$s")
		ha=$("$a" "${args[@]}" "$f" 2>/dev/null)
		hb=$("$b" "${args[@]}" "$f" 2>/dev/null)
		n=$((n + 1))
		if [ -z "$ha" ] || [ "$ha" != "$hb" ]; then
			echo "DIFFERENT: $f ${s:+--seed $s}: '$ha' vs '$hb'"
			bad=$((bad + 1))
		fi
	done
done < <(find "$corpus" -name '*.nmr' | sort)
echo "determinism across builds: $n runs compared, $bad different"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
