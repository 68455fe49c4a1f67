#!/usr/bin/env bash
# covlog_smoke.sh STRUCTURED BYTES RUNS (suite fuzz-smoke, libFuzzer builds)
#
# The rule-coverage log works, and the structure-aware mutator earns its
# keep: from the empty input, RUNS executions of the structure-aware target
# (seed 1) must touch more rules and find more violations than the same
# executions of its bytes-only twin. Counted in executions, not seconds, so
# machine load cannot change the verdict (fuzz/bench_mutator.py measures the
# same in time). Each line of NMRSIM_FUZZ_COVLOG must be well-formed.
set -u
structured=$1 bytes=$2 runs=${3:-5000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/start"
: >"$work/start/empty"

figures() { # EXE NAME -> "touched found" (the union over the log)
	mkdir -p "$work/$2"
	NMRSIM_FUZZ_NO_ABORT=1 NMRSIM_FUZZ_COVLOG="$work/$2.cov" "$1" -seed=1 -runs="$runs" -max_len=4096 \
		"$work/$2" "$work/start" >"$work/$2.log" 2>&1 || { tail -n 20 "$work/$2.log"; echo "covlog_smoke: $2 failed"; exit 1; }
	python3 - "$work/$2.cov" <<'EOF'
import re, sys
t = v = 0
for n, line in enumerate(open(sys.argv[1]), 1):
    if not re.fullmatch(r'\d+ \d+ [0-9a-f]+ [0-9a-f]+\n', line):
        sys.exit('covlog_smoke: %s:%d: malformed line %r' % (sys.argv[1], n, line))
    _, _, a, b = line.split()
    t |= int(a, 16)
    v |= int(b, 16)
print(bin(t).count('1'), bin(v).count('1'))
EOF
}

read -r st sf <<<"$(figures "$structured" structured)" || exit 1
read -r bt bf <<<"$(figures "$bytes" bytes)" || exit 1
echo "after $runs executions from the empty input: structure-aware $st rules touched, $sf found; bytes only $bt touched, $bf found"
[ "${st:-0}" -gt 0 ] || { echo "covlog_smoke: no rule touched: the coverage log is empty"; exit 1; }
if [ "$st" -le "$bt" ] || [ "$sf" -le "$bf" ]; then
	echo "covlog_smoke: the structure-aware mutator is not ahead"
	exit 1
fi
