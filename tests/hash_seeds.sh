# hash_seeds.sh - sourced by determinism.sh and determinism_cross.sh.
#
# hashes_of REPLAY FILE: the trace hashes of FILE under its own schedule and
# --seed 1..$SEEDS, one line each (`own HASH`, `seed K HASH`), from ONE
# nmr-replay process (`--hash-seeds`, which also runs every schedule a second
# time in reverse order and exits 2 if a hash moved). A process costs far more
# than a run, hence one per file. A driver crash (K08) ends that process after
# its run's line; the schedules after it then run one process each, as a
# crash ends every run of them. Exit status: 0, or 1 after a FAIL line on
# stderr (exit 2 of nmr-replay: a file that does not load, a recorded trace
# that diverged, a hash that moved within the process).
SEEDS=${SEEDS:-5}

hashes_of() {
	local replay=$1 f=$2 out rc n s h
	out=$("$replay" --hash-seeds "$SEEDS" "$f" 2>/dev/null)
	rc=$?
	if [ "$rc" -gt 1 ]; then # again, to show why (the crash traces of K08 runs stay out of the log)
		echo "FAIL: nmr-replay --hash-seeds $SEEDS $f exited $rc: $("$replay" --hash-seeds "$SEEDS" "$f" 2>&1 >/dev/null)" >&2
		return 1
	fi
	printf '%s\n' "$out"
	n=${out//[^$'\n']/}
	n=$((${#n} + 1)) # lines printed: the schedules that ran
	# Crashed at schedule n-1 (0: own): the rest, one process each.
	for ((s = n; s <= SEEDS; s++)); do
		h=$("$replay" --hash --seed "$s" "$f" 2>/dev/null)
		rc=$?
		if [ "$rc" -gt 1 ] || [ -z "$h" ]; then
			echo "FAIL: nmr-replay --hash --seed $s $f exited $rc" >&2
			return 1
		fi
		echo "seed $s $h"
	done
}
