#!/usr/bin/env bash
# determinism_cross.sh CORPUS A B [C ...]: nmr-replay builds (e.g. gcc -O0,
# gcc -O2 and clang -O2) must give the same trace hash for every corpus
# scenario (and recorded trace) under its own schedule and under seeds 1..5
# (one process per file and build, tests/hash_seeds.sh, which also runs
# every schedule twice within the process). Scenarios of corpus/kernel/ run
# on the replay tool that links the kernel test drivers
# (corpus/kernel/nmr-replay-kernel of the same build dirs). Every build is
# compared with the first; a build given twice runs in two processes, which
# is tests/determinism.sh's check (CI gives its gcc -O2 build twice instead
# of running that test in its suites).
#
# The files are split over JOBS lanes (default 2, CI's cores); the
# comparison and its report are in file order whatever the lanes did.
set -u
[ $# -ge 3 ] || { echo "usage: determinism_cross.sh CORPUS REPLAY REPLAY [REPLAY ...]" >&2; exit 2; }
corpus=$1
shift
builds=("$@")
jobs=${JOBS:-2}
. "$(dirname "$0")/hash_seeds.sh"
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

files=()
while IFS= read -r f; do files+=("$f"); done < <(find "$corpus" -type f \( -name '*.nmr' -o -name '*.nmrt' \) | LC_ALL=C sort)

# replay_of BUILD FILE: the replay tool that links FILE's drivers.
replay_of() {
	case $2 in */kernel/*) echo "${1%/replay/nmr-replay}/corpus/kernel/nmr-replay-kernel" ;; *) echo "$1" ;; esac
}

# lane K: every build on files K, K + jobs, ...; out/err/rc per file and build.
lane() {
	local i b
	for ((i = $1; i < ${#files[@]}; i += jobs)); do
		for b in "${!builds[@]}"; do
			hashes_of "$(replay_of "${builds[b]}" "${files[i]}")" "${files[i]}" >"$tmp/$i.$b" 2>"$tmp/$i.$b.err"
			echo $? >"$tmp/$i.$b.rc"
		done
	done
}
for ((k = 0; k < jobs; k++)); do lane "$k" & done
wait

n=0 bad=0
for i in "${!files[@]}"; do
	f=${files[i]} ok=1 first=
	for b in "${!builds[@]}"; do
		r=$(replay_of "${builds[b]}" "$f")
		cat "$tmp/$i.$b.err" >&2
		h=$(<"$tmp/$i.$b")
		[ "$(<"$tmp/$i.$b.rc")" = 0 ] || ok=0
		n=$((n + SEEDS + 1))
		if [ "$b" -eq 0 ]; then
			first=$h
			[ -n "$h" ] || ok=0
		elif [ "$ok" -eq 0 ] || [ "$h" != "$first" ]; then
			echo "DIFFERENT: $f ($r against ${builds[0]}):"
			diff <(printf '%s\n' "$first") <(printf '%s\n' "$h")
			ok=0
		fi
	done
	[ "$ok" -eq 1 ] || bad=$((bad + 1))
done
echo "determinism across ${#builds[@]} builds: ${#files[@]} files, $n runs compared, $bad file(s) different"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
