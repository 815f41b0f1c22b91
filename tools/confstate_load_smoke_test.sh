#!/bin/sh
# Runs one confstate-load scenario for a few seconds on a small setup; the
# tool exits non-zero when a response or the final verification is wrong.
set -eu
binary="$1"
scenario="$2"
durable="${3:-}"  # "durable": in a state directory, every change journaled
out="${TEST_TMPDIR:-/tmp}/load_${scenario}${durable:+_durable}"
case "$scenario" in
  join-storm) sizes="--conferences=2 --users=400 --subscribers=3" ;;
  soak) sizes="--conferences=8 --users=40 --subscribers=3 --rate=500" ;;
  *) sizes="--conferences=8 --users=40 --subscribers=3" ;;
esac
state=""
if [ "$durable" = durable ]; then
  rm -rf "$out.state"
  state="--state_dir=$out.state"
fi
# shellcheck disable=SC2086
"$binary" --scenario="$scenario" --duration=3s --requests=200000 $sizes \
  --json="$out.json" $state
grep -q '"verification_failures": 0' "$out.json" ||
  { echo "no clean verification in $out.json"; exit 1; }
if [ -n "$state" ]; then
  ls "$out.state"/segment-* > /dev/null ||
    { echo "no journal segment in $out.state"; exit 1; }
  # A scenario builds its own conferences: a used directory is refused.
  if "$binary" --scenario="$scenario" --requests=10 $sizes $state \
      2> "$out.err"; then
    echo "a state directory holding conferences was accepted"; exit 1
  fi
  grep -q "holds .* conferences" "$out.err" || { cat "$out.err"; exit 1; }
fi
