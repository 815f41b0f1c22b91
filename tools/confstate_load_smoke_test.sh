#!/bin/sh
# Runs one confstate-load scenario for a few seconds on a small setup; the
# tool exits non-zero when a response or the final verification is wrong.
set -eu
binary="$1"
scenario="$2"
out="${TEST_TMPDIR:-/tmp}/load_${scenario}"
case "$scenario" in
  join-storm) sizes="--conferences=2 --users=400 --subscribers=3" ;;
  soak) sizes="--conferences=8 --users=40 --subscribers=3 --rate=500" ;;
  *) sizes="--conferences=8 --users=40 --subscribers=3" ;;
esac
# shellcheck disable=SC2086
"$binary" --scenario="$scenario" --duration=3s --requests=200000 $sizes \
  --json="$out.json"
grep -q '"verification_failures": 0' "$out.json" ||
  { echo "no clean verification in $out.json"; exit 1; }
