#!/usr/bin/env bash
# test_py_cli.sh BUILD SRC - the Python tools fail as the C tools do
# (tools/nmr_cli.py, replay/opts.h): a bad option is `<tool>: <reason>` and
# `<tool>: usage: <tool> --help`, a bad input one line `<tool>: <path>:
# <reason>` (or nmr-replay's `<path>:<line>: <reason>`), exit 2, no
# argparse usage block, no traceback; and nothing is built or run first.
set -u
build=$1 src=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0 cases=0

# check NAME WANT_LINES FIRST_LINE CMD...: exit 2, exactly WANT_LINES lines on
# stderr, the first one FIRST_LINE, the second (if any) the --help pointer.
check() {
	local name=$1 want=$2 first=$3 tool
	shift 3
	tool=$(basename "$2")
	cases=$((cases + 1))
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$? n got
	n=$(wc -l <"$tmp/err")
	got=$(head -n 1 "$tmp/err")
	if [ "$rc" -ne 2 ] || [ "$n" -ne "$want" ] || [ "$got" != "$first" ] ||
		{ [ "$want" -eq 2 ] && [ "$(sed -n 2p "$tmp/err")" != "$tool: usage: $tool --help" ]; }; then
		echo "FAIL: $name: exit $rc, $n line(s), want 2 and $want line(s) starting '$first':"
		sed 's/^/  | /' "$tmp/err"
		fails=$((fails + 1))
	fi
}

cov=("$src/tools/nmr-coverage" --no-build --build-dir "$tmp/no-coverage-build" --out "$tmp/cov")
add=("$src/tools/nmr-add-regress" --build "$build" --no-minimize)
mkdir "$tmp/empty-folder"
printf 'provider P npi=0\nthread main\n  regster P\n' >"$tmp/typo.nmr"

check "nmr-coverage unknown option" 2 "nmr-coverage: unknown option '--no-such-option'" \
	python3 "${cov[@]}" --no-such-option "$src/corpus/rules"
check "nmr-coverage bad --target" 2 "nmr-coverage: --target: invalid choice: 'foo' (choose from 'scenario', 'drivers')" \
	python3 "${cov[@]}" --target foo "$src/corpus/rules"
check "nmr-coverage no input" 2 "nmr-coverage: missing CORPUS (see --help)" python3 "${cov[@]}"
# Inputs are checked before the (missing) coverage build is looked at.
check "nmr-coverage missing input file" 1 "nmr-coverage: $tmp/missing.nmr: no such file or folder" \
	python3 "${cov[@]}" "$tmp/missing.nmr"
check "nmr-coverage folder without inputs" 1 "nmr-coverage: no input file in $tmp/empty-folder" \
	python3 "${cov[@]}" "$tmp/empty-folder"

check "nmr-add-regress unknown option" 2 "nmr-add-regress: unknown option '--no-such-option'" \
	python3 "${add[@]}" --no-such-option "$tmp/typo.nmr"
check "nmr-add-regress --name without value" 2 "nmr-add-regress: --name: needs a value" \
	python3 "${add[@]}" "$tmp/typo.nmr" --name
check "nmr-add-regress missing input file" 1 "nmr-add-regress: $tmp/missing.nmr: no such file" \
	python3 "${add[@]}" "$tmp/missing.nmr"
check "nmr-add-regress malformed scenario" 1 "$tmp/typo.nmr:3: unknown op or directive 'regster'" \
	python3 "${add[@]}" "$tmp/typo.nmr"

[ -e "$tmp/no-coverage-build" ] && { echo "FAIL: nmr-coverage built something"; fails=$((fails + 1)); }
ls "$src/corpus/regress" | grep -q typo && { echo "FAIL: a regress file was added"; fails=$((fails + 1)); }
echo "python tools' messages: $cases cases, $fails failures"
[ "$fails" -eq 0 ]
