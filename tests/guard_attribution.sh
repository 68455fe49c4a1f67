#!/bin/sh
# guard_attribution.sh REPLAY SCENARIO - the scenario is clean and, in its
# timeline, NmrProviderDetachClientComplete runs inside a guarded dispatch
# call into the provider on the client's thread (the case a call charged to
# the caller turned into a false M16; corpus/kernel/GUARD-attribution.nmr).
set -u
replay=$1 scn=$2
out=$("$replay" "$scn") || { echo "$out" | tail -20; echo "FAIL: not clean"; exit 1; }
echo "$out" | awk '
  $4 == "call" && $5 == "good_provider" && $6 == "dispatch" { inside[$2] = 1; next }
  $4 == "return" && $6 == "good_provider" { inside[$2] = 0; next }
  $4 == "->" && $5 ~ /^NmrProviderDetachClientComplete\(good_provider/ && inside[$2] { found = 1 }
  END { exit !found }' || { echo "FAIL: no NmrProviderDetachClientComplete inside a call to good_provider"; exit 1; }
echo "ok: the provider completed its detach inside the client's call, clean"
