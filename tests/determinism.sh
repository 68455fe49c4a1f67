#!/usr/bin/env bash
# determinism.sh - the same input gives the same trace, run after run.
# Every scenario and trace of the corpus, with the file's own schedule and
# with --seed 1..5: two nmr-replay processes (so nothing of one process,
# addresses, environment, what ran before, reaches the hash) must print the
# same hashes; each process also runs every schedule twice, the second time
# in reverse order (tests/hash_seeds.sh). Fails if a hash differs or a file
# does not load (exit 2).
#
# usage: determinism.sh NMR_REPLAY CORPUS_DIR [SKIP_SUBDIR...]
# (SKIP_SUBDIR: folders under CORPUS_DIR whose drivers another binary links)
set -u
replay=${1:?usage: determinism.sh NMR_REPLAY CORPUS_DIR}
corpus=${2:?usage: determinism.sh NMR_REPLAY CORPUS_DIR}
shift 2
prune=()
for d in "$@"; do prune+=(-path "$corpus/$d" -prune -o); done
. "$(dirname "$0")/hash_seeds.sh"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

files=0 runs=0 fails=0
while IFS= read -r -d '' f; do
	files=$((files + 1))
	hashes_of "$replay" "$f" >"$tmp/a" || { fails=$((fails + 1)); continue; }
	hashes_of "$replay" "$f" >"$tmp/b" || { fails=$((fails + 1)); continue; }
	a=$(<"$tmp/a") b=$(<"$tmp/b")
	runs=$((runs + 4 * (SEEDS + 1)))
	if [ "$a" != "$b" ]; then
		echo "FAIL: ${f#"$corpus"/}: another process gave other hashes:" >&2
		diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") >&2
		fails=$((fails + 1))
	fi
done < <(find "$corpus" "${prune[@]}" -type f \( -name '*.nmr' -o -name '*.nmrt' \) -print0 | LC_ALL=C sort -z)

if [ "$files" -eq 0 ]; then
	echo "FAIL: no .nmr or .nmrt files under $corpus" >&2
	exit 1
fi
echo "determinism: $files files, $runs runs in $((2 * files)) processes, $fails failures"
[ "$fails" -eq 0 ]
