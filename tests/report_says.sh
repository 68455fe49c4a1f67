#!/bin/sh
# report_says.sh REPLAY FILE TEXT... - run `REPLAY --quiet FILE` and pass iff
# its report (standard output and error) contains each TEXT (a fixed string):
# what a finding's text names (a driver global by its symbol, a pool block).
replay=$1; file=$2; shift 2
out=$("$replay" --quiet "$file" 2>&1)
for want in "$@"; do
	if ! printf '%s\n' "$out" | grep -qF -- "$want"; then
		printf '%s\n' "$out" >&2
		echo "report_says.sh: the report does not say '$want'" >&2
		exit 1
	fi
done
exit 0
