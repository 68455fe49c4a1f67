#!/usr/bin/env bash
# determinism.sh - the same input gives the same trace, run after run.
# Runs `nmr-replay --hash` twice on every scenario and trace of the corpus,
# with the file's own schedule and with --seed 1..5, and fails if a pair of
# hashes differs or a file does not load (exit 2).
#
# usage: determinism.sh NMR_REPLAY CORPUS_DIR [SKIP_SUBDIR...]
# (SKIP_SUBDIR: folders under CORPUS_DIR whose drivers another binary links)
set -u
replay=${1:?usage: determinism.sh NMR_REPLAY CORPUS_DIR}
corpus=${2:?usage: determinism.sh NMR_REPLAY CORPUS_DIR}
shift 2
prune=()
for d in "$@"; do prune+=(-path "$corpus/$d" -prune -o); done

# One hash; exit status 0 (clean) and 1 (violation) are both fine here.
hash_of() {
	local out rc
	out=$("$replay" --hash "$@" 2>&1)
	rc=$?
	if [ "$rc" -gt 1 ]; then
		echo "FAIL: nmr-replay --hash $* exited $rc: $out" >&2
		return 1
	fi
	printf '%s\n' "$out"
}

files=0 runs=0 fails=0
while IFS= read -r -d '' f; do
	files=$((files + 1))
	for seed in "" 1 2 3 4 5; do
		args=("$f")
		[ -n "$seed" ] && args=(--seed "$seed" "$f")
		a=$(hash_of "${args[@]}") || { fails=$((fails + 1)); continue; }
		b=$(hash_of "${args[@]}") || { fails=$((fails + 1)); continue; }
		runs=$((runs + 2))
		if [ "$a" != "$b" ]; then
			echo "FAIL: ${f#"$corpus"/} ${seed:+--seed $seed }: hash $a, then $b" >&2
			fails=$((fails + 1))
		fi
	done
done < <(find "$corpus" "${prune[@]}" -type f \( -name '*.nmr' -o -name '*.nmrt' \) -print0 | LC_ALL=C sort -z)

if [ "$files" -eq 0 ]; then
	echo "FAIL: no .nmr or .nmrt files under $corpus" >&2
	exit 1
fi
echo "determinism: $files files, $runs runs, $fails failures"
[ "$fails" -eq 0 ]
