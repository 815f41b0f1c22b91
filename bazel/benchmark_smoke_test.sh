#!/usr/bin/env bash
# Runs a benchmark binary very briefly so that it never rots: it must start,
# run every benchmark once and exit 0. No timing is checked.
set -euo pipefail
bin="$1"
shift
out=$("$bin" --benchmark_min_time=0.01 "$@" 2>&1) || {
  echo "$out"
  echo "FAIL: $bin exited non-zero" >&2
  exit 1
}
echo "$out"
# Benchmark prints "ERROR OCCURRED" for SkipWithError.
if grep -q 'ERROR OCCURRED' <<<"$out"; then
  echo "FAIL: a benchmark reported an error" >&2
  exit 1
fi
