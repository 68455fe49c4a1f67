#!/bin/sh
# explore_only.sh EXPLORE RULES FILE [OPTION...] - explore FILE (default
# every schedule: --strategy dfs --runs 0) and pass iff it finds something
# and every finding's rule is one of RULES (space-separated IDs): a bug
# reported as itself and not followed by made-up findings (a deadlock after
# a use after free). RULES "clean": pass iff nothing is found.
explore=$1; rules=$2; file=$3; shift 3
[ $# -gt 0 ] || set -- --strategy dfs --runs 0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
log=$("$explore" --quiet --out "$out" "$@" "$file" 2>&1)
rc=$?
# Each bug's signature ("[1] K05 ...") and what followed it in a run ("then: L01 ...").
found=$(printf '%s\n' "$log" | sed -n -e 's/^\[[0-9]*\] \([A-Z][0-9][0-9]\) .*/\1/p' -e 's/^ *then: \([A-Z][0-9][0-9]\) .*/\1/p' | sort -u)
if [ "$rules" = clean ]; then
	[ $rc -eq 0 ] && [ -z "$found" ] && exit 0
	printf '%s\n' "$log" >&2; echo "explore_only.sh: expected no finding (exit $rc)" >&2; exit 1
fi
if [ $rc -ne 1 ] || [ -z "$found" ]; then
	printf '%s\n' "$log" >&2; echo "explore_only.sh: expected findings (exit $rc)" >&2; exit 1
fi
for r in $found; do
	case " $rules " in
	*" $r "*) ;;
	*) printf '%s\n' "$log" >&2; echo "explore_only.sh: found $r, expected only $rules" >&2; exit 1 ;;
	esac
done
exit 0
