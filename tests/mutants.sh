#!/bin/sh
# mutants.sh REPLAY CORPUS [KERNEL_REPLAY] - the test suite's scenarios against two planted
# registrar bugs (issue 13 items 4 and 5), run with `nmr-replay --registrar`
# (the registrar model with one planted bug, sim/nmr/nmr_model.c; no build).
#
# complete-wrong-binding: Nmr*DetachComplete finishes the binding of the
#   caller's registration that has been PENDING longest, not the one it names
#   (a FIFO of pending detaches). It is right whenever a module completes in
#   the order its detaches pended, as every scenario did before the
#   multi-pending ones (corpus/examples/pending2-*, pending3-*: one module
#   with two or three detaches PENDING, completed in every order): each of
#   them but the one completing in pending order must fail its
#   `expect clean` under it, and pass under the model. So the ordinary
#   suite catches this bug, not only the fuzzers. With KERNEL_REPLAY (the
#   replay tool linking tests/drivers/), the same in WDK-driver form:
#   corpus/kernel/pending-lifo.nmr (a client completing its detaches at
#   Unload, newest first) passes under the model and fails under the bug.
# deregister-again: a repeated NmrDeregister* of one handle answers
#   STATUS_PENDING instead of an error. Only R13 may catch it: every
#   scenario of the corpus that runs the model (rules, examples, seeds,
#   regress) reports under this bug exactly what it reports under the model,
#   apart from R13 findings, and at least one (rules/R13-good) gains R13.
#
# Passes iff all of that holds; prints what differs otherwise.
replay=$1; corpus=$2; kreplay=$3
fail=0

rules_of() { # REGISTRAR FILE -> the rule IDs reported, sorted, one line
	"$replay" --quiet --registrar "$1" "$2" 2>&1 | sed -n 's/^violation \([A-Z][0-9][0-9]\) .*/\1/p' | sort -u | tr '\n' ' '
}

expected_of() { # FILE -> the rule IDs of its `expect` line (what the model reports: suites rules, replay, seeds, regress), sorted
	sed -n 's/^expect \([^#]*\).*/\1/p' "$1" | tr ' ' '\n' | grep -v '^clean$' | grep . | sort -u | tr '\n' ' '
}

for group in pending2 pending3; do
	n=0; caught=0
	for f in "$corpus"/examples/$group-*.nmr; do
		n=$((n + 1))
		"$replay" --quiet --expect --registrar complete-wrong-binding "$f" >/dev/null 2>&1 || caught=$((caught + 1))
		if ! "$replay" --quiet --expect "$f" >/dev/null 2>&1; then
			echo "mutants.sh: $f fails under the model (must pass)" >&2
			fail=1
		fi
	done
	want=$([ $group = pending2 ] && echo 2 || echo 6) # 2! and 3! orders
	echo "complete-wrong-binding: caught by $caught of $n $group scenarios"
	if [ "$n" -ne "$want" ] || [ "$caught" -lt $((n - 1)) ]; then
		echo "mutants.sh: $group: $n scenarios (want $want), $caught fail under complete-wrong-binding (want >= $((want - 1)))" >&2
		fail=1
	fi
done

if [ -n "$kreplay" ]; then
	f=$corpus/kernel/pending-lifo.nmr
	"$kreplay" --quiet --expect "$f" >/dev/null 2>&1 || { echo "mutants.sh: $f fails under the model" >&2; fail=1; }
	if "$kreplay" --quiet --expect --registrar complete-wrong-binding "$f" >/dev/null 2>&1; then
		echo "mutants.sh: $f passes under complete-wrong-binding (must fail)" >&2
		fail=1
	else
		echo "complete-wrong-binding: caught by kernel/pending-lifo (WDK drivers)"
	fi
fi

gained=0; checked=0
for f in "$corpus"/rules/*.nmr "$corpus"/examples/*.nmr "$corpus"/seeds/*.nmr "$corpus"/regress/*.nmr; do
	grep -q '^registrar ' "$f" && ! grep -q '^registrar model' "$f" && continue # another planted bug
	grep -q '^expect ' "$f" || continue
	checked=$((checked + 1))
	model=$(expected_of "$f")
	mutant=$(rules_of deregister-again "$f")
	stripped=$(printf '%s' "$mutant" | sed 's/R13 //')
	if [ "$stripped" != "$model" ]; then
		echo "mutants.sh: $f: deregister-again reports '$mutant', the model '$model': caught by more than R13" >&2
		fail=1
	fi
	[ "$stripped" != "$mutant" ] && gained=$((gained + 1))
	case "$model" in *R13*) echo "mutants.sh: $f: expects R13 under the model" >&2; fail=1;; esac
done
echo "deregister-again: R13 in $gained of $checked scenarios, nothing else changed"
[ "$gained" -gt 0 ] || { echo "mutants.sh: deregister-again caught nowhere" >&2; fail=1; }
exit $fail
