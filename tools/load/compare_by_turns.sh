#!/bin/sh
# Runs two confstate-load binaries by turns (old, new, old, new, ...) on the
# README's main command and prints one line per run, so that their figures
# are measured in the same conditions:
#
#   tools/load/compare_by_turns.sh OLD NEW [PAIRS] [ARGS...]
#   tools/load/compare_by_turns.sh /work/baseline/confstate-load \
#       bazel-bin/tools/confstate-load 3
#
# Each line: the run, the binary, the load average before it (1, 5 and 15
# minutes), requests per second, requests per second of CPU (the process's
# user and system time, set-up included: the figure to compare when other
# work shares the machine), the throughput of the first and the last 5
# seconds (from the --json timeline), and the focus's share of the run's
# CPU when the binary reports it ("-" otherwise). ARGS replace the default
# `--scenario=mixed --duration=20s`. Needs only sh and awk.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 OLD NEW [PAIRS] [ARGS...]" >&2
  exit 2
fi
old="$1"
new="$2"
pairs="${3:-3}"
[ $# -ge 3 ] && shift 3 || shift $#
[ $# -eq 0 ] && set -- --scenario=mixed --duration=20s
json="${TMPDIR:-/tmp}/compare_by_turns.$$.json"
times="${TMPDIR:-/tmp}/compare_by_turns.$$.times"
trap 'rm -f "$json" "$times" "$times.before" "$times.after"' EXIT

# The CPU time (user + system, in seconds) of this shell's finished
# children, from the `times` builtin (run in this shell, not a subshell,
# whose children are not ours).
children_cpu() {
  times >"$times"
  awk 'NR == 2 {
    split($1, u, "m"); split($2, s, "m")
    print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$times"
}

summary() {
  # The report's JSON: "requests" and "elapsed_seconds" at the top, one
  # timeline point per line, "engine_share" in "cpu" when there is one.
  awk '
    /^  "requests":/ { gsub(/[^0-9]/, "", $2); requests = $2 }
    /^  "elapsed_seconds":/ { gsub(/[^0-9.]/, "", $2); elapsed = $2 }
    /"engine_share":/ {
      match($0, /"engine_share": [0-9.]+/)
      share = substr($0, RSTART + 16, RLENGTH - 16)
    }
    /^    \{"t": / {
      match($0, /"t": [0-9.]+/); t = substr($0, RSTART + 5, RLENGTH - 5) + 0
      match($0, /"requests": [0-9]+/)
      n = substr($0, RSTART + 12, RLENGTH - 12) + 0
      if (t <= 5.5) { first += n; first_end = t }
      if (t > elapsed - 4.5) {
        if (last_begin == "") last_begin = previous
        last += n
      }
      previous = t
    }
    END {
      printf "%9.0f/s %8.0f/CPU-s  first 5 s %8.0f/s  last 5 s %8.0f/s (%+5.1f%%)  focus %s\n",
        requests / elapsed, requests / cpu, first / first_end,
        last / (elapsed - last_begin),
        100 * ((last / (elapsed - last_begin)) / (first / first_end) - 1),
        share == "" ? "-" : sprintf("%.1f%% of CPU", 100 * share)
    }' cpu="$1" "$json"
}

i=0
while [ "$i" -lt "$pairs" ]; do
  i=$((i + 1))
  for binary in "$old" "$new"; do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    name=$([ "$binary" = "$old" ] && echo old || echo new)
    children_cpu >"$times.before"
    if "$binary" "$@" --progress=false --json="$json" >/dev/null 2>&1; then
      children_cpu >"$times.after"
      cpu=$(awk 'NR == FNR { b = $1; next } { print $1 - b }' \
        "$times.before" "$times.after")
      printf "%d %-5s load %-15s %s\n" "$i" "$name" "$load" "$(summary "$cpu")"
    else
      printf "%d %-5s load %-15s FAILED (exit %d)\n" "$i" "$name" "$load" $?
    fi
  done
done
